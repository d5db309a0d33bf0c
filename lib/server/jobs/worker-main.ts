/**
 * `npm run worker`: a standalone job worker for PostgreSQL + pg-boss deployments (start as many as
 * you like). With SQLite the web process runs the embedded worker instead, but this entry point
 * works there too (useful for tests).
 *
 * SIGTERM/SIGINT: stop taking work, give running jobs a grace period, then release them.
 */
import { getPrisma, closePrisma } from "@/lib/server/db/client";
import { resolveDatabase } from "@/lib/server/db/provider";
import { migrate } from "@/lib/server/db/migrate";
import { log } from "@/lib/server/log";
import { consumeAnalysis, createQueue } from "./index";

const GRACE_MS = Number(process.env.HINDSIGHT_STOP_GRACE_MS) || 20_000;

async function main(): Promise<void> {
  // Parse and analysis threads run below normal priority, like the web's (lib/server/thread-priority.ts).
  process.env.HINDSIGHT_PIPELINE_NICE ??= "10";
  const dbConfig = resolveDatabase();
  await migrate(dbConfig);
  const db = getPrisma();
  const queue = await createQueue(dbConfig, db);
  await queue.start();
  await consumeAnalysis(queue, db, dbConfig);
  log.info({ queue: queue.kind, provider: dbConfig.provider }, "worker consuming jobs");
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, graceMs: GRACE_MS }, "worker stopping");
    await queue.stop(GRACE_MS);
    await closePrisma();
    process.exit(0);
  };
  // pg-boss settles jobs without awaiting; while PostgreSQL restarts that can reject. The job is
  // recovered by expiry or the lost-run sweeper, so log it instead of dying.
  process.on("unhandledRejection", (err) => log.error({ err }, "worker: unhandled rejection"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((err) => {
  log.fatal({ err }, "worker failed to start");
  process.exit(1);
});
