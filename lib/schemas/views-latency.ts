import { z } from "zod";
import { EpochMs } from "./time";

export const LatencyQuery = z.object({
  service: z.string().max(300).optional(),
});
export type LatencyQuery = z.infer<typeof LatencyQuery>;

export const Percentiles = z.object({
  count: z.number().int(),
  p50: z.number().nullable(),
  p90: z.number().nullable(),
  p99: z.number().nullable(),
  p999: z.number().nullable(),
});
export type Percentiles = z.infer<typeof Percentiles>;

export const Phase = z.enum(["before", "during", "after"]);
export type Phase = z.infer<typeof Phase>;

/** A latency distribution in log-scale buckets, one count per phase. */
export const LatencyHistogramDto = z.object({
  service: z.string(),
  /** "client -> server", the service itself for single-sided sources, or "all" for the service total */
  hop: z.string(),
  metric: z.enum(["duration", "connect"]),
  phases: z.object({ before: Percentiles.nullable(), during: Percentiles.nullable(), after: Percentiles.nullable() }),
  /** [loMs, hiMs) */
  buckets: z.array(z.object({ loMs: z.number(), hiMs: z.number(), before: z.number().int(), during: z.number().int(), after: z.number().int() })),
});
export type LatencyHistogramDto = z.infer<typeof LatencyHistogramDto>;

export const BubbleValue = z.object({
  value: z.string(),
  slow: z.number().int(),
  fast: z.number().int(),
  slowShare: z.number(),
  fastShare: z.number(),
  diff: z.number(),
});
export const BubbleAttribute = z.object({ attribute: z.string(), maxDiff: z.number(), values: z.array(BubbleValue) });
export type BubbleAttribute = z.infer<typeof BubbleAttribute>;

export const LatencyDto = z.object({
  window: z.object({ onset: EpochMs.nullable(), recovery: EpochMs.nullable() }),
  services: z.array(z.object({ service: z.string(), count: z.number().int() })),
  service: z.string().nullable(),
  histograms: z.array(LatencyHistogramDto),
  comparison: z.object({
    /** Requests compared (bounded sample). */
    sampled: z.number().int(),
    /** More requests existed than were sampled. */
    truncated: z.boolean(),
    thresholdMs: z.number().nullable(),
    slow: z.number().int(),
    fast: z.number().int(),
    scope: z.string(),
    attributes: z.array(BubbleAttribute),
  }),
});
export type LatencyDto = z.infer<typeof LatencyDto>;
