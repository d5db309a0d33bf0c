import type { DatabaseConfig } from "../provider";
import { openPgSink } from "./pg-writer";
import type { LatencyHistogramInput, RecordSink, RequestBucketInput, SinkOptions, SinkTarget } from "./sink";
import { openSqliteSink, SQLITE_BATCH } from "./sqlite-writer";

// What callers outside lib/server/db use; the provider-specific writers stay behind openRecordSink.
export { bulkFacets, toEvidenceRow } from "./evidence-row";
export {
  EVIDENCE_COLUMNS,
  type EvidenceRowInput,
  FILE_TABLES,
  finiteOrNull,
  intOrNull,
  type LatencyHistogramInput,
  pgText,
  type RecordSink,
  type RequestBucketInput,
  type SinkOptions,
  type SinkTarget,
} from "./sink";

/** A sink for one file's rows on the configured database (see sink.ts for the contract). */
export async function openRecordSink(db: DatabaseConfig, target: SinkTarget, opts: SinkOptions = {}): Promise<RecordSink> {
  return db.provider === "sqlite"
    ? openSqliteSink(db.sqlitePath, target, opts.pipelined === true, opts.ignoreDuplicates === true, opts.batchRows ?? SQLITE_BATCH)
    : openPgSink(db.url, target, opts.pipelined === true, opts.ignoreDuplicates === true);
}

/** Upserts a file's aggregates in one transaction (convenience for callers without a sink). */
export async function writeAggregates(
  db: DatabaseConfig,
  target: SinkTarget,
  buckets: readonly RequestBucketInput[],
  histograms: readonly LatencyHistogramInput[],
): Promise<void> {
  const sink = await openRecordSink(db, target);
  try {
    await sink.upsertRequestBuckets(buckets);
    await sink.upsertLatencyHistograms(histograms);
  } finally {
    await sink.close();
  }
}
