import { z } from "zod";
import { Assessment, DetectorCoverage } from "@/lib/schemas/hypothesis";
import { DurationMs } from "@/lib/schemas/time";

/**
 * JSON-serialisable summary of the correlation stage, stored with the analysis run and shown in the UI.
 * Instants are ISO 8601 UTC strings; spans of time are ms (`DurationMs`: the brand is type-only, the JSON
 * is a plain number).
 */
export const SkewEstimate = z.object({
  fileId: z.string(),
  path: z.string(),
  /** How far this file's clock runs ahead of the reference clock (ms); corrections subtract it. */
  skewMs: DurationMs,
  /** Correction actually applied to the file's timestamps (0 when the estimate is within noise). */
  appliedMs: DurationMs,
  basis: z.enum(["request-id", "trace-id", "connection", "override", "reference", "none"]),
  /** Number of shared requests/connections the estimate rests on. */
  samples: z.number().int().nonnegative(),
  /** File the estimate is relative to. */
  relativeTo: z.string().nullable(),
  note: z.string().optional(),
});
export type SkewEstimate = z.infer<typeof SkewEstimate>;

export const IncidentWindow = z.object({
  onset: z.string().nullable(),
  peak: z.string().nullable(),
  recovery: z.string().nullable(),
  /** What the window was derived from ("timeline" only in runs stored before onsets stopped coming from the human timeline). */
  basis: z.enum(["error-rate", "latency", "error-rate+latency", "timeline", "none"]),
  baselineErrorRate: z.number().nullable(),
  peakErrorRate: z.number().nullable(),
  baselineP99Ms: z.number().nullable(),
  peakP99Ms: z.number().nullable(),
  /** Human timeline cross-check. */
  timeline: z.object({
    alert: z.string().nullable(),
    mitigation: z.string().nullable(),
    resolution: z.string().nullable(),
    /** alert − detected onset (ms); positive = humans noticed later. */
    alertLagMs: DurationMs.nullable(),
    agrees: z.boolean().nullable(),
  }),
});
export type IncidentWindow = z.infer<typeof IncidentWindow>;

export const CohortStats = z.object({
  key: z.string(),
  requests: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  p50Ms: z.number().nullable(),
  p99Ms: z.number().nullable(),
});
export type CohortStats = z.infer<typeof CohortStats>;

/**
 * The incident's impact (lib/server/correlate/impact.ts): computed once per analysis, read by the
 * Overview, the draft, Compare and search. Failed = isFailedRequest (correlate/requests.ts).
 */
export const ImpactService = z.object({
  service: z.string(),
  requests: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  errorRate: z.number().nullable(),
  p99BeforeMs: z.number().nullable(),
  p99DuringMs: z.number().nullable(),
});
export const Impact = z.object({
  /** "window": requests in [onset, recovery); "whole-bundle": no onset was detected. */
  scope: z.enum(["window", "whole-bundle"]),
  requests: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  errorRate: z.number().nullable(),
  /** Error rate of the 10 s buckets: baseline (25th percentile) and the peak bucket. */
  baselineErrorRate: z.number().nullable(),
  peakErrorRate: z.number().nullable(),
  p99BeforeMs: z.number().nullable(),
  p99DuringMs: z.number().nullable(),
  /** Records that were another source's view of a request already counted (same request id). */
  duplicatesMerged: z.number().int().nonnegative(),
  /** False when requests were sampled: totals from per-second aggregates, per-service counts estimated. */
  exact: z.boolean(),
  affectedServices: z.array(ImpactService),
});
export type Impact = z.infer<typeof Impact>;

export const CorrelationSummary = z.object({
  timeRange: z.object({ start: z.string().nullable(), end: z.string().nullable() }),
  recordCounts: z.record(z.string(), z.number().int().nonnegative()),
  /** True when request volume exceeded the retention cap and detectors saw a sample (see analyze.ts bounds). */
  requestsSampled: z.boolean(),
  window: IncidentWindow,
  skew: z.array(SkewEstimate),
  identity: z.object({ entries: z.number().int().nonnegative(), ips: z.number().int().nonnegative(), reusedIps: z.array(z.string()) }),
  cohorts: z.object({
    phase: z.array(CohortStats),
    node: z.array(CohortStats),
    namespace: z.array(CohortStats),
    version: z.array(CohortStats),
  }),
  /** Absent in runs stored before impact was computed with the correlation. */
  impact: Impact.optional(),
  /** The bundle as a whole (filled in by the analysis; absent in older runs). */
  assessment: Assessment.optional(),
  /** Per detector: fired, checked and clean, or not checked (and why) — filled in by the analysis. */
  coverage: z.array(DetectorCoverage).default([]),
});
export type CorrelationSummary = z.infer<typeof CorrelationSummary>;
