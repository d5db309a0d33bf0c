import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import {
  AnalysisRunDto,
  CaptureBasis,
  EvidenceFileDto,
  FileSummaryDto,
  FileWarning,
  IncidentDetailDto,
  IncidentStatus,
  RunProblem,
  SkippedSample,
  type IncidentListDto,
  type IncidentListQuery,
  type IncidentSummaryDto,
} from "@/lib/schemas/api";
import { Assessment, DetectorCoverage, Hypothesis } from "@/lib/schemas/hypothesis";
import type { BundleManifest } from "@/lib/schemas/manifest";
import { QUEUE_ANALYZE } from "@/lib/schemas/jobs";
import { limitsFromEnv, type BundleLimits } from "@/lib/schemas/limits";
import { z } from "zod";
import { dataDir } from "@/lib/server/config";
import { getPrisma, rawSql, type Db } from "@/lib/server/db/client";
import { containsSql } from "@/lib/server/db/like";
import { unpackUploads } from "@/lib/server/bundle/unpack";
import { BundleError } from "@/lib/server/bundle/errors";
import { Cas } from "@/lib/server/storage/cas";
import { getQueue } from "@/lib/server/jobs";
import type { JobQueue } from "@/lib/server/jobs/types";
import { requireIncident } from "@/lib/server/auth/require-incident";

export interface UploadedPart {
  /** Client-supplied name, may include folders (`logs/ztunnel.log`) */
  name: string;
  tempPath: string;
  size: number;
}

export interface CreateIncidentInput {
  title?: string;
  uploads: UploadedPart[];
  isSample?: boolean;
}

export interface ServiceDeps {
  db: Db;
  queue: () => Promise<JobQueue>;
  dataDir: string;
  limits: BundleLimits;
}

function defaultDeps(): ServiceDeps {
  return { db: getPrisma(), queue: () => getQueue(), dataDir: dataDir(), limits: limitsFromEnv(process.env) };
}

/**
 * Unpacks an upload into storage (enforcing every bundle limit), records the incident, its bundle
 * and files, and queues the analysis. Throws BundleError (413/422) for unacceptable bundles, in
 * which case nothing is recorded and unpacking has removed what it wrote.
 */
export async function createIncident(input: CreateIncidentInput, deps: ServiceDeps = defaultDeps()): Promise<{ id: string; runId: string }> {
  return ingestUpload(null, input, deps);
}

/**
 * Adds another upload to an existing incident (new evidence) and re-runs the analysis: only the
 * new files are parsed, correlation and detectors run over everything. Same limits and errors as
 * createIncident.
 */
export async function addBundle(incidentId: string, input: Omit<CreateIncidentInput, "isSample">, deps: ServiceDeps = defaultDeps()): Promise<{ id: string; runId: string }> {
  await requireIncident(incidentId, deps.db);
  return ingestUpload(incidentId, input, deps);
}

async function ingestUpload(existingId: string | null, input: CreateIncidentInput, deps: ServiceDeps): Promise<{ id: string; runId: string }> {
  const { db } = deps;
  // An upload with no file at all is not a bundle: nothing would be analysed, and an incident
  // reported "analysed" over nothing reads as "healthy".
  if (input.uploads.length === 0) throw new BundleError("empty_bundle", "the upload contains no file: add the bundle's files or an archive");
  const unpacked = await unpackUploads(
    input.uploads.map((u) => ({ name: u.name, tempPath: u.tempPath })),
    { limits: deps.limits, dataDir: deps.dataDir },
  );
  const manifest = unpacked.manifest ? rebaseManifest(unpacked.manifest, unpacked.manifestPath) : null;
  const title = (input.title?.trim() || manifest?.title || defaultTitle(input.uploads)).slice(0, 300);
  const uploadSize = input.uploads.reduce((s, u) => s + u.size, 0);
  const totalBytes = unpacked.entries.reduce((s, e) => s + e.size, 0);
  // A bundle's identity: the hash of its sorted entry list (path + content hash), so the same
  // files uploaded as a zip or loose give the same sha256.
  const bundleSha = createHash("sha256")
    .update(unpacked.entries.map((e) => `${e.path}\u0000${e.sha256}\n`).sort().join(""))
    .digest("hex");

  const created = await record().catch(async (err: unknown) => {
    // Nothing may be left behind when the bundle cannot be recorded.
    const cas = new Cas(deps.dataDir);
    await Promise.all(unpacked.createdKeys.map((k) => fs.rm(cas.blobPath(k), { force: true })));
    throw err;
  });
  const queue = await deps.queue();
  await queue.enqueue(QUEUE_ANALYZE, { incidentId: created.id, runId: created.runId }, { singletonKey: `analyze:${created.runId}` });
  return created;

  function record() {
    return db.$transaction(async (tx) => {
      const incident = existingId
        ? await tx.incident.update({
            where: { id: existingId },
            data: { status: "processing", fileCount: { increment: unpacked.entries.length }, totalBytes: { increment: BigInt(totalBytes) } },
          })
        : await tx.incident.create({
            data: {
              title,
              summary: manifest?.summary ?? "",
              timezone: manifest?.timezone ?? "UTC",
              windowStart: manifest?.window?.start ? new Date(manifest.window.start) : null,
              windowEnd: manifest?.window?.end ? new Date(manifest.window.end) : null,
              status: "new",
              isSample: input.isSample ?? false,
              fileCount: unpacked.entries.length,
              totalBytes: BigInt(totalBytes),
            },
          });
      const bundle = await tx.bundle.create({
        data: {
          incidentId: incident.id,
          name: bundleName(input.uploads),
          size: BigInt(uploadSize),
          sha256: bundleSha,
          limits: deps.limits as object,
          manifest: manifest ? (manifest as object) : undefined,
          status: "unpacked",
          error: unpacked.warnings.length > 0 ? unpacked.warnings.join("; ").slice(0, 2000) : null,
        },
      });
      await tx.evidenceFile.createMany({
        data: unpacked.entries.map((e) => ({
          incidentId: incident.id,
          bundleId: bundle.id,
          path: e.path,
          size: BigInt(e.size),
          sha256: e.sha256,
          storageKey: e.key,
          archiveMtime: e.mtime !== undefined ? new Date(e.mtime) : null,
        })),
      });
      const run = await tx.analysisRun.create({ data: { incidentId: incident.id } });
      return { id: incident.id, runId: run.id };
    });
  }
}

/**
 * Paths in a manifest are relative to the manifest's own folder; stored files carry the full
 * bundle path (a dropped folder keeps its name: `incident-42/nodes/a/…`). Rebasing once here lets
 * every later stage compare bundle paths with bundle paths.
 */
export function rebaseManifest(manifest: BundleManifest, manifestPath: string | null): BundleManifest {
  const base = manifestPath && manifestPath.includes("/") ? manifestPath.slice(0, manifestPath.lastIndexOf("/") + 1) : "";
  if (!base) return manifest;
  const p = (rel: string) => `${base}${rel.replace(/^\.\//, "")}`;
  const keys = <T>(rec: Record<string, T> | undefined) => (rec ? Object.fromEntries(Object.entries(rec).map(([k, v]) => [p(k), v])) : undefined);
  return {
    ...manifest,
    ...(manifest.nodes ? { nodes: keys(manifest.nodes) } : {}),
    ...(manifest.clockSkewMs ? { clockSkewMs: keys(manifest.clockSkewMs) } : {}),
    ...(manifest.formats ? { formats: keys(manifest.formats) } : {}),
    ...(manifest.captureTimes ? { captureTimes: keys(manifest.captureTimes) } : {}),
    ...(manifest.iptables
      ? { iptables: { ...(manifest.iptables.before ? { before: manifest.iptables.before.map(p) } : {}), ...(manifest.iptables.after ? { after: manifest.iptables.after.map(p) } : {}) } }
      : {}),
  };
}

function defaultTitle(uploads: UploadedPart[]): string {
  const first = uploads[0]?.name ?? "incident";
  const top = first.split("/")[0] ?? first;
  const base = path.basename(top).replace(/\.(zip|tar|tgz|tar\.gz|gz)$/i, "");
  return uploads.length > 1 && !first.includes("/") ? `${base} and ${uploads.length - 1} more` : base;
}

function bundleName(uploads: UploadedPart[]): string {
  if (uploads.length === 1) return uploads[0]!.name;
  const roots = new Set(uploads.map((u) => u.name.split("/")[0]));
  return roots.size === 1 ? `${[...roots][0]}/ (${uploads.length} files)` : `${uploads.length} files`;
}

export async function listIncidents(query: IncidentListQuery, db: Db = getPrisma()): Promise<IncidentListDto> {
  // Title filter through the escaping LIKE (a "%" matches a percent sign); incidents are few, so by id.
  const titled = query.q ? await db.$queryRaw<{ id: string }[]>(rawSql.sql`SELECT id FROM "Incident" WHERE ${containsSql("title", query.q)}`) : null;
  const where = {
    ...(titled ? { id: { in: titled.map((r) => r.id) } } : {}),
    ...(query.status ? { status: query.status } : {}),
  };
  const orderBy = [{ [query.sort]: query.dir } as Record<string, "asc" | "desc">, { id: "asc" as const }];
  const [rows, total] = await Promise.all([
    db.incident.findMany({ where, orderBy, skip: (query.page - 1) * query.pageSize, take: query.pageSize }),
    db.incident.count({ where }),
  ]);
  return { items: rows.map(toSummary), total, page: query.page, pageSize: query.pageSize };
}

type IncidentRow = Awaited<ReturnType<Db["incident"]["findMany"]>>[number];

function toSummary(r: IncidentRow): IncidentSummaryDto {
  return {
    id: r.id,
    title: r.title,
    status: IncidentStatus.catch("new").parse(r.status),
    createdAt: r.createdAt.toISOString(),
    fileCount: r.fileCount,
    totalBytes: Number(r.totalBytes),
    topHypothesis: r.topHypothesis,
    topConfidence: r.topConfidence,
    isSample: r.isSample,
  };
}

export async function getIncident(id: string, db: Db = getPrisma()): Promise<IncidentDetailDto | null> {
  const incident = await db.incident.findUnique({
    where: { id },
    include: {
      bundles: { orderBy: { createdAt: "asc" } },
      files: { orderBy: { path: "asc" } },
      runs: { orderBy: { createdAt: "desc" }, take: 1 },
    },
  });
  if (!incident) return null;
  const run = incident.runs[0] ?? null;
  const hypothesisRows = run ? await db.hypothesisRow.findMany({ where: { runId: run.id }, orderBy: { rank: "asc" } }) : [];
  return IncidentDetailDto.parse({
    ...toSummary(incident),
    summary: incident.summary,
    windowStart: incident.windowStart?.toISOString() ?? null,
    windowEnd: incident.windowEnd?.toISOString() ?? null,
    timezone: incident.timezone,
    run: run
      ? AnalysisRunDto.parse({
          id: run.id,
          status: run.status,
          stage: run.stage,
          progress: run.progress,
          timings: jsonOr(z.record(z.string(), z.number()), run.timings, {}),
          error: run.error,
          problems: jsonOr(z.array(RunProblem), run.problems, []),
          attempts: run.attempts,
          ...verdictOf(run.correlation),
          startedAt: run.startedAt?.toISOString() ?? null,
          finishedAt: run.finishedAt?.toISOString() ?? null,
          createdAt: run.createdAt.toISOString(),
        })
      : null,
    bundles: incident.bundles.map((b) => ({
      id: b.id,
      name: b.name,
      size: Number(b.size),
      sha256: b.sha256,
      status: b.status,
      error: b.error,
      createdAt: b.createdAt.toISOString(),
    })),
    files: incident.files.map((f) =>
      EvidenceFileDto.parse({
        id: f.id,
        path: f.path,
        size: Number(f.size),
        sha256: f.sha256,
        format: f.format,
        confidence: f.confidence,
        status: f.status,
        records: f.records,
        skipped: f.skipped,
        warnings: jsonOr(z.array(FileWarning), f.warnings, []),
        skippedSamples: jsonOr(z.array(SkippedSample), f.skippedSamples, []),
        error: f.error,
        node: f.node,
        clockSkewMs: f.clockSkewMs,
        capture: captureOf(f),
        summary: jsonOr(FileSummaryDto.nullable(), f.summary, null),
      }),
    ),
    hypotheses: hypothesisRows.flatMap((h) => {
      const parsed = Hypothesis.safeParse(h.data);
      return parsed.success ? [parsed.data] : [];
    }),
  });
}

/** A snapshot file's capture time and basis (null for other files, or before it was parsed). */
function captureOf(f: { captureTime: Date | null; captureBasis: string | null; captureNote: string | null; captureOverride: Date | null }): EvidenceFileDto["capture"] {
  const basis = CaptureBasis.safeParse(f.captureBasis);
  if (!basis.success) return null;
  return { time: f.captureTime?.toISOString() ?? null, basis: basis.data, note: f.captureNote, override: f.captureOverride?.toISOString() ?? null };
}

/** JSON columns are validated on the way out; a malformed value degrades to a default, never a 500. */
function jsonOr<T>(schema: z.ZodType<T>, value: unknown, fallback: T): T {
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : fallback;
}

/** The run's assessment and detector coverage, read from its stored correlation (absent in older runs). */
function verdictOf(correlation: unknown): { assessment: Assessment | null; coverage: DetectorCoverage[] } {
  const c = RunVerdict.safeParse(correlation);
  return c.success ? { assessment: c.data.assessment ?? null, coverage: c.data.coverage } : { assessment: null, coverage: [] };
}
const RunVerdict = z.object({ assessment: Assessment.optional(), coverage: z.array(DetectorCoverage).default([]) });
