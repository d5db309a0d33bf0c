import type { Readable } from "node:stream";
import type { FileDigestData } from "@/lib/schemas/digest";
import type { EvidenceRecord, RequestRecord, SpanRecord } from "@/lib/schemas/records";
import { bulkFacets, toEvidenceRow, type EvidenceRowInput } from "@/lib/server/db/bulk";
import type { EvidenceBlockInput, RecordSecondInput } from "@/lib/server/db/summary-writes";
import { addToSecond, type SecondAgg } from "@/lib/server/correlate/store";
import { excerpt, readLineBatches, type Line } from "@/lib/server/parsers/lines";
import type { ParseContext, ParseItem, SegmentableMachine } from "@/lib/server/parsers/types";
import { BLOCK_LINES, isBulkKind, RowPolicy } from "./tiering";

/**
 * Parsing a summarised file (see tiering.ts): the line machine is replaced by a fresh one at the
 * first safe line after every BLOCK_LINES lines, so each block re-parses on its own and gives the
 * very same records (same order, same seq) when a query later needs its bulk records.
 *
 *   lines   1 ……… 2048 2049 ……… 4096 4097 …
 *   machine └──── m1 ───┘└──── m2 ───┘└── m3 …     cut where m.canCutBefore(next line)
 *   block   #1 bytes [0, b1) lines 1‥2048, seq 1‥k   #2 [b1, b2) …
 *
 * Every record goes to the aggregates and the digest; rows are the notable, the sampled and the
 * non-bulk-kind records only.
 */

/** Per-second analysis aggregates kept for at most this many seconds (≈ 6 days). */
const MAX_DIGEST_SECONDS = 500_000;
/** RecordSecond keys before services are folded into "(other)", and the hard cap after that. */
const MAX_SECOND_KEYS = 300_000;
const HARD_MAX_SECOND_KEYS = 600_000;
/** RecordSecond `second` of records without a time (counted, never in a time range). */
export const UNTIMED_SECOND = -1;

/** Feeds one line; a throwing machine costs that line (a skipped item), like driveLines. */
export function feedLine(machine: SegmentableMachine, l: Line): void {
  try {
    machine.line(l.no, l.offset, l.text, l.truncated);
  } catch (e) {
    machine.out.push({ kind: "skipped", line: l.no, reason: `internal parser error: ${(e as Error).message}`, excerpt: excerpt(l.text) });
  }
}

/**
 * Re-parses one block of a stored file: `input` is the byte range [byteStart, byteEnd); lines are
 * numbered from lineStart and offsets from byteStart, so records equal what ingest saw.
 */
export async function parseBlock(
  input: Readable,
  machine: SegmentableMachine,
  at: { byteStart: number; lineStart: number },
): Promise<EvidenceRecord[]> {
  const out: EvidenceRecord[] = [];
  const take = () => {
    for (const it of machine.out) if (it.kind !== "skipped" && it.kind !== "warning") out.push(it);
    machine.out.length = 0;
  };
  for await (const batch of readLineBatches(input)) {
    for (const l of batch) feedLine(machine, { ...l, no: l.no + at.lineStart - 1, offset: l.offset + at.byteStart });
    take();
  }
  machine.end();
  take();
  return out;
}

/** Exact per-second aggregates of every bulk record, for the analysis (FileDigest) and the timeline (RecordSecond). */
export class DigestBuilder {
  private readonly seconds = new Map<number, SecondAgg>();
  private secondsDropped = 0;
  private readonly recordSeconds = new Map<string, RecordSecondInput>();
  recordSecondsDropped = 0;
  requests = 0;
  spans = 0;
  private tsMin: number | null = null;
  private tsMax: number | null = null;

  add(rec: RequestRecord | SpanRecord): void {
    const timed = rec.ts !== null && Number.isFinite(rec.ts);
    if (timed) {
      if (this.tsMin === null || rec.ts! < this.tsMin) this.tsMin = rec.ts;
      if (this.tsMax === null || rec.ts! > this.tsMax) this.tsMax = rec.ts;
    }
    if (rec.kind === "request") {
      this.requests++;
      if (timed) {
        if (this.seconds.size < MAX_DIGEST_SECONDS || this.seconds.has(Math.floor(rec.ts! / 1000))) addToSecond(this.seconds, rec);
        else this.secondsDropped++;
      }
    } else this.spans++;
    const f = bulkFacets(rec);
    const second = timed ? Math.floor(rec.ts! / 1000) : UNTIMED_SECOND;
    let service = f.service ?? "";
    let key = `${second}\u0001${rec.kind}\u0001${f.source}\u0001${f.severity}\u0001${service}`;
    let row = this.recordSeconds.get(key);
    if (!row && this.recordSeconds.size >= MAX_SECOND_KEYS) {
      // Too many services × seconds: keep the counts exact, lose the service breakdown.
      service = "(other)";
      key = `${second}\u0001${rec.kind}\u0001${f.source}\u0001${f.severity}\u0001${service}`;
      row = this.recordSeconds.get(key);
      if (!row && this.recordSeconds.size >= HARD_MAX_SECOND_KEYS) {
        this.recordSecondsDropped++;
        return;
      }
    }
    if (row) row.count++;
    else this.recordSeconds.set(key, { second, kind: rec.kind, source: f.source, severity: f.severity, service, count: 1 });
  }

  secondRows(): RecordSecondInput[] {
    return [...this.recordSeconds.values()];
  }

  digest(policy: RowPolicy, records: number, otherRows: number, context: ParseContext): FileDigestData {
    const seconds: FileDigestData["seconds"] = [];
    for (const [sec, a] of [...this.seconds.entries()].sort((x, y) => x[0] - y[0])) {
      seconds.push([sec, a.count, a.errors, [...a.hist.buckets.entries()].sort((x, y) => x[0] - y[0])]);
    }
    return {
      version: 1,
      context: { ...context },
      sampleRate: policy.sampleRate,
      records,
      requests: this.requests,
      spans: this.spans,
      rows: { notable: policy.notable, sampled: policy.sampled, other: otherRows },
      notableOverCap: policy.notableOverCap,
      seconds,
      secondsDropped: this.secondsDropped,
      tsMin: this.tsMin,
      tsMax: this.tsMax,
    };
  }
}

export interface SummarisedOutput {
  /** Called with each batch of rows to store (notable, sampled and non-bulk-kind records). */
  rows(rows: EvidenceRowInput[]): Promise<void>;
  /** Every record (for the aggregates). */
  record(rec: EvidenceRecord): void;
  /** Skipped lines and warnings. */
  item(it: ParseItem): void;
}

export interface SummarisedResult {
  records: number;
  blocks: EvidenceBlockInput[];
  digest: DigestBuilder;
  policy: RowPolicy;
  otherRows: number;
}

const ROW_BATCH = 2000;

/** Parses `input` (a whole stored file) block by block; see the module doc. */
export async function parseSummarised(
  input: Readable,
  newMachine: (ctx: ParseContext) => SegmentableMachine,
  ctx: ParseContext,
  policy: RowPolicy,
  fileBytes: number,
  output: SummarisedOutput,
  blockLines = BLOCK_LINES,
): Promise<SummarisedResult> {
  const digest = new DigestBuilder();
  const blocks: EvidenceBlockInput[] = [];
  let machine = newMachine(ctx);
  let seq = 0;
  let otherRows = 0;
  let lines = 0;
  let lastLine = 0;
  let block: EvidenceBlockInput = { byteStart: 0, byteEnd: 0, lineStart: 1, lineEnd: 0, seqStart: 1, records: 0, bulk: 0, tsMin: null, tsMax: null };
  let rows: EvidenceRowInput[] = [];

  const take = () => {
    for (const it of machine.out) {
      if (it.kind === "skipped" || it.kind === "warning") {
        output.item(it);
        continue;
      }
      seq++;
      block.records++;
      const ts = "ts" in it ? it.ts : null;
      if (typeof ts === "number" && Number.isFinite(ts)) {
        if (block.tsMin === null || ts < block.tsMin) block.tsMin = ts;
        if (block.tsMax === null || ts > block.tsMax) block.tsMax = ts;
      }
      output.record(it);
      if (it.kind === "request" || it.kind === "span") {
        digest.add(it);
        if (policy.decide(it) === "bulk") {
          block.bulk++;
          continue;
        }
        const row = toEvidenceRow(it, seq);
        row.bulk = true;
        rows.push(row);
      } else {
        otherRows++;
        rows.push(toEvidenceRow(it, seq));
      }
    }
    machine.out.length = 0;
  };
  const flushRows = async () => {
    if (rows.length === 0) return;
    const batch = rows;
    rows = [];
    await output.rows(batch);
  };

  try {
    for await (const batch of readLineBatches(input)) {
      for (const l of batch) {
        if (lines - block.lineStart + 1 >= blockLines && machine.canCutBefore(l.text)) {
          machine.end();
          take();
          block.byteEnd = l.offset;
          block.lineEnd = l.no - 1;
          blocks.push(block);
          machine = newMachine(ctx);
          block = { byteStart: l.offset, byteEnd: 0, lineStart: l.no, lineEnd: 0, seqStart: seq + 1, records: 0, bulk: 0, tsMin: null, tsMax: null };
        }
        feedLine(machine, l);
        lines = l.no;
        lastLine = l.no;
      }
      take();
      if (rows.length >= ROW_BATCH) await flushRows();
    }
  } catch (e) {
    output.item({ kind: "warning", message: `input stream failed: ${(e as Error).message}` });
  }
  machine.end();
  take();
  await flushRows();
  if (lastLine >= block.lineStart) {
    block.byteEnd = fileBytes;
    block.lineEnd = lastLine;
    blocks.push(block);
  }
  return { records: seq, blocks, digest, policy, otherRows };
}
