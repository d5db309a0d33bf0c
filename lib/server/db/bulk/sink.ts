import { quoteColumns } from "../raw";

/**
 * High-volume writes off the ORM path (DEVELOPERS.md: "Bulk data off the ORM hot path"): the
 * sink every writer implements (sqlite-writer.ts, pg-writer.ts) and what they share.
 * Used from ingest worker threads, so each writer holds its own plain connection (better-sqlite3 / pg)
 * and never touches Prisma. Table and column names are Prisma's (quoted, case-sensitive on PostgreSQL).
 *
 *   add(rows) ──flatten──► batch of SQLITE_BATCH / PG_BATCH rows ──► one transaction per batch
 *
 *   pipelined (ingest of a big file): the parsing thread keeps parsing while the batch is written
 *     SQLite      parse ─┬─ parse ─┬─ parse …      (ingest thread)
 *                        └─ write ─┴─ write …      (a writer thread with its own connection)
 *     PostgreSQL  the next batch is parsed while the server inserts the previous one
 *   At most MAX_IN_FLIGHT batches are queued, so memory stays bounded.
 *
 * Evidence rows go in with a plain INSERT: re-ingest is idempotent because clearFile() removes the
 * file's rows first, and the (fileId, seq) unique index guards against duplicates (a batch that
 * repeats a seq fails instead of doubling rows). Aggregates are upserted (they are merged by key).
 */

/** Batches written or queued but not yet acknowledged before add() waits (pipelined sinks). */
export const MAX_IN_FLIGHT = 3;

/** An Evidence row minus the ids the sink supplies (incidentId, fileId). */
export interface EvidenceRowInput {
  seq: number;
  kind: string;
  ts: number | null;
  durationMs: number | null;
  source: string | null;
  service: string | null;
  node: string | null;
  status: number | null;
  severity: string | null;
  traceId: string | null;
  text: string;
  line: number | null;
  /** The full record as JSON (lib/schemas/records.ts). */
  data: string;
  /** A request/span of a summarised file (lib/server/pipeline/tiering.ts); false when omitted. */
  bulk?: boolean;
}

export interface RequestBucketInput {
  second: number;
  source: string;
  dest: string;
  status: number;
  flag: string;
  count: number;
  durationSumMs: number;
}

export interface LatencyHistogramInput {
  service: string;
  hop: string;
  minute: number;
  metric: string;
  count: number;
  histogram: string;
}

export interface SinkTarget {
  incidentId: string;
  fileId: string;
}

export interface SinkOptions {
  /**
   * Overlap writing with the caller's work (see the module doc): SQLite writes from a background
   * thread, PostgreSQL keeps a batch in flight. Errors surface on a later add(), flush() or close().
   */
  pipelined?: boolean;
  /**
   * Rows whose (fileId, seq) is already stored are skipped instead of failing the batch: blocks of a
   * summarised file materialised on demand hold records ingest already stored as rows.
   */
  ignoreDuplicates?: boolean;
  /**
   * Rows per transaction (SQLite; default SQLITE_BATCH). Parse threads of summarised files write
   * while the web's main thread may want the lock (run progress): smaller transactions hold it
   * for milliseconds, not a tenth of a second.
   */
  batchRows?: number;
}

export interface RecordSink {
  /** Buffers rows; writes a batch whenever the buffer is full. */
  add(rows: EvidenceRowInput | readonly EvidenceRowInput[]): Promise<void>;
  /** Writes everything buffered and waits until it is stored. */
  flush(): Promise<void>;
  /** Deletes the file's rows in every FILE_TABLES table (records, aggregates, blocks, digest) and drops the buffer. */
  clearFile(): Promise<void>;
  upsertRequestBuckets(rows: readonly RequestBucketInput[]): Promise<void>;
  upsertLatencyHistograms(rows: readonly LatencyHistogramInput[]): Promise<void>;
  /** Rows written by this sink so far (after the last clearFile). */
  readonly written: number;
  /** Flushes and closes the connection. Idempotent. */
  close(): Promise<void>;
}

/** Evidence columns in insert order (also materialize.ts's insert of re-parsed blocks). */
export const EVIDENCE_COLUMNS = [
  "incidentId",
  "fileId",
  "seq",
  "kind",
  "ts",
  "durationMs",
  "source",
  "service",
  "node",
  "status",
  "severity",
  "traceId",
  "text",
  "line",
  "data",
  "bulk",
] as const;
/** Values per row in a flattened batch: the Evidence columns after incidentId and fileId. */
export const ROW_WIDTH = EVIDENCE_COLUMNS.length - 2;
export const BUCKET_COLUMNS = ["incidentId", "fileId", "second", "source", "dest", "status", "flag", "count", "durationSumMs"] as const;
export const BUCKET_KEY = ["fileId", "second", "source", "dest", "status", "flag"] as const;
export const HISTOGRAM_COLUMNS = ["incidentId", "fileId", "service", "hop", "minute", "metric", "count", "histogram"] as const;
export const HISTOGRAM_KEY = ["fileId", "service", "hop", "minute", "metric"] as const;

/** Tables holding a file's ingest output, cleared before it is (re)parsed. */
export const FILE_TABLES = ["Evidence", "RequestBucket", "LatencyHistogram", "EvidenceBlock", "RecordSecond", "FileDigest"] as const;

/** ON CONFLICT … DO UPDATE for every non-key column: "insert or replace" without delete+insert. */
export const upsertTail = (cols: readonly string[], key: readonly string[]) =>
  `ON CONFLICT (${quoteColumns(key)}) DO UPDATE SET ${cols
    .filter((c) => !key.includes(c as never))
    .map((c) => `"${c}" = excluded."${c}"`)
    .join(", ")}`;

/** Appends rows to a flat value array (ROW_WIDTH values each), sanitised for both drivers. */
export function flattenInto(out: (string | number | null)[], r: EvidenceRowInput): void {
  out.push(
    r.seq,
    r.kind,
    finiteOrNull(r.ts),
    finiteOrNull(r.durationMs),
    r.source ?? null,
    r.service ?? null,
    r.node ?? null,
    intOrNull(r.status),
    r.severity ?? null,
    r.traceId ?? null,
    r.text,
    intOrNull(r.line),
    r.data,
    r.bulk ? 1 : 0,
  );
}

/** Waits for every queued batch; the first failure is thrown (after all have settled). */
export async function settleAll(acks: readonly Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(acks);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}

// Column values, sanitised the same way for both providers so both store the same.

export function finiteOrNull(n: number | null | undefined): number | null {
  return typeof n === "number" && Number.isFinite(n) ? n : null;
}
export function finiteOr(n: number | null | undefined, d: number): number {
  return typeof n === "number" && Number.isFinite(n) ? n : d;
}
/** Integer columns: a fractional or out-of-range value would fail the whole batch. */
export function intOrNull(n: number | null | undefined): number | null {
  return typeof n === "number" && Number.isInteger(n) && Math.abs(n) <= 0x7fffffff ? n : null;
}

/** PostgreSQL text cannot hold NUL; hostile input must not fail the batch (the SQLite sink keeps them). */
export function pgText<T>(v: T): T {
  return (typeof v === "string" && v.includes("\u0000") ? v.replace(/\u0000/g, "\uFFFD") : v) as T;
}
