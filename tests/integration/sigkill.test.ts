import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { mulberry32 } from "@/lib/prng";
import {
  diffSnapshots, holdsRun, killLoop, scenarioParts, sigkill, snapshot, startProducer, startWorker, unfinishedRuns,
  unsettledJobs, waitAllFinal, waitFor, workerEnv, writePart, ztunnelLog,
} from "@/scripts/chaos-lib";
import { withTempPostgres, withTempSqlite, type TempDatabase } from "../helpers/db";

/**
 * Hostile-inputs row 21 (fast CI variant of `npm run chaos`): worker processes SIGKILLed at seeded
 * random points while a bundle is processed — ROW21_KILLS times (default 5) per queue — then one
 * healthy worker: every job is redelivered and completes, nothing is lost, no evidence row is
 * duplicated, and what is stored equals a clean run of the same bundle (files, evidence, ranked
 * hypotheses). Embedded queue (SQLite) and pg-boss (PostgreSQL). Replay: ROW21_SEED=<n>.
 */
const KILLS = Number(process.env.ROW21_KILLS) || 5;
const SEED = Number(process.env.ROW21_SEED) || 21;

for (const provider of ["sqlite", "postgresql"] as const) {
  const mode = provider === "sqlite" ? "embedded" : "pg-boss";
  describe(`row 21: SIGKILL the ${mode} worker mid-job, ${KILLS} times in a loop`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const c of cleanups.reverse()) await c().catch(() => undefined);
    });

    it(`row 21 (${mode}): every job is redelivered and completes once; data equals a clean run's`, async (ctx) => {
      const temp: TempDatabase | null = provider === "sqlite" ? await withTempSqlite() : await withTempPostgres();
      if (!temp) return ctx.skip();
      cleanups.push(() => temp.cleanup());
      const db = temp.client();
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "hindsight-row21-"));
      const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "hindsight-row21-src-"));
      cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
      cleanups.push(async () => fs.rmSync(scratch, { recursive: true, force: true }));
      const producer = await startProducer(db, temp.config, dataDir);
      cleanups.push(() => producer.stop());
      const env = workerEnv(temp.config, temp.url, dataDir);
      // A real incident (hypotheses to compare) plus a ~20 MB log so that parsing takes a while.
      const bundle = [...scenarioParts("seed-000-mesh-iptables-reorder"), writePart(scratch, "logs/ztunnel-big.log", ztunnelLog(60_000))];

      // Clean reference, and how long a worker takes from spawn to holding the run and to done.
      const clean = await producer.create(bundle, "clean");
      const t0 = Date.now();
      const w0 = startWorker(env);
      cleanups.push(() => sigkill(w0));
      await waitFor("clean run claimed", () => holdsRun(db, w0.pid), 120_000, 20);
      const claimMs = Date.now() - t0;
      expect(await waitAllFinal(db, 180_000)).toBe(true);
      const doneMs = Date.now() - t0;
      await waitFor("clean job settled", async () => (await unsettledJobs(db, temp.config, temp.url)).length === 0, 30_000, 100);
      await sigkill(w0);
      const reference = await snapshot(db, clean.id);
      expect(reference.runStatus).toBe("completed");
      expect(reference.hypotheses.length).toBeGreaterThan(0);

      const killed: string[] = [];
      const rand = mulberry32(SEED);
      const stats = await killLoop({
        db, kills: KILLS, rand, env,
        minDelayMs: claimMs * 0.8,
        maxDelayMs: doneMs,
        ensureWork: async () => {
          if ((await unfinishedRuns(db)).length === 0) killed.push((await producer.create(bundle, `killed ${killed.length + 1}`)).id);
        },
      });
      expect(stats.kills).toBe(KILLS);
      // The loop must have hit running jobs, or this test could not fail.
      expect(stats.midJob).toBeGreaterThanOrEqual(1);

      const w = startWorker(env);
      cleanups.push(() => sigkill(w));
      expect(await waitAllFinal(db, 240_000)).toBe(true);
      // Jobs settle right after their runs (pg-boss completes after the handler returns).
      // A worker killed after its run ended but before pg-boss marked the job done leaves it active
      // until the sweeper releases it (20 s) and it is redelivered as a no-op.
      await waitFor("jobs settled", async () => (await unsettledJobs(db, temp.config, temp.url)).length === 0, 90_000, 200).catch(() => undefined);
      w.child.kill("SIGTERM");
      await w.exited;

      expect(await unsettledJobs(db, temp.config, temp.url)).toEqual([]);
      for (const id of killed) expect(diffSnapshots(await snapshot(db, id), reference)).toEqual([]);
    }, 900_000);
  });
}
