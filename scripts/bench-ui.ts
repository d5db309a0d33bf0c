/**
 * UI bench line (issue 5): the incident views on a generated large incident (1M records, one
 * 50k-span trace) must keep ≤ 3000 DOM nodes and render their main content in ≤ 1.5 s.
 *
 *   1. migrate a temporary SQLite database and generate the incident into it
 *      (scripts/gen-large-incident.ts; BENCH_UI_EVENTS / BENCH_UI_SPANS to change the sizes);
 *   2. start the production server on it (`node scripts/start.mjs`, PORT 3290, samples off);
 *   3. Chromium (Playwright) opens each view RUNS times in a fresh browser context:
 *        first render = navigation start → the view's main content visible (performance.now() in
 *        the page, read in the frame the selector first matches a visible element);
 *        DOM nodes   = document.getElementsByTagName('*').length once the view has settled;
 *      the timeline is also scrolled to the end of what it loads (page after page) and counted again.
 * The first run of each view is the server's first request for that route (cold module load); the
 * verdict uses the median of the runs and the table shows both.
 * Alone: `node --import tsx scripts/bench-ui.ts`; `npm run bench` calls benchUi() last.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "@playwright/test";
import { migrate } from "@/lib/server/db/migrate";
import { databaseFromUrl } from "@/lib/server/db/provider";
import { projectRoot } from "@/lib/server/paths";
import { BIG_TRACE_ID, generateLargeIncident } from "./gen-large-incident";

const PORT = Number(process.env.BENCH_UI_PORT || 3290);
const BASE = `http://127.0.0.1:${PORT}`;
const EVENTS = Number(process.env.BENCH_UI_EVENTS || 1_000_000);
const SPANS = Number(process.env.BENCH_UI_SPANS || 50_000);
const RUNS = Math.max(1, Number(process.env.BENCH_UI_RUNS || 3));
const MAX_NODES = 3000;
const MAX_FIRST_RENDER_MS = 1500;
/** Pages of 200 rows the timeline loads while scrolled to its end (BENCH_UI_SCROLL_PAGES). */
const SCROLL_PAGES = Number(process.env.BENCH_UI_SCROLL_PAGES || 25);

export const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

interface ViewSpec {
  name: string;
  path: (id: string) => string;
  /** The view's main content: visible means the view has rendered what it is for. */
  selector: string;
}

/** One stable selector per view; empty states count (rules/network have no dumps in this incident). */
export const VIEWS: ViewSpec[] = [
  { name: "overview", path: (id) => `/incidents/${id}`, selector: '[aria-labelledby="impact-heading"] dl, [aria-labelledby="hyp-heading"] ol > li' },
  { name: "timeline", path: (id) => `/incidents/${id}/timeline`, selector: '[data-testid="timeline-list"] [role="option"]' },
  { name: "latency", path: (id) => `/incidents/${id}/latency`, selector: '[role="img"][aria-label^="Latency histogram"] .recharts-surface' },
  { name: "traces", path: (id) => `/incidents/${id}/traces?trace=${BIG_TRACE_ID}`, selector: '[role="tree"] [role="treeitem"]' },
  { name: "rules", path: (id) => `/incidents/${id}/rules`, selector: 'main [role="status"], main section[aria-labelledby]' },
  { name: "network", path: (id) => `/incidents/${id}/network`, selector: 'main section[aria-labelledby="ipvs-heading"]' },
];

export interface ViewMeasure {
  view: string;
  firstMs: number;
  medianMs: number;
  nodes: number;
  ok: boolean;
}

/** Navigates and returns ms from navigation start until `selector` matches a visible element. */
export async function timeToContent(page: Page, url: string, selector: string, timeoutMs = 60_000): Promise<number> {
  const visible = page.waitForFunction(
    (sel) => {
      for (const el of document.querySelectorAll(sel)) {
        const r = (el as HTMLElement).getBoundingClientRect();
        if (r.width > 0 && r.height > 0) return performance.now();
      }
      return false;
    },
    selector,
    { polling: "raf", timeout: timeoutMs },
  );
  await page.goto(url, { waitUntil: "commit", timeout: timeoutMs });
  return Number(await (await visible).jsonValue());
}

export const domNodes = (page: Page) => page.evaluate(() => document.getElementsByTagName("*").length);

/** Lets late fetches (charts, pages) land before counting. */
async function settle(page: Page): Promise<void> {
  await page.waitForLoadState("networkidle", { timeout: 30_000 }).catch(() => undefined);
  await page.waitForTimeout(300);
}

/** Scrolls the timeline list to its bottom until `pages` more pages arrived (or nothing more loads). */
export async function scrollTimelineToEnd(page: Page, pages: number): Promise<{ rows: number; nodes: number }> {
  const list = page.getByTestId("timeline-list");
  let last = -1;
  for (let i = 0; i < pages; i++) {
    await list.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
    const height = await list.evaluate((el) => el.scrollHeight);
    if (height === last) {
      await page.waitForTimeout(500);
      if ((await list.evaluate((el) => el.scrollHeight)) === last) break;
    }
    last = height;
    await page.waitForFunction((h) => (document.querySelector('[data-testid="timeline-list"]')?.scrollHeight ?? 0) > h, height, { timeout: 15_000 }).catch(() => undefined);
  }
  await list.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
  await settle(page);
  const rows = await list.evaluate((el) => Math.round(el.scrollHeight / 28));
  return { rows, nodes: await domNodes(page) };
}

async function waitForHealth(child: ChildProcess | null, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child && child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode}`);
    try {
      const r = await fetch(`${BASE}/api/health`);
      if (r.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("server did not answer /api/health in time");
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function benchUi(): Promise<{ views: ViewMeasure[]; timelineScrolled: { rows: number; nodes: number }; line: string }> {
  // BENCH_UI_DATA_DIR: keep the generated database between runs (generation is skipped when the
  // incident is there); BENCH_UI_EXTERNAL=1: a server is already running on BENCH_UI_PORT with it.
  const keepDir = process.env.BENCH_UI_DATA_DIR;
  const external = process.env.BENCH_UI_EXTERNAL === "1";
  const tmp = keepDir ? path.resolve(keepDir) : fs.mkdtempSync(path.join(os.tmpdir(), "hindsight-bench-ui-"));
  const dataDir = keepDir ? tmp : path.join(tmp, "data");
  fs.mkdirSync(dataDir, { recursive: true });
  const dbConfig = databaseFromUrl(path.join(dataDir, "hindsight.db"));
  let server: ChildProcess | null = null;
  let browser: Browser | null = null;
  try {
    await migrate(dbConfig);
    const g0 = performance.now();
    const id = await generateLargeIncident(dbConfig, { events: EVENTS, spans: SPANS });
    console.log(`bench-ui: generated ${EVENTS.toLocaleString("en")} records (one ${SPANS.toLocaleString("en")}-span trace) in ${((performance.now() - g0) / 1000).toFixed(0)} s`);

    if (!external) server = spawn(process.execPath, ["scripts/start.mjs"], {
      cwd: projectRoot(),
      // Single-user mode: the bench measures the views, not the login page.
      env: { ...process.env, PORT: String(PORT), HINDSIGHT_DATA_DIR: dataDir, HINDSIGHT_SAMPLE: "off", HINDSIGHT_AUTH: "off", DATABASE_URL: "", NEXT_TELEMETRY_DISABLED: "1" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const serverLog: string[] = [];
    for (const s of server ? [server.stdout!, server.stderr!] : []) s.on("data", (d: Buffer) => serverLog.push(d.toString()));
    await waitForHealth(server, 20 * 60_000).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${serverLog.join("").slice(-4000)}`);
    });

    browser = await chromium.launch({ executablePath: process.env.BENCH_UI_CHROMIUM || "/usr/bin/chromium", args: CHROMIUM_ARGS });
    const views: ViewMeasure[] = [];
    let timelineScrolled = { rows: 0, nodes: 0 };
    for (const v of VIEWS) {
      const times: number[] = [];
      let nodes = 0;
      for (let run = 0; run < RUNS; run++) {
        const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
        const page = await context.newPage();
        try {
          times.push(await timeToContent(page, `${BASE}${v.path(id)}`, v.selector));
          await settle(page);
          nodes = Math.max(nodes, await domNodes(page));
          if (v.name === "timeline" && run === RUNS - 1) timelineScrolled = await scrollTimelineToEnd(page, SCROLL_PAGES);
        } finally {
          await context.close();
        }
      }
      const medianMs = median(times);
      views.push({ view: v.name, firstMs: times[0]!, medianMs, nodes, ok: nodes <= MAX_NODES && medianMs <= MAX_FIRST_RENDER_MS });
    }

    const table: string[][] = [["view", "first render (1st run) ms", `median of ${RUNS} ms`, "DOM nodes", "goal"]];
    for (const m of views) table.push([m.view, m.firstMs.toFixed(0), m.medianMs.toFixed(0), String(m.nodes), m.ok ? "met" : "NOT met"]);
    const scrolledOk = timelineScrolled.nodes <= MAX_NODES;
    table.push([`timeline scrolled (${timelineScrolled.rows} rows loaded)`, "-", "-", String(timelineScrolled.nodes), scrolledOk ? "met" : "NOT met"]);
    const w = table.map((r) => r.map((c) => c.length)).reduce((a, b) => a.map((x, i) => Math.max(x, b[i]!)));
    for (const r of table) console.log(r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  "));
    const per = views.map((m) => `${m.view} ${(m.medianMs / 1000).toFixed(2)} s/${m.nodes} nodes ${m.ok ? "met" : "NOT met"}`);
    per.push(`timeline scrolled ${timelineScrolled.nodes} nodes ${scrolledOk ? "met" : "NOT met"}`);
    const line = `ui: ${EVENTS.toLocaleString("en")} records, ${SPANS.toLocaleString("en")}-span trace: ${per.join("; ")} (goal ≤ ${MAX_NODES} nodes, ≤ ${MAX_FIRST_RENDER_MS / 1000} s first render: ${views.every((m) => m.ok) && scrolledOk ? "met" : "NOT met"})`;
    return { views, timelineScrolled, line };
  } finally {
    await browser?.close().catch(() => undefined);
    if (server?.pid && server.exitCode === null) {
      const exited = new Promise((r) => server!.once("exit", r));
      try {
        process.kill(-server.pid, "SIGTERM");
      } catch {
        /* already gone */
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    }
    if (process.env.BENCH_KEEP !== "1" && !keepDir) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith("bench-ui.ts")) {
  benchUi()
    .then((r) => console.log(r.line))
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
