/**
 * `npm run load`: read latency of the production server while a big bundle is being processed.
 *
 *   1. starts the production server (scripts/start.mjs, builds if needed) on a spare port with a
 *      temp data dir, single-user mode (HINDSIGHT_AUTH=off) and the sample incidents
 *   2. uploads a generated ~1 GB access-log bundle (scripts/bench-data.ts, LOAD_BUNDLE_MB) with the CLI
 *   3. while it is being processed, drives at a fixed rate (autocannon overallRate, LOAD_RATE req/s,
 *      default 200, each) until the run finishes, at most LOAD_DURATION_S seconds (default 30; at
 *      least 10 s while processing for a valid run), an analysed incident's page and
 *      that incident's share page (`POST /api/incidents/:id/shares` → /s/:token) *at the same time*:
 *      a 1 GB bundle now processes in well under a minute, too short for one page after the other
 *   4. prints p50/p97.5/p99/max latency, errors and non-2xx per target, whether the bundle was still
 *      processing throughout (its run status polled every second during each measurement), the
 *      server's page-cache counters and the nice values of its threads, and a final results line
 *      (goal: p99 < 200 ms, no error, the bundle processing throughout — all three for PASS)
 *
 * Builds and starts Next from this checkout, so it runs under `flock /tmp/e2e.lock` (taken here).
 * Runtime: the build (if sources changed) + ~1 min to write and upload 1 GB + LOAD_DURATION_S + the
 * idle baselines (2 × LOAD_BASELINE_S).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { genAccessLog } from "./bench-data";

const ROOT = path.resolve(__dirname, "..");
const RATE = Number(process.env.LOAD_RATE) || 200;
const DURATION_S = Number(process.env.LOAD_DURATION_S) || 30;
/** A measurement while processing shorter than this is not a valid run. */
const MIN_MEASURED_S = 10;
const BASELINE_S = process.env.LOAD_BASELINE_S === undefined ? 10 : Number(process.env.LOAD_BASELINE_S);
const BUNDLE_MB = Number(process.env.LOAD_BUNDLE_MB) || 1024;
const GOAL_P99_MS = 200;

// Next's build directory is shared by everyone working in this checkout: one server at a time.
if (!process.env.HINDSIGHT_LOAD_LOCKED && spawnSync("flock", ["--version"]).status === 0) {
  console.log("load: waiting for /tmp/e2e.lock (one Next build/server per checkout at a time)…");
  const r = spawnSync("flock", ["/tmp/e2e.lock", process.execPath, "--import", "tsx", __filename], { stdio: "inherit", env: { ...process.env, HINDSIGHT_LOAD_LOCKED: "1" } });
  process.exit(r.status ?? 1);
}

const started = Date.now();
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const log = (m: string) => console.log(`[load ${secs(Date.now() - started).padStart(7)}] ${m}`);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs: number, everyMs = 500): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

interface Figures {
  target: string;
  url: string;
  requests: number;
  rps: number;
  p50: number;
  p975: number;
  p99: number;
  max: number;
  errors: number;
  non2xx: number;
  /** Seconds actually measured (the run may end before LOAD_DURATION_S). */
  measuredS: number;
  processingThroughout: boolean;
}

/**
 * Drives `url` at RATE req/s for up to `durationS` seconds. With `whileRunning`, the measurement
 * also ends as soon as the bundle's run leaves `running` (status polled every 250 ms): a 1 GB
 * bundle can now finish before 30 s, and only requests served while it was processing count.
 */
async function drive(target: string, url: string, runStatus: () => Promise<string>, opts: { durationS?: number; whileRunning?: boolean } = {}): Promise<Figures> {
  const durationS = opts.durationS ?? DURATION_S;
  const before = await runStatus();
  const seen = new Set<string>([before]);
  let stopMeasuring: () => void = () => undefined;
  let sampling = true;
  const t0 = Date.now();
  const sampler = (async () => {
    while (sampling) {
      await new Promise((r) => setTimeout(r, opts.whileRunning ? 250 : 1000));
      if (!sampling) break;
      const status = await runStatus().catch(() => "?");
      if (opts.whileRunning && status !== before) {
        stopMeasuring();
        break;
      }
      seen.add(status);
    }
  })();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ url, connections: 50, overallRate: RATE, duration: durationS, timeout: 10 }, (err, res) => (err ? reject(err) : resolve(res)));
    stopMeasuring = () => (instance as unknown as { stop(): void }).stop();
  });
  const measuredS = (Date.now() - t0) / 1000;
  sampling = false;
  await sampler;
  const after = await runStatus();
  const f: Figures = {
    target,
    url,
    requests: result.requests.total,
    rps: result.requests.total / measuredS,
    measuredS,
    p50: result.latency.p50,
    p975: result.latency.p97_5,
    p99: result.latency.p99,
    max: result.latency.max,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    // Every poll during the measurement saw the run processing, and it lasted long enough to mean something.
    processingThroughout: seen.size === 1 && before === "running" && measuredS >= MIN_MEASURED_S,
  };
  log(
    `${target}: ${f.requests} requests in ${measuredS.toFixed(1)} s (${f.rps.toFixed(0)} req/s): p50 ${f.p50} ms, p97.5 ${f.p975} ms, p99 ${f.p99} ms, max ${f.max} ms; ` +
      `errors ${f.errors}, non-2xx ${f.non2xx}; bundle run ${before} → ${after} (while measuring: ${[...seen].join(", ")}); load average ${loadavg()}`,
  );
  return f;
}

const loadavg = () => os.loadavg().map((l) => l.toFixed(2)).join(" ");

/**
 * Nice values of the server's threads (Linux): the web's main thread should stay at 0 and the
 * parse/analysis threads sit at HINDSIGHT_PIPELINE_NICE. The server is the child of scripts/start.mjs.
 */
function threadNices(startPid: number | undefined): string {
  try {
    const children = fs.readFileSync(`/proc/${startPid}/task/${startPid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
    const pid = Number(children[0]);
    const byNice = new Map<number, number>();
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const nice = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
      byNice.set(nice, (byNice.get(nice) ?? 0) + 1);
    }
    const main = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return `main thread nice ${main.slice(main.lastIndexOf(")") + 2).split(" ")[16]}; threads by nice: ${[...byNice].sort((a, b) => a[0] - b[0]).map(([n, c]) => `${n}: ${c}`).join(", ")}`;
  } catch {
    return "thread nice values unavailable";
  }
}

async function main(): Promise<void> {
  const port = Number(process.env.LOAD_PORT) || (await freePort());
  const base = `http://127.0.0.1:${port}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "hindsight-load-"));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "hindsight-load-src-"));
  log(`budget: build (if needed) + ~1 min for ${BUNDLE_MB} MB + ${DURATION_S} s with both pages at ${RATE} req/s each; ${os.cpus().length} CPUs, load average ${loadavg()}`);
  let server: ChildProcess | null = null;
  const cleanup = () => {
    server?.kill("SIGTERM");
    fs.rmSync(scratch, { recursive: true, force: true });
  };
  process.on("SIGINT", () => {
    cleanup();
    process.exit(130);
  });
  try {
    server = spawn(process.execPath, ["scripts/start.mjs"], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), HOSTNAME: "127.0.0.1", HINDSIGHT_DATA_DIR: dataDir, HINDSIGHT_AUTH: "off", DATABASE_URL: "", NEXT_TELEMETRY_DISABLED: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let serverLog = "";
    const keep = (d: Buffer) => {
      serverLog = (serverLog + d.toString()).slice(-8000);
    };
    server.stdout?.on("data", keep);
    server.stderr?.on("data", keep);
    server.on("exit", (code) => {
      if (code) console.error(`load: server exited ${code}:\n${serverLog}`);
    });
    await waitFor("server health", async () => (await fetch(`${base}/api/health`)).ok, 900_000);
    log(`server up on ${base} (data ${dataDir})`);

    // An analysed incident to read (the imported sample) and its share link.
    const sample = await waitFor(
      "an analysed sample incident",
      async () => {
        const list = (await (await fetch(`${base}/api/incidents?pageSize=50`)).json()) as { items: { id: string; status: string }[] };
        return list.items.find((i) => i.status === "analysed");
      },
      300_000,
    );
    // The first start imports example incidents and analyses them: wait until that work is done.
    await waitFor(
      "the example incidents to be analysed",
      async () => {
        const list = (await (await fetch(`${base}/api/incidents?pageSize=50`)).json()) as { items: { status: string }[] };
        return list.items.every((i) => ["analysed", "partial", "failed"].includes(i.status));
      },
      600_000,
    );
    const incidentUrl = `${base}/incidents/${sample.id}`;
    let shareUrl: string | null = null;
    const share = await fetch(`${base}/api/incidents/${sample.id}/shares`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    if (share.status === 201 || share.status === 200) {
      const { token } = (await share.json()) as { token: string };
      const page = await fetch(`${base}/s/${token}`);
      if (page.ok) shareUrl = `${base}/s/${token}`;
      else log(`share page unavailable: GET /s/:token → ${page.status}`);
    } else log(`share links unavailable: POST /api/incidents/:id/shares → ${share.status}`);

    // Baseline: the same pages with nothing processing (LOAD_BASELINE_S, 0 to skip).
    const baseline: Figures[] = [];
    if (BASELINE_S > 0) {
      for (const u of [incidentUrl, shareUrl]) if (u) await fetch(u).then((r) => r.text());
      const idle = async () => "idle";
      baseline.push(await drive("incident page, idle", incidentUrl, idle, { durationS: BASELINE_S }));
      if (shareUrl) baseline.push(await drive("share page, idle", shareUrl, idle, { durationS: BASELINE_S }));
    }

    // The big bundle, uploaded with the CLI (streams the file).
    const file = path.join(scratch, "mesh-access.log");
    const t0 = Date.now();
    genAccessLog(file, BUNDLE_MB * 1024 * 1024);
    const size = fs.statSync(file).size;
    log(`generated ${(size / 1048576).toFixed(0)} MiB in ${secs(Date.now() - t0)}`);
    const t1 = Date.now();
    const up = spawnSync(process.execPath, ["bin/hindsight.mjs", "upload", file, "--server", base, "--title", "load: 1 GB bundle", "--json"], { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 20 });
    if (up.status !== 0) throw new Error(`upload failed: ${up.stderr}`);
    const { id } = JSON.parse(up.stdout.trim().split("\n").pop()!) as { id: string };
    fs.rmSync(file, { force: true });
    log(`uploaded in ${secs(Date.now() - t1)}; incident ${id}`);
    const runStatus = async () => ((await (await fetch(`${base}/api/incidents/${id}`)).json()) as { run?: { status: string } }).run?.status ?? "?";
    await waitFor("the bundle's run to start", async () => (await runStatus()) === "running", 300_000, 200);
    log(`the bundle is being processed: driving the pages (server ${threadNices(server.pid)})`);

    // Warm both pages once (first render compiles nothing in production, but fills caches).
    for (const u of [incidentUrl, shareUrl]) if (u) await fetch(u).then((r) => r.text());
    const nices = setTimeout(() => log(`server ${threadNices(server!.pid)}`), (DURATION_S * 1000) / 3);
    const figures: Figures[] = (await Promise.all([drive("incident page", incidentUrl, runStatus, { whileRunning: true }), shareUrl ? drive("share page", shareUrl, runStatus, { whileRunning: true }) : null])).filter(
      (f): f is Figures => f !== null,
    );
    clearTimeout(nices);
    const health = (await (await fetch(`${base}/api/health`)).json()) as { rssBytes: number; pageCache?: Record<string, number> };
    const finalStatus = await runStatus();
    log(`web process RSS ${(health.rssBytes / 1048576).toFixed(0)} MiB; bundle run now ${finalStatus}; load average ${loadavg()}`);
    // Where the bundle's time went, once it is done (parse, analysis; ms).
    await waitFor("the bundle's run to finish", async () => ["completed", "partial", "failed"].includes(await runStatus()), 600_000, 500).catch(() => undefined);
    const run = ((await (await fetch(`${base}/api/incidents/${id}`)).json()) as { run?: { status: string; timings?: Record<string, number> } }).run;
    log(`bundle run ${run?.status ?? "?"}: ${Object.entries(run?.timings ?? {}).map(([k, v]) => `${k} ${v}`).join(", ")}`);
    // How the pages were answered: from a rendered copy (hits), rendered (fills), or left to Next (passed, rejected).
    if (health.pageCache) log(`page cache: ${Object.entries(health.pageCache).map(([k, v]) => `${k} ${v}`).join(", ")}`);

    console.log("");
    const processing = figures.every((f) => f.processingThroughout);
    const ok = figures.every((f) => f.p99 < GOAL_P99_MS && f.errors === 0 && f.non2xx === 0) && shareUrl !== null && processing;
    const part = (f: Figures) => `${f.target} p50 ${f.p50} ms / p99 ${f.p99} ms (${f.rps.toFixed(0)} req/s, errors ${f.errors + f.non2xx})`;
    if (baseline.length) console.log(`load baseline (nothing processing): ${baseline.map(part).join(", ")}`);
    console.log(
      `load: ${figures.map(part).join(", ")}${shareUrl ? "" : ", share page: unavailable"} at ${RATE} req/s each, both at once, for ${Math.min(...figures.map((f) => f.measuredS)).toFixed(1)} s (until the run finished, at most ${DURATION_S} s), ` +
        `while a ${(size / 1048576).toFixed(0)} MiB bundle was processing${processing ? "" : " (it was not processing throughout a measurement: not a valid run)"} ` +
        `(goal p99 < ${GOAL_P99_MS} ms) — ${ok ? "PASS" : "FAIL"}`,
    );
    cleanup();
    await new Promise((r) => setTimeout(r, 1000));
    fs.rmSync(dataDir, { recursive: true, force: true });
    process.exit(ok ? 0 : 1);
  } catch (err) {
    cleanup();
    throw err;
  }
}

main().catch((err) => {
  console.error(`load: failed: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
