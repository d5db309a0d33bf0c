import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  diffSnapshots, holdsRun, restartLocalPostgres, scenarioParts, sigkill, sleep, snapshot, startProducer, startWorker,
  unsettledJobs, waitAllFinal, waitFor, workerEnv, writePart, ztunnelLog, localPostgresVersion,
} from "@/scripts/chaos-lib";
import { postgresAdminUrl, withTempPostgres, withTempSqlite, type TempDatabase } from "../helpers/db";

/**
 * Hostile-inputs rows 22 and 25 against real `npm run worker` processes:
 *  - row 22: SIGTERM during a long job — the worker stops taking work, releases the job within the
 *    grace period (run back to `queued`, job runnable, nothing `running`), exits 0; after a restart
 *    everything completes. With a long grace the job in hand finishes before the worker exits.
 *  - row 25: PostgreSQL restarted mid-job — the worker reconnects, no job is stranded, the data
 *    equals a clean run's. Only where PostgreSQL is local and restartable (root, pg_ctlcluster).
 * (`npm run chaos` repeats these with more signals; see docs/RELIABILITY.md.)
 */
const GRACE_MS = 2000;

async function setup(provider: "sqlite" | "postgresql", cleanups: (() => Promise<void>)[]) {
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

for (const provider of ["sqlite", "postgresql"] as const) {
  const mode = provider === "sqlite" ? "embedded" : "pg-boss";
  describe(`row 22: SIGTERM during a long job (${mode})`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const c of cleanups.reverse()) await c().catch(() => undefined);
    });

    it(`row 22 (${mode}): stops taking work, releases the job within the grace period, nothing stuck running; a long grace lets the job finish`, async (ctx) => {
      const s = await setup(provider, cleanups);
      if (!s) return ctx.skip();
      const { db, producer, bundle, env, temp } = s;
      const first = await producer.create(bundle, "sigterm 1");
      const w1 = startWorker({ ...env, HINDSIGHT_STOP_GRACE_MS: String(GRACE_MS) });
      cleanups.push(() => sigkill(w1));
      await waitFor("worker holding the run", () => holdsRun(db, w1.pid), 120_000, 20);
      await waitFor("records being written", async () => (await db.evidence.count({ where: { incidentId: first.id } })) > 0, 60_000, 20);
      const t = Date.now();
      w1.child.kill("SIGTERM");
      // Work that arrives while the worker stops is left for the next one.
      const second = await producer.create(bundle, "sigterm 2");
      const exit = await w1.exited;
      const exitMs = Date.now() - t;
      expect(exit.code, w1.output()).toBe(0);
      // Grace, then up to 5 s for the aborted handler to put its state back, plus process exit.
      expect(exitMs).toBeLessThan(GRACE_MS + 7000);

      const run1 = await db.analysisRun.findUniqueOrThrow({ where: { id: first.runId } });
      expect(run1).toMatchObject({ status: "queued", leaseOwner: null });
      expect(await db.analysisRun.count({ where: { status: "running" } })).toBe(0);
      const run2 = await db.analysisRun.findUniqueOrThrow({ where: { id: second.runId } });
      expect(run2).toMatchObject({ status: "queued", attempts: 0 });
      const jobs = await unsettledJobs(db, temp.config, temp.url);
      expect(jobs.filter((j) => j.state === "active")).toEqual([]);
      expect(jobs).toHaveLength(2);

      // After a restart everything completes; the interrupted file was re-parsed without duplicates.
      const w2 = startWorker(env);
      cleanups.push(() => sigkill(w2));
      expect(await waitAllFinal(db, 240_000)).toBe(true);
      const a = await snapshot(db, first.id);
      const b = await snapshot(db, second.id);
      expect(a.runStatus).toBe("completed");
      expect(diffSnapshots(a, b)).toEqual([]);
      await waitFor("jobs settled", async () => (await unsettledJobs(db, temp.config, temp.url)).length === 0, 60_000, 200);
      w2.child.kill("SIGTERM");
      await w2.exited;

      // A long grace: the job in hand finishes, then the worker exits.
      const third = await producer.create(bundle, "sigterm long grace");
      const w3 = startWorker({ ...env, HINDSIGHT_STOP_GRACE_MS: "120000" });
      cleanups.push(() => sigkill(w3));
      await waitFor("worker holding the run", () => holdsRun(db, w3.pid), 120_000, 20);
      w3.child.kill("SIGTERM");
      expect((await w3.exited).code).toBe(0);
      expect((await db.analysisRun.findUniqueOrThrow({ where: { id: third.runId } })).status).toBe("completed");
    }, 600_000);
  });
}

describe("row 25: PostgreSQL restarted mid-run (pg-boss)", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  it("row 25: the worker reconnects, no job is stranded, the data equals a clean run's", async (ctx) => {
    const admin = new URL(postgresAdminUrl());
    if (!localPostgresVersion() || !["127.0.0.1", "localhost"].includes(admin.hostname) || os.userInfo().uid !== 0) {
      console.warn("row 25 skipped: PostgreSQL is not a local cluster this test may restart");
      return ctx.skip();
    }
    const s = await setup("postgresql", cleanups);
    if (!s) return ctx.skip();
    const { db, producer, bundle, env, temp } = s;
    const w = startWorker(env);
    cleanups.push(() => sigkill(w));
    const clean = await producer.create(bundle, "clean");
    expect(await waitAllFinal(db, 240_000)).toBe(true);
    const reference = await snapshot(db, clean.id);

    const hit = await producer.create(bundle, "postgres restart");
    await waitFor("records being written", async () => (await db.evidence.count({ where: { incidentId: hit.id } })) > 0, 120_000, 20);
    await sleep(300);
    const outageMs = await restartLocalPostgres(temp.url);
    expect(outageMs).not.toBeNull();
    const t = Date.now();
    expect(await waitAllFinal(db, 180_000)).toBe(true);
    console.log(`row 25: PostgreSQL outage ${outageMs} ms; every run final ${Date.now() - t} ms after it answered again`);
    // The same worker process carried on (it reconnected rather than died).
    expect(w.child.exitCode, w.output()).toBeNull();
    await waitFor("jobs settled", async () => (await unsettledJobs(db, temp.config, temp.url)).length === 0, 90_000, 250);
    expect(diffSnapshots(await snapshot(db, hit.id), reference)).toEqual([]);
    w.child.kill("SIGTERM");
    await w.exited;
  }, 600_000);
});
