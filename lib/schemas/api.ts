import { z } from "zod";
import { Assessment, DetectorCoverage, Hypothesis } from "./hypothesis";

/** Statuses (one source of truth for DB strings, API and UI). */
export const IncidentStatus = z.enum(["new", "processing", "analysed", "partial", "failed"]);
export type IncidentStatus = z.infer<typeof IncidentStatus>;
export const FileStatus = z.enum(["pending", "parsed", "partial", "failed", "unrecognized"]);
export type FileStatus = z.infer<typeof FileStatus>;
export const RunStatus = z.enum(["queued", "running", "completed", "partial", "failed"]);
export type RunStatus = z.infer<typeof RunStatus>;

export const FileWarning = z.object({ message: z.string(), line: z.number().int().optional() });
export const SkippedSample = z.object({ line: z.number().int().optional(), pointer: z.string().optional(), reason: z.string(), excerpt: z.string().optional() });

/**
 * A summarised file (docs/DATABASE.md "Summarised files"): its healthy requests/spans are counted and
 * aggregated but only `rows` records are stored as rows at ingest — the notable ones, a uniform
 * sample and other kinds; the rest are re-parsed from `blocks` of the stored file when viewed.
 */
export const FileSummaryDto = z.object({
  rows: z.number().int(),
  notable: z.number().int(),
  sampled: z.number().int(),
  blocks: z.number().int(),
  chunks: z.number().int().optional(),
});
export type FileSummaryDto = z.infer<typeof FileSummaryDto>;

/** Where a snapshot file's capture time came from (lib/server/pipeline/capture-time.ts). */
export const CAPTURE_BASES = ["header", "manifest", "file name", "archive mtime", "user", "assumed (name order)"] as const;
export const CaptureBasis = z.enum(CAPTURE_BASES);
export type CaptureBasis = z.infer<typeof CaptureBasis>;

export const EvidenceFileDto = z.object({
  id: z.string(),
  path: z.string(),
  size: z.number(),
  sha256: z.string(),
  format: z.string().nullable(),
  confidence: z.number().nullable(),
  status: FileStatus,
  records: z.number().int(),
  skipped: z.number().int(),
  warnings: z.array(FileWarning),
  skippedSamples: z.array(SkippedSample),
  error: z.string().nullable(),
  node: z.string().nullable(),
  clockSkewMs: z.number().nullable(),
  /** Snapshot files only (null for logs and other timed evidence): when it was captured and how that is known. */
  capture: z
    .object({ time: z.string().nullable(), basis: CaptureBasis, note: z.string().nullable(), override: z.string().nullable() })
    .nullable()
    .default(null),
  summary: FileSummaryDto.nullable(),
});
export type EvidenceFileDto = z.infer<typeof EvidenceFileDto>;

export const RunProblem = z.object({ scope: z.string(), message: z.string() });
export const AnalysisRunDto = z.object({
  id: z.string(),
  status: RunStatus,
  stage: z.string(),
  progress: z.number().min(0).max(1),
  timings: z.record(z.string(), z.number()),
  error: z.string().nullable(),
  problems: z.array(RunProblem),
  attempts: z.number().int(),
  /** The analysis' verdict on the bundle as a whole (null before the run finished, or for older runs). */
  assessment: Assessment.nullable().default(null),
  /** Per detector: fired, checked and clean, or not checked and why. */
  coverage: z.array(DetectorCoverage).default([]),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  createdAt: z.string(),
});
export type AnalysisRunDto = z.infer<typeof AnalysisRunDto>;

export const IncidentSummaryDto = z.object({
  id: z.string(),
  title: z.string(),
  status: IncidentStatus,
  createdAt: z.string(),
  fileCount: z.number().int(),
  totalBytes: z.number(),
  topHypothesis: z.string().nullable(),
  topConfidence: z.number().nullable(),
  isSample: z.boolean(),
});
export type IncidentSummaryDto = z.infer<typeof IncidentSummaryDto>;

export const BundleDto = z.object({
  id: z.string(),
  name: z.string(),
  size: z.number(),
  sha256: z.string(),
  status: z.string(),
  error: z.string().nullable(),
  createdAt: z.string(),
});

export const IncidentDetailDto = IncidentSummaryDto.extend({
  summary: z.string(),
  windowStart: z.string().nullable(),
  windowEnd: z.string().nullable(),
  timezone: z.string(),
  run: AnalysisRunDto.nullable(),
  bundles: z.array(BundleDto),
  files: z.array(EvidenceFileDto),
  hypotheses: z.array(Hypothesis),
});
export type IncidentDetailDto = z.infer<typeof IncidentDetailDto>;

export const SortDir = z.enum(["asc", "desc"]);
export const IncidentListQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(25),
  sort: z.enum(["title", "createdAt", "status", "fileCount", "totalBytes", "topConfidence"]).default("createdAt"),
  dir: SortDir.default("desc"),
  q: z.string().max(200).optional(),
  status: IncidentStatus.optional(),
});
export type IncidentListQuery = z.infer<typeof IncidentListQuery>;

export const IncidentListDto = z.object({
  items: z.array(IncidentSummaryDto),
  total: z.number().int(),
  page: z.number().int(),
  pageSize: z.number().int(),
});
export type IncidentListDto = z.infer<typeof IncidentListDto>;

export const CreateIncidentResponse = z.object({ id: z.string(), runId: z.string().optional() });

/** Uniform error body from every route (lib/server/http/errors.ts). */
export const ApiError = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    /** zod issues: [{path, message}] */
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});
export type ApiError = z.infer<typeof ApiError>;

/** CLI `--json` output. */
export const CliReport = z.object({
  status: RunStatus,
  assessment: Assessment.nullable().default(null),
  files: z.array(z.object({ path: z.string(), format: z.string().nullable(), status: FileStatus, records: z.number().int(), skipped: z.number().int(), warnings: z.array(FileWarning) })),
  hypotheses: z.array(
    z.object({
      detector: z.string(),
      title: z.string(),
      confidence: z.number(),
      summary: z.string(),
      evidence: z.array(z.object({ file: z.string(), line: z.number().nullable(), ts: z.string().nullable(), excerpt: z.string() })),
    }),
  ),
});
export type CliReport = z.infer<typeof CliReport>;

/** PATCH /api/incidents/:id/files/:fileId — per-file clock-skew override (ms; null clears it). */
/**
 * PATCH /api/incidents/:id/files/:fileId — per-file overrides: clock skew (ms) and, for snapshot
 * files, the capture time (ISO 8601 with a zone). null clears an override, an absent key keeps it.
 */
export const FilePatch = z
  .object({
    clockSkewMs: z.number().finite().min(-86_400_000).max(86_400_000).nullable().optional(),
    captureTime: z.iso.datetime({ offset: true }).nullable().optional(),
  })
  .strict()
  .refine((p) => p.clockSkewMs !== undefined || p.captureTime !== undefined, { message: "nothing to change: give clockSkewMs and/or captureTime" });
export type FilePatch = z.infer<typeof FilePatch>;
