import type { Readable } from "node:stream";
import type { FileDigestData } from "@/lib/schemas/digest";
import type { EvidenceRecord, RequestRecord, SpanFacts } from "@/lib/schemas/records";
import type { EpochMs } from "@/lib/schemas/time";
import { bulkFacets, toEvidenceRow, type EvidenceRowInput } from "@/lib/server/db/bulk";
import type { EvidenceBlockInput, RecordSecondInput } from "@/lib/server/db/summary-writes";
import { addSecondTuple, addToSecond, type SecondAgg } from "@/lib/server/correlate/store";
import { excerpt, readLineBatches } from "@/lib/server/parsers/lines";
import type { ParseContext, ParseItem, SegmentableMachine } from "@/lib/server/parsers/types";
import { BLOCK_LINES, RowPolicy } from "./tiering";

/**
 * Parsing a summarised file (see tiering.ts): the line machine is replaced by a fresh one at the
 * first safe line after every BLOCK_LINES lines, so each block re-parses on its own and gives the
 * very same records (same order, same seq = line) when a query later needs its bulk records.
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
function feed(machine: SegmentableMachine, no: number, offset: number, text: string, truncated: boolean): void {
  try {
    machine.line(no, offset, text, truncated);
  } catch (e) {
    machine.out.push({ kind: "skipped", line: no, reason: `internal parser error: ${(e as Error).message}`, excerpt: excerpt(text) });
  }
}

/**
 * Re-parses one block of a stored file: `input` is the byte range [byteStart, byteEnd); lines are
 * numbered from lineStart and offsets from byteStart, so records equal what ingest saw.
 */
export async function parseBlock(
  input: Readable | AsyncIterable<Buffer>,
  machine: SegmentableMachine,
  at: { byteStart: number; lineStart: number },
): Promise<EvidenceRecord[]> {
  const out: EvidenceRecord[] = [];
  const take = () => {
    for (const it of machine.out) if (it.kind !== "skipped" && it.kind !== "warning") out.push(it);
    machine.out.length = 0;
  };
  for await (const batch of readLineBatches(input)) {
    for (const l of batch) feed(machine, l.no + at.lineStart - 1, l.offset + at.byteStart, l.text, l.truncated);
    take();
  }
  machine.end();
  take();
  return out;
}

/** A DigestBuilder's content as plain data (structured-clone safe). */
export interface DigestState {
  seconds: FileDigestData["seconds"];
  secondsDropped: number;
  recordSeconds: RecordSecondInput[];
  recordSecondsDropped: number;
  requests: number;
  spans: number;
  tsMin: EpochMs | null;
  tsMax: EpochMs | null;
}

/** Exact per-second aggregates of every bulk record, for the analysis (FileDigest) and the timeline (RecordSecond). */
export class DigestBuilder {
  private readonly seconds = new Map<number, SecondAgg>();
  private secondsDropped = 0;
  private readonly recordSeconds = new Map<number, Map<string, RecordSecondInput[]>>();
  private recordSecondCount = 0;
  recordSecondsDropped = 0;
  requests = 0;
  spans = 0;
  private tsMin: EpochMs | null = null;
  private tsMax: EpochMs | null = null;

  add(rec: RequestRecord | SpanFacts): void {
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
    // second → service → rows (a few per service: kind × source × severity), no key strings per record.
    let perService = this.recordSeconds.get(second);
    if (!perService) this.recordSeconds.set(second, (perService = new Map()));
    let service = f.service ?? "";
    let list = perService.get(service);
    if (!list && this.recordSecondCount >= MAX_SECOND_KEYS) {
      // Too many services × seconds: keep the counts exact, lose the service breakdown.
      service = "(other)";
      list = perService.get(service);
    }
    if (!list) perService.set(service, (list = []));
    for (const row of list) {
      if (row.kind === rec.kind && row.source === f.source && row.severity === f.severity) {
        row.count++;
        return;
      }
    }
    if (this.recordSecondCount >= HARD_MAX_SECOND_KEYS) {
      this.recordSecondsDropped++;
      return;
    }
    this.recordSecondCount++;
    list.push({ second, kind: rec.kind, source: f.source, severity: f.severity, service, count: 1 });
  }

  /** Plain data for another thread (DigestBuilder.merge). */
  exportState(): DigestState {
    return {
      seconds: this.secondTuples(),
      secondsDropped: this.secondsDropped,
      recordSeconds: this.secondRows(),
      recordSecondsDropped: this.recordSecondsDropped,
      requests: this.requests,
      spans: this.spans,
      tsMin: this.tsMin,
      tsMax: this.tsMax,
    };
  }

  /** Adds another builder's state (chunks parsed in other threads). */
  merge(d: DigestState): void {
    this.requests += d.requests;
    this.spans += d.spans;
    this.secondsDropped += d.secondsDropped;
    this.recordSecondsDropped += d.recordSecondsDropped;
    if (d.tsMin !== null && (this.tsMin === null || d.tsMin < this.tsMin)) this.tsMin = d.tsMin;
    if (d.tsMax !== null && (this.tsMax === null || d.tsMax > this.tsMax)) this.tsMax = d.tsMax;
    for (const t of d.seconds) {
      if (this.seconds.size >= MAX_DIGEST_SECONDS && !this.seconds.has(t[0])) this.secondsDropped += t[1];
      else addSecondTuple(this.seconds, t);
    }
    for (const r of d.recordSeconds) {
      let perService = this.recordSeconds.get(r.second);
      if (!perService) this.recordSeconds.set(r.second, (perService = new Map()));
      let list = perService.get(r.service);
      if (!list) perService.set(r.service, (list = []));
      const have = list.find((x) => x.kind === r.kind && x.source === r.source && x.severity === r.severity);
      if (have) have.count += r.count;
      else {
        this.recordSecondCount++;
        list.push({ ...r });
      }
    }
  }

  private secondTuples(): FileDigestData["seconds"] {
    const seconds: FileDigestData["seconds"] = [];
    for (const [sec, a] of [...this.seconds.entries()].sort((x, y) => x[0] - y[0])) {
      seconds.push([sec, a.count, a.errors, [...a.hist.buckets.entries()].sort((x, y) => x[0] - y[0])]);
    }
    return seconds;
  }

  secondRows(): RecordSecondInput[] {
    const out: RecordSecondInput[] = [];
    for (const perService of this.recordSeconds.values()) for (const list of perService.values()) out.push(...list);
    return out;
  }

  digest(policy: { sampleRate: number; notable: number; sampled: number; notableOverCap: number }, records: number, otherRows: number, context: ParseContext): FileDigestData {
    const seconds = this.secondTuples();
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

/** A stretch of the file parsed on its own (by one thread): bytes [byteStart, byteEnd), after `lineBase` lines. */
export interface ChunkSpec {
  byteStart: number;
  byteEnd: number;
  lineBase: number;
}

export interface SummarisedResult {
  records: number;
  blocks: EvidenceBlockInput[];
  digest: DigestBuilder;
  otherRows: number;
  /**
   * Whether the machine could have been cut before `nextLine` (the first line after the chunk): when
   * not, a record may straddle the chunk boundary and the file must be parsed as one chunk.
   */
  safeEnd: boolean;
}

const ROW_BATCH = 2000;

/**
 * Parses one chunk of a summarised file (`input` holds its bytes) block by block; see the module doc.
 * Rows get seq = the record's first line number, which is unique per file for line formats and
 * needs no count of the records before the chunk — chunks are parsed in parallel.
 */
export async function parseSummarised(
  input: Readable | AsyncIterable<Buffer>,
  newMachine: (ctx: ParseContext) => SegmentableMachine,
  ctx: ParseContext,
  policy: RowPolicy,
  chunk: ChunkSpec,
  output: SummarisedOutput,
  opts: { blockLines?: number; nextLine?: string | null } = {},
): Promise<SummarisedResult> {
  const blockLines = opts.blockLines ?? BLOCK_LINES;
  const digest = new DigestBuilder();
  const blocks: EvidenceBlockInput[] = [];
  let machine = newMachine(ctx);
  let records = 0;
  let otherRows = 0;
  let lastLine = chunk.lineBase;
  let block: EvidenceBlockInput = { byteStart: chunk.byteStart, byteEnd: 0, lineStart: chunk.lineBase + 1, lineEnd: 0, records: 0, bulk: 0, tsMin: null, tsMax: null };
  let rows: EvidenceRowInput[] = [];
  let unnumbered = 0;

  const take = () => {
    for (const it of machine.out) {
      if (it.kind === "skipped" || it.kind === "warning") {
        output.item(it);
        continue;
      }
      records++;
      block.records++;
      const ts = "ts" in it ? it.ts : null;
      if (typeof ts === "number" && Number.isFinite(ts)) {
        if (block.tsMin === null || ts < block.tsMin) block.tsMin = ts;
        if (block.tsMax === null || ts > block.tsMax) block.tsMax = ts;
      }
      output.record(it);
      let bulk = false;
      if (it.kind === "request" || it.kind === "span") {
        digest.add(it);
        if (policy.decide(it) === "bulk") {
          block.bulk++;
          continue;
        }
        bulk = true;
      } else otherRows++;
      const line = it.prov.line;
      if (line === undefined) {
        unnumbered++;
        continue;
      }
      const row = toEvidenceRow(it, line);
      row.bulk = bulk;
      rows.push(row);
    }
    machine.out.length = 0;
  };
  const flushRows = async () => {
    if (rows.length === 0) return;
    const batch = rows;
    rows = [];
    await output.rows(batch);
  };

  let safeEnd = true;
  try {
    for await (const batch of readLineBatches(input)) {
      for (const raw of batch) {
        const no = raw.no + chunk.lineBase;
        const offset = raw.offset + chunk.byteStart;
        if (no - block.lineStart >= blockLines && machine.canCutBefore(raw.text)) {
          machine.end();
          take();
          block.byteEnd = offset;
          block.lineEnd = no - 1;
          blocks.push(block);
          machine = newMachine(ctx);
          block = { byteStart: offset, byteEnd: 0, lineStart: no, lineEnd: 0, records: 0, bulk: 0, tsMin: null, tsMax: null };
        }
        feed(machine, no, offset, raw.text, raw.truncated);
        lastLine = no;
      }
      take();
      if (rows.length >= ROW_BATCH) await flushRows();
    }
    safeEnd = opts.nextLine === undefined || opts.nextLine === null || machine.canCutBefore(opts.nextLine);
  } catch (e) {
    output.item({ kind: "warning", message: `input stream failed: ${(e as Error).message}` });
  }
  machine.end();
  take();
  await flushRows();
  if (lastLine >= block.lineStart) {
    block.byteEnd = chunk.byteEnd;
    block.lineEnd = lastLine;
    blocks.push(block);
  }
  if (unnumbered > 0) output.item({ kind: "warning", message: `${unnumbered} records without a line number were aggregated but not stored` });
  return { records, blocks, digest, otherRows, safeEnd };
}
