import { createRequire } from "node:module";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { connectPg } from "./pg-client";
import { encodeRecordJson, type EvidenceRecord, type Endpoint, type RequestRecord, type SpanFacts } from "@/lib/schemas/records";
import { projectRoot } from "@/lib/server/paths";
import { destName, isFailedRequest } from "@/lib/server/correlate/requests";
import { ensureSqliteDir, SQLITE_PRAGMAS } from "./adapters";
import type { DatabaseConfig } from "./provider";

/**
 * High-volume writes off the ORM path (DEVELOPERS.md: "Bulk data off the ORM hot path").
 * Used from ingest worker threads, so it holds its own plain connection (better-sqlite3 / pg) and
 * never touches Prisma. Table and column names are Prisma's (quoted, case-sensitive on PostgreSQL).
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

export const SQLITE_BATCH = 4000;
export const PG_BATCH = 4000;
/** Batches written or queued but not yet acknowledged before add() waits (pipelined sinks). */
const MAX_IN_FLIGHT = 3;
/** The one-line summary is for search and the timeline; the full record is in `data`. */
export const MAX_TEXT_LENGTH = 2000;

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
const ROW_WIDTH = EVIDENCE_COLUMNS.length - 2;
const BUCKET_COLUMNS = ["incidentId", "fileId", "second", "source", "dest", "status", "flag", "count", "durationSumMs"] as const;
const BUCKET_KEY = ["fileId", "second", "source", "dest", "status", "flag"] as const;
const HISTOGRAM_COLUMNS = ["incidentId", "fileId", "service", "hop", "minute", "metric", "count", "histogram"] as const;
const HISTOGRAM_KEY = ["fileId", "service", "hop", "minute", "metric"] as const;

const q = (c: string) => `"${c}"`;
const list = (cols: readonly string[]) => cols.map(q).join(", ");
/** ON CONFLICT … DO UPDATE for every non-key column: "insert or replace" without delete+insert. */
const upsertTail = (cols: readonly string[], key: readonly string[]) =>
  `ON CONFLICT (${list(key)}) DO UPDATE SET ${cols
    .filter((c) => !key.includes(c as never))
    .map((c) => `${q(c)} = excluded.${q(c)}`)
    .join(", ")}`;
const placeholders = (n: number) => `(${Array.from({ length: n }, () => "?").join(", ")})`;

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

/** Appends rows to a flat value array (ROW_WIDTH values each), sanitised for both drivers. */
function flattenInto(out: (string | number | null)[], r: EvidenceRowInput): void {
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

// ---------------------------------------------------------------------------------------------
// SQLite: one prepared statement, one transaction per batch; optionally on a writer thread.

/** The sink's own connection writes big transactions: a larger page cache keeps the indexes' hot pages in memory. */
const SQLITE_SINK_PRAGMAS = [...SQLITE_PRAGMAS, "cache_size = -65536"];

interface SqliteStatements {
  insertEvidence: string;
  insertBucket: string;
  insertHistogram: string;
  deletes: string[];
}

/** Tables holding a file's ingest output, cleared before it is (re)parsed. */
export const FILE_TABLES = ["Evidence", "RequestBucket", "LatencyHistogram", "EvidenceBlock", "RecordSecond", "FileDigest"] as const;

function sqliteStatements(ignoreDuplicates: boolean): SqliteStatements {
  return {
    insertEvidence: `INSERT${ignoreDuplicates ? " OR IGNORE" : ""} INTO "Evidence" (${list(EVIDENCE_COLUMNS)}) VALUES ${placeholders(EVIDENCE_COLUMNS.length)}`,
    insertBucket: `INSERT INTO "RequestBucket" (${list(BUCKET_COLUMNS)}) VALUES ${placeholders(BUCKET_COLUMNS.length)} ${upsertTail(BUCKET_COLUMNS, BUCKET_KEY)}`,
    insertHistogram: `INSERT INTO "LatencyHistogram" (${list(HISTOGRAM_COLUMNS)}) VALUES ${placeholders(HISTOGRAM_COLUMNS.length)} ${upsertTail(HISTOGRAM_COLUMNS, HISTOGRAM_KEY)}`,
    deletes: FILE_TABLES.map((t) => `DELETE FROM "${t}" WHERE "fileId" = ?`),
  };
}

/**
 * The statements' executor, as plain JavaScript so the writer thread can run it without the
 * TypeScript loader (starting a thread costs milliseconds, not the ~0.5 s of loading the pipeline).
 * The same source runs in-thread (non-pipelined sinks) through `new Function`, so both paths execute
 * identical code. `w` = { driver, sqlitePath, pragmas, sql, incidentId, fileId }.
 */
const SQLITE_WRITER_SOURCE = `
const Database = require(w.driver);
const conn = new Database(w.sqlitePath, { timeout: 5000 });
for (const p of w.pragmas) conn.pragma(p);
const insertEvidence = conn.prepare(w.sql.insertEvidence);
const insertBucket = conn.prepare(w.sql.insertBucket);
const insertHistogram = conn.prepare(w.sql.insertHistogram);
const deletes = w.sql.deletes.map((d) => conn.prepare(d));
const inc = w.incidentId;
const file = w.fileId;
const writeRows = conn.transaction((v) => {
  for (let i = 0; i < v.length; i += ${ROW_WIDTH}) {
    insertEvidence.run(inc, file, v[i], v[i + 1], v[i + 2], v[i + 3], v[i + 4], v[i + 5], v[i + 6], v[i + 7], v[i + 8], v[i + 9], v[i + 10], v[i + 11], v[i + 12], v[i + 13]);
  }
});
const clear = conn.transaction(() => { for (const d of deletes) d.run(file); });
const writeBuckets = conn.transaction((rows) => {
  for (const r of rows) insertBucket.run(inc, file, r.second, r.source, r.dest, r.status, r.flag, r.count, r.durationSumMs);
});
const writeHistograms = conn.transaction((rows) => {
  for (const r of rows) insertHistogram.run(inc, file, r.service, r.hop, r.minute, r.metric, r.count, r.histogram);
});
const handle = (m) => {
  switch (m.op) {
    case "rows": writeRows(m.values); break;
    case "clear": clear(); break;
    case "buckets": writeBuckets(m.rows); break;
    case "histograms": writeHistograms(m.rows); break;
    case "close": if (conn.open) conn.close(); break;
  }
};
`;

type WriterMessage =
  | { op: "rows"; values: (string | number | null)[] }
  | { op: "clear" }
  | { op: "buckets"; rows: RequestBucketInput[] }
  | { op: "histograms"; rows: LatencyHistogramInput[] }
  | { op: "close" };

interface WriterConfig {
  driver: string;
  sqlitePath: string;
  pragmas: string[];
  sql: SqliteStatements;
  incidentId: string;
  fileId: string;
}

function writerConfig(sqlitePath: string, target: SinkTarget, ignoreDuplicates: boolean): WriterConfig {
  // Absolute path: the writer thread resolves modules from the process's cwd, which the CLI does not fix.
  const driver = createRequire(path.join(projectRoot(), "package.json")).resolve("better-sqlite3");
  return { driver, sqlitePath, pragmas: SQLITE_SINK_PRAGMAS, sql: sqliteStatements(ignoreDuplicates), incidentId: target.incidentId, fileId: target.fileId };
}

/** A writer executing in this thread. */
function inlineWriter(w: WriterConfig): (m: WriterMessage) => void {
  const req = createRequire(path.join(projectRoot(), "package.json"));
  const make = new Function("require", "w", `${SQLITE_WRITER_SOURCE}\nreturn handle;`) as (r: NodeJS.Require, w: WriterConfig) => (m: WriterMessage) => void;
  return make(req, w);
}

/** A writer thread: messages are handled in order; each gets an ack `{ id, error? }`. */
class WriterThread {
  private readonly worker: Worker;
  private seq = 0;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;

  constructor(w: WriterConfig) {
    const code = `const { parentPort, workerData: w } = require("node:worker_threads");
${SQLITE_WRITER_SOURCE}
parentPort.on("message", (m) => {
  try { handle(m); parentPort.postMessage({ id: m.id }); }
  catch (e) { parentPort.postMessage({ id: m.id, error: String(e && e.message || e) }); }
});`;
    this.worker = new Worker(code, { eval: true, workerData: w, execArgv: [] });
    this.worker.on("message", (msg: { id: number; error?: string }) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error !== undefined) p.reject(new Error(msg.error));
      else p.resolve();
    });
    const failAll = (err: Error) => {
      this.failure ??= err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on("error", failAll);
    this.worker.on("exit", (code) => failAll(new Error(`SQLite writer thread exited (code ${code})`)));
  }

  get inFlight(): number {
    return this.pending.size;
  }

  send(m: WriterMessage): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const id = ++this.seq;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...m, id });
    });
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}

function openSqliteSink(sqlitePath: string, target: SinkTarget, pipelined: boolean, ignoreDuplicates: boolean, batchRows: number): RecordSink {
  ensureSqliteDir(sqlitePath);
  const config = writerConfig(sqlitePath, target, ignoreDuplicates);
  const thread = pipelined ? new WriterThread(config) : null;
  const inline = thread ? null : inlineWriter(config);

  // Acks of batches sent to the thread, oldest first; a failed write rejects its ack.
  let acks: Promise<void>[] = [];
  let values: (string | number | null)[] = [];
  let rowsBuffered = 0;
  let written = 0;
  let closed = false;

  const exec = async (m: WriterMessage): Promise<void> => {
    if (inline) inline(m);
    else await thread!.send(m);
  };
  /** Waits for every queued batch; the first failure is thrown (after all have settled). */
  const drain = async () => {
    const all = acks;
    acks = [];
    const results = await Promise.allSettled(all);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  };
  const sendBatch = async () => {
    if (rowsBuffered === 0) return;
    const batch = values;
    const n = rowsBuffered;
    values = [];
    rowsBuffered = 0;
    if (inline) {
      inline({ op: "rows", values: batch });
      written += n;
      return;
    }
    const ack = thread!.send({ op: "rows", values: batch }).then(() => {
      written += n;
    });
    ack.catch(() => undefined); // observed by drain()
    acks.push(ack);
    while (acks.length >= MAX_IN_FLIGHT) {
      const oldest = acks.shift()!;
      await oldest;
    }
  };
  const assertOpen = () => {
    if (closed) throw new Error("record sink is closed");
  };

  return {
    async add(rows) {
      assertOpen();
      if (Array.isArray(rows)) {
        for (const r of rows as readonly EvidenceRowInput[]) {
          flattenInto(values, r);
          if (++rowsBuffered >= batchRows) await sendBatch();
        }
      } else {
        flattenInto(values, rows as EvidenceRowInput);
        if (++rowsBuffered >= batchRows) await sendBatch();
      }
    },
    async flush() {
      assertOpen();
      await sendBatch();
      await drain();
    },
    async clearFile() {
      assertOpen();
      values = [];
      rowsBuffered = 0;
      await drain().catch(() => undefined); // rows being cleared anyway
      await exec({ op: "clear" });
      written = 0;
    },
    async upsertRequestBuckets(rows) {
      assertOpen();
      if (rows.length) await exec({ op: "buckets", rows: rows.map((r) => ({ ...r, durationSumMs: finiteOr(r.durationSumMs, 0) })) });
    },
    async upsertLatencyHistograms(rows) {
      assertOpen();
      if (rows.length) await exec({ op: "histograms", rows: [...rows] });
    },
    get written() {
      return written;
    },
    async close() {
      if (closed) return;
      try {
        await sendBatch();
        await drain();
      } finally {
        closed = true;
        if (thread) {
          await thread.send({ op: "close" }).catch(() => undefined);
          await thread.terminate();
        } else inline!({ op: "close" });
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL: one statement per batch, each column sent as one array parameter and expanded by
// unnest(). 15 parameters whatever the batch size, so no 65535-parameter limit and one parse.

const PG_EVIDENCE_TYPES = ["text", "text", "int4", "text", "float8", "float8", "text", "text", "text", "int4", "text", "text", "text", "int4", "text", "bool"];
const PG_BUCKET_TYPES = ["text", "text", "int4", "text", "text", "int4", "text", "int4", "float8"];
const PG_HISTOGRAM_TYPES = ["text", "text", "text", "text", "int4", "text", "int4", "text"];

function unnestInsert(table: string, cols: readonly string[], types: readonly string[], key: readonly string[] | null): string {
  const params = types.map((t, i) => `$${i + 1}::${t}[]`).join(", ");
  return `INSERT INTO "${table}" (${list(cols)}) SELECT * FROM unnest(${params})${key ? ` ${upsertTail(cols, key)}` : ""}`;
}

/** Rows → one array per column. */
function columns(rows: readonly unknown[][], width: number): unknown[][] {
  const out: unknown[][] = Array.from({ length: width }, () => new Array(rows.length));
  rows.forEach((row, i) => {
    for (let c = 0; c < width; c++) out[c]![i] = row[c];
  });
  return out;
}

/** A flattened Evidence batch → the 15 column arrays (incidentId and fileId repeated). */
function evidenceColumns(target: SinkTarget, values: readonly (string | number | null)[]): unknown[][] {
  const n = values.length / ROW_WIDTH;
  const out: unknown[][] = [new Array(n).fill(target.incidentId), new Array(n).fill(target.fileId)];
  for (let c = 0; c < ROW_WIDTH; c++) {
    const col = new Array(n);
    for (let i = 0, j = c; i < n; i++, j += ROW_WIDTH) col[i] = pgText(values[j]);
    out.push(col);
  }
  return out;
}

/** PostgreSQL text cannot hold NUL; hostile input must not fail the batch (the SQLite sink keeps them). */
export function pgText<T>(v: T): T {
  return (typeof v === "string" && v.includes("\u0000") ? v.replace(/\u0000/g, "\uFFFD") : v) as T;
}

async function openPgSink(url: string, target: SinkTarget, pipelined: boolean, ignoreDuplicates: boolean): Promise<RecordSink> {
  const client = await connectPg(url);
  const evidenceSql = `${unnestInsert("Evidence", EVIDENCE_COLUMNS, PG_EVIDENCE_TYPES, null)}${ignoreDuplicates ? ` ON CONFLICT ("fileId", "seq") DO NOTHING` : ""}`;
  const bucketSql = unnestInsert("RequestBucket", BUCKET_COLUMNS, PG_BUCKET_TYPES, BUCKET_KEY);
  const histogramSql = unnestInsert("LatencyHistogram", HISTOGRAM_COLUMNS, PG_HISTOGRAM_TYPES, HISTOGRAM_KEY);

  let values: (string | number | null)[] = [];
  let rowsBuffered = 0;
  let written = 0;
  let closed = false;
  // Serialises writes: one pg.Client runs one query at a time, and rows must land in order.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn);
    chain = next.catch(() => undefined);
    return next;
  };
  let acks: Promise<void>[] = [];
  const inTransaction = async (fn: () => Promise<void>) => {
    await client.query("BEGIN");
    try {
      await fn();
      await client.query("COMMIT");
    } catch (e) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw e;
    }
  };
  const drain = async () => {
    const all = acks;
    acks = [];
    const results = await Promise.allSettled(all);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  };
  const sendBatch = async () => {
    if (rowsBuffered === 0) return;
    const batch = values;
    const n = rowsBuffered;
    values = [];
    rowsBuffered = 0;
    const ack = serial(async () => {
      await client.query(evidenceSql, evidenceColumns(target, batch));
      written += n;
    });
    ack.catch(() => undefined); // observed by drain()
    acks.push(ack);
    // Pipelined: keep parsing while the server inserts; otherwise wait for this batch.
    const limit = pipelined ? MAX_IN_FLIGHT - 1 : 0;
    while (acks.length > limit) await acks.shift()!;
  };
  const assertOpen = () => {
    if (closed) throw new Error("record sink is closed");
  };

  return {
    async add(rows) {
      assertOpen();
      if (Array.isArray(rows)) {
        for (const r of rows as readonly EvidenceRowInput[]) {
          flattenInto(values, r);
          if (++rowsBuffered >= PG_BATCH) await sendBatch();
        }
      } else {
        flattenInto(values, rows as EvidenceRowInput);
        if (++rowsBuffered >= PG_BATCH) await sendBatch();
      }
    },
    async flush() {
      assertOpen();
      await sendBatch();
      await drain();
    },
    async clearFile() {
      assertOpen();
      values = [];
      rowsBuffered = 0;
      await drain().catch(() => undefined); // rows being cleared anyway
      await serial(() =>
        inTransaction(async () => {
          for (const t of FILE_TABLES) {
            await client.query(`DELETE FROM "${t}" WHERE "fileId" = $1`, [target.fileId]);
          }
        }),
      );
      written = 0;
    },
    async upsertRequestBuckets(rows) {
      assertOpen();
      if (!rows.length) return;
      const vals = rows.map((r) =>
        [target.incidentId, target.fileId, r.second, r.source, r.dest, r.status, r.flag, r.count, finiteOr(r.durationSumMs, 0)].map(pgText),
      );
      await serial(() => client.query(bucketSql, columns(dedupe(vals, [1, 2, 3, 4, 5, 6]), BUCKET_COLUMNS.length)));
    },
    async upsertLatencyHistograms(rows) {
      assertOpen();
      if (!rows.length) return;
      const vals = rows.map((r) => [target.incidentId, target.fileId, r.service, r.hop, r.minute, r.metric, r.count, r.histogram].map(pgText));
      await serial(() => client.query(histogramSql, columns(dedupe(vals, [1, 2, 3, 4, 5]), HISTOGRAM_COLUMNS.length)));
    },
    get written() {
      return written;
    },
    async close() {
      if (closed) return;
      try {
        await sendBatch();
        await drain();
      } finally {
        closed = true;
        await client.end();
      }
    },
  };
}

/** Last row wins per key (positions of the primary-key columns), like sequential upserts. */
function dedupe(rows: unknown[][], keyIdx: number[]): unknown[][] {
  const m = new Map<string, unknown[]>();
  for (const r of rows) m.set(JSON.stringify(keyIdx.map((i) => r[i])), r);
  return [...m.values()];
}

// ---------------------------------------------------------------------------------------------
// Records → rows

export function finiteOrNull(n: number | null | undefined): number | null {
  return typeof n === "number" && Number.isFinite(n) ? n : null;
}
function finiteOr(n: number | null | undefined, d: number): number {
  return typeof n === "number" && Number.isFinite(n) ? n : d;
}
/** Integer columns: a fractional or out-of-range value would fail the whole batch. */
export function intOrNull(n: number | null | undefined): number | null {
  return typeof n === "number" && Number.isInteger(n) && Math.abs(n) <= 0x7fffffff ? n : null;
}
function truncate(s: string): string {
  // Most summaries are one short line: skip the regex (it ran once per record).
  const oneLine = s.indexOf("\n") === -1 && s.indexOf("\r") === -1 ? s.trim() : s.replace(/\s*[\r\n]+\s*/g, " ").trim();
  return oneLine.length > MAX_TEXT_LENGTH ? `${oneLine.slice(0, MAX_TEXT_LENGTH - 1)}…` : oneLine;
}
function ms(n: number | null | undefined): string | null {
  if (typeof n !== "number" || !Number.isFinite(n)) return null;
  return `${n >= 100 || Number.isInteger(n) ? Math.round(n) : Number(n.toFixed(1))}ms`;
}
function endpointName(e: Endpoint | undefined): string | null {
  if (!e) return null;
  const named = e.workload ?? e.service ?? e.cluster;
  if (named) return named;
  if (e.ip) return e.port !== undefined ? `${e.ip}:${e.port}` : e.ip;
  return null;
}
function labelsText(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  return entries.length ? `{${entries.map(([k, v]) => `${k}="${v}"`).join(",")}}` : "";
}
const join = (parts: (string | null | undefined | false)[]) => parts.filter((p): p is string => typeof p === "string" && p !== "").join(" ");

/** Source, service and severity columns of a request or span row (RecordSecond counts by the same). */
export function bulkFacets(record: RequestRecord | SpanFacts): { source: string; service: string | null; severity: string } {
  if (record.kind === "span") return { source: "trace", service: record.service, severity: spanSeverity(record) };
  return { source: record.source, service: requestService(record), severity: requestSeverity(record) };
}

/** The request's destination as every view names it (destName), null when nothing names it. */
function requestService(r: RequestRecord): string | null {
  const name = destName(r);
  return name === "unknown" ? null : name;
}

function spanSeverity(s: SpanFacts): string {
  return s.status === "error" || s.fault ? "error" : s.throttle ? "warning" : "info";
}

/** "error" exactly for failed requests (the one definition), so error counts of every view agree. */
function requestSeverity(r: RequestRecord): string {
  if (isFailedRequest(r)) return "error";
  if (r.status !== null && r.status >= 400) return "warning";
  return r.error && r.error !== "-" ? "warning" : "info";
}

/**
 * Indexed columns and the one-line summary of any record, e.g.
 *   request  "GET /api/cart 503 UF 1203ms frontend → cart"
 *   span     "checkout POST /pay 12ms error 500"
 *   event    the event text
 */
export function toEvidenceRow(record: EvidenceRecord, seq: number): EvidenceRowInput {
  // Every branch builds the full row in one object literal (same shape each time): spreading a
  // shared `base` object cost ~15 µs per record, more than serialising the record.
  const seqLine = { seq, line: intOrNull(record.prov.line), data: encodeRecordJson(record) };
  switch (record.kind) {
    case "event": {
      const s = record.subject;
      return {
        seq: seqLine.seq,
        kind: record.kind,
        line: seqLine.line,
        data: seqLine.data,
        ts: finiteOrNull(record.ts),
        durationMs: null,
        source: record.source,
        service: s?.service ?? s?.workload ?? s?.name ?? null,
        node: s?.node ?? null,
        status: null,
        severity: record.severity,
        traceId: null,
        text: truncate(record.text || record.reason || ""),
      };
    }
    case "request": {
      const client = endpointName(record.client);
      const dest = endpointName(record.dest) ?? record.authority ?? null;
      const route = client || dest ? `${client ?? "?"} → ${dest ?? "?"}` : null;
      return {
        seq: seqLine.seq,
        kind: record.kind,
        line: seqLine.line,
        data: seqLine.data,
        ts: finiteOrNull(record.ts),
        durationMs: finiteOrNull(record.durationMs),
        source: record.source,
        service: requestService(record),
        node: record.dest?.node ?? record.client?.node ?? null,
        status: intOrNull(record.status),
        severity: requestSeverity(record),
        traceId: record.traceId ?? null,
        text: truncate(
          join([
            record.method,
            record.path ?? (record.method ? record.authority : undefined),
            record.status === null ? (record.protocol ?? "tcp") : String(record.status),
            record.flags?.length ? record.flags.join(",") : null,
            ms(record.durationMs),
            route,
            record.error ? `error=${record.error}` : null,
          ]),
        ),
      };
    }
    case "span":
      return {
        seq: seqLine.seq,
        kind: record.kind,
        line: seqLine.line,
        data: seqLine.data,
        ts: finiteOrNull(record.ts),
        durationMs: finiteOrNull(record.durationMs),
        source: "trace",
        service: record.service,
        node: null,
        status: intOrNull(record.httpStatus),
        severity: spanSeverity(record),
        traceId: record.traceId,
        text: truncate(
          join([
            record.service,
            record.name,
            ms(record.durationMs) ?? "in progress",
            record.status === "error" || record.fault ? "error" : record.throttle ? "throttled" : null,
            record.httpStatus !== undefined ? String(record.httpStatus) : null,
            record.statusMessage,
          ]),
        ),
      };
    case "ruleset": {
      const chains = record.tables.reduce((n, t) => n + t.chains.length, 0);
      const rules = record.tables.reduce((n, t) => n + t.rules.length, 0);
      return {
        seq: seqLine.seq,
        kind: record.kind,
        line: seqLine.line,
        data: seqLine.data,
        ts: finiteOrNull(record.capturedAt),
        durationMs: null,
        source: "iptables",
        service: null,
        node: record.node ?? null,
        status: null,
        severity: "info",
        traceId: null,
        text: truncate(
          `${join([`iptables ${record.family} (${record.backend})`, record.role ? `${record.role} change` : null, record.node ? `on ${record.node}` : null])}: ` +
            `${record.tables.length} tables, ${chains} chains, ${rules} rules`,
        ),
      };
    }
    case "ipvs": {
      const reals = record.services.reduce((n, s) => n + s.reals.length, 0);
      return {
        seq: seqLine.seq,
        kind: record.kind,
        line: seqLine.line,
        data: seqLine.data,
        ts: finiteOrNull(record.capturedAt),
        durationMs: null,
        source: "ipvs",
        service: null,
        node: record.node ?? null,
        status: null,
        severity: "info",
        traceId: null,
        text: truncate(`${join(["ipvs", record.node ? `on ${record.node}` : null])}: ${record.services.length} virtual services, ${reals} real servers`),
      };
    }
    case "counter":
      return {
        seq: seqLine.seq,
        kind: record.kind,
        line: seqLine.line,
        data: seqLine.data,
        ts: finiteOrNull(record.ts),
        durationMs: null,
        source: "metrics",
        service: record.labels.service ?? record.labels.job ?? null,
        node: record.labels.node ?? null,
        status: null,
        severity: "info",
        traceId: null,
        text: truncate(`${record.name}${labelsText(record.labels)} = ${record.value}`),
      };
    case "series": {
      const first = record.points[0]?.[0] ?? record.histograms?.[0]?.ts ?? null;
      const last = record.points.at(-1)?.[0] ?? record.histograms?.at(-1)?.ts ?? null;
      const values = record.points.map((p) => p[1]).filter(Number.isFinite);
      const range = values.length ? ` [${Math.min(...values)}..${Math.max(...values)}]` : "";
      return {
        seq: seqLine.seq,
        kind: record.kind,
        line: seqLine.line,
        data: seqLine.data,
        ts: finiteOrNull(first),
        durationMs: first !== null && last !== null ? finiteOrNull(last - first) : null,
        source: "metrics",
        service: record.labels.service ?? record.labels.job ?? null,
        node: record.labels.node ?? null,
        status: null,
        severity: "info",
        traceId: null,
        text: truncate(`${record.name}${labelsText(record.labels)} ${record.points.length} points${range}${record.unit ? ` ${record.unit}` : ""}`),
      };
    }
    case "object":
      return {
        seq: seqLine.seq,
        kind: record.kind,
        line: seqLine.line,
        data: seqLine.data,
        ts: finiteOrNull(record.createdAt ?? null),
        durationMs: null,
        source: "k8s",
        service: record.service ?? record.owner?.name ?? null,
        node: record.node ?? null,
        status: null,
        severity: "info",
        traceId: null,
        text: truncate(
          join([
            record.k8sKind,
            record.namespace ? `${record.namespace}/${record.name}` : record.name,
            record.phase,
            record.ips.length ? record.ips.join(",") : null,
            record.node ? `on ${record.node}` : null,
            record.deletedAt != null ? "deleted" : null,
          ]),
        ),
      };
  }
}
