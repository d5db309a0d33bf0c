/**
 * `npm run chaos`: fault injection against real worker processes, for both queues (embedded on
 * SQLite, pg-boss on PostgreSQL), with a bounded runtime. Per queue:
 *
 *   1. clean run     one worker processes the bundle undisturbed → reference snapshot and timings
 *   2. SIGKILL ×N    a fresh worker is killed at a seeded random point of its life, N times
 *                    (CHAOS_KILLS, default 100); a new copy of the bundle is uploaded whenever
 *                    the previous one finished, so there is always a job to interrupt
 *   3. SIGTERM       during long jobs with a short grace (the job must be released: nothing left
 *                    `running`, the worker exits within the grace), then once with a long grace
 *                    (the job must finish before the worker exits)
 *   4. PostgreSQL    (pg-boss only, local cluster only) restarted once mid-job; the worker must
 *                    reconnect and finish without a stranded job
 *   5. recovery      one healthy worker until every run is final
 *
 * Figures: kills (and how many landed mid-job), jobs lost (runs not final, queue jobs not
 * completed — goal 0), whether every interrupted incident's stored data equals the clean run's
 * (files, evidence rows, ranked hypotheses — goal identical), SIGTERM exit times, PostgreSQL
 * outage and recovery. The last line sums it up.
 *
 *   CHAOS_KILLS=100 CHAOS_SEED=1 CHAOS_MODES=embedded,pg-boss CHAOS_BUDGET_MIN=25 npm run chaos
 *
 * The kill loop stops early when the time budget runs out (the report says how many kills ran).
 * Replay a run with the same seed (timings still vary with machine load).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { mulberry32 } from "@/lib/prng";
import { withTempPostgres, withTempSqlite, type TempDatabase } from "@/tests/helpers/db";
import {
  describeQueue, diffSnapshots, holdsRun, killLoop, restartLocalPostgres, scenarioParts, sigkill, sleep, snapshot, startProducer,
  startWorker, unfinishedRuns, unsettledJobs, waitAllFinal, waitFor, workerEnv, writePart, ztunnelLog, type Snapshot,
} from "./chaos-lib";

const KILLS = Number(process.env.CHAOS_KILLS) || 100;
const SEED = Number(process.env.CHAOS_SEED) || 1;
const MODES = (process.env.CHAOS_MODES || "embedded,pg-boss").split(",").map((m) => m.trim()) as ("embedded" | "pg-boss")[];
const BUDGET_MIN = Number(process.env.CHAOS_BUDGET_MIN) || 25;
const SIGTERMS = Number(process.env.CHAOS_SIGTERMS) || 3;
const SHORT_GRACE_MS = 3000;
const LOG_LINES = Number(process.env.CHAOS_LOG_LINES) || 60_000;

const started = Date.now();
const deadline = started + BUDGET_MIN * 60_000;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const log = (msg: string) => console.log(`[chaos ${secs(Date.now() - started).padStart(7)}] ${msg}`);

interface ModeResult {
  mode: string;
  skipped?: string;
  kills: number;
  midJob: number;
  incidents: number;
  lost: number;
  lostDetail: string[];
  identical: boolean;
  differences: string[];
  sigterm: { stops: number; maxExitMs: number; released: boolean; finishedWithinGrace: boolean | null };
  postgres: { outageMs: number; recoveredMs: number; stranded: number } | null;
  cleanMs: number;
}

async function runMode(mode: "embedded" | "pg-boss"): Promise<ModeResult> {
  const temp: TempDatabase | null = mode === "embedded" ? await withTempSqlite() : await withTempPostgres();
  const empty: ModeResult = {
    mode, kills: 0, midJob: 0, incidents: 0, lost: 0, lostDetail: [], identical: false, differences: [],
    sigterm: { stops: 0, maxExitMs: 0, released: false, finishedWithinGrace: null }, postgres: null, cleanMs: 0,
  };
  if (!temp) return { ...empty, skipped: "PostgreSQL unreachable" };
  const db = temp.client();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `hindsight-chaos-${mode}-`));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "hindsight-chaos-src-"));
  const producer = await startProducer(db, temp.config, dataDir);
  const env = workerEnv(temp.config, temp.url, dataDir);
  const workers: { child: { kill(s: NodeJS.Signals): boolean } }[] = [];
  try {
    const bundle = [...scenarioParts("seed-000-mesh-iptables-reorder"), writePart(scratch, "logs/ztunnel-big.log", ztunnelLog(LOG_LINES))];
    const incidents: string[] = [];
    const upload = async (title: string) => {
      const { id } = await producer.create(bundle, title);
      incidents.push(id);
      return id;
    };

    // 1. clean reference
    const clean = await producer.create(bundle, "clean reference");
    const t0 = Date.now();
    const w0 = startWorker(env);
    workers.push(w0);
    await waitFor("clean run claimed", () => holdsRun(db, w0.pid), 120_000, 20);
    const claimMs = Date.now() - t0;
    if (!(await waitAllFinal(db, 300_000))) throw new Error("clean run did not finish");
    const doneMs = Date.now() - t0;
    await waitFor("clean job settled", async () => (await unsettledJobs(db, temp.config, temp.url)).length === 0, 60_000, 100);
    w0.child.kill("SIGTERM");
    await w0.exited;
    const reference: Snapshot = await snapshot(db, clean.id);
    log(`${mode}: clean run ${secs(doneMs)} from worker spawn (claimed after ${secs(claimMs)}): ${reference.evidence.count} evidence rows, ${reference.hypotheses.length} hypotheses, run ${reference.runStatus}`);

    // 2. SIGKILL loop
    const rand = mulberry32(SEED + (mode === "embedded" ? 0 : 1));
    // Leave time for the other phases (and the other mode) out of the budget.
    const modesLeft = MODES.length - MODES.indexOf(mode);
    const killDeadline = Date.now() + Math.max(60_000, (deadline - Date.now()) / modesLeft - 4 * 60_000);
    const stats = await killLoop({
      db, kills: KILLS, rand, env,
      minDelayMs: claimMs * 0.8,
      maxDelayMs: doneMs,
      ensureWork: async () => {
        if ((await unfinishedRuns(db)).length === 0) await upload(`killed ${incidents.length + 1}`);
      },
      onKill: (i, info) => {
        if ((i + 1) % 10 === 0) log(`${mode}: ${i + 1} kills (last at ${secs(info.delayMs)} after spawn, ${info.midJob ? "mid-job" : "not holding a run"}); ${incidents.length} bundles so far`);
      },
      shouldStop: () => Date.now() > killDeadline,
    });
    log(`${mode}: ${stats.kills} SIGKILLs, ${stats.midJob} while the worker held a run; failed attempts logged by killed workers: ${stats.jobErrors.length}`);
    for (const e of stats.jobErrors.slice(0, 5)) log(`  ${e}`);

    // 3. SIGTERM during long jobs: short grace → released; then a long grace → finishes
    let maxExitMs = 0;
    let released = true;
    for (let i = 0; i < SIGTERMS; i++) {
      if ((await unfinishedRuns(db)).length === 0) await upload(`sigterm ${i + 1}`);
      const w = startWorker({ ...env, HINDSIGHT_STOP_GRACE_MS: String(SHORT_GRACE_MS) });
      workers.push(w);
      await waitFor("worker holding a run", () => holdsRun(db, w.pid), 120_000, 20).catch(async (err: Error) => {
        throw new Error(`${err.message}\n${(await describeQueue(db, temp.config, temp.url)).join("\n")}\nworker output:\n${w.output()}`);
      });
      await sleep(300 + rand() * 1500);
      const held = await db.analysisRun.findFirst({ where: { leaseOwner: { contains: `:${w.pid}:` } }, select: { id: true, jobId: true } });
      const t = Date.now();
      w.child.kill("SIGTERM");
      await w.exited;
      const exitMs = Date.now() - t;
      maxExitMs = Math.max(maxExitMs, exitMs);
      // The run this worker held (if it had not finished already) and its job were handed back.
      const run = held ? await db.analysisRun.findUnique({ where: { id: held.id }, select: { status: true, leaseOwner: true } }) : null;
      const jobActive = held?.jobId ? (await unsettledJobs(db, temp.config, temp.url)).some((j) => j.id === held.jobId && j.state === "active") : false;
      const ok = !run || (run.status !== "running" && !jobActive);
      if (!ok) released = false;
      log(`${mode}: SIGTERM ${i + 1}: exited after ${secs(exitMs)} (grace ${secs(SHORT_GRACE_MS)}); its run ${run ? run.status : "?"}, lease ${run?.leaseOwner ? "held" : "free"}, its job ${jobActive ? "still active" : "released or done"}`);
    }
    // A long grace: the job in hand finishes before the worker exits.
    let finishedWithinGrace: boolean | null = null;
    {
      if ((await unfinishedRuns(db)).length === 0) await upload("sigterm long grace");
      const w = startWorker({ ...env, HINDSIGHT_STOP_GRACE_MS: "120000" });
      workers.push(w);
      await waitFor("worker holding a run", () => holdsRun(db, w.pid), 120_000, 20);
      const held = await db.analysisRun.findFirst({ where: { leaseOwner: { contains: `:${w.pid}:` } }, select: { id: true } });
      w.child.kill("SIGTERM");
      await w.exited;
      const after = held ? await db.analysisRun.findUnique({ where: { id: held.id }, select: { status: true } }) : null;
      finishedWithinGrace = after?.status === "completed" || after?.status === "partial";
      log(`${mode}: SIGTERM with a 120 s grace: the job in hand ${finishedWithinGrace ? "finished" : `did not finish (${after?.status})`} before exit`);
    }

    // 4. PostgreSQL restart mid-job
    let postgres: ModeResult["postgres"] = null;
    if (mode === "pg-boss") {
      await upload("postgres restart");
      const w = startWorker(env);
      workers.push(w);
      await waitFor("worker holding a run", () => holdsRun(db, w.pid), 120_000, 20);
      await sleep(500 + rand() * 1000);
      const t = Date.now();
      const outageMs = await restartLocalPostgres(temp.url).catch((err: Error) => {
        log(`pg-boss: PostgreSQL restart failed: ${err.message}`);
        return null;
      });
      if (outageMs === null) log("pg-boss: PostgreSQL is not local (or not restartable here): restart phase skipped");
      else {
        const ok = await waitAllFinal(db, 240_000);
        const recoveredMs = Date.now() - t;
        await waitFor("jobs settled", async () => (await unsettledJobs(db, temp.config, temp.url)).length === 0, 60_000, 250).catch(() => undefined);
        const stranded = (await unfinishedRuns(db)).length + (await unsettledJobs(db, temp.config, temp.url)).length;
        postgres = { outageMs, recoveredMs, stranded };
        log(`pg-boss: PostgreSQL restarted (${secs(outageMs)} outage); every run final ${ok ? `after ${secs(recoveredMs)}` : "NOT reached"}; stranded: ${stranded}; worker ${w.child.exitCode === null ? "still running" : `exited ${w.child.exitCode}`}`);
      }
      w.child.kill("SIGTERM");
      await w.exited;
    }

    // 5. recovery: one healthy worker finishes everything
    const wf = startWorker(env);
    workers.push(wf);
    const allFinal = await waitAllFinal(db, Math.max(120_000, deadline - Date.now() + 120_000));
    await waitFor("jobs settled", async () => (await unsettledJobs(db, temp.config, temp.url)).length === 0, 90_000, 250).catch(() => undefined);
    wf.child.kill("SIGTERM");
    await wf.exited;
    const unfinished = await unfinishedRuns(db);
    const unsettled = await unsettledJobs(db, temp.config, temp.url);
    const lostDetail = [...unfinished.map((r) => `run ${r.id} ${r.status} (${r.stage})`), ...unsettled.map((j) => `job ${j.id} ${j.state}`)];
    if (!allFinal || lostDetail.length) {
      log(`${mode}: not everything settled after recovery:`);
      for (const l of await describeQueue(db, temp.config, temp.url)) log(`  ${l}`);
    }

    const differences: string[] = [];
    for (const id of incidents) {
      const d = diffSnapshots(await snapshot(db, id), reference);
      if (d.length) differences.push(`${id}: ${d.join("; ")}`);
    }
    log(`${mode}: ${incidents.length} interrupted bundles compared with the clean run: ${differences.length === 0 ? "all identical" : `${differences.length} differ`}`);
    for (const d of differences.slice(0, 5)) log(`  ${d}`);
    for (const l of lostDetail.slice(0, 5)) log(`  lost: ${l}`);
    return {
      mode, kills: stats.kills, midJob: stats.midJob, incidents: incidents.length, lost: lostDetail.length, lostDetail,
      identical: differences.length === 0, differences, sigterm: { stops: SIGTERMS, maxExitMs, released, finishedWithinGrace }, postgres, cleanMs: doneMs,
    };
  } finally {
    for (const w of workers) w.child.kill("SIGKILL");
    await producer.stop().catch(() => undefined);
    await temp.cleanup().catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  log(`budget ${BUDGET_MIN} min (CHAOS_BUDGET_MIN); ${KILLS} SIGKILLs per queue (CHAOS_KILLS), seed ${SEED} (CHAOS_SEED), queues: ${MODES.join(", ")}; ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  const results: ModeResult[] = [];
  for (const mode of MODES) {
    results.push(await runMode(mode));
  }
  console.log("");
  for (const r of results) {
    if (r.skipped) {
      console.log(`${r.mode}: skipped (${r.skipped})`);
      continue;
    }
    console.log(
      `${r.mode}: kills ${r.kills} (${r.midJob} mid-job) over ${r.incidents} bundles; jobs lost ${r.lost}; data identical: ${r.identical ? "yes" : "no"}; ` +
        `SIGTERM ×${r.sigterm.stops}: max exit ${secs(r.sigterm.maxExitMs)} (grace ${secs(SHORT_GRACE_MS)}), released cleanly: ${r.sigterm.released ? "yes" : "no"}, long grace finished the job: ${r.sigterm.finishedWithinGrace ? "yes" : "no"}` +
        (r.postgres ? `; PostgreSQL restart: outage ${secs(r.postgres.outageMs)}, all final after ${secs(r.postgres.recoveredMs)}, stranded ${r.postgres.stranded}` : ""),
    );
  }
  const ran = results.filter((r) => !r.skipped);
  const kills = ran.reduce((s, r) => s + r.kills, 0);
  const lost = ran.reduce((s, r) => s + r.lost, 0);
  const identical = ran.length > 0 && ran.every((r) => r.identical);
  const sigtermOk = ran.every((r) => r.sigterm.released && r.sigterm.finishedWithinGrace && r.sigterm.maxExitMs <= SHORT_GRACE_MS + 6000);
  const pg = ran.find((r) => r.postgres)?.postgres;
  const ok = lost === 0 && identical && sigtermOk && (!pg || pg.stranded === 0) && ran.length === MODES.length;
  console.log(
    `chaos: kills ${kills} (${ran.map((r) => `${r.mode} ${r.kills}`).join(", ")}), jobs lost ${lost} (goal 0), data identical: ${identical ? "yes" : "no"} (goal yes), ` +
      `sigterm released/finished: ${sigtermOk ? "yes" : "no"} (goal yes), postgres restart: ${pg ? `stranded ${pg.stranded} (goal 0)` : "not run"}, ` +
      `in ${secs(Date.now() - started)} — ${ok ? "PASS" : "FAIL"}`,
  );
  process.exit(ok ? 0 : 1);
}

main().catch((err) => {
  console.error(`chaos: failed: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
