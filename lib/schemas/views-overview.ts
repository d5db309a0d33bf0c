import { z } from "zod";
import { Origin } from "./hypothesis";

/** One service's share of the impact inside the incident window (RequestBucket + LatencyHistogram). */
export const AffectedServiceDto = z.object({
  service: z.string(),
  requests: z.number().int(),
  failed: z.number().int(),
  errorRate: z.number().nullable(),
  p99BeforeMs: z.number().nullable(),
  p99DuringMs: z.number().nullable(),
});
export type AffectedServiceDto = z.infer<typeof AffectedServiceDto>;

/** GET /api/incidents/:id/overview */
export const OverviewDto = z.object({
  /** False before the first analysis stored a correlation summary. */
  analysed: z.boolean(),
  window: z.object({
    onset: z.string().nullable(),
    peak: z.string().nullable(),
    recovery: z.string().nullable(),
    durationMs: z.number().nullable(),
    basis: z.string(),
    alert: z.string().nullable(),
    alertLagMs: z.number().nullable(),
  }),
  timeRange: z.object({ start: z.string().nullable(), end: z.string().nullable() }),
  impact: z.object({
    baselineErrorRate: z.number().nullable(),
    peakErrorRate: z.number().nullable(),
    /** Requests whose start fell inside [onset, recovery] (or the whole range without a window). */
    requests: z.number().int(),
    failed: z.number().int(),
    p99BeforeMs: z.number().nullable(),
    p99DuringMs: z.number().nullable(),
    affectedServices: z.array(AffectedServiceDto),
    /** "window" = [onset, recovery); "whole-bundle" = no onset detected. */
    scope: z.enum(["window", "whole-bundle"]).default("window"),
    /** Records merged because another source had already logged the same request (request id). */
    duplicatesMerged: z.number().int().default(0),
    /** False when the figures rest on sampled requests (totals exact, per-service estimated). */
    exact: z.boolean().default(true),
  }),
  recordCounts: z.record(z.string(), z.number()),
  requestsSampled: z.boolean(),
  /**
   * Where the fault started (see Origin), from the latest run's hypotheses; null when none names a
   * service. Defaults to null for overview values stored before the field existed.
   */
  origin: Origin.nullable().default(null),
});
export type OverviewDto = z.infer<typeof OverviewDto>;
