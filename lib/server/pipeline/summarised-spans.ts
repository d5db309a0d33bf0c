import fs from "node:fs";
import type { SpanFacts } from "@/lib/schemas/records";
import { openRecordSink, toEvidenceRow, type EvidenceRowInput, type RecordSink } from "@/lib/server/db/bulk";
import type { DatabaseConfig } from "@/lib/server/db/provider";
import type { EvidenceBlockInput } from "@/lib/server/db/summary-writes";
import { getParser } from "@/lib/server/parsers/registry";
import type { ParseItem, SpanBatch, SpanBatchContext } from "@/lib/server/parsers/types";
import { AggregatesMerger, IngestAggregates, type AggregatesState } from "./aggregates";
import { notesCollector } from "./file-notes";
import { emptyOutcome, PARSE_THREAD_BATCH_ROWS, type ChunkOutcome } from "./summarised-chunks";
import { DigestBuilder, type DigestState } from "./summarised-ingest";
import { buildTraceBloom } from "./trace-bloom";
import { notableCapFor, RowPolicy } from "./tiering";

/**
 * A summarised span file (OTLP/JSON, `Parser.spanBatches`): the ingest thread scans the document
 * and hands batches of unparsed span objects to parse threads, which map, aggregate, choose rows
 * (notable spans and whole sampled traces) and write them. A batch becomes one block, with the
 * resource/scope it needs to re-parse alone and a Bloom filter of its trace ids.
 *
 *   ingest thread   scan ─ batch 0 ─ batch 1 ─ batch 2 ─ …   (≈ 1 µs a span: brackets and strings)
 *   parse thread A          map 0 ───────────  map 2 ─────     JSON.parse, mapOtlpSpan, aggregates,
 *   parse thread B                   map 1 ────────────  …     rows → own connection
 *
 * A span's seq is its index among the file's spans (counted by the scanner), so rows need no
 * coordination between threads; what a batch decides depends on the batch only.
 */

/** Block context of a span block: the batch context plus the seq of its first span. */
export interface SpanBlockContext extends SpanBatchContext {
  seq: number;
}

export interface SpanBatchTask {
  db: DatabaseConfig;
  incidentId: string;
  fileId: string;
  parserId: string;
  batch: SpanBatch;
  /** seq of the batch's first span */
  seq: number;
  sampleRate: number;
  notableCap: number;
}

export interface SpanBatchOutcome {
  records: number;
  skipped: ParseItem[];
  block: EvidenceBlockInput;
  aggregates: AggregatesState;
  digest: DigestState;
  notable: number;
  sampled: number;
  notableOverCap: number;
  /** The batch's slowest spans that are not rows (yet): candidates for the file's SLOWEST_SPANS. */
  slowest: SlowSpan[];
}

/** A span that may be among the file's slowest, with its row ready. */
export interface SlowSpan {
  durationMs: number;
  seq: number;
  row: EvidenceRowInput;
}

/** A parse thread's connection for the rows of the file it is working on (reused across batches). */
let cachedSink: { key: string; sink: Promise<RecordSink> } | null = null;

async function sinkFor(task: SpanBatchTask): Promise<RecordSink> {
  const key = `${task.db.url}\u0000${task.fileId}`;
  if (cachedSink?.key !== key) {
    await closeBatchSink();
    cachedSink = { key, sink: openRecordSink(task.db, { incidentId: task.incidentId, fileId: task.fileId }, { batchRows: PARSE_THREAD_BATCH_ROWS }) };
  }
  return cachedSink.sink;
}

/** Closes the cached connection (end of a file; the pool calls it before the threads go). */
export async function closeBatchSink(): Promise<void> {
  const c = cachedSink;
  cachedSink = null;
  if (c) await (await c.sink).close();
}

/** Maps one batch (in whichever thread runs it): rows are written here, the rest returned. */
export async function parseSpanBatch(task: SpanBatchTask): Promise<SpanBatchOutcome> {
  const parser = getParser(task.parserId);
  if (!parser?.spanBatches) throw new Error(`parser ${task.parserId} has no span batches`);
  // Facts for every span; a full record only for the spans stored as rows (or skipped).
  const reader = parser.spanBatches.read(task.batch);
  const policy = new RowPolicy(task.sampleRate, task.notableCap);
  const aggregates = new IngestAggregates();
  const digest = new DigestBuilder();
  const b = task.batch;
  const block: EvidenceBlockInput = {
    byteStart: b.byteStart,
    byteEnd: b.byteEnd,
    lineStart: b.lines[0] ?? 1,
    lineEnd: b.lines[b.lines.length - 1] ?? 1,
    records: 0,
    bulk: 0,
    tsMin: null,
    tsMax: null,
    context: JSON.stringify({ ...b.context, seq: task.seq } satisfies SpanBlockContext),
  };
  const rows: EvidenceRowInput[] = [];
  const skipped: ParseItem[] = [];
  const traces: string[] = [];
  const facts = Array.from({ length: reader.size }, (_, k) => reader.facts(k));
  const slowCandidates = slowestOf(facts);
  const slowest: SlowSpan[] = [];
  const stored = (k: number): EvidenceRowInput | null => {
    const rec = reader.record(k);
    if (rec.kind === "skipped") return null;
    const row = toEvidenceRow(rec, task.seq + k);
    row.bulk = true;
    return row;
  };
  facts.forEach((span, k) => {
    if (span === null) {
      const it = reader.record(k);
      if (it.kind === "skipped") skipped.push(it);
      return;
    }
    block.records++;
    traces.push(span.traceId);
    if (block.tsMin === null || span.ts < block.tsMin) block.tsMin = span.ts;
    if (block.tsMax === null || span.ts > block.tsMax) block.tsMax = span.ts;
    aggregates.add(span);
    digest.add(span);
    if (policy.decide(span) === "bulk") {
      block.bulk++;
      const row = slowCandidates.has(k) ? stored(k) : null;
      if (row) slowest.push({ durationMs: span.durationMs ?? 0, seq: task.seq + k, row });
      return;
    }
    const row = stored(k);
    if (row) rows.push(row);
  });
  block.traces = buildTraceBloom(traces);
  // Buffered across batches (one transaction per few thousand rows); "close-batch-sink" flushes,
  // and a write error fails the file there at the latest.
  if (rows.length) await (await sinkFor(task)).add(rows);
  return {
    records: block.records,
    skipped,
    block,
    aggregates: aggregates.exportState(),
    digest: digest.exportState(),
    notable: policy.notable,
    sampled: policy.sampled,
    notableOverCap: policy.notableOverCap,
    slowest,
  };
}

/**
 * The file's SLOWEST_SPANS longest spans are stored as rows even below the "slow" threshold, so the
 * roots of its slowest traces (what the Traces view lists, 50 at most) are rows. Each batch offers
 * its own slowest as candidates; the ingest thread keeps the file's best and writes them at the end.
 */
export const SLOWEST_SPANS = 50;

/** Keeps the n slowest (ties: lowest seq), whatever order they arrive in. */
export class SlowestSpans {
  private list: SlowSpan[] = [];
  constructor(private readonly n = SLOWEST_SPANS) {}
  offer(items: readonly SlowSpan[]): void {
    if (items.length === 0) return;
    this.list = [...this.list, ...items].sort((a, b) => b.durationMs - a.durationMs || a.seq - b.seq).slice(0, this.n);
  }
  rows(): EvidenceRowInput[] {
    return this.list.map((s) => s.row);
  }
}

function slowestOf(items: ReadonlyArray<SpanFacts | null>): Set<number> {
  const ranked: Array<[number, number]> = [];
  items.forEach((it, k) => {
    if (it !== null && it.durationMs !== null) ranked.push([it.durationMs, k]);
  });
  ranked.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  return new Set(ranked.slice(0, SLOWEST_SPANS).map(([, k]) => k));
}

/** Batches in flight per parse thread (bounds the memory the scanner can run ahead with). */
const IN_FLIGHT_PER_THREAD = 3;

/**
 * Scans the file and maps its batches on `threads` parse threads (in this thread when 1), merging
 * the outcomes in batch order into one ChunkOutcome (as a line file's chunks are).
 */
export async function ingestSpanFile(
  base: { db: DatabaseConfig; incidentId: string; fileId: string; blobPath: string; parserId: string; sampleRate: number },
  size: number,
  opts: { threads: number; batchBytes: number; onBytes?: (bytes: number) => void },
): Promise<ChunkOutcome> {
  const parser = getParser(base.parserId);
  if (!parser?.spanBatches) throw new Error(`parser ${base.parserId} has no span batches`);
  const out = emptyOutcome();
  const aggregates = new AggregatesMerger();
  const digest = new DigestBuilder();
  const slowest = new SlowestSpans();
  const note = notesCollector(out);
  // Batch outcomes arrive in any order; they are merged in batch order so the result is the same
  // whatever the threads do.
  const pending = new Map<number, SpanBatchOutcome>();
  let nextMerge = 0;
  const mergeReady = () => {
    for (let o = pending.get(nextMerge); o; o = pending.get(nextMerge)) {
      pending.delete(nextMerge++);
      out.records += o.records;
      for (const s of o.skipped) note(s);
      out.blocks.push(o.block);
      aggregates.merge(o.aggregates);
      digest.merge(o.digest);
      out.notable += o.notable;
      out.sampled += o.sampled;
      out.notableOverCap += o.notableOverCap;
      slowest.offer(o.slowest);
    }
  };

  // Loaded lazily: threads.ts pulls in the worker machinery, which one thread does not need.
  const pool = opts.threads > 1 ? await import("./threads").then(({ PipelineThread }) => Array.from({ length: opts.threads }, () => new PipelineThread())) : [];
  const busy = new Set<Promise<void>>();
  let spanSeq = 1;
  let batchNo = 0;
  let round = 0;
  const stream = fs.createReadStream(base.blobPath, { highWaterMark: 1024 * 1024 });
  const progress = opts.onBytes ? setInterval(() => opts.onBytes!(stream.bytesRead), 250) : null;
  let failure: unknown = null;
  try {
    for await (const items of parser.spanBatches.scan(stream, opts.batchBytes)) {
      for (const it of items) {
        if ("kind" in it) {
          note(it);
          continue;
        }
        const task: SpanBatchTask = {
          ...base,
          batch: it,
          seq: spanSeq,
          notableCap: notableCapFor(it.byteEnd - it.byteStart, size),
        };
        spanSeq += it.offsets.length;
        const no = batchNo++;
        if (pool.length === 0) {
          pending.set(no, await parseSpanBatch(task));
          mergeReady();
          continue;
        }
        const thread = pool[round++ % pool.length]!;
        const p: Promise<void> = thread
          .run<SpanBatchOutcome>("parse-span-batch", task)
          .then((o) => {
            pending.set(no, o);
            mergeReady();
          })
          .catch((e: unknown) => {
            failure ??= e;
          })
          .finally(() => busy.delete(p));
        busy.add(p);
        while (busy.size >= pool.length * IN_FLIGHT_PER_THREAD) await Promise.race(busy);
        if (failure) throw failure;
      }
    }
    await Promise.all(busy);
    if (failure) throw failure;
    // Rows still buffered in the threads' connections: written now, errors fail the file.
    if (pool.length) await Promise.all(pool.map((t) => t.run("close-batch-sink", null)));
    else await closeBatchSink();
  } finally {
    if (progress) clearInterval(progress);
    stream.destroy();
    await Promise.allSettled([...busy]);
    if (pool.length) await Promise.all(pool.map((t) => t.close()));
    else await closeBatchSink().catch(() => undefined);
  }
  // The file's slowest spans that are not rows yet (ON CONFLICT: a stored one is simply skipped).
  const extra = slowest.rows();
  if (extra.length) {
    const sink = await openRecordSink(base.db, { incidentId: base.incidentId, fileId: base.fileId }, { ignoreDuplicates: true });
    try {
      await sink.add(extra);
      await sink.flush();
      // Stored for being slow: counted with the notable rows.
      out.notable += extra.length;
    } finally {
      await sink.close();
    }
  }
  out.aggregates = aggregates.exportState();
  out.digest = digest.exportState();
  opts.onBytes?.(size);
  return out;
}
