import { getPrisma } from "@/lib/server/db/client";
import { queueBackend, resolveDatabase, redact } from "@/lib/server/db/provider";
import { migrate } from "@/lib/server/db/migrate";
import { consumeAnalysis, getQueue } from "@/lib/server/jobs";
import { importSampleIfEmpty } from "@/lib/server/sample/sample-incident";
import { authEnabled } from "@/lib/server/auth/mode";
import { proxyTrust } from "@/lib/server/http/client-address";
import { log } from "@/lib/server/log";

/**
 * Web-process start-up: migrate, start the embedded worker when this process should run jobs
 * (SQLite by default; with PostgreSQL only when HINDSIGHT_EMBEDDED_WORKER=on), import the sample
 * incident into an empty database.
 */
export async function bootServer(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  // Parse and analysis threads run below the web's priority (lib/server/thread-priority.ts).
  process.env.HINDSIGHT_PIPELINE_NICE ??= "10";
  // A malformed HINDSIGHT_TRUSTED_PROXIES stops the start, not the first sign-in.
  const trust = proxyTrust(env);
  if (trust.kind !== "none") log.info(`client address: X-Forwarded-For through ${trust.kind === "hops" ? `${trust.hops} proxy hop(s)` : `proxies ${trust.text}`}`);
  const dbConfig = resolveDatabase(env);
  await migrate(dbConfig);
  const db = getPrisma(env);
  const embedded = env.HINDSIGHT_EMBEDDED_WORKER ? env.HINDSIGHT_EMBEDDED_WORKER !== "off" : queueBackend(dbConfig).kind === "embedded";
  const queue = await getQueue(env);
  if (embedded) {
    await consumeAnalysis(queue, db, dbConfig, env);
    const stop = () => void queue.stop(Number(env.HINDSIGHT_STOP_GRACE_MS) || 10_000).finally(() => process.exit(0));
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  }
  log.info({ provider: dbConfig.provider, database: redact(dbConfig.url), queue: queue.kind, embeddedWorker: embedded }, `database ${dbConfig.provider}, jobs: ${queue.kind}${embedded ? " (embedded worker)" : " (run `npm run worker`)"}`);
  if (!authEnabled(env)) log.info("accounts: off (HINDSIGHT_AUTH=off, single-user mode — everyone who reaches this server is admin)");
  else if (!(await db.user.findFirst({ select: { id: true } }))) log.info("accounts: on — no account yet: open the app and create the admin at /setup");
  if (env.HINDSIGHT_SAMPLE !== "off") {
    try {
      const ids = await importSampleIfEmpty(db);
      if (ids.length) log.info({ incidents: ids.length }, `imported the sample incident and ${ids.length - 1} example incidents`);
    } catch (err) {
      log.error({ err }, "sample import failed");
    }
  }
}
