import { finiteOrNull, pgText, type SinkTarget } from "./bulk";
import type { DatabaseConfig } from "./provider";
import { openRaw } from "./raw";

/**
 * The low-volume side of a summarised file (lib/server/pipeline/tiering.ts): its block index, its
 * per-second counts and its digest — about one block per 2,048 lines and one count per second and
 * series, so plain statements in one transaction, on a connection of their own. Rows of a file are
 * cleared with its records (bulk/sink.ts FILE_TABLES), which keeps re-ingest idempotent.
 */

export interface EvidenceBlockInput {
  byteStart: number;
  byteEnd: number;
  lineStart: number;
  lineEnd: number;
  records: number;
  bulk: number;
  tsMin: number | null;
  tsMax: number | null;
  /** Span blocks: where the spans sit (JSON text) and a Bloom filter of their trace ids. */
  context?: string | null;
  traces?: Uint8Array | null;
}

export interface RecordSecondInput {
  second: number;
  kind: string;
  source: string;
  severity: string;
  service: string;
  count: number;
}

export interface FileSummary {
  blocks: readonly EvidenceBlockInput[];
  seconds: readonly RecordSecondInput[];
  /** FileDigestData as JSON text (lib/schemas/digest.ts). */
  digest: string;
}

const BLOCK_COLUMNS = ["incidentId", "fileId", "byteStart", "byteEnd", "lineStart", "lineEnd", "records", "bulk", "tsMin", "tsMax", "context", "traces"] as const;
const SECOND_COLUMNS = ["incidentId", "fileId", "second", "kind", "source", "severity", "service", "count"] as const;
const PG_BLOCK_TYPES = ["text", "text", "float8", "float8", "int4", "int4", "int4", "int4", "float8", "float8", "text", "bytea"];
const PG_SECOND_TYPES = ["text", "text", "int4", "text", "text", "text", "text", "int4"];

// PostgreSQL text cannot hold NUL (hostile input): replaced on both providers, so both store the same.
const blockValues = (t: SinkTarget, b: EvidenceBlockInput) => [t.incidentId, t.fileId, b.byteStart, b.byteEnd, b.lineStart, b.lineEnd, b.records, b.bulk, finiteOrNull(b.tsMin), finiteOrNull(b.tsMax), b.context == null ? null : pgText(b.context), b.traces ? Buffer.from(b.traces.buffer, b.traces.byteOffset, b.traces.byteLength) : null];
const secondValues = (t: SinkTarget, s: RecordSecondInput) => [t.incidentId, t.fileId, s.second, s.kind, pgText(s.source), s.severity, pgText(s.service), s.count];

/** Writes a file's blocks, per-second counts and digest in one transaction. */
export async function writeFileSummary(db: DatabaseConfig, target: SinkTarget, summary: FileSummary): Promise<void> {
  const raw = await openRaw(db);
  try {
    await raw.tx(async () => {
      await raw.insertMany("EvidenceBlock", BLOCK_COLUMNS, PG_BLOCK_TYPES, summary.blocks.map((b) => blockValues(target, b)));
      await raw.insertMany("RecordSecond", SECOND_COLUMNS, PG_SECOND_TYPES, summary.seconds.map((s) => secondValues(target, s)));
      await raw.run(`INSERT INTO "FileDigest" ("fileId", "incidentId", "data") VALUES (?, ?, ?)`, [target.fileId, target.incidentId, summary.digest]);
    });
  } finally {
    await raw.close();
  }
}
