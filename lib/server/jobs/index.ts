import { QUEUE_ANALYZE } from "@/lib/schemas/jobs";
import { getPrisma, type Db } from "@/lib/server/db/client";
import { resolveDatabase, type DatabaseConfig } from "@/lib/server/db/provider";
import { runAnalysisJob } from "@/lib/server/pipeline/run-analysis";
import { findLostRuns } from "@/lib/server/pipeline/run-lease";
import { EmbeddedQueue } from "./embedded";
import type { PgBossQueue } from "./pgboss";
import type { JobQueue } from "./types";

export function jobSettings(env: NodeJS.ProcessEnv = process.env) {
  return {
    maxAttempts: intEnv(env.HINDSIGHT_JOB_MAX_ATTEMPTS, 5),
    concurrency: intEnv(env.HINDSIGHT_WORKER_CONCURRENCY, 1),
    expireInSeconds: intEnv(env.HINDSIGHT_JOB_EXPIRE_SECONDS, 1800),
    maintenanceIntervalSeconds: intEnv(env.HINDSIGHT_JOB_MAINTENANCE_SECONDS, 30),
  };
}

/** Which queue backs this database: embedded rows on SQLite, pg-boss on PostgreSQL. */
export async function createQueue(dbConfig: DatabaseConfig, db: Db, env: NodeJS.ProcessEnv = process.env): Promise<JobQueue> {
  const s = jobSettings(env);
  if (dbConfig.provider === "postgresql") {
    // Loaded on demand: the embedded (SQLite) deployment never needs pg-boss or pg in memory.
    const { PgBossQueue } = await import("./pgboss");
    return new PgBossQueue({
      connectionString: dbConfig.url,
      expireInSeconds: s.expireInSeconds,
      maintenanceIntervalSeconds: s.maintenanceIntervalSeconds,
      maxAttempts: s.maxAttempts,
    });
  }
  return new EmbeddedQueue(db, { maxAttempts: s.maxAttempts });
}

/** Registers the analysis handler on a started queue (and, for pg-boss, the lost-run sweeper). */
export async function consumeAnalysis(queue: JobQueue, db: Db, dbConfig: DatabaseConfig, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const s = jobSettings(env);
  await queue.work(QUEUE_ANALYZE, (payload, ctx) => runAnalysisJob({ db, dbConfig, maxAttempts: s.maxAttempts }, payload, ctx), { concurrency: s.concurrency });
  if (queue.kind === "pg-boss") startLostRunSweeper(queue as PgBossQueue, db);
}

/**
 * pg-boss only learns that a worker died when the job expires (HINDSIGHT_JOB_EXPIRE_SECONDS,
 * long by design so slow jobs are not cut off). The run lease tells sooner: a running run whose
 * lease is stale lost its worker, so its pg-boss job is failed now and pg-boss retries it.
 * (The embedded queue needs no sweeper: its own job lease expires with the same heartbeat.)
 */
function startLostRunSweeper(queue: PgBossQueue, db: Db): void {
  const timer = setInterval(() => {
    void (async () => {
      for (const run of await findLostRuns(db)) {
        if (!run.jobId) continue;
        await queue.failLost(QUEUE_ANALYZE, run.jobId, "worker lost (run lease expired)").catch(() => undefined);
        await db.analysisRun.updateMany({ where: { id: run.id, status: "running" }, data: { status: "queued", stage: "requeued after worker loss", leaseOwner: null, leaseUntil: null } });
      }
    })().catch((err) => console.error("[jobs] lost-run sweep failed:", (err as Error).message));
  }, 5_000);
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
