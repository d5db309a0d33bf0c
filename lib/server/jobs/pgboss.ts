import PgBoss from "pg-boss";
import type { EnqueueOptions, JobHandler, JobQueue } from "./types";

export interface PgBossQueueOptions {
  connectionString: string;
  /** An active job older than this is failed by maintenance and retried (covers SIGKILLed workers). */
  expireInSeconds: number;
  maintenanceIntervalSeconds: number;
  maxAttempts: number;
}

/**
 * pg-boss (PostgreSQL) implementation. Any number of worker processes may call work(); pg-boss
 * hands each job to one of them (SKIP LOCKED). A worker killed mid-job leaves the job `active`
 * until `expireInSeconds`, then maintenance fails it and the retry policy re-queues it.
 */
export class PgBossQueue implements JobQueue {
  readonly kind = "pg-boss" as const;
  private readonly boss: PgBoss;
  private readonly created = new Set<string>();
  private readonly controllers = new Set<AbortController>();

  constructor(private readonly opts: PgBossQueueOptions) {
    this.boss = new PgBoss({
      connectionString: opts.connectionString,
      schema: "pgboss",
      max: 4,
      application_name: "hindsight",
      maintenanceIntervalSeconds: opts.maintenanceIntervalSeconds,
      monitorStateIntervalSeconds: 60,
    });
    this.boss.on("error", (err) => console.error("[pg-boss]", err.message));
  }

  async start(): Promise<void> {
    await this.boss.start();
  }

  private async ensureQueue(name: string): Promise<void> {
    if (this.created.has(name)) return;
    const existing = await this.boss.getQueue(name);
    const settings = {
      retryLimit: Math.max(0, this.opts.maxAttempts - 1),
      retryDelay: 2,
      retryBackoff: true,
      expireInSeconds: this.opts.expireInSeconds,
    };
    if (!existing) {
      try {
        await this.boss.createQueue(name, { name, policy: "standard", ...settings });
      } catch (err) {
        // Another process created it first.
        if (!(await this.boss.getQueue(name))) throw err;
      }
    } else {
      await this.boss.updateQueue(name, { name, ...settings });
    }
    this.created.add(name);
  }

  async enqueue(queue: string, payload: unknown, opts: EnqueueOptions = {}): Promise<string> {
    await this.ensureQueue(queue);
    // pg-boss validates keys that are present, even when undefined.
    const sendOptions: PgBoss.SendOptions = {};
    if (opts.singletonKey) sendOptions.singletonKey = opts.singletonKey;
    if (opts.maxAttempts) sendOptions.retryLimit = opts.maxAttempts - 1;
    const id = await this.boss.send(queue, payload as object, sendOptions);
    if (id) return id;
    // singletonKey collision: a live job already exists for this key.
    return `singleton:${opts.singletonKey ?? "?"}`;
  }

  async work(queue: string, handler: JobHandler, opts: { concurrency?: number } = {}): Promise<void> {
    await this.ensureQueue(queue);
    const n = Math.max(1, opts.concurrency ?? 1);
    for (let i = 0; i < n; i++) {
      await this.boss.work(queue, { batchSize: 1, pollingIntervalSeconds: 1, includeMetadata: true }, async (jobs) => {
        const job = jobs[0] as PgBoss.JobWithMetadata<unknown> | undefined;
        if (!job) return;
        const abort = new AbortController();
        this.controllers.add(abort);
        try {
          await handler(job.data, { jobId: job.id, attempt: (job.retryCount ?? 0) + 1, signal: abort.signal });
        } finally {
          this.controllers.delete(abort);
        }
      });
    }
  }

  /** Fails a job whose worker is gone so pg-boss retries it now instead of after expiry. */
  async failLost(queue: string, jobId: string, reason: string): Promise<void> {
    await this.boss.fail(queue, jobId, { reason });
  }

  async stop(graceMs = 10_000): Promise<void> {
    const timer = setTimeout(() => {
      for (const c of this.controllers) c.abort();
    }, Math.max(0, graceMs - 500));
    try {
      await this.boss.stop({ graceful: true, wait: true, timeout: graceMs });
    } finally {
      clearTimeout(timer);
    }
  }
}
