import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { withTempPostgres, withTempSqlite, type TempDatabase } from "../helpers/db";
import { contentUpload, evidenceFingerprint, startPipeline } from "../helpers/pipeline";

/**
 * Hostile-inputs row 21 / issue 2 acceptance: a worker process SIGKILLed in the middle of a job,
 * then restarted: the job completes once and the data equals a clean run's (no duplicates).
 * Runs for the embedded queue (SQLite) and for pg-boss (PostgreSQL).
 */
const ROOT = path.resolve(__dirname, "../..");

function bigZtunnelLog(lines: number): string {
  const out: string[] = [];
  const t0 = Date.UTC(2024, 9, 15, 14, 0, 0);
  for (let i = 0; i < lines; i++) {
    const ts = new Date(t0 + i * 3).toISOString().replace("Z", "123Z");
    out.push(
      `${ts}\tinfo\taccess\tconnection complete\tsrc.addr=10.244.1.${i % 250}:${40000 + (i % 9000)} src.workload="productpage-v1-7d9c8b" src.namespace="default" dst.addr=10.244.2.${i % 200}:15008 dst.hbone_addr="10.244.2.${i % 200}:9080" dst.service="reviews.default.svc.cluster.local" dst.workload="reviews-v1-5f6a" dst.namespace="default" direction="outbound" bytes_sent=${i % 4000} bytes_recv=${i % 9000} duration="${i % 40}ms"`,
    );
  }
  return `${out.join("\n")}\n`;
}

function startWorker(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "lib/server/jobs/worker-main.ts"], {
    cwd: ROOT,
    env: { ...process.env, ...env, HINDSIGHT_ROOT: ROOT },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", () => undefined);
  child.stderr?.on("data", () => undefined);
  return child;
}

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 120_000, everyMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const LOG = bigZtunnelLog(120_000); // ~40 MB: long enough to be killed mid-parse

for (const provider of ["sqlite", "postgresql"] as const) {
  describe(`SIGKILL a ${provider === "sqlite" ? "embedded" : "pg-boss"} worker mid-job (row 21)`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const c of cleanups.reverse()) await c().catch(() => undefined);
    });

    it("the job is redelivered, completes once, and the data equals a clean run's", async (ctx) => {
      const temp: TempDatabase | null = provider === "sqlite" ? await withTempSqlite() : await withTempPostgres();
      if (!temp) return ctx.skip();
      cleanups.push(() => temp.cleanup());
      const db = temp.client();
      // Producer only: the work happens in separate worker processes.
      const h = await startPipeline(db, temp.config, { consume: false, env: { HINDSIGHT_JOB_EXPIRE_SECONDS: "600", HINDSIGHT_JOB_MAINTENANCE_SECONDS: "1" } });
      cleanups.push(() => h.stop());
      const workerEnv = {
        DATABASE_URL: temp.config.provider === "sqlite" ? `file:${temp.config.sqlitePath}` : temp.url,
        HINDSIGHT_DATA_DIR: h.dataDir,
        HINDSIGHT_JOB_MAINTENANCE_SECONDS: "1",
        HINDSIGHT_JOB_EXPIRE_SECONDS: "600",
      };

      const killedUpload = contentUpload("logs/ztunnel.log", LOG);
      const { id, runId } = await h.create([killedUpload], "killed");

      const w1 = startWorker(workerEnv);
      cleanups.push(async () => void w1.kill("SIGKILL"));
      // Kill once records are being written (mid-parse).
      await waitFor("records being written", async () => (await db.evidence.count({ where: { incidentId: id } })) > 0, 120_000, 20);
      w1.kill("SIGKILL");
      await new Promise((r) => w1.once("exit", r));
      const mid = await db.analysisRun.findUniqueOrThrow({ where: { id: runId } });
      expect(mid.status).toBe("running");

      const w2 = startWorker(workerEnv);
      cleanups.push(async () => void w2.kill("SIGKILL"));
      const done = await waitFor("run finished after restart", async () => {
        const r = await db.analysisRun.findUniqueOrThrow({ where: { id: runId } });
        return r.status === "completed" || r.status === "partial" || r.status === "failed" ? r : null;
      }, 180_000, 200);
      expect(done.status).toBe("completed");
      expect(done.attempts).toBe(2);

      // Exactly one job for the run, completed, delivered twice.
      if (provider === "postgresql") {
        // pg-boss marks the job completed right after the handler returns.
        const c = new pg.Client({ connectionString: temp.url });
        await c.connect();
        const rows = await waitFor("pg-boss job settled", async () => {
          const jobs = await c.query<{ state: string; retry_count: number }>(`SELECT state, retry_count FROM pgboss.job WHERE name = 'analyze' AND data->>'runId' = $1`, [runId]);
          return jobs.rows.every((j) => j.state !== "active") ? jobs.rows : null;
        }, 30_000, 100);
        await c.end();
        expect(rows).toEqual([{ state: "completed", retry_count: 1 }]);
      } else {
        const jobs = await db.job.findMany({ where: { queue: "analyze" } });
        const mine = jobs.filter((j) => (j.payload as { runId?: string }).runId === runId);
        expect(mine.map((j) => [j.status, j.attempts])).toEqual([["completed", 2]]);
      }

      // Same data as a clean run of the same bundle.
      const cleanUpload = contentUpload("logs/ztunnel.log", LOG);
      const clean = await h.create([cleanUpload], "clean");
      await waitFor("clean run finished", async () => {
        const r = await db.analysisRun.findUniqueOrThrow({ where: { id: clean.runId } });
        return r.status === "completed" ? r : null;
      }, 180_000, 200);
      w2.kill("SIGTERM");
      const killed = await evidenceFingerprint(db, id);
      const reference = await evidenceFingerprint(db, clean.id);
      expect(killed.count).toBe(120_000);
      expect(killed.distinctSeq).toBe(killed.count);
      expect(killed).toEqual(reference);
      const files = await db.evidenceFile.findMany({ where: { incidentId: id } });
      expect(files).toHaveLength(1);
      expect(files[0]).toMatchObject({ status: "parsed", records: 120_000 });
      for (const u of [killedUpload, cleanUpload]) fs.rmSync(path.dirname(u.tempPath), { recursive: true, force: true });
    }, 400_000);
  });
}
