/**
 * Fault-injection building blocks shared by `npm run chaos` (scripts/chaos.ts) and the fast CI
 * variants (tests/integration/chaos-*.test.ts, hostile-inputs rows 21, 22, 25): real
 * `npm run worker` processes killed with SIGKILL/SIGTERM at seeded random points, and a snapshot of
 * what an incident's analysis stored, free of ids, to compare a killed run with a clean one.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DEFAULT_LIMITS } from "@/lib/schemas/limits";
import type { Db } from "@/lib/server/db/client";
import type { DatabaseConfig } from "@/lib/server/db/provider";
import { createQueue } from "@/lib/server/jobs";
import type { JobQueue } from "@/lib/server/jobs/types";
import { createIncident, type UploadedPart } from "@/lib/server/services/incidents";

export const ROOT = path.resolve(__dirname, "..");
const FINAL = ["completed", "partial", "failed"];

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 120_000, everyMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** A deterministic ztunnel access log of `lines` lines (~330 bytes each); `tag` makes bundles distinguishable. */
export function ztunnelLog(lines: number, tag = "reviews"): string {
  const out: string[] = [];
  const t0 = Date.UTC(2024, 9, 15, 14, 0, 0);
  for (let i = 0; i < lines; i++) {
    const ts = new Date(t0 + i * 3).toISOString().replace("Z", "123Z");
    out.push(
      `${ts}\tinfo\taccess\tconnection complete\tsrc.addr=10.244.1.${i % 250}:${40000 + (i % 9000)} src.workload="productpage-v1-7d9c8b" src.namespace="default" dst.addr=10.244.2.${i % 200}:15008 dst.hbone_addr="10.244.2.${i % 200}:9080" dst.service="${tag}.default.svc.cluster.local" dst.workload="${tag}-v1-5f6a" dst.namespace="default" direction="outbound" bytes_sent=${i % 4000} bytes_recv=${i % 9000} duration="${i % 40}ms"`,
    );
  }
  return `${out.join("\n")}\n`;
}

/** Files of a scenario fixture as uploads (named like a folder drop), read in place. */
export function scenarioParts(name: string): UploadedPart[] {
  const root = path.join(ROOT, "tests/fixtures/scenarios", name);
  const walk = (d: string): string[] =>
    fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name)).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
  return walk(root)
    .filter((f) => !f.endsWith("expect.json"))
    .map((f) => ({ name: `${name}/${path.relative(root, f)}`, tempPath: f, size: fs.statSync(f).size }));
}

/** Writes content once into a scratch dir and returns it as an upload part (reusable: unpack copies). */
export function writePart(dir: string, name: string, content: string | Buffer): UploadedPart {
  const file = path.join(dir, name.replace(/[\\/]/g, "__"));
  fs.writeFileSync(file, content);
  return { name, tempPath: file, size: fs.statSync(file).size };
}

export interface Producer {
  queue: JobQueue;
  dataDir: string;
  create(parts: UploadedPart[], title: string): Promise<{ id: string; runId: string }>;
  stop(): Promise<void>;
}

/** Enqueues like the web process does (no consumer: the work happens in worker processes). */
export async function startProducer(db: Db, config: DatabaseConfig, dataDir: string, env: Record<string, string> = {}): Promise<Producer> {
  const queue = await createQueue(config, db, { ...process.env, ...env });
  await queue.start();
  return {
    queue,
    dataDir,
    create: (uploads, title) => createIncident({ uploads, title }, { db, queue: async () => queue, dataDir, limits: DEFAULT_LIMITS }),
    stop: () => queue.stop(2000),
  };
}

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/** Environment of a worker process for a database and data directory. */
export function workerEnv(config: DatabaseConfig, url: string, dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: config.provider === "sqlite" ? `file:${config.sqlitePath}` : url,
    HINDSIGHT_DATA_DIR: dataDir,
    HINDSIGHT_JOB_MAINTENANCE_SECONDS: "1",
    HINDSIGHT_JOB_EXPIRE_SECONDS: "600",
    HINDSIGHT_JOB_MAX_ATTEMPTS: "5",
    HINDSIGHT_SAMPLE: "off",
    ...extra,
  };
}

/** `npm run worker` as a child process (what operators run with PostgreSQL; also works on SQLite). */
export function startWorker(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "lib/server/jobs/worker-main.ts"], {
    cwd: ROOT,
    env: { ...process.env, ...env, HINDSIGHT_ROOT: ROOT },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  return { child, pid: child.pid!, exited, output: () => out };
}

export async function sigkill(w: WorkerProcess): Promise<void> {
  if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
  await w.exited;
}

/** Runs of the database that are not in a final state. */
export async function unfinishedRuns(db: Db): Promise<{ id: string; incidentId: string; status: string; stage: string; leaseOwner: string | null }[]> {
  return db.analysisRun.findMany({ where: { status: { notIn: FINAL } }, select: { id: true, incidentId: true, status: true, stage: true, leaseOwner: true } });
}

/** Whether the process with this pid holds a run lease right now (i.e. it is mid-job). */
export async function holdsRun(db: Db, pid: number): Promise<boolean> {
  return (await db.analysisRun.count({ where: { leaseOwner: { contains: `:${pid}:` } } })) > 0;
}

export async function waitAllFinal(db: Db, timeoutMs: number): Promise<boolean> {
  try {
    await waitFor("every run final", async () => (await unfinishedRuns(db)).length === 0, timeoutMs, 250);
    return true;
  } catch {
    return false;
  }
}

/** Jobs of the analysis queue not completed: for the embedded queue the Job rows, for pg-boss its table. */
export async function unsettledJobs(db: Db, config: DatabaseConfig, url: string): Promise<{ id: string; state: string }[]> {
  if (config.provider === "sqlite") {
    const jobs = await db.job.findMany({ where: { queue: "analyze", status: { not: "completed" } }, select: { id: true, status: true } });
    return jobs.map((j) => ({ id: j.id, state: j.status }));
  }
  const pg = (await import("pg")).default;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ id: string; state: string }>(`SELECT id::text, state::text FROM pgboss.job WHERE name = 'analyze' AND state <> 'completed'`);
    return r.rows;
  } finally {
    await c.end();
  }
}

export interface Snapshot {
  runStatus: string | null;
  files: string[];
  evidence: { count: number; distinct: number; checksum: string };
  hypotheses: string[];
}

/**
 * What an incident's analysis stored, without ids or timings: each file's outcome, every evidence
 * row's (path, seq, kind, text) hashed, the ranked hypotheses with their cited evidence.
 */
export async function snapshot(db: Db, incidentId: string): Promise<Snapshot> {
  const files = await db.evidenceFile.findMany({ where: { incidentId }, orderBy: { path: "asc" } });
  const pathOf = new Map(files.map((f) => [f.id, f.path]));
  const h = createHash("sha256");
  const keys = new Set<string>();
  let count = 0;
  for (const f of files) {
    let cursor = -1;
    for (;;) {
      const rows = await db.evidence.findMany({ where: { fileId: f.id, seq: { gt: cursor } }, orderBy: { seq: "asc" }, take: 20_000, select: { seq: true, kind: true, text: true } });
      if (rows.length === 0) break;
      for (const r of rows) {
        count++;
        keys.add(`${f.id}:${r.seq}`);
        h.update(`${f.path}|${r.seq}|${r.kind}|${r.text}\n`);
      }
      cursor = rows[rows.length - 1]!.seq;
    }
  }
  // Duplicates would show as count > distinct; (fileId, seq) is unique, so also count all rows.
  const total = await db.evidence.count({ where: { incidentId } });
  const run = await db.analysisRun.findFirst({ where: { incidentId }, orderBy: { createdAt: "desc" } });
  const hyps = run ? await db.hypothesisRow.findMany({ where: { runId: run.id }, orderBy: { rank: "asc" } }) : [];
  return {
    runStatus: run?.status ?? null,
    files: files.map((f) => `${f.path} ${f.status} ${f.format} records=${f.records} skipped=${f.skipped} error=${f.error ?? ""}`),
    evidence: { count: total, distinct: keys.size, checksum: h.digest("hex") },
    hypotheses: hyps.map((r) => `${r.rank} ${r.detector} ${r.title} ${r.confidence} ${JSON.stringify(stripIds(r.data, pathOf))}`),
  };
}

/** Ids differ between two incidents with the same content; paths and lines do not. */
function stripIds(v: unknown, pathOf: Map<string, string>): unknown {
  if (Array.isArray(v)) return v.map((x) => stripIds(x, pathOf));
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (k === "fileId" && typeof x === "string") out.file = pathOf.get(x) ?? "?";
      else if (k === "recordId" || k === "evidenceId" || k === "incidentId" || k === "runId") continue;
      else out[k] = stripIds(x, pathOf);
    }
    return out;
  }
  return v;
}

/** Human-readable differences between two snapshots (empty: identical). */
export function diffSnapshots(actual: Snapshot, reference: Snapshot): string[] {
  const d: string[] = [];
  if (actual.runStatus !== reference.runStatus) d.push(`run status ${actual.runStatus} ≠ ${reference.runStatus}`);
  if (actual.evidence.count !== actual.evidence.distinct) d.push(`${actual.evidence.count - actual.evidence.distinct} duplicate evidence rows`);
  if (actual.evidence.count !== reference.evidence.count) d.push(`evidence rows ${actual.evidence.count} ≠ ${reference.evidence.count}`);
  else if (actual.evidence.checksum !== reference.evidence.checksum) d.push("evidence content differs");
  if (JSON.stringify(actual.files) !== JSON.stringify(reference.files)) d.push(`files differ: ${JSON.stringify(actual.files)} vs ${JSON.stringify(reference.files)}`);
  if (JSON.stringify(actual.hypotheses) !== JSON.stringify(reference.hypotheses)) d.push(`hypotheses differ (${actual.hypotheses.length} vs ${reference.hypotheses.length})`);
  return d;
}

export interface KillLoopOptions {
  db: Db;
  kills: number;
  rand: () => number;
  env: Record<string, string>;
  /** Kill this long after spawning, drawn uniformly (ms). */
  minDelayMs: number;
  maxDelayMs: number;
  /** Called before each spawn: make sure there is unfinished work (upload another bundle if not). */
  ensureWork: () => Promise<void>;
  /** Called after each kill (progress output). */
  onKill?: (i: number, info: { delayMs: number; midJob: boolean }) => void;
  /** Checked before each kill: true ends the loop early (time budget). */
  shouldStop?: () => boolean;
}

/** SIGKILLs a freshly started worker `kills` times at random points of its life. */
export async function killLoop(o: KillLoopOptions): Promise<{ kills: number; midJob: number; jobErrors: string[] }> {
  let midJob = 0;
  let kills = 0;
  const jobErrors: string[] = [];
  for (let i = 0; i < o.kills; i++) {
    if (o.shouldStop?.()) break;
    await o.ensureWork();
    const w = startWorker(o.env);
    const delayMs = Math.round(o.minDelayMs + o.rand() * (o.maxDelayMs - o.minDelayMs));
    await Promise.race([sleep(delayMs), w.exited]);
    if (w.child.exitCode !== null) throw new Error(`worker exited on its own (code ${w.child.exitCode}):\n${w.output()}`);
    const mid = await holdsRun(o.db, w.pid);
    if (mid) midJob++;
    await sigkill(w);
    // Failed attempts the workers logged (a kill is a loss, not a failure: these should be rare).
    for (const line of w.output().split("\n")) if (/\[jobs\].*failed|unhandled|fatal/i.test(line)) jobErrors.push(line.slice(0, 300));
    kills++;
    o.onKill?.(i, { delayMs, midJob: mid });
  }
  return { kills, midJob, jobErrors };
}

/** The installed PostgreSQL cluster version (`ls /etc/postgresql`), or null when there is none. */
export function localPostgresVersion(): string | null {
  try {
    const v = fs.readdirSync("/etc/postgresql").filter((d) => /^\d+$/.test(d)).sort();
    return v[v.length - 1] ?? null;
  } catch {
    return null;
  }
}

/**
 * Restarts the local PostgreSQL cluster (as root, without systemd) and waits until it answers.
 * Returns the outage in ms, or null when PostgreSQL is not local or cannot be restarted here.
 */
export async function restartLocalPostgres(url: string): Promise<number | null> {
  const version = localPostgresVersion();
  const host = new URL(url).hostname;
  if (!version || !["127.0.0.1", "localhost", "::1"].includes(host) || os.userInfo().uid !== 0) return null;
  const t0 = Date.now();
  execFileSync("pg_ctlcluster", ["--skip-systemctl-redirect", version, "main", "restart", "-m", "fast"], { stdio: "ignore", timeout: 60_000 });
  const pg = (await import("pg")).default;
  await waitFor("PostgreSQL back", async () => {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await c.connect();
      await c.query("SELECT 1");
      return true;
    } catch {
      return false;
    } finally {
      await c.end().catch(() => undefined);
    }
  }, 60_000, 100);
  return Date.now() - t0;
}

/** The state of every unfinished run and unsettled job, for a report when something hangs. */
export async function describeQueue(db: Db, config: DatabaseConfig, url: string): Promise<string[]> {
  const out = (await unfinishedRuns(db)).map((r) => `run ${r.id} ${r.status} stage="${r.stage}" lease=${r.leaseOwner ?? "-"}`);
  if (config.provider === "sqlite") {
    const jobs = await db.job.findMany({ where: { queue: "analyze", status: { not: "completed" } } });
    for (const j of jobs) out.push(`job ${j.id} ${j.status} attempts=${j.attempts}/${j.maxAttempts} runAfter=${j.runAfter.toISOString()} lockedBy=${j.lockedBy ?? "-"} lastError=${j.lastError ?? "-"}`);
    return out;
  }
  const pg = (await import("pg")).default;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query(
      `SELECT id::text, state::text, retry_count, retry_limit, round(extract(epoch FROM start_after - now())) AS starts_in_s, data::text, output::text FROM pgboss.job WHERE name = 'analyze' AND state <> 'completed'`,
    );
    for (const j of r.rows) out.push(`job ${j.id} ${j.state} retry ${j.retry_count}/${j.retry_limit} starts in ${j.starts_in_s} s data=${j.data} output=${String(j.output).slice(0, 200)}`);
  } finally {
    await c.end();
  }
  return out;
}
