import type { EvidenceRecord, RequestRecord, SpanFacts } from "@/lib/schemas/records";
import { isNotableRequest, BOUNDS } from "@/lib/server/correlate/store";
import { isSampled } from "@/lib/server/correlate/sampling";

/**
 * Which records of a *summarised* file become Evidence rows at ingest (docs/DATABASE.md,
 * "Summarised files"). A big access log or trace file holds millions of healthy requests/spans
 * that every view already sees through aggregates; storing each as an indexed row capped ingest
 * near 50k records/s. So, for the bulk kinds (request, span) of a file of at least
 * SUMMARISE_MIN_BYTES whose parser can be cut into blocks:
 *
 *   every record ──► aggregates (RequestBucket, LatencyHistogram, RecordSecond, FileDigest)
 *        │
 *        ├─ notable (error, response flag, retry, slow, 4xx, failed span) ──► row   (≤ NOTABLE_ROW_CAP)
 *        ├─ sampled: hash(join key) < sampleRate                        ──► row   (≈ SAMPLE_TARGET)
 *        └─ the rest: counted in its EvidenceBlock, re-parsed from the blob when a query needs it
 *
 * Other kinds (events, …) are always rows. Sampling hashes the record's join key (request id,
 * trace id, connection 4-tuple), not its position, so two files sample the *same* requests and
 * clock-skew estimation still finds pairs; and it is deterministic, so a retried ingest stores the
 * same rows and the analysis can tell sampled rows (a uniform sample) from notable ones.
 */

/** Files at least this big are summarised (when their parser supports blocks). */
export const SUMMARISE_MIN_BYTES = 64 * 1024 * 1024;
/** Lines per block (a block is cut at the first safe line after this many). */
export const BLOCK_LINES = 2048;
/** Rows wanted from the uniform sample of a summarised file. */
export const SAMPLE_TARGET = 50_000;
/** Notable records stored as rows per file; beyond, they stay in blocks (still aggregated). */
export const NOTABLE_ROW_CAP = 250_000;

/**
 * The share of NOTABLE_ROW_CAP of a chunk or span batch of `bytes` in a file of `fileBytes`: shared
 * out by size, so what one part stores never depends on the others (or on which thread ran it).
 */
export function notableCapFor(bytes: number, fileBytes: number): number {
  return Math.ceil((NOTABLE_ROW_CAP * bytes) / Math.max(1, fileBytes));
}

export type BulkKind = "request" | "span";
export function isBulkKind(kind: string): kind is BulkKind {
  return kind === "request" || kind === "span";
}

/** Bytes per chunk a thread parses at once (summarised-chunks.ts). */
export const CHUNK_BYTES = 32 * 1024 * 1024;

/**
 * Summarising settings: HINDSIGHT_SUMMARISE_MIN_BYTES (threshold), HINDSIGHT_SAMPLE_TARGET (rows of
 * the uniform sample), HINDSIGHT_SUMMARISE_CHUNK_BYTES (parallel chunk size) — tuning knobs, and what
 * lets tests summarise a small file in several chunks.
 */
export function summariseSettings(env: Record<string, string | undefined> = process.env): { minBytes: number; sampleTarget: number; chunkBytes: number } {
  const num = (v: string | undefined, d: number) => {
    const n = Number(v);
    return v !== undefined && v.trim() !== "" && Number.isFinite(n) && n > 0 ? n : d;
  };
  return {
    minBytes: num(env.HINDSIGHT_SUMMARISE_MIN_BYTES, SUMMARISE_MIN_BYTES),
    sampleTarget: num(env.HINDSIGHT_SAMPLE_TARGET, SAMPLE_TARGET),
    chunkBytes: num(env.HINDSIGHT_SUMMARISE_CHUNK_BYTES, CHUNK_BYTES),
  };
}

function isNotableSpan(s: SpanFacts): boolean {
  return s.status === "error" || s.fault === true || s.throttle === true || (s.httpStatus ?? 0) >= 400 || (s.durationMs ?? 0) >= BOUNDS.SLOW_MS;
}

export function isNotableRecord(r: EvidenceRecord | SpanFacts): boolean {
  if (r.kind === "request") return isNotableRequest(r);
  if (r.kind === "span") return isNotableSpan(r);
  return true;
}

/**
 * Sample rate aiming at SAMPLE_TARGET rows: records are estimated from the file size and how many
 * records the head holds — lines, or for span documents `"spanId"` keys — (deterministic for a
 * given file, so a retry samples the same records).
 */
export function sampleRateFor(fileBytes: number, head: Buffer, target = SAMPLE_TARGET, marker: "line" | "spanId" = "line"): number {
  const needle = marker === "line" ? Buffer.from("\n") : Buffer.from('"spanId"');
  let records = 0;
  for (let i = head.indexOf(needle); i !== -1; i = head.indexOf(needle, i + needle.length)) records++;
  const meanRecord = records > 0 ? head.length / records : 512;
  const estimated = fileBytes / Math.max(16, meanRecord);
  return Math.min(1, target / Math.max(1, estimated));
}

export type RowDecision = "notable" | "sampled" | "bulk";

/** Per-file row decisions with the notable cap; counts what it decided. */
export class RowPolicy {
  notable = 0;
  sampled = 0;
  /** Notable records past NOTABLE_ROW_CAP (kept in blocks). */
  notableOverCap = 0;

  constructor(
    readonly sampleRate: number,
    private readonly notableCap = NOTABLE_ROW_CAP,
  ) {}

  decide(r: RequestRecord | SpanFacts): RowDecision {
    if (isNotableRecord(r)) {
      if (this.notable < this.notableCap) {
        this.notable++;
        return "notable";
      }
      this.notableOverCap++;
    }
    if (isSampled(r, this.sampleRate)) {
      this.sampled++;
      return "sampled";
    }
    return "bulk";
  }
}
