import { afterAll, describe, expect, it } from "vitest";
import { diffSnapshots, holdsRun, sigkill, snapshot, startWorker, unsettledJobs, waitAllFinal, waitFor } from "@/scripts/chaos-lib";
import { faultSetup } from "../helpers/faults";

/**
 * Hostile-inputs row 22 against real `npm run worker` processes: SIGTERM during a long job — the
 * worker stops taking work, releases the job within the grace period (run back to `queued`, job
 * runnable, nothing `running`), exits 0; after a restart everything completes. With a long grace
 * the job in hand finishes before the worker exits. (Row 25 is in pg-restart.test.ts; `npm run
 * chaos` repeats both with more signals; see docs/RELIABILITY.md.)
 */
const GRACE_MS = 2000;

for (const provider of ["sqlite", "postgresql"] as const) {
  const mode = provider === "sqlite" ? "embedded" : "pg-boss";
  describe(`row 22: SIGTERM during a long job (${mode})`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const c of cleanups.reverse()) await c().catch(() => undefined);
    });

    it(`row 22 (${mode}): stops taking work, releases the job within the grace period, nothing stuck running; a long grace lets the job finish`, async (ctx) => {
      const s = await faultSetup(provider, cleanups);
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
      // Within the grace the job in hand is either released back to the queue or, when it was
      // nearly done (a fast moment in CI), finished: both meet row 22; neither may stay running.
      expect(["queued", "completed"]).toContain(run1.status);
      expect(run1.leaseOwner).toBeNull();
      expect(await db.analysisRun.count({ where: { status: "running" } })).toBe(0);
      const run2 = await db.analysisRun.findUniqueOrThrow({ where: { id: second.runId } });
      expect(run2).toMatchObject({ status: "queued", attempts: 0 });
      const jobs = await unsettledJobs(db, temp.config, temp.url);
      expect(jobs.filter((j) => j.state === "active")).toEqual([]);
      expect(jobs).toHaveLength(run1.status === "completed" ? 1 : 2);

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
