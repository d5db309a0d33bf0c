import fs from "node:fs";
import type { DatabaseConfig } from "@/lib/server/db/provider";
import { type EvidenceRowInput, openRecordSink, type RecordSink, toEvidenceRow } from "@/lib/server/db/bulk";
import { getParser, sniff } from "@/lib/server/parsers/registry";
import type { ParseContext, ParseItem } from "@/lib/server/parsers/types";
import type { FileStatus } from "@/lib/schemas/api";
import { type EvidenceBlockInput, writeFileSummary } from "@/lib/server/db/summary-writes";
import { AggregatesMerger, IngestAggregates } from "./aggregates";
import { type Capture, CaptureObserver } from "./capture-time";
import { mergeNotes, notesCollector } from "./file-notes";
import { ingestInChunks, parseThreads } from "./summarised-chunks";
import { ingestSpanFile } from "./summarised-spans";
import { DigestBuilder } from "./summarised-ingest";
import { sampleRateFor, summariseSettings } from "./tiering";

export const SNIFF_HEAD_BYTES = 64 * 1024;
/** Files at least this big are written by a pipelined sink (a writer thread for SQLite); smaller ones are not worth the thread. */
const PIPELINE_MIN_BYTES = 4 * 1024 * 1024;
/** Rows handed to the sink at once. */
const ROW_BATCH = 2000;

export interface IngestFileInput {
  db: DatabaseConfig;
  incidentId: string;
  fileId: string;
  blobPath: string;
  path: string;
  /** Parser forced by the manifest (`formats:`), bypassing sniffing. */
  forcedFormat?: string;
  ctx: ParseContext;
  /** Capture time the pipeline found for the file (name, manifest, archive, user); ctx.captureTime is its ts. */
  capture?: Capture | null;
}

export interface FileIngestResult {
  format: string | null;
  confidence: number | null;
  scores: { id: string; confidence: number }[];
  status: FileStatus;
  records: number;
  skipped: number;
  warnings: { message: string; line?: number }[];
  skippedSamples: { line?: number; pointer?: string; reason: string; excerpt?: string }[];
  error: string | null;
  parseMs: number;
  /** Snapshot files: capture time (epoch ms) and its basis after parsing (capture-time.ts). */
  capture?: { time: number | null; basis: Capture["basis"]; note: string | null } | null;
  /** Records stored without a time: with no reference date known, the pipeline may parse the file again once one is. */
  undated?: number;
  /**
   * Set when the file was summarised (tiering.ts): how many records became rows (notable, sampled,
   * other kinds) and how many blocks index the rest.
   */
  summary?: { rows: number; notable: number; sampled: number; blocks: number; chunks: number };
}

/**
 * Sniffs and parses one stored file, writing its records with batched statements and its
 * aggregates. Idempotent: the file's previous records/aggregates are cleared first, so a retried
 * job (after SIGKILL) ends in the same state as a clean run. Never throws for bad content.
 */
export async function ingestFile(input: IngestFileInput, onProgress?: (bytesRead: number) => void): Promise<FileIngestResult> {
  const started = performance.now();
  const head = readHead(input.blobPath);
  const headText = new TextDecoder("utf-8", { fatal: false }).decode(head);
  const sniffed = sniff(headText, input.path);
  const scores = sniffed.scores.slice(0, 5).filter((s) => s.confidence > 0);
  const forced = input.forcedFormat ? getParser(input.forcedFormat) : undefined;
  const parser = forced ?? sniffed.parser;
  const result: FileIngestResult = {
    format: parser?.id ?? null,
    confidence: forced ? 1 : parser ? sniffed.confidence : null,
    scores,
    status: "unrecognized",
    records: 0,
    skipped: 0,
    warnings: [],
    skippedSamples: [],
    error: null,
    parseMs: 0,
  };
  if (input.forcedFormat && !forced) result.warnings.push({ message: `manifest names unknown format "${input.forcedFormat}"; sniffed instead` });

  const size = fs.statSync(input.blobPath).size;
  // Big access logs: bulk records are aggregated and indexed by block, not stored one row each.
  const settings = summariseSettings();
  const summarise = (parser?.segments !== undefined || parser?.spanBatches !== undefined) && size >= settings.minBytes;
  const sink = await openRecordSink(input.db, { incidentId: input.incidentId, fileId: input.fileId }, { pipelined: !summarise && size >= PIPELINE_MIN_BYTES });
  try {
    // Always clear: a previous attempt may have written part of this file.
    await sink.clearFile();
    if (!parser) {
      if (looksBinary(head)) result.warnings.push({ message: "binary content: no parser applies" });
      result.parseMs = Math.round(performance.now() - started);
      return result;
    }
    if (summarise) {
      await ingestSummarised(input, parser.id, size, head, settings, result, sink, onProgress);
      result.parseMs = Math.round(performance.now() - started);
      return result;
    }
    const aggregates = new IngestAggregates();
    const stream = fs.createReadStream(input.blobPath, { highWaterMark: 1024 * 1024 });
    const progress = onProgress ? setInterval(() => onProgress(stream.bytesRead), 250) : null;
    let seq = 0;
    let undated = 0;
    let rows: EvidenceRowInput[] = [];
    const note = notesCollector(result);
    const capture = new CaptureObserver(parser.id, input.capture ?? null);
    const handle = (item: ParseItem) => {
      if (item.kind === "skipped" || item.kind === "warning") note(item);
      else {
        seq++;
        const rec = capture.see(item);
        const row = toEvidenceRow(rec, seq);
        if (row.ts === null) undated++;
        rows.push(row);
        aggregates.add(rec);
      }
    };
    let sinkError: unknown = null;
    const store = async (batch: EvidenceRowInput[]) => {
      await sink.add(batch).catch((err: unknown) => {
        sinkError = err;
        throw err;
      });
    };
    const pushRows = async () => {
      const batch = rows;
      rows = [];
      await store(batch);
    };
    try {
      if (parser.parseBatches) {
        // Batches: one async step per input chunk instead of one per record.
        for await (const batch of parser.parseBatches(stream, input.ctx)) {
          for (const item of batch) handle(item);
          if (rows.length >= ROW_BATCH) await pushRows();
        }
      } else {
        for await (const item of parser.parse(stream, input.ctx) as AsyncIterable<ParseItem>) {
          handle(item);
          if (rows.length >= ROW_BATCH) await pushRows();
        }
      }
    } catch (err) {
      // A storage error is not the file's fault: the job retries it (see run-analysis.ts).
      if (sinkError) throw sinkError;
      // A parser bug must not fail the bundle: keep what was parsed, say what went wrong.
      result.error = `parser ${parser.id} stopped: ${(err as Error).message}`;
    } finally {
      if (progress) clearInterval(progress);
      stream.destroy();
    }
    await pushRows();
    await sink.flush();
    await sink.upsertRequestBuckets(aggregates.bucketRows());
    await sink.upsertLatencyHistograms(aggregates.histogramRows());
    if (aggregates.dropped > 0) result.warnings.push({ message: `aggregate caps reached: ${aggregates.dropped} observations not aggregated (raw records are kept)` });
    result.records = seq;
    result.undated = undated;
    const captured = capture.result();
    if (captured) result.capture = captured;
    result.status = fileStatus(result);
    if (result.status === "failed" && !result.error) result.error = result.skippedSamples[0]?.reason ?? "nothing could be parsed";
    onProgress?.(size);
  } finally {
    await sink.close();
  }
  result.parseMs = Math.round(performance.now() - started);
  return result;
}

/**
 * A summarised file (tiering.ts): parsed in chunks by parse threads (summarised-chunks.ts), which
 * write the rows; here the chunks' aggregates, digests and blocks are merged and written.
 */
async function ingestSummarised(
  input: IngestFileInput,
  parserId: string,
  size: number,
  head: Buffer,
  settings: ReturnType<typeof summariseSettings>,
  result: FileIngestResult,
  sink: RecordSink,
  onProgress?: (bytesRead: number) => void,
): Promise<void> {
  const spans = getParser(parserId)?.spanBatches !== undefined;
  const sampleRate = sampleRateFor(size, head, settings.sampleTarget, spans ? "spanId" : "line");
  const base = { db: input.db, incidentId: input.incidentId, fileId: input.fileId, blobPath: input.blobPath, parserId, sampleRate };
  // Span documents are scanned here and mapped by parse threads batch by batch; line files are cut
  // into chunks that parse threads take whole.
  const { outcomes, chunks } = spans
    ? { outcomes: [await ingestSpanFile(base, size, { threads: parseThreads(), batchBytes: settings.chunkBytes, onBytes: onProgress })], chunks: 1 }
    : await ingestInChunks({ ...base, ctx: input.ctx }, size, { chunkBytes: settings.chunkBytes, threads: parseThreads(), clear: () => sink.clearFile(), onBytes: onProgress });
  const aggregates = new AggregatesMerger();
  const digest = new DigestBuilder();
  const totals = { sampleRate, notable: 0, sampled: 0, notableOverCap: 0 };
  const blocks: EvidenceBlockInput[] = [];
  let records = 0;
  let otherRows = 0;
  for (const o of outcomes) {
    records += o.records;
    otherRows += o.otherRows;
    totals.notable += o.notable;
    totals.sampled += o.sampled;
    totals.notableOverCap += o.notableOverCap;
    mergeNotes(result, o);
    blocks.push(...o.blocks);
    aggregates.merge(o.aggregates);
    digest.merge(o.digest);
  }
  await sink.upsertRequestBuckets(aggregates.bucketRows());
  await sink.upsertLatencyHistograms(aggregates.histogramRows());
  const data = digest.digest(totals, records, otherRows, input.ctx);
  await writeFileSummary(input.db, { incidentId: input.incidentId, fileId: input.fileId }, { blocks, seconds: digest.secondRows(), digest: JSON.stringify(data) });
  result.summary = { rows: totals.notable + totals.sampled + otherRows, notable: totals.notable, sampled: totals.sampled, blocks: blocks.length, chunks };
  if (digest.recordSecondsDropped > 0) result.warnings.push({ message: `per-second count caps reached: ${digest.recordSecondsDropped} records not in the timeline chart counts` });
  if (data.secondsDropped > 0) result.warnings.push({ message: `the analysis' per-second aggregates cover the first ${data.seconds.length} seconds; ${data.secondsDropped} later requests are not in them` });
  if (aggregates.dropped > 0) result.warnings.push({ message: `aggregate caps reached: ${aggregates.dropped} observations not aggregated (raw records are kept)` });
  result.records = records;
  result.status = fileStatus(result);
  if (result.status === "failed" && !result.error) result.error = result.skippedSamples[0]?.reason ?? "nothing could be parsed";
  onProgress?.(size);
}

function fileStatus(r: FileIngestResult): FileStatus {
  if (r.error) return r.records > 0 ? "partial" : "failed";
  if (r.records === 0) return r.skipped > 0 ? "failed" : "parsed";
  return r.skipped > 0 ? "partial" : "parsed";
}

function readHead(file: string): Buffer {
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.alloc(SNIFF_HEAD_BYTES);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

/** NUL bytes in the first 8 KiB or mostly non-text bytes. */
export function looksBinary(head: Buffer): boolean {
  const n = Math.min(head.length, 8192);
  if (n === 0) return false;
  let odd = 0;
  for (let i = 0; i < n; i++) {
    const b = head[i]!;
    if (b === 0) return true;
    if (b < 9 || (b > 13 && b < 32)) odd++;
  }
  return odd / n > 0.1;
}
