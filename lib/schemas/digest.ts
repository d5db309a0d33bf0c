import { z } from "zod";
import { BundleManifest } from "./manifest";
import { EpochMs } from "./time";

/** The parse context a summarised file was ingested with: its blocks are re-parsed with the same one. */
export const StoredParseContext = z.object({
  path: z.string(),
  manifest: BundleManifest.optional(),
  node: z.string().optional(),
  timezone: z.string().optional(),
  referenceDate: z.string().optional(),
  referenceDateSource: z.enum(["manifest", "evidence"]).optional(),
  captureTime: z.number().optional(),
  role: z.enum(["before", "after"]).optional(),
});

/**
 * What the analysis needs of a summarised file beyond its stored rows (FileDigest.data): the file's
 * exact per-second request aggregates — the same ones correlate/store.ts builds from every request
 * of an unsummarised file — and how its rows were chosen. Written once at ingest.
 */
export const FileDigestData = z.object({
  version: z.literal(1),
  context: StoredParseContext,
  /** Requests/spans whose join-key hash is below this are stored as the uniform sample. */
  sampleRate: z.number().min(0).max(1),
  records: z.number().int().nonnegative(),
  /** Every request / span of the file (rows or not). */
  requests: z.number().int().nonnegative(),
  spans: z.number().int().nonnegative(),
  rows: z.object({ notable: z.number().int().nonnegative(), sampled: z.number().int().nonnegative(), other: z.number().int().nonnegative() }),
  /** Earliest and latest record time of the file's requests/spans (raw, UTC epoch ms). */
  tsMin: EpochMs.nullable(),
  tsMax: EpochMs.nullable(),
  /** Notable records past the row cap: aggregated and in blocks, not rows. */
  notableOverCap: z.number().int().nonnegative(),
  /** [epoch second, requests, failed, [[latency bucket, count], …]] (SparseHistogram buckets, HTTP durations). */
  seconds: z.array(z.tuple([z.number().int(), z.number().int(), z.number().int(), z.array(z.tuple([z.number().int(), z.number().int()]))])),
  /** Seconds past the cap (their requests are in `requests` but not in `seconds`). */
  secondsDropped: z.number().int().nonnegative(),
});
export type FileDigestData = z.infer<typeof FileDigestData>;
