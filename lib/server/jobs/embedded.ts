import os from "node:os";
import { randomUUID } from "node:crypto";
import type { Db } from "@/lib/server/db/client";
import { ownerIsDeadLocally } from "@/lib/server/pipeline/run-lease";
import { backoffMs, DEFAULT_MAX_LOSSES, type EnqueueOptions, type JobHandler, type JobQueue } from "./types";
import { log } from "@/lib/server/log";

const LEASE_MS = 30_000;
const POLL_MS = 400;

/**
 * Job queue persisted in the app database (Job table), consumed in-process.
 *
 * A claimed job holds a lease (lockedUntil) renewed by a heartbeat. A job whose lease expired
 * (its process died) is claimable again; at start-up, jobs leased by a dead process on this
 * host are reclaimed at once so a restart resumes interrupted work without waiting for the lease.
 *
 *   queued ──claim──▶ active ──ok──▶ completed
 *      ▲                 │ throw (attempts < max): runAfter = now + backoff
 *      ├─────────────────┘ throw (attempts = max) ──▶ failed
 *      └── lost (lease expired, dead owner, released at stop): maxAttempts + 1 (up to maxLosses)
 *
 * `attempts` counts deliveries. A lost delivery raises the job's maxAttempts by one, so worker deaths
 * do not use up the retries meant for errors; past maxLosses extra deliveries they do.
 */
export class EmbeddedQueue implements JobQueue {
  readonly kind = "embedded" as const;
  private readonly owner = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private stopped = false;
  private readonly running = new Map<string, { queue: string; abort: AbortController; done: Promise<void> }>();
  private timers: NodeJS.Timeout[] = [];

  private readonly defaults: { maxAttempts: number; maxLosses: number };

  constructor(private readonly db: Db, defaults: { maxAttempts?: number; maxLosses?: number } = {}) {
    this.defaults = { maxAttempts: defaults.maxAttempts ?? 5, maxLosses: defaults.maxLosses ?? DEFAULT_MAX_LOSSES };
  }

  /** Failed deliveries so far, this one included: deliveries minus losses (losses raised maxAttempts). */
  private failures(job: { attempts: number; maxAttempts: number }): number {
    return Math.max(1, job.attempts - Math.max(0, job.maxAttempts - this.defaults.maxAttempts));
  }

  /** maxAttempts of a job after one more lost delivery (unchanged once the loss budget is spent). */
  private afterLoss(maxAttempts: number): number {
    return maxAttempts < this.defaults.maxAttempts + this.defaults.maxLosses ? maxAttempts + 1 : maxAttempts;
  }

  async start(): Promise<void> {
    await this.reclaimFromDeadProcesses();
  }

  async enqueue(queue: string, payload: unknown, opts: EnqueueOptions = {}): Promise<string> {
    if (opts.singletonKey) {
      const live = await this.db.job.findFirst({
        where: { singletonKey: opts.singletonKey, status: { in: ["queued", "active"] } },
        select: { id: true },
      });
      if (live) return live.id;
    }
    const job = await this.db.job.create({
      data: {
        queue,
        payload: payload as object,
        singletonKey: opts.singletonKey ?? null,
        maxAttempts: opts.maxAttempts ?? this.defaults.maxAttempts,
      },
      select: { id: true },
    });
    return job.id;
  }

  async work(queue: string, handler: JobHandler, opts: { concurrency?: number } = {}): Promise<void> {
    const concurrency = Math.max(1, opts.concurrency ?? 1);
    const tick = async () => {
      if (this.stopped) return;
      try {
        while (!this.stopped && this.countRunning(queue) < concurrency) {
          const claimed = await this.claim(queue);
          if (!claimed) break;
          this.run(queue, claimed, handler);
        }
      } catch (err) {
        log.error({ err, queue }, "jobs: poll failed");
      }
    };
    const loop = () => {
      if (this.stopped) return;
      void tick().finally(() => {
        if (!this.stopped) this.timers.push(setTimeout(loop, POLL_MS));
      });
    };
    loop();
  }

  async stop(graceMs = 10_000): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    const all = [...this.running.entries()];
    const finished = Promise.allSettled(all.map(([, r]) => r.done));
    const timedOut = await Promise.race([finished.then(() => false), sleep(graceMs).then(() => true)]);
    if (timedOut) {
      const left = [...this.running.entries()];
      for (const [, r] of left) r.abort.abort();
      // Let aborted handlers put their own state back (run → queued, lease released) before the
      // process exits, but not for long: their threads are terminated on abort.
      await Promise.race([Promise.allSettled(left.map(([, r]) => r.done)), sleep(5_000)]);
      for (const [id] of left) {
        // Hand the job back so the next process picks it up immediately; a loss, not a failure.
        const row = await this.db.job.findUnique({ where: { id }, select: { maxAttempts: true } }).catch(() => null);
        await this.db.job
          .updateMany({
            where: { id, lockedBy: this.owner, status: "active" },
            data: { status: "queued", lockedBy: null, lockedUntil: null, runAfter: new Date(), ...(row ? { maxAttempts: this.afterLoss(row.maxAttempts) } : {}), lastError: "released: worker stopping" },
          })
          .catch(() => undefined);
      }
    }
  }

  private countRunning(queue: string): number {
    let n = 0;
    for (const r of this.running.values()) if (r.queue === queue) n++;
    return n;
  }

  private async claim(queue: string): Promise<{ id: string; payload: unknown; attempts: number; maxAttempts: number } | null> {
    const now = new Date();
    const candidate = await this.db.job.findFirst({
      where: {
        queue,
        OR: [
          { status: "queued", runAfter: { lte: now } },
          { status: "active", lockedUntil: { lt: now } },
        ],
      },
      orderBy: { createdAt: "asc" },
      select: { id: true, status: true, lockedUntil: true, attempts: true, maxAttempts: true, payload: true },
    });
    if (!candidate) return null;
    // An active job whose lease expired lost its worker: that delivery was a loss, not a failure.
    const maxAttempts = candidate.status === "active" ? this.afterLoss(candidate.maxAttempts) : candidate.maxAttempts;
    // Optimistic claim: only succeeds if nobody changed the row since we read it.
    const res = await this.db.job.updateMany({
      where: { id: candidate.id, status: candidate.status, lockedUntil: candidate.lockedUntil, attempts: candidate.attempts },
      data: { status: "active", lockedBy: this.owner, lockedUntil: new Date(Date.now() + LEASE_MS), attempts: { increment: 1 }, maxAttempts },
    });
    if (res.count !== 1) return null;
    return { id: candidate.id, payload: candidate.payload, attempts: candidate.attempts + 1, maxAttempts };
  }

  private run(queue: string, job: { id: string; payload: unknown; attempts: number; maxAttempts: number }, handler: JobHandler): void {
    const abort = new AbortController();
    const heartbeat = setInterval(() => {
      void this.db.job
        .updateMany({ where: { id: job.id, lockedBy: this.owner }, data: { lockedUntil: new Date(Date.now() + LEASE_MS) } })
        .catch(() => undefined);
    }, LEASE_MS / 3);
    const entry = { queue, abort, done: Promise.resolve() };
    this.running.set(job.id, entry);
    entry.done = (async () => {
      try {
        await handler(job.payload, { jobId: job.id, attempt: job.attempts, final: job.attempts >= job.maxAttempts, signal: abort.signal });
        await this.db.job.updateMany({
          where: { id: job.id, lockedBy: this.owner },
          data: { status: "completed", lockedBy: null, lockedUntil: null, finishedAt: new Date(), lastError: null },
        });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (abort.signal.aborted) return; // released by stop()
        const exhausted = job.attempts >= job.maxAttempts;
        await this.db.job.updateMany({
          where: { id: job.id, lockedBy: this.owner },
          data: exhausted
            ? { status: "failed", lockedBy: null, lockedUntil: null, lastError: message, finishedAt: new Date() }
            : { status: "queued", lockedBy: null, lockedUntil: null, lastError: message, runAfter: new Date(Date.now() + backoffMs(this.failures(job))) },
        });
        log.error({ queue, jobId: job.id, attempt: job.attempts, givingUp: exhausted, error: message }, `jobs: ${queue} job attempt failed${exhausted ? " (giving up)" : ""}`);
      } finally {
        clearInterval(heartbeat);
        this.running.delete(job.id);
      }
    })();
  }

  /** Jobs leased by a process of this host that no longer exists are claimable now. */
  private async reclaimFromDeadProcesses(): Promise<void> {
    const active = await this.db.job.findMany({ where: { status: "active" }, select: { id: true, lockedBy: true, maxAttempts: true } });
    for (const j of active) {
      if (j.lockedBy && ownerIsDeadLocally(j.lockedBy)) {
        await this.db.job.updateMany({
          where: { id: j.id, lockedBy: j.lockedBy },
          data: { status: "queued", lockedBy: null, lockedUntil: null, runAfter: new Date(), maxAttempts: this.afterLoss(j.maxAttempts), lastError: "worker lost" },
        });
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref?.());
}
