import { BundleManifest } from "@/lib/schemas/manifest";
import { AnalyzeJob } from "@/lib/schemas/jobs";
import type { Db } from "@/lib/server/db/client";
import type { DatabaseConfig } from "@/lib/server/db/provider";
import { Cas } from "@/lib/server/storage/cas";
import { dataDir } from "@/lib/server/config";
import type { JobContext } from "@/lib/schemas/jobs";
import type { AnalysisStageInput, AnalysisStageResult } from "./analysis-stage";
import type { ParseContext } from "@/lib/server/parsers/types";
import { dateInZone, pickZone } from "@/lib/server/parsers/tz";
import { type Capture, captureFor, DATE_HUNGRY_FORMATS, type EvidenceRange } from "./capture-time";
import { fileContext } from "./file-context";
import type { FileIngestResult, IngestFileInput } from "./ingest-file";
import { PipelineThread, ThreadCrashError } from "./threads";
import { RunLease } from "./run-lease";
import { log } from "@/lib/server/log";

/** Share of the progress bar per stage. */
const PARSE_START = 0.02;
const ANALYZE_START = 0.85;
/** Progress is a write on the web's main thread (embedded mode) that may wait for the parse threads' lock. */
const PROGRESS_WRITE_MS = 1000;

export interface AnalysisDeps {
  db: Db;
  dbConfig: DatabaseConfig;
  maxAttempts: number;
  /** Precompute the views' aggregates (off for sessions that never serve views). */
  warmViews?: boolean;
}

/**
 * The analysis job: parse every pending file (each in a worker thread), then correlate and run the
 * detectors (in a worker thread), then store ranked hypotheses.
 *
 * Idempotent and resumable: files already in a final state are not parsed again, a pending file's
 * partial records are cleared before it is re-parsed, hypotheses of the run are replaced as a
 * whole. A SIGKILL at any point followed by a retry ends in the same state as a clean run.
 *
 * Failures: a crashing parse thread fails its file only. A task that throws (the database went away,
 * a disk error) fails the attempt, so the job is retried with backoff and the file re-parsed — a
 * PostgreSQL restart must not turn a good file into a failed one. On the last attempt such a file
 * is failed instead (a bad file never fails the bundle); anything else failing on the last attempt
 * fails the run, visibly. Stopped mid-job (SIGTERM): the run goes back to `queued`.
 */
export async function runAnalysisJob(deps: AnalysisDeps, rawPayload: unknown, job: JobContext): Promise<void> {
  const payload = AnalyzeJob.parse(rawPayload);
  const { db } = deps;
  const run = await db.analysisRun.findUnique({ where: { id: payload.runId } });
  if (!run || run.incidentId !== payload.incidentId) return; // deleted meanwhile: nothing to do
  if (run.status === "completed" || run.status === "partial" || run.status === "failed") return;

  const lease = new RunLease(db, payload.runId);
  if (!(await lease.claim(job.jobId))) {
    // Another live worker holds this run (duplicate delivery). Let the queue retry later: by then
    // the run is finished (and this becomes a no-op) or its worker is gone (and the lease expired).
    throw new Error(`run ${payload.runId} is being processed by another worker`);
  }
  const thread = new PipelineThread();
  try {
    await analyze(deps, payload, job, thread);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (job.signal.aborted) {
      await db.analysisRun
        .updateMany({ where: { id: payload.runId, status: "running" }, data: { status: "queued", stage: "released: worker stopping" } })
        .catch(() => undefined);
    } else if (job.final) {
      await db.analysisRun.update({ where: { id: payload.runId }, data: { status: "failed", stage: "failed", error: message, finishedAt: new Date() } });
      await db.incident.update({ where: { id: payload.incidentId }, data: { status: "failed" } });
    } else {
      await db.analysisRun
        .update({ where: { id: payload.runId }, data: { error: `attempt ${job.attempt} failed: ${message}; retrying` } })
        .catch(() => undefined);
    }
    throw err;
  } finally {
    await thread.close();
    await lease.release();
  }
}

async function analyze(deps: AnalysisDeps, payload: AnalyzeJob, job: JobContext, thread: PipelineThread): Promise<void> {
  const { db, dbConfig } = deps;
  const timings: Record<string, number> = {};
  const t0 = Date.now();
  await db.analysisRun.update({
    where: { id: payload.runId },
    data: { status: "running", stage: "parsing", attempts: job.attempt, startedAt: new Date(), error: null },
  });
  await db.incident.update({ where: { id: payload.incidentId }, data: { status: "processing" } });

  const bundles = await db.bundle.findMany({ where: { incidentId: payload.incidentId, status: "unpacked" }, orderBy: { createdAt: "asc" } });
  const manifests = new Map(bundles.map((b) => [b.id, b.manifest ? BundleManifest.safeParse(b.manifest).data ?? null : null]));
  const latestManifest = [...bundles].reverse().map((b) => manifests.get(b.id)).find((m) => m) ?? null;
  const files = await db.evidenceFile.findMany({ where: { incidentId: payload.incidentId }, orderBy: { path: "asc" } });
  const totalBytes = files.reduce((s, f) => s + Number(f.size), 0) || 1;
  let doneBytes = files.filter((f) => f.status !== "pending").reduce((s, f) => s + Number(f.size), 0);

  let lastWrite = 0;
  const setProgress = async (progress: number, stage: string, force = false) => {
    const now = Date.now();
    if (!force && now - lastWrite < PROGRESS_WRITE_MS) return;
    lastWrite = now;
    await db.analysisRun.update({ where: { id: payload.runId }, data: { progress: Math.min(0.99, progress), stage } }).catch(() => undefined);
  };

  const cas = new Cas(dataDir());
  // ── parse ──────────────────────────────────────────────────────────────────────
  // Files of a follow-up upload without its own manifest inherit the incident's latest one.
  const manifestOf = (file: (typeof files)[number]) => manifests.get(file.bundleId) ?? latestManifest;
  const captureInputs = (file: (typeof files)[number]) => ({ path: file.path, manifest: manifestOf(file), archiveMtime: file.archiveMtime, override: file.captureOverride });
  const parseOne = async (file: (typeof files)[number], capture: Capture | null, ctxExtra: Partial<ParseContext> = {}): Promise<FileIngestResult> => {
    if (job.signal.aborted) throw new Error("worker stopping");
    const manifest = manifestOf(file);
    const ctx: ParseContext = { ...fileContext(file.path, manifest), ...ctxExtra };
    if (capture) ctx.captureTime = capture.ts;
    const input: IngestFileInput = {
      db: dbConfig,
      incidentId: payload.incidentId,
      fileId: file.id,
      blobPath: cas.blobPath(file.storageKey),
      path: file.path,
      forcedFormat: manifest?.formats?.[file.path],
      ctx,
      capture,
    };
    const before = doneBytes;
    let result: FileIngestResult;
    try {
      result = await thread.run<FileIngestResult>(
        "ingest-file",
        input,
        (bytes) => void setProgress(PARSE_START + ((before + bytes) / totalBytes) * (ANALYZE_START - PARSE_START), `parsing ${file.path}`),
        job.signal,
      );
    } catch (err) {
      if (job.signal.aborted) throw err;
      // A task error (database, disk) is retried with the job; a crashing thread (out of memory,
      // native error) — or the same error on the last attempt — fails this file only.
      if (!(err instanceof ThreadCrashError) && !job.final) throw err;
      result = {
        format: null, confidence: null, scores: [], status: "failed", records: 0, skipped: 0,
        warnings: [], skippedSamples: [], error: `${err instanceof ThreadCrashError ? "parser crashed" : "could not be ingested"}: ${(err as Error).message}`, parseMs: 0,
      };
    }
    await db.evidenceFile.update({
      where: { id: file.id },
      data: {
        format: result.format,
        confidence: result.confidence,
        sniffScores: result.scores,
        status: result.status,
        records: result.records,
        skipped: result.skipped,
        // Excerpts of hostile lines may hold NUL, which PostgreSQL's jsonb/text refuse (22P05).
        warnings: withoutNul(result.warnings),
        skippedSamples: withoutNul(result.skippedSamples),
        error: withoutNul(result.error),
        node: input.ctx.node ?? null,
        parseMs: result.parseMs,
        captureTime: result.capture?.time != null ? new Date(result.capture.time) : null,
        captureBasis: result.capture?.basis ?? null,
        captureNote: result.capture?.note ?? null,
        // Files are parsed once (pending → final), so a summary never needs clearing.
        ...(result.summary ? { summary: result.summary } : {}),
      },
    });
    return result;
  };

  // A snapshot whose name holds only a time of day ("conntrack-0905.txt") with no date in the
  // manifest is dated by the other evidence, so it is parsed after the rest; so is a second parse
  // of a file whose times lacked a date or year when no reference date was known.
  const deferred: (typeof files)[number][] = [];
  const again: (typeof files)[number][] = [];
  for (const file of files) {
    if (file.status !== "pending") continue;
    const { capture, needsDate } = captureFor(captureInputs(file));
    if (needsDate) {
      deferred.push(file);
      continue;
    }
    const result = await parseOne(file, capture);
    if ((result.undated ?? 0) > 0 && result.format && DATE_HUNGRY_FORMATS.has(result.format) && !fileContext(file.path, manifestOf(file)).referenceDate && Number(file.size) <= REPARSE_MAX_BYTES) again.push(file);
    else {
      doneBytes += Number(file.size);
      await setProgress(PARSE_START + (doneBytes / totalBytes) * (ANALYZE_START - PARSE_START), "parsing", true);
    }
  }
  if (deferred.length > 0 || again.length > 0) {
    const range = await evidenceRange(db, payload.incidentId);
    for (const file of deferred) {
      const { capture } = captureFor({ ...captureInputs(file), evidence: range });
      await parseOne(file, capture);
      doneBytes += Number(file.size);
    }
    for (const file of again) {
      // The evidence's first day in the manifest's zone (else UTC): where a time-of-day timeline starts.
      const ref = range ? dateInZone(range.min, pickZone(null, manifestOf(file)?.timezone).zone) : undefined;
      if (ref) await parseOne(file, captureFor(captureInputs(file)).capture, { referenceDate: ref, referenceDateSource: "evidence" });
      doneBytes += Number(file.size);
    }
    await setProgress(PARSE_START + (doneBytes / totalBytes) * (ANALYZE_START - PARSE_START), "parsing", true);
  }
  timings.parseMs = Date.now() - t0;

  // ── correlate + detect ─────────────────────────────────────────────────────────
  const t1 = Date.now();
  await setProgress(ANALYZE_START, "correlating", true);
  const parsed = await db.evidenceFile.findMany({ where: { incidentId: payload.incidentId }, orderBy: { path: "asc" } });
  // Clock-skew overrides: the manifest's (by path) first, then the UI/API's per file, which win.
  const skewOverrides: Record<string, number> = {};
  for (const f of parsed) {
    const fromManifest = (manifests.get(f.bundleId) ?? latestManifest)?.clockSkewMs?.[f.path];
    if (fromManifest !== undefined) skewOverrides[f.id] = fromManifest;
    if (f.clockSkewMs != null) skewOverrides[f.id] = f.clockSkewMs;
  }
  const manifest = latestManifest ?? undefined;
  const problems: { scope: string; message: string }[] = [];
  let analysis: AnalysisStageResult | null = null;
  try {
    const stageInput: AnalysisStageInput = {
      db: dbConfig,
      incidentId: payload.incidentId,
      files: parsed.map((f) => ({ fileId: f.id, path: f.path, format: f.format, node: f.node ?? undefined })),
      manifest: manifest ?? undefined,
      skewOverrides,
      totalRecords: parsed.reduce((s, f) => s + f.records, 0),
    };
    analysis = await thread.run<AnalysisStageResult>(
      "analyze",
      stageInput,
      (fraction) => void setProgress(ANALYZE_START + fraction * (0.99 - ANALYZE_START), "detecting"),
      job.signal,
    );
  } catch (err) {
    if (job.signal.aborted) throw err;
    if (!(err instanceof ThreadCrashError) && !job.final) throw err;
    problems.push({ scope: "analysis", message: `correlation/detectors failed: ${(err as Error).message}` });
  }
  timings.analyzeMs = Date.now() - t1;

  for (const f of parsed) {
    if (f.status === "failed") problems.push({ scope: `file:${f.path}`, message: f.error ?? "could not be parsed" });
  }
  for (const p of analysis?.problems ?? []) problems.push({ scope: `detector:${p.detector}`, message: p.message });

  const hypotheses = analysis?.hypotheses ?? [];
  await db.$transaction([
    db.hypothesisRow.deleteMany({ where: { runId: payload.runId } }),
    db.hypothesisRow.createMany({
      data: hypotheses.map((h, i) => ({
        runId: payload.runId,
        incidentId: payload.incidentId,
        rank: i + 1,
        detector: h.detector,
        title: h.title,
        confidence: h.confidence,
        data: h as object,
      })),
    }),
  ]);

  const status = problems.length > 0 ? "partial" : "completed";
  const top = hypotheses[0];
  const window = (analysis?.correlation as { window?: { onset?: string | null; recovery?: string | null } } | undefined)?.window;
  const incident = await db.incident.findUniqueOrThrow({ where: { id: payload.incidentId } });
  await db.incident.update({
    where: { id: payload.incidentId },
    data: {
      status: status === "completed" ? "analysed" : "partial",
      topHypothesis: top?.title ?? null,
      topConfidence: top?.confidence ?? null,
      windowStart: incident.windowStart ?? (window?.onset ? new Date(window.onset) : null),
      windowEnd: incident.windowEnd ?? (window?.recovery ? new Date(window.recovery) : null),
    },
  });
  // The views' first visit reads precomputed aggregates instead of scanning every record. They are
  // computed before the run is marked finished — with its correlation stored — so the first request
  // after it finds them (a page rendered then would otherwise compute them on the web's main thread),
  // and in the pipeline thread: on SQLite every query runs synchronously, and these scans (and the
  // blocks of summarised files the first timeline page reads back) would stall the web.
  await db.analysisRun.update({
    where: { id: payload.runId },
    data: { stage: "preparing views", progress: 0.99, correlation: (analysis?.correlation ?? undefined) as object | undefined },
  });
  const tw = Date.now();
  const warm = deps.warmViews === false ? { ms: 0, failed: [] as string[] } : await thread.run<{ ms: number; failed: string[] }>("warm-views", { db: dbConfig, incidentId: payload.incidentId, runId: payload.runId }).catch((err: unknown) => ({
    ms: 0,
    failed: [`thread: ${err instanceof Error ? err.message : String(err)}`],
  }));
  timings.warmMs = Date.now() - tw;
  timings.totalMs = Date.now() - t0;
  await db.analysisRun.update({
    where: { id: payload.runId },
    data: { status, stage: "done", progress: 1, problems, timings, finishedAt: new Date(), error: null },
  });
  if (warm.failed.length) log.warn({ incidentId: payload.incidentId, runId: payload.runId, failed: warm.failed }, "analysis: view cache incomplete");
}

/** Files whose times lacked a date are parsed a second time only up to this size (timelines, snapshots, short logs). */
const REPARSE_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Time range of the incident's evidence that happens during it: requests and spans, else anything
 * dated except Kubernetes objects (their creation times can be months before the incident).
 */
async function evidenceRange(db: Db, incidentId: string): Promise<EvidenceRange | null> {
  for (const kinds of [["request", "span"], ["event", "counter", "series", "ruleset", "ipvs"]]) {
    const a = await db.evidence.aggregate({ where: { incidentId, kind: { in: kinds }, ts: { not: null } }, _min: { ts: true }, _max: { ts: true } });
    if (a._min.ts != null && a._max.ts != null) return { min: a._min.ts, max: a._max.ts };
  }
  return null;
}

/** Deep copy with every NUL character in strings replaced by U+FFFD (stored text must not hold NUL). */
function withoutNul<T>(v: T): T {
  if (typeof v === "string") return (v.includes("\u0000") ? v.replace(/\u0000/g, "\uFFFD") : v) as T;
  if (Array.isArray(v)) return v.map(withoutNul) as T;
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withoutNul(x)])) as T;
  return v;
}
