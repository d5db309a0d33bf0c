import { QUEUE_ANALYZE } from "@/lib/schemas/jobs";
import { getPrisma, type Db } from "@/lib/server/db/client";
import { resolveDatabase, type DatabaseConfig } from "@/lib/server/db/provider";
import { runAnalysisJob } from "@/lib/server/pipeline/run-analysis";
import { EmbeddedQueue } from "./embedded";
import { PgBossQueue } from "./pgboss";
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
export function createQueue(dbConfig: DatabaseConfig, db: Db, env: NodeJS.ProcessEnv = process.env): JobQueue {
  const s = jobSettings(env);
  if (dbConfig.provider === "postgresql") {
    return new PgBossQueue({
      connectionString: dbConfig.url,
      expireInSeconds: s.expireInSeconds,
      maintenanceIntervalSeconds: s.maintenanceIntervalSeconds,
      maxAttempts: s.maxAttempts,
    });
  }
  return new EmbeddedQueue(db, { maxAttempts: s.maxAttempts });
}

/** Registers the analysis handler on a started queue. */
export async function consumeAnalysis(queue: JobQueue, db: Db, dbConfig: DatabaseConfig, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const s = jobSettings(env);
  await queue.work(QUEUE_ANALYZE, (payload, ctx) => runAnalysisJob({ db, dbConfig, maxAttempts: s.maxAttempts }, payload, ctx), { concurrency: s.concurrency });
}

// One producer queue per process (route handlers enqueue through it).
const holder = globalThis as typeof globalThis & { __hindsightQueue?: Promise<JobQueue> };

export function getQueue(env: NodeJS.ProcessEnv = process.env): Promise<JobQueue> {
  if (!holder.__hindsightQueue) {
    holder.__hindsightQueue = (async () => {
      const dbConfig = resolveDatabase(env);
      const q = createQueue(dbConfig, getPrisma(env), env);
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
