import fs from "node:fs";
import { FileDigestData } from "@/lib/schemas/digest";
import { epochMs } from "@/lib/schemas/time";
import { dataDir } from "@/lib/server/config";
import { rawSql, type Db } from "@/lib/server/db/client";
import { EVIDENCE_COLUMNS, finiteOrNull, intOrNull, pgText, toEvidenceRow, type EvidenceRowInput } from "@/lib/server/db/bulk";
import { getParser } from "@/lib/server/parsers/registry";
import type { EvidenceRecord } from "@/lib/schemas/records";
import type { ParseContext } from "@/lib/server/parsers/types";
import type { SpanBlockContext } from "@/lib/server/pipeline/summarised-spans";
import { traceBloomHas } from "@/lib/server/pipeline/trace-bloom";
import { parseBlock } from "@/lib/server/pipeline/summarised-ingest";
import { isBulkKind } from "@/lib/server/pipeline/tiering";
import { Cas } from "@/lib/server/storage/cas";

/**
 * Summarised files (lib/server/pipeline/tiering.ts) keep their healthy bulk records in blocks of
 * the stored blob. A query that needs them materialises the blocks it touches: each block is
 * re-parsed with a fresh machine and the context the file was ingested with, its records get the
 * seq they had at ingest, and they are inserted with ON CONFLICT DO NOTHING — the notable and
 * sampled ones are rows already. Idempotent and safe to run concurrently; a block is flagged once
 * done so the next query skips it.
 */

/** Rows per INSERT statement (17 parameters each, well below SQLite's and PostgreSQL's limits). */
const INSERT_ROWS = 400;

export interface BlockRef {
  id: number;
  fileId: string;
  byteStart: number;
  byteEnd: number;
  lineStart: number;
  records: number;
  /** Span blocks: SpanBlockContext as JSON text. */
  context: string | null;
}

export const BLOCK_REF_SELECT = { id: true, fileId: true, byteStart: true, byteEnd: true, lineStart: true, records: true, context: true } as const;

export interface MaterializeOutcome {
  blocks: number;
  records: number;
  /** Blocks whose re-parse did not give the records ingest counted (the file changed or a parser did). */
  mismatched: number;
}

interface FileSource {
  blobPath: string;
  /** The block's records with the seq ingest gave them. */
  reparse: (b: BlockRef) => Promise<Array<{ record: EvidenceRecord; seq: number }>>;
}

async function fileSources(db: Db, fileIds: string[]): Promise<Map<string, FileSource>> {
  const [files, digests] = await Promise.all([
    db.evidenceFile.findMany({ where: { id: { in: fileIds } }, select: { id: true, format: true, storageKey: true } }),
    db.fileDigest.findMany({ where: { fileId: { in: fileIds } }, select: { fileId: true, data: true } }),
  ]);
  const cas = new Cas(dataDir());
  const ctxOf = new Map<string, ParseContext>();
  for (const d of digests) {
    const parsed = FileDigestData.safeParse(JSON.parse(d.data));
    if (!parsed.success) continue;
    const { captureTime, ...rest } = parsed.data.context;
    ctxOf.set(d.fileId, { ...rest, ...(captureTime !== undefined ? { captureTime: epochMs(captureTime) } : {}) });
  }
  const out = new Map<string, FileSource>();
  for (const f of files) {
    const parser = f.format ? getParser(f.format) : undefined;
    const ctx = ctxOf.get(f.id);
    const blobPath = cas.blobPath(f.storageKey);
    if (parser?.segments && ctx) {
      // Line files: records are numbered by their (first) line (summarised-ingest.ts).
      const segments = parser.segments.bind(parser);
      out.set(f.id, {
        blobPath,
        reparse: async (b) => {
          const input = fs.createReadStream(blobPath, { start: b.byteStart, end: b.byteEnd - 1, highWaterMark: 1024 * 1024 });
          const records = await parseBlock(input, segments(ctx), b);
          return records.flatMap((record) => (record.prov.line === undefined ? [] : [{ record, seq: record.prov.line }]));
        },
      });
    } else if (parser?.spanBatches) {
      // Span files: the k-th span of a block has seq = the block's first seq + k (summarised-spans.ts).
      const spans = parser.spanBatches;
      out.set(f.id, {
        blobPath,
        reparse: async (b) => {
          const ctxJson = b.context ? (JSON.parse(b.context) as SpanBlockContext) : null;
          if (!ctxJson) return [];
          const bytes = readRange(blobPath, b.byteStart, b.byteEnd);
          const items = await spans.reparse(bytes, { byteStart: b.byteStart, lineStart: b.lineStart, context: ctxJson });
          return items.flatMap((record, k) => (record.kind === "skipped" ? [] : [{ record, seq: ctxJson.seq + k }]));
        },
      });
    }
  }
  return out;
}

function readRange(file: string, start: number, end: number): Buffer {
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.alloc(end - start);
    let got = 0;
    while (got < buf.length) {
      const n = fs.readSync(fd, buf, got, buf.length - got, start + got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    fs.closeSync(fd);
  }
}

/** Materialises the given (not yet materialised) blocks of one incident. */
export async function materializeBlocks(db: Db, incidentId: string, blocks: readonly BlockRef[]): Promise<MaterializeOutcome> {
  const outcome: MaterializeOutcome = { blocks: 0, records: 0, mismatched: 0 };
  if (blocks.length === 0) return outcome;
  const sources = await fileSources(db, [...new Set(blocks.map((b) => b.fileId))]);
  for (const b of blocks) {
    const src = sources.get(b.fileId);
    const records = src && b.byteEnd > b.byteStart && fs.existsSync(src.blobPath) ? await src.reparse(b) : [];
    if (records.length !== b.records) outcome.mismatched++;
    const rows: EvidenceRowInput[] = records.map(({ record, seq }) => {
      const row = toEvidenceRow(record, seq);
      row.bulk = isBulkKind(record.kind);
      return row;
    });
    for (let i = 0; i < rows.length; i += INSERT_ROWS) await insertIgnoringDuplicates(db, incidentId, b.fileId, rows.slice(i, i + INSERT_ROWS));
    await db.evidenceBlock.update({ where: { id: b.id }, data: { materialized: true } });
    outcome.blocks++;
    outcome.records += rows.length;
  }
  return outcome;
}

/** One multi-row INSERT … ON CONFLICT ("fileId", "seq") DO NOTHING (same SQL on SQLite ≥ 3.24 and PostgreSQL). */
async function insertIgnoringDuplicates(db: Db, incidentId: string, fileId: string, rows: readonly EvidenceRowInput[]): Promise<void> {
  if (rows.length === 0) return;
  const { sql, join, raw } = rawSql;
  const tuples = rows.map(
    (r) =>
      // NUL replaced on both providers: these rows go through one statement for either.
      sql`(${join([incidentId, fileId, r.seq, r.kind, finiteOrNull(r.ts), finiteOrNull(r.durationMs), r.source, r.service, r.node, intOrNull(r.status), r.severity, r.traceId, pgText(r.text), intOrNull(r.line), pgText(r.data), r.bulk === true])})`,
  );
  await db.$executeRaw(sql`INSERT INTO "Evidence" (${raw(EVIDENCE_COLUMNS.map((c) => `"${c}"`).join(", "))}) VALUES ${join(tuples)} ON CONFLICT ("fileId", "seq") DO NOTHING`);
}

/** Blocks materialised per round while a page is being assembled, and per request at most. */
const ROUND_BLOCKS = 8;
const PAGE_BLOCK_BUDGET = 64;

export interface PageWindow {
  order: "asc" | "desc";
  /** Range filter of the query ([from, to)). */
  from?: number;
  to?: number;
  /** Keyset cursor's ts (undefined on the first page; null inside the ts-less rows). */
  cursorTs?: number | null;
  fileId?: string;
  kinds?: readonly string[];
}

/**
 * Makes sure no unmaterialised block could hold a record that belongs on a page before the page is
 * read. `horizon()` reads the page as it stands and returns the ts of the first row *past* it (the
 * (limit+1)-th) or null when the page is not full:
 *
 *   asc from cursor C:   C ───────────── H          blocks with tsMax ≥ C and tsMin ≤ H
 *   desc from cursor C:       H ───────── C        blocks with tsMin ≤ C and tsMax ≥ H
 *
 * Materialising can only add rows, which moves H towards C, so the loop ends; for an unfiltered page
 * it touches the one or two blocks around the page, for a sparse filter the blocks up to its matches.
 * A request materialises at most PAGE_BLOCK_BUDGET blocks: past that it returns the `boundary` up
 * to which rows are complete (asc: rows with ts < boundary; desc: ts > boundary) and the caller
 * serves that much, the next request going on from there.
 */
export async function materializeForPage(db: Db, incidentId: string, w: PageWindow, horizon: () => Promise<number | null>): Promise<{ boundary: number | null }> {
  if (w.kinds?.length && !w.kinds.some((k) => isBulkKind(k))) return { boundary: null };
  const fileFilter = w.fileId ? { fileId: w.fileId } : {};
  const anyPending = await db.evidenceBlock.findFirst({ where: { incidentId, materialized: false, ...fileFilter }, select: { id: true } });
  if (!anyPending) return { boundary: null };
  let budget = PAGE_BLOCK_BUDGET;
  for (;;) {
    const h = await horizon();
    const cursor = w.cursorTs ?? undefined;
    let lower: number | undefined;
    let upper: number | undefined;
    if (w.order === "asc") {
      lower = cursor ?? w.from;
      upper = h ?? undefined;
      if (w.to !== undefined) upper = upper === undefined ? w.to : Math.min(upper, w.to);
    } else {
      upper = cursor ?? w.to;
      lower = h ?? undefined;
      if (w.from !== undefined) lower = lower === undefined ? w.from : Math.max(lower, w.from);
    }
    const blocks = await db.evidenceBlock.findMany({
      where: {
        incidentId,
        materialized: false,
        ...fileFilter,
        ...(lower !== undefined ? { tsMax: { gte: lower } } : {}),
        ...(upper !== undefined ? { tsMin: { lte: upper } } : {}),
      },
      orderBy: w.order === "asc" ? { tsMin: "asc" } : { tsMax: "desc" },
      take: ROUND_BLOCKS,
      select: { ...BLOCK_REF_SELECT, tsMin: true, tsMax: true },
    });
    if (blocks.length === 0) return { boundary: null };
    if (budget <= 0) {
      // Rows are complete up to the nearest block still pending.
      const edge = w.order === "asc" ? Math.min(...blocks.map((b) => b.tsMin ?? Infinity)) : Math.max(...blocks.map((b) => b.tsMax ?? -Infinity));
      return { boundary: Number.isFinite(edge) ? edge : null };
    }
    budget -= blocks.length;
    await materializeBlocks(db, incidentId, blocks);
  }
}

/** The block of a summarised file holding `line`, materialised (evidence links to a bulk record). */
export async function materializeLine(db: Db, incidentId: string, fileId: string, line: number): Promise<boolean> {
  const block = await db.evidenceBlock.findFirst({
    where: { incidentId, fileId, lineStart: { lte: line }, lineEnd: { gte: line }, materialized: false },
    select: BLOCK_REF_SELECT,
  });
  if (!block) return false;
  await materializeBlocks(db, incidentId, [block]);
  return true;
}

/**
 * The blocks of summarised span files that may hold a trace (their Bloom filter says so),
 * materialised: a waterfall then finds every span of the trace as a row.
 */
export async function materializeTrace(db: Db, incidentId: string, traceId: string): Promise<number> {
  const hits = (await unreadSpanBlocks(db, incidentId)).filter((b) => traceBloomHas(b.traces, traceId));
  if (hits.length === 0) return 0;
  return (await materializeBlocks(db, incidentId, hits)).blocks;
}

/** Whether a trace may have spans in blocks not materialised yet (a test against their Bloom filters). */
export async function tracesInBlocks(db: Db, incidentId: string): Promise<(traceId: string) => boolean> {
  const blocks = await unreadSpanBlocks(db, incidentId);
  return (traceId) => blocks.some((b) => traceBloomHas(b.traces, traceId));
}

async function unreadSpanBlocks(db: Db, incidentId: string): Promise<Array<BlockRef & { traces: Uint8Array }>> {
  const candidates = await db.evidenceBlock.findMany({ where: { incidentId, materialized: false, traces: { not: null } }, select: { ...BLOCK_REF_SELECT, traces: true } });
  return candidates.filter((b): b is typeof b & { traces: Uint8Array } => b.traces !== null);
}
