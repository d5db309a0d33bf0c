import os from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import {
  diffSnapshots, localPostgresVersion, restartLocalPostgres, sigkill, sleep, snapshot, startWorker, unsettledJobs, waitAllFinal, waitFor,
} from "@/scripts/chaos-lib";
import { postgresAdminUrl } from "../helpers/db";
import { faultSetup } from "../helpers/faults";

/**
 * Hostile-inputs row 25: PostgreSQL restarted while a pg-boss worker process is mid-job — the worker
 * reconnects (it does not die), no job is stranded, the stored data equals a clean run's. Only where
 * PostgreSQL is a local cluster this process may restart (root, pg_ctlcluster); vitest runs this file
 * after every other test file (its own project, groupOrder 1 in vitest.config.ts), so the restart
 * never breaks another suite's connections.
 */

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
    const s = await faultSetup("postgresql", cleanups);
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
