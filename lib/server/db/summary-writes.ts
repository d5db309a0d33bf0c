import Database from "better-sqlite3";
import { connectPg } from "./pg-client";
import { ensureSqliteDir, SQLITE_PRAGMAS } from "./adapters";
import { finiteOrNull, pgText, type SinkTarget } from "./bulk";
import type { DatabaseConfig } from "./provider";

/**
 * The low-volume side of a summarised file (lib/server/pipeline/tiering.ts): its block index, its
 * per-second counts and its digest — about one block per 2,048 lines and one count per second and
 * series, so plain statements in one transaction, on a connection of their own. Rows of a file are
 * cleared with its records (bulk.ts FILE_TABLES), which keeps re-ingest idempotent.
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
const cols = (c: readonly string[]) => c.map((x) => `"${x}"`).join(", ");

// PostgreSQL text cannot hold NUL (hostile input): replaced on both providers, so both store the same.
const blockValues = (t: SinkTarget, b: EvidenceBlockInput) => [t.incidentId, t.fileId, b.byteStart, b.byteEnd, b.lineStart, b.lineEnd, b.records, b.bulk, finiteOrNull(b.tsMin), finiteOrNull(b.tsMax), b.context == null ? null : pgText(b.context), b.traces ? Buffer.from(b.traces.buffer, b.traces.byteOffset, b.traces.byteLength) : null];
const secondValues = (t: SinkTarget, s: RecordSecondInput) => [t.incidentId, t.fileId, s.second, s.kind, pgText(s.source), s.severity, pgText(s.service), s.count];

/** Writes a file's blocks, per-second counts and digest in one transaction. */
export async function writeFileSummary(db: DatabaseConfig, target: SinkTarget, summary: FileSummary): Promise<void> {
  if (db.provider === "sqlite") {
    ensureSqliteDir(db.sqlitePath);
    const conn = new Database(db.sqlitePath, { timeout: 5000 });
    try {
      for (const p of SQLITE_PRAGMAS) conn.pragma(p);
      const block = conn.prepare(`INSERT INTO "EvidenceBlock" (${cols(BLOCK_COLUMNS)}) VALUES (${BLOCK_COLUMNS.map(() => "?").join(", ")})`);
      const second = conn.prepare(`INSERT INTO "RecordSecond" (${cols(SECOND_COLUMNS)}) VALUES (${SECOND_COLUMNS.map(() => "?").join(", ")})`);
      const digest = conn.prepare(`INSERT INTO "FileDigest" ("fileId", "incidentId", "data") VALUES (?, ?, ?)`);
      conn.transaction(() => {
        for (const b of summary.blocks) block.run(...blockValues(target, b));
        for (const s of summary.seconds) second.run(...secondValues(target, s));
        digest.run(target.fileId, target.incidentId, summary.digest);
      })();
    } finally {
      conn.close();
    }
    return;
  }
  const client = await connectPg(db.url);
  try {
    await client.query("BEGIN");
    const unnest = (table: string, c: readonly string[], types: string[], rows: unknown[][]) =>
      client.query(
        `INSERT INTO "${table}" (${cols(c)}) SELECT * FROM unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(", ")})`,
        c.map((_, i) => rows.map((r) => r[i])),
      );
    for (let i = 0; i < summary.blocks.length; i += 5000) await unnest("EvidenceBlock", BLOCK_COLUMNS, PG_BLOCK_TYPES, summary.blocks.slice(i, i + 5000).map((b) => blockValues(target, b)));
    for (let i = 0; i < summary.seconds.length; i += 5000) await unnest("RecordSecond", SECOND_COLUMNS, PG_SECOND_TYPES, summary.seconds.slice(i, i + 5000).map((s) => secondValues(target, s)));
    await client.query(`INSERT INTO "FileDigest" ("fileId", "incidentId", "data") VALUES ($1, $2, $3)`, [target.fileId, target.incidentId, summary.digest]);
    await client.query("COMMIT");
  } catch (e) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw e;
  } finally {
    await client.end();
  }
}
