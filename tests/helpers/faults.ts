import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { scenarioParts, startProducer, workerEnv, writePart, ztunnelLog } from "@/scripts/chaos-lib";
import { withTempPostgres, withTempSqlite, type TempDatabase } from "./db";

/**
 * A temp database and data dir, a producer (enqueues like the web process) and a bundle that takes
 * a few seconds to process (a real incident + a ~20 MB log), for tests that signal worker processes.
 * Returns null when the provider is unavailable (PostgreSQL unreachable).
 */
export async function faultSetup(provider: "sqlite" | "postgresql", cleanups: (() => Promise<void>)[]) {
  const temp: TempDatabase | null = provider === "sqlite" ? await withTempSqlite() : await withTempPostgres();
  if (!temp) return null;
  cleanups.push(() => temp.cleanup());
  const db = temp.client();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "hindsight-faults-"));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "hindsight-faults-src-"));
  cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
  cleanups.push(async () => fs.rmSync(scratch, { recursive: true, force: true }));
  const producer = await startProducer(db, temp.config, dataDir);
  cleanups.push(() => producer.stop());
  const bundle = [...scenarioParts("seed-000-mesh-iptables-reorder"), writePart(scratch, "logs/ztunnel-big.log", ztunnelLog(60_000))];
  const env = workerEnv(temp.config, temp.url, dataDir);
  return { temp, db, producer, bundle, env };
}
