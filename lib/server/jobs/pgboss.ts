import PgBoss from "pg-boss";
import { DEFAULT_MAX_LOSSES, type EnqueueOptions, type JobHandler, type JobQueue } from "./types";
import { log } from "@/lib/server/log";

export interface PgBossQueueOptions {
  connectionString: string;
  /** An active job older than this is failed by maintenance and retried (covers SIGKILLed workers). */
  expireInSeconds: number;
  maintenanceIntervalSeconds: number;
  maxAttempts: number;
  /** Lost deliveries a job may have on top of maxAttempts (see DEFAULT_MAX_LOSSES). */
  maxLosses?: number;
}

const SCHEMA = "pgboss";

/**
 * pg-boss (PostgreSQL) implementation. Any number of worker processes may call work(); pg-boss
 * hands each job to one of them (SKIP LOCKED). A worker killed mid-job leaves the job `active`
 * until `expireInSeconds`, then maintenance fails it and the retry policy re-queues it; the
 * lost-run sweeper (jobs/index.ts) notices much sooner and calls releaseLost().
 *
 * A lost delivery (worker killed, job released at shutdown) goes back to `retry` at once with its
 * retry_count lowered by one (pg-boss adds one at every redelivery), so worker deaths neither use up
 * the retries meant for errors nor lengthen their backoff (pg-boss backs off 2^retry_count) — up to
 * maxLosses losses, counted in the job's data (`losses`); past that they count as failures.
 */
export class PgBossQueue implements JobQueue {
  readonly kind = "pg-boss" as const;
  private readonly boss: PgBoss;
  private readonly created = new Set<string>();
  private readonly controllers = new Set<AbortController>();

  constructor(private readonly opts: PgBossQueueOptions) {
    this.boss = new PgBoss({
      connectionString: opts.connectionString,
      schema: SCHEMA,
      max: 4,
      application_name: "hindsight",
      maintenanceIntervalSeconds: opts.maintenanceIntervalSeconds,
      monitorStateIntervalSeconds: 60,
    });
    this.boss.on("error", (err) => log.error({ err }, "pg-boss error"));
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
          const retryCount = job.retryCount ?? 0;
          await handler(job.data, { jobId: job.id, attempt: retryCount + 1, final: retryCount >= (job.retryLimit ?? 0), signal: abort.signal });
        } catch (err) {
          // Stopped mid-job (SIGTERM past the grace period): hand the job back now, as a loss.
          // Returning normally makes pg-boss's own complete() a no-op (the job is no longer active).
          if (abort.signal.aborted && (await this.releaseLost(queue, job.id, "released: worker stopping").catch(() => false))) return;
          throw err;
        } finally {
          this.controllers.delete(abort);
        }
      });
    }
  }

  /**
   * Puts an active job whose worker is gone (or stopping) back to `retry`, runnable now, without
   * using up one of its error retries while its loss budget lasts; past the budget it is failed
   * the ordinary way (retry with backoff, or `failed` when no retry is left).
   * Returns whether the job was active (false: someone else settled it first).
   */
  async releaseLost(queue: string, jobId: string, reason: string): Promise<boolean> {
    const maxLosses = this.opts.maxLosses ?? DEFAULT_MAX_LOSSES;
    const db = this.boss.getDb();
    // retry_count may be -1 until the next fetch adds the one back.
    const res = (await db.executeSql(
      `UPDATE ${SCHEMA}.job SET state = 'retry', start_after = now(), retry_count = retry_count - 1,
              data = jsonb_set(coalesce(data, '{}'::jsonb), '{losses}', to_jsonb(coalesce((data->>'losses')::int, 0) + 1)),
              output = jsonb_build_object('message', $4::text)
        WHERE name = $1 AND id = $2::uuid AND state = 'active' AND coalesce((data->>'losses')::int, 0) < $3
        RETURNING id`,
      [queue, jobId, maxLosses, reason],
    )) as { rows: unknown[] };
    if (res.rows.length === 1) return true;
    const state = await this.jobState(queue, jobId);
    if (state !== "active") return false;
    await this.boss.fail(queue, jobId, { reason: `${reason} (loss budget spent)` });
    return true;
  }

  /** The job's state, or null when it does not exist (any more). */
  async jobState(queue: string, jobId: string): Promise<string | null> {
    const res = (await this.boss.getDb().executeSql(`SELECT state FROM ${SCHEMA}.job WHERE name = $1 AND id = $2::uuid`, [queue, jobId])) as { rows: { state: string }[] };
    return res.rows[0]?.state ?? null;
  }

  /** Active jobs started more than `seconds` ago, with their payloads (for the lost-run sweeper). */
  async activeOlderThan(queue: string, seconds: number): Promise<{ id: string; data: unknown }[]> {
    const res = (await this.boss.getDb().executeSql(
      `SELECT id, data FROM ${SCHEMA}.job WHERE name = $1 AND state = 'active' AND started_on < now() - make_interval(secs => $2)`,
      [queue, seconds],
    )) as { rows: { id: string; data: unknown }[] };
    return res.rows;
  }

  async stop(graceMs = 10_000): Promise<void> {
    // Abort running handlers early enough that they can put their state back and release their
    // jobs before pg-boss's own deadline (which would fail them, using up a retry).
    const timer = setTimeout(() => {
      for (const c of this.controllers) c.abort();
    }, Math.max(0, Math.min(graceMs - 2000, graceMs * 0.75)));
    try {
      await this.boss.stop({ graceful: true, wait: true, timeout: graceMs });
    } finally {
      clearTimeout(timer);
    }
  }
}
