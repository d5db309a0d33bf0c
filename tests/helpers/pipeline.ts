import fs from "node:fs";
import { afterAll, beforeAll } from "vitest";
import { withTempSqlite, type TempDatabase } from "./db";
import os from "node:os";
import path from "node:path";
import { DEFAULT_LIMITS } from "@/lib/schemas/limits";
import type { Db } from "@/lib/server/db/client";
import type { DatabaseConfig } from "@/lib/server/db/provider";
import { consumeAnalysis, createQueue } from "@/lib/server/jobs";
import type { JobQueue } from "@/lib/server/jobs/types";
import { createIncident, getIncident, type UploadedPart } from "@/lib/server/services/incidents";
import type { IncidentDetailDto } from "@/lib/schemas/api";

export const FIXTURES = path.resolve(__dirname, "../fixtures");

/** Uploads for fixture files, named as a folder drop would name them. */
export function fixtureUploads(relPaths: string[], prefix = "bundle"): UploadedPart[] {
  return relPaths.map((rel) => {
    const abs = path.join(FIXTURES, rel);
    return { name: `${prefix}/${rel}`, tempPath: abs, size: fs.statSync(abs).size };
  });
}

/** A scenario's files (tests/fixtures/scenarios/<name>), relative to FIXTURES, without expect.json. */
export function scenarioFiles(name: string): string[] {
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name)).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  return walk(path.join(FIXTURES, "scenarios", name))
    .filter((f) => !f.endsWith("expect.json"))
    .map((f) => path.relative(FIXTURES, f));
}

/** A scenario uploaded as a browser folder drop would name it: `<name>/<path in the scenario>`. */
export function scenarioUploads(name: string, filter: (rel: string) => boolean = () => true): UploadedPart[] {
  const prefix = `scenarios/${name}/`;
  return scenarioFiles(name)
    .map((f) => f.slice(prefix.length))
    .filter(filter)
    .map((rel) => {
      const abs = path.join(FIXTURES, prefix, rel);
      return { name: `${name}/${rel}`, tempPath: abs, size: fs.statSync(abs).size };
    });
}

/** A throw-away file as an upload (content written now). */
export function contentUpload(name: string, content: string | Buffer): UploadedPart {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hindsight-upload-"));
  const file = path.join(dir, path.basename(name));
  fs.writeFileSync(file, content);
  return { name, tempPath: file, size: fs.statSync(file).size };
}

export interface PipelineHarness {
  db: Db;
  config: DatabaseConfig;
  dataDir: string;
  queue: JobQueue;
  create(uploads: UploadedPart[], title?: string): Promise<{ id: string; runId: string }>;
  waitDone(id: string, timeoutMs?: number): Promise<IncidentDetailDto>;
  stop(): Promise<void>;
}

/** Producer + in-process consumer on a temp database (either provider). */
export async function startPipeline(db: Db, config: DatabaseConfig, opts: { consume?: boolean; env?: Record<string, string> } = {}): Promise<PipelineHarness> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "hindsight-data-"));
  const env: NodeJS.ProcessEnv = { ...process.env, HINDSIGHT_JOB_MAX_ATTEMPTS: "3", HINDSIGHT_DATA_DIR: dataDir, ...opts.env };
  process.env.HINDSIGHT_DATA_DIR = dataDir;
  const queue = await createQueue(config, db, env);
  await queue.start();
  if (opts.consume !== false) await consumeAnalysis(queue, db, config, env);
  return {
    db,
    config,
    dataDir,
    queue,
    create: (uploads, title) => createIncident({ uploads, title }, { db, queue: async () => queue, dataDir, limits: DEFAULT_LIMITS }),
    async waitDone(id, timeoutMs = 90_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const d = await getIncident(id, db);
        const s = d?.run?.status;
        if (d && (s === "completed" || s === "partial" || s === "failed")) return d;
        if (Date.now() > until) throw new Error(`incident ${id} not done after ${timeoutMs} ms (run: ${JSON.stringify(d?.run)})`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async stop() {
      await queue.stop(2000);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Evidence rows of an incident, with a content checksum that ignores row ids. */
export async function evidenceFingerprint(db: Db, incidentId: string): Promise<{ count: number; distinctSeq: number; checksum: string }> {
  const rows = await db.evidence.findMany({ where: { incidentId }, select: { fileId: true, seq: true, kind: true, text: true }, orderBy: [{ fileId: "asc" }, { seq: "asc" }] });
  const files = await db.evidenceFile.findMany({ where: { incidentId }, select: { id: true, path: true } });
  const pathOf = new Map(files.map((f) => [f.id, f.path]));
  const keys = new Set(rows.map((r) => `${r.fileId}:${r.seq}`));
  const { createHash } = await import("node:crypto");
  const h = createHash("sha256");
  for (const r of [...rows].sort((a, b) => `${pathOf.get(a.fileId)}:${a.seq}`.localeCompare(`${pathOf.get(b.fileId)}:${b.seq}`))) h.update(`${pathOf.get(r.fileId)}|${r.seq}|${r.kind}|${r.text}\n`);
  return { count: rows.length, distinctSeq: keys.size, checksum: h.digest("hex") };
}

/**
 * One file uploaded twice: summarised (the HINDSIGHT_SUMMARISE_* / SAMPLE_TARGET / PARSE_THREADS
 * knobs in `env`, read by the job's parse thread when it starts) and in full (the defaults, and the
 * file below the 64 MiB threshold). Returns both incidents with the file's id.
 */
export async function ingestSummarisedAndFull(h: PipelineHarness, upload: UploadedPart, env: Record<string, string>): Promise<{ s: { id: string; fileId: string }; f: { id: string; fileId: string } }> {
  const run = async (summarise: boolean) => {
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    if (summarise) Object.assign(process.env, env);
    else for (const k of Object.keys(env)) delete process.env[k];
    try {
      const { id } = await h.create([upload], summarise ? "summarised" : "full");
      const d = await h.waitDone(id, 300_000);
      return { id, fileId: d.files[0]!.id };
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  };
  return { s: await run(true), f: await run(false) };
}

/**
 * One scenario analysed by the real pipeline on a temporary SQLite database for a whole `describe`:
 * registers the beforeAll/afterAll hooks and fills the returned object in before the tests run.
 */
export function analysedScenario(name: string): { id: string; db: Db; h: PipelineHarness } {
  const out = {} as { id: string; db: Db; h: PipelineHarness };
  let temp: TempDatabase | undefined;
  beforeAll(async () => {
    temp = await withTempSqlite();
    out.db = temp.client();
    out.h = await startPipeline(out.db, temp.config);
    ({ id: out.id } = await out.h.create(fixtureUploads(scenarioFiles(name))));
    await out.h.waitDone(out.id);
  });
  afterAll(async () => {
    await out.h?.stop();
    await temp?.cleanup();
  });
  return out;
}
