import { QUEUE_ANALYZE } from "@/lib/schemas/jobs";
import { getPrisma, type Db } from "@/lib/server/db/client";
import { queueBackend, resolveDatabase, type DatabaseConfig } from "@/lib/server/db/provider";
import { runAnalysisJob } from "@/lib/server/pipeline/run-analysis";
import { findLostRuns, runIsHeld } from "@/lib/server/pipeline/run-lease";
import { EmbeddedQueue } from "./embedded";
import type { PgBossQueue } from "./pgboss";
import { DEFAULT_MAX_LOSSES, type JobQueue } from "./types";
import { log } from "@/lib/server/log";

export function jobSettings(env: NodeJS.ProcessEnv = process.env) {
  return {
    maxAttempts: intEnv(env.HINDSIGHT_JOB_MAX_ATTEMPTS, 5),
    concurrency: intEnv(env.HINDSIGHT_WORKER_CONCURRENCY, 1),
    expireInSeconds: intEnv(env.HINDSIGHT_JOB_EXPIRE_SECONDS, 1800),
    maintenanceIntervalSeconds: intEnv(env.HINDSIGHT_JOB_MAINTENANCE_SECONDS, 30),
    maxLosses: intEnv(env.HINDSIGHT_JOB_MAX_LOSSES, DEFAULT_MAX_LOSSES),
  };
}

/** Which queue backs this database (queueBackend: embedded rows on SQLite, pg-boss on PostgreSQL). */
export async function createQueue(dbConfig: DatabaseConfig, db: Db, env: NodeJS.ProcessEnv = process.env): Promise<JobQueue> {
  const s = jobSettings(env);
  const backend = queueBackend(dbConfig);
  if (backend.kind === "pg-boss") {
    // Loaded on demand: the embedded (SQLite) deployment never needs pg-boss in memory.
    const { PgBossQueue } = await import("./pgboss");
    return new PgBossQueue({
      connectionString: backend.connectionString,
      expireInSeconds: s.expireInSeconds,
      maintenanceIntervalSeconds: s.maintenanceIntervalSeconds,
      maxAttempts: s.maxAttempts,
      maxLosses: s.maxLosses,
    });
  }
  return new EmbeddedQueue(db, { maxAttempts: s.maxAttempts, maxLosses: s.maxLosses });
}

/** Registers the analysis handler on a started queue (and, for pg-boss, the lost-run sweeper). */
/**
 * `warmViews: false` for in-process sessions that never serve the views (CLI, eval): their view
 * caches would be computed and thrown away with the temporary database.
 */
export async function consumeAnalysis(queue: JobQueue, db: Db, dbConfig: DatabaseConfig, env: NodeJS.ProcessEnv = process.env, opts: { warmViews?: boolean } = {}): Promise<void> {
  const s = jobSettings(env);
  await queue.work(QUEUE_ANALYZE, (payload, ctx) => runAnalysisJob({ db, dbConfig, maxAttempts: s.maxAttempts, warmViews: opts.warmViews ?? true }, payload, ctx), { concurrency: s.concurrency });
  if (queue.kind === "pg-boss") startLostRunSweeper(queue as PgBossQueue, db);
}

/** An active pg-boss job whose run nobody holds after this long lost its worker before or after the run. */
const UNCLAIMED_ACTIVE_SECONDS = 20;

/**
 * pg-boss only learns that a worker died when the job expires (HINDSIGHT_JOB_EXPIRE_SECONDS,
 * long by design so slow jobs are not cut off). The run lease tells sooner:
 *  - a running run whose lease is stale (or whose owner pid is gone) lost its worker;
 *  - an active job whose run no live worker holds 20 s after it started lost its worker
 *    between pg-boss handing it out and the run being claimed, or after the run ended (a
 *    completed run may keep the dead worker's stale lease row).
 * Either way the job is released for immediate redelivery (a loss, not a failed attempt). If its
 * loss budget is spent and pg-boss fails it for good, the run is marked failed (visible).
 * (The embedded queue needs no sweeper: its own job lease expires with the same heartbeat.)
 */
function startLostRunSweeper(queue: PgBossQueue, db: Db): void {
  let busy = false;
  const release = async (runId: string | null, jobId: string, reason: string) => {
    const released = await queue.releaseLost(QUEUE_ANALYZE, jobId, reason);
    if (!runId) return;
    // Failed for good (now, or earlier while the run's own update could not be written).
    if ((await queue.jobState(QUEUE_ANALYZE, jobId)) === "failed") {
      const run = await db.analysisRun.findUnique({ where: { id: runId }, select: { incidentId: true, status: true } });
      if (run && run.status !== "completed" && run.status !== "partial") {
        await db.analysisRun.update({ where: { id: runId }, data: { status: "failed", stage: "failed", error: `${reason}: no attempts left`, finishedAt: new Date(), leaseOwner: null, leaseUntil: null } });
        await db.incident.update({ where: { id: run.incidentId }, data: { status: "failed" } });
      }
      return;
    }
    if (!released) return;
    await db.analysisRun.updateMany({ where: { id: runId, status: "running" }, data: { status: "queued", stage: "requeued after worker loss", leaseOwner: null, leaseUntil: null } });
  };
  const sweep = () => {
    if (busy) return;
    busy = true;
    void (async () => {
      for (const run of await findLostRuns(db)) {
        if (run.jobId) await release(run.id, run.jobId, "worker lost (run lease expired)");
      }
      for (const job of await queue.activeOlderThan(QUEUE_ANALYZE, UNCLAIMED_ACTIVE_SECONDS)) {
        const runId = (job.data as { runId?: unknown } | null)?.runId;
        const run = typeof runId === "string" ? await db.analysisRun.findUnique({ where: { id: runId }, select: { leaseOwner: true, leaseUntil: true } }) : null;
        if (!run || !runIsHeld(run)) await release(typeof runId === "string" ? runId : null, job.id, "worker lost (job active, run not held)");
      }
    })()
      .catch((err: unknown) => log.error({ err }, "jobs: lost-run sweep failed"))
      .finally(() => {
        busy = false;
      });
  };
  // Once at start as well: a worker restarted after a crash takes the dead one's job back at once
  // instead of after the first interval.
  sweep();
  const timer = setInterval(sweep, 5_000);
  timer.unref?.();
}

// One producer queue per process (route handlers enqueue through it).
const holder = globalThis as typeof globalThis & { __hindsightQueue?: Promise<JobQueue> };

export function getQueue(env: NodeJS.ProcessEnv = process.env): Promise<JobQueue> {
  if (!holder.__hindsightQueue) {
    holder.__hindsightQueue = (async () => {
      const dbConfig = resolveDatabase(env);
      const q = await createQueue(dbConfig, getPrisma(env), env);
      await q.start();
      return q;
    })();
    holder.__hindsightQueue.catch(() => {
      holder.__hindsightQueue = undefined;
    });
  }
  return holder.__hindsightQueue;
}

function intEnv(v: string | undefined, dflt: number): number {
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : dflt;
}
