import fs from "node:fs";
import os from "node:os";
import { Readable } from "node:stream";
import type { DatabaseConfig } from "@/lib/server/db/provider";
import { openRecordSink } from "@/lib/server/db/bulk";
import type { EvidenceBlockInput } from "@/lib/server/db/summary-writes";
import { getParser } from "@/lib/server/parsers/registry";
import type { ParseContext } from "@/lib/server/parsers/types";
import { IngestAggregates, type AggregatesState } from "./aggregates";
import { notesCollector, type FileNotes } from "./file-notes";
import { parseSummarised, type ChunkSpec, type DigestState } from "./summarised-ingest";
import { notableCapFor, RowPolicy } from "./tiering";

/**
 * A summarised file is parsed in chunks of about `chunkBytes`, cut at line ends, by up to
 * `threads` worker threads at once; the ingest thread only plans, counts lines and merges.
 *
 *   file     |──── chunk 0 ────|──── chunk 1 ────|──── chunk 2 ────| …
 *   lines    counted ahead (≈3 GB/s) so each chunk knows its first line number
 *   thread A  parse 0 ──────────  parse 2 ──────────  …      each: rows → own connection,
 *   thread B        parse 1 ──────────  parse 3 ───── …      blocks + aggregates back as data
 *   ingest    merge(aggregates, digest, blocks) → RequestBucket, LatencyHistogram, RecordSecond, …
 *
 * Everything a chunk decides depends on the chunk only (its own notable cap, per-chunk aggregates
 * with their own client caps), never on which thread ran it or when, so the result is the same
 * with 1 thread or 8. A chunk boundary is a block boundary: if the parser could not have been cut
 * there (a wrapped line straddling it), the file is parsed again as one chunk.
 */

export interface ChunkTask {
  db: DatabaseConfig;
  incidentId: string;
  fileId: string;
  blobPath: string;
  parserId: string;
  ctx: ParseContext;
  chunk: ChunkSpec;
  sampleRate: number;
  notableCap: number;
  blockLines?: number;
}

export interface ChunkOutcome extends FileNotes {
  records: number;
  blocks: EvidenceBlockInput[];
  aggregates: AggregatesState;
  digest: DigestState;
  otherRows: number;
  notable: number;
  sampled: number;
  notableOverCap: number;
  safeEnd: boolean;
}

/** Rows per transaction from a parse thread: holds the SQLite lock ~20 ms, not ~100 (see bulk.ts batchRows). */
export const PARSE_THREAD_BATCH_ROWS = 1000;
/** Bytes read past a chunk's end to find the next line (for the boundary check). */
const PEEK_BYTES = 1024 * 1024;

/** An outcome with nothing in it yet. */
export function emptyOutcome(): ChunkOutcome {
  return {
    records: 0,
    skipped: 0,
    skippedSamples: [],
    warnings: [],
    blocks: [],
    aggregates: { buckets: [], histograms: [], dropped: 0 },
    digest: { seconds: [], secondsDropped: 0, recordSeconds: [], recordSecondsDropped: 0, requests: 0, spans: 0, tsMin: null, tsMax: null },
    otherRows: 0,
    notable: 0,
    sampled: 0,
    notableOverCap: 0,
    safeEnd: true,
  };
}

/** Parses one chunk (in whichever thread runs it): its rows are written here, the rest returned. */
export async function parseChunk(task: ChunkTask, onBytes?: (bytes: number) => void): Promise<ChunkOutcome> {
  const parser = getParser(task.parserId);
  if (!parser?.segments) throw new Error(`parser ${task.parserId} cannot be parsed in chunks`);
  const segments = parser.segments.bind(parser);
  const { chunk } = task;
  const policy = new RowPolicy(task.sampleRate, task.notableCap);
  const aggregates = new IngestAggregates();
  const out = emptyOutcome();
  const item = notesCollector(out);
  const sink = await openRecordSink(task.db, { incidentId: task.incidentId, fileId: task.fileId }, { batchRows: PARSE_THREAD_BATCH_ROWS });
  const stream = fs.createReadStream(task.blobPath, { start: chunk.byteStart, end: Math.max(chunk.byteStart, chunk.byteEnd - 1), highWaterMark: 1024 * 1024 });
  const progress = onBytes ? setInterval(() => onBytes(stream.bytesRead), 250) : null;
  try {
    const res = await parseSummarised(
      chunk.byteEnd > chunk.byteStart ? stream : Readable.from([]),
      segments,
      task.ctx,
      policy,
      chunk,
      { rows: (rows) => sink.add(rows), record: (r) => aggregates.add(r), item },
      { blockLines: task.blockLines, nextLine: readNextLine(task.blobPath, chunk.byteEnd) },
    );
    await sink.flush();
    out.records = res.records;
    out.blocks = res.blocks;
    out.otherRows = res.otherRows;
    out.safeEnd = res.safeEnd;
    out.digest = res.digest.exportState();
    out.aggregates = aggregates.exportState();
    out.notable = policy.notable;
    out.sampled = policy.sampled;
    out.notableOverCap = policy.notableOverCap;
  } finally {
    if (progress) clearInterval(progress);
    stream.destroy();
    await sink.close();
  }
  onBytes?.(chunk.byteEnd - chunk.byteStart);
  return out;
}

/** The first line at `offset` (up to PEEK_BYTES), or null at the end of the file. */
function readNextLine(file: string, offset: number): string | null {
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.alloc(Math.min(PEEK_BYTES, 64 * 1024));
    let text = "";
    for (let pos = offset; pos < offset + PEEK_BYTES; ) {
      const n = fs.readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) return text === "" && pos === offset ? null : text;
      const nl = buf.subarray(0, n).indexOf(10);
      if (nl !== -1) return text + buf.toString("utf8", 0, nl).replace(/\r$/, "");
      text += buf.toString("utf8", 0, n);
      pos += n;
    }
    return text;
  } finally {
    fs.closeSync(fd);
  }
}

/** Chunks of about `chunkBytes`, each ending just after a newline (the last at the end of the file). */
export function planChunks(file: string, size: number, chunkBytes: number): { byteStart: number; byteEnd: number }[] {
  const out: { byteStart: number; byteEnd: number }[] = [];
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.alloc(64 * 1024);
    let start = 0;
    while (start < size) {
      let end = Math.min(size, start + chunkBytes);
      if (end < size) {
        // Move to just after the next newline (lines over 1 MiB are cut by the reader anyway).
        let found = -1;
        for (let pos = end; pos < size && found === -1; pos += buf.length) {
          const n = fs.readSync(fd, buf, 0, buf.length, pos);
          if (n === 0) break;
          const nl = buf.subarray(0, n).indexOf(10);
          if (nl !== -1) found = pos + nl + 1;
        }
        end = found === -1 ? size : found;
      }
      out.push({ byteStart: start, byteEnd: end });
      start = end;
    }
  } finally {
    fs.closeSync(fd);
  }
  return out;
}

/** Newlines in [byteStart, byteEnd) of a file: a memchr-speed pass (≈3 GB/s) so chunks know their first line. */
export function countNewlines(file: string, byteStart: number, byteEnd: number): number {
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
    let n = 0;
    for (let pos = byteStart; pos < byteEnd; ) {
      const r = fs.readSync(fd, buf, 0, Math.min(buf.length, byteEnd - pos), pos);
      if (r === 0) break;
      const b = r < buf.length ? buf.subarray(0, r) : buf;
      for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) n++;
      pos += r;
    }
    return n;
  } finally {
    fs.closeSync(fd);
  }
}

/** Parse threads for summarised files: HINDSIGHT_PARSE_THREADS, else the CPUs (at most 4). */
export function parseThreads(env: Record<string, string | undefined> = process.env): number {
  const v = Number(env.HINDSIGHT_PARSE_THREADS);
  if (Number.isInteger(v) && v >= 1) return Math.min(v, 16);
  return Math.max(1, Math.min(4, os.availableParallelism()));
}

export interface ChunkedIngest {
  outcomes: ChunkOutcome[];
  /** Chunks used (1 when a boundary was unsafe and the file was parsed again whole). */
  chunks: number;
}

/**
 * Plans the chunks and runs them, `threads` at a time (in this thread when 1). `clear` is called
 * before a whole-file retry (rows of the first attempt are removed). Throws when a chunk throws
 * (a database error: the job retries the file).
 */
export async function ingestInChunks(
  base: Omit<ChunkTask, "chunk" | "notableCap">,
  size: number,
  opts: { chunkBytes: number; threads: number; clear: () => Promise<void>; onBytes?: (bytes: number) => void },
): Promise<ChunkedIngest> {
  let plan = planChunks(base.blobPath, size, opts.chunkBytes);
  let outcomes = await runChunks(base, size, plan, opts.threads, opts.onBytes);
  if (outcomes.slice(0, -1).some((o) => !o.safeEnd)) {
    // A record straddles a chunk boundary: parse the file as one chunk (same blocks inside).
    await opts.clear();
    plan = [{ byteStart: 0, byteEnd: size }];
    outcomes = await runChunks(base, size, plan, 1, opts.onBytes);
  }
  return { outcomes, chunks: plan.length };
}

async function runChunks(
  base: Omit<ChunkTask, "chunk" | "notableCap">,
  size: number,
  plan: { byteStart: number; byteEnd: number }[],
  threads: number,
  onBytes?: (bytes: number) => void,
): Promise<ChunkOutcome[]> {
  const bases = [0];
  const lineBase = (i: number): number => {
    while (bases.length <= i) {
      const j = bases.length - 1;
      bases.push(bases[j]! + countNewlines(base.blobPath, plan[j]!.byteStart, plan[j]!.byteEnd));
    }
    return bases[i]!;
  };
  const done = new Array<number>(plan.length).fill(0);
  const report = (i: number, bytes: number) => {
    done[i] = bytes;
    onBytes?.(done.reduce((a, b) => a + b, 0));
  };
  const task = (i: number): ChunkTask => {
    const c = plan[i]!;
    return { ...base, chunk: { ...c, lineBase: lineBase(i) }, notableCap: notableCapFor(c.byteEnd - c.byteStart, size) };
  };
  const outcomes = new Array<ChunkOutcome>(plan.length);
  const n = Math.max(1, Math.min(threads, plan.length));
  if (n === 1) {
    for (let i = 0; i < plan.length; i++) outcomes[i] = await parseChunk(task(i), (b) => report(i, b));
    return outcomes;
  }
  // Loaded lazily: the pool is only for big files, and threads.ts pulls in the worker machinery.
  const { PipelineThread } = await import("./threads");
  const pool = Array.from({ length: n }, () => new PipelineThread());
  let next = 0;
  try {
    await Promise.all(
      pool.map(async (thread) => {
        for (let i = next++; i < plan.length; i = next++) {
          outcomes[i] = await thread.run<ChunkOutcome>("parse-chunk", task(i), (b) => report(i, b));
        }
      }),
    );
  } finally {
    await Promise.all(pool.map((t) => t.close()));
  }
  return outcomes;
}
