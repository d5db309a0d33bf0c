import Database from "better-sqlite3";
import pg from "pg";
import { encodeRecordJson, type EvidenceRecord, type Endpoint, type RequestRecord } from "@/lib/schemas/records";
import { ensureSqliteDir, SQLITE_PRAGMAS } from "./adapters";
import type { DatabaseConfig } from "./provider";

/**
 * High-volume writes off the ORM path (DEVELOPERS.md: "Bulk data off the ORM hot path").
 * Used from ingest worker threads, so it holds its own plain connection (better-sqlite3 / pg) and
 * never touches Prisma. Table and column names are Prisma's (quoted, case-sensitive on PostgreSQL).
 *
 *   add(rows) ──buffer──► flush at SQLITE_BATCH / PG_BATCH rows ──► one transaction per batch
 *
 * Re-ingest is idempotent twice over: clearFile() removes a file's rows first, and an insert that
 * meets an existing (fileId, seq) replaces it instead of failing.
 */

export const SQLITE_BATCH = 5000;
export const PG_BATCH = 2000;
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

export interface RecordSink {
  /** Buffers rows; writes a batch whenever the buffer is full. */
  add(rows: EvidenceRowInput | readonly EvidenceRowInput[]): Promise<void>;
  /** Writes everything buffered. */
  flush(): Promise<void>;
  /** Deletes the file's Evidence, RequestBucket and LatencyHistogram rows and drops the buffer. */
  clearFile(): Promise<void>;
  upsertRequestBuckets(rows: readonly RequestBucketInput[]): Promise<void>;
  upsertLatencyHistograms(rows: readonly LatencyHistogramInput[]): Promise<void>;
  /** Rows written by this sink so far (after the last clearFile). */
  readonly written: number;
  /** Flushes and closes the connection. Idempotent. */
  close(): Promise<void>;
}

const EVIDENCE_COLUMNS = [
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
] as const;
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

export async function openRecordSink(db: DatabaseConfig, target: SinkTarget): Promise<RecordSink> {
  return db.provider === "sqlite" ? openSqliteSink(db.sqlitePath, target) : openPgSink(db.url, target);
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

// ---------------------------------------------------------------------------------------------
// SQLite: one prepared statement, one transaction per batch.

function openSqliteSink(sqlitePath: string, target: SinkTarget): RecordSink {
  ensureSqliteDir(sqlitePath);
  const conn = new Database(sqlitePath, { timeout: 5000 });
  for (const p of SQLITE_PRAGMAS) conn.pragma(p);
  const insertEvidence = conn.prepare(
    `INSERT INTO "Evidence" (${list(EVIDENCE_COLUMNS)}) VALUES (${EVIDENCE_COLUMNS.map(() => "?").join(", ")}) ` +
      upsertTail(EVIDENCE_COLUMNS, ["fileId", "seq"]),
  );
  const insertBucket = conn.prepare(
    `INSERT INTO "RequestBucket" (${list(BUCKET_COLUMNS)}) VALUES (${BUCKET_COLUMNS.map(() => "?").join(", ")}) ${upsertTail(BUCKET_COLUMNS, BUCKET_KEY)}`,
  );
  const insertHistogram = conn.prepare(
    `INSERT INTO "LatencyHistogram" (${list(HISTOGRAM_COLUMNS)}) VALUES (${HISTOGRAM_COLUMNS.map(() => "?").join(", ")}) ${upsertTail(HISTOGRAM_COLUMNS, HISTOGRAM_KEY)}`,
  );
  const deletes = ["Evidence", "RequestBucket", "LatencyHistogram"].map((t) => conn.prepare(`DELETE FROM "${t}" WHERE "fileId" = ?`));

  const writeBatch = conn.transaction((rows: readonly EvidenceRowInput[]) => {
    for (const r of rows) insertEvidence.run(evidenceValues(target, r));
  });
  const clear = conn.transaction(() => {
    for (const d of deletes) d.run(target.fileId);
  });
  const writeBuckets = conn.transaction((rows: readonly RequestBucketInput[]) => {
    for (const r of rows) {
      insertBucket.run(target.incidentId, target.fileId, r.second, r.source, r.dest, r.status, r.flag, r.count, finiteOr(r.durationSumMs, 0));
    }
  });
  const writeHistograms = conn.transaction((rows: readonly LatencyHistogramInput[]) => {
    for (const r of rows) insertHistogram.run(target.incidentId, target.fileId, r.service, r.hop, r.minute, r.metric, r.count, r.histogram);
  });

  let buffer: EvidenceRowInput[] = [];
  let written = 0;
  let closed = false;
  const flushSync = () => {
    if (buffer.length === 0) return;
    const rows = buffer;
    buffer = [];
    writeBatch(rows);
    written += rows.length;
  };
  const assertOpen = () => {
    if (closed) throw new Error("record sink is closed");
  };

  return {
    async add(rows) {
      assertOpen();
      if (Array.isArray(rows)) for (const r of rows as readonly EvidenceRowInput[]) buffer.push(r);
      else buffer.push(rows as EvidenceRowInput);
      if (buffer.length >= SQLITE_BATCH) flushSync();
    },
    async flush() {
      assertOpen();
      flushSync();
    },
    async clearFile() {
      assertOpen();
      buffer = [];
      clear();
      written = 0;
    },
    async upsertRequestBuckets(rows) {
      assertOpen();
      if (rows.length) writeBuckets(rows);
    },
    async upsertLatencyHistograms(rows) {
      assertOpen();
      if (rows.length) writeHistograms(rows);
    },
    get written() {
      return written;
    },
    async close() {
      if (closed) return;
      try {
        flushSync();
      } finally {
        closed = true;
        conn.close();
      }
    },
  };
}

function evidenceValues(target: SinkTarget, r: EvidenceRowInput): (string | number | null)[] {
  return [
    target.incidentId,
    target.fileId,
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
  ];
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL: one statement per batch, each column sent as one array parameter and expanded by
// unnest(). 15 parameters whatever the batch size, so no 65535-parameter limit and one parse.

const PG_EVIDENCE_TYPES = ["text", "text", "int4", "text", "float8", "float8", "text", "text", "text", "int4", "text", "text", "text", "int4", "text"];
const PG_BUCKET_TYPES = ["text", "text", "int4", "text", "text", "int4", "text", "int4", "float8"];
const PG_HISTOGRAM_TYPES = ["text", "text", "text", "text", "int4", "text", "int4", "text"];

function unnestInsert(table: string, cols: readonly string[], types: readonly string[], key: readonly string[]): string {
  const params = types.map((t, i) => `$${i + 1}::${t}[]`).join(", ");
  return `INSERT INTO "${table}" (${list(cols)}) SELECT * FROM unnest(${params}) ${upsertTail(cols, key)}`;
}

/** Rows → one array per column. */
function columns(rows: readonly unknown[][], width: number): unknown[][] {
  const out: unknown[][] = Array.from({ length: width }, () => new Array(rows.length));
  rows.forEach((row, i) => {
    for (let c = 0; c < width; c++) out[c]![i] = row[c];
  });
  return out;
}

/** PostgreSQL text cannot hold NUL; hostile input must not fail the batch (SQLite keeps them). */
function pgText<T>(v: T): T {
  return (typeof v === "string" && v.includes("\u0000") ? v.replace(/\u0000/g, "\uFFFD") : v) as T;
}

async function openPgSink(url: string, target: SinkTarget): Promise<RecordSink> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const evidenceSql = unnestInsert("Evidence", EVIDENCE_COLUMNS, PG_EVIDENCE_TYPES, ["fileId", "seq"]);
  const bucketSql = unnestInsert("RequestBucket", BUCKET_COLUMNS, PG_BUCKET_TYPES, BUCKET_KEY);
  const histogramSql = unnestInsert("LatencyHistogram", HISTOGRAM_COLUMNS, PG_HISTOGRAM_TYPES, HISTOGRAM_KEY);

  let buffer: EvidenceRowInput[] = [];
  let written = 0;
  let closed = false;
  // Serialises writes: one pg.Client runs one query at a time, and rows must land in order.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn);
    chain = next.catch(() => undefined);
    return next;
  };
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
  const writeRows = async (rows: EvidenceRowInput[]) => {
    // Within PG_BATCH an upsert must not meet the same (fileId, seq) twice ("cannot affect row a
    // second time"); keep the last occurrence, as sequential upserts would.
    const bySeq = new Map<number, EvidenceRowInput>();
    for (const r of rows) bySeq.set(r.seq, r);
    const values = [...bySeq.values()].map((r) => evidenceValues(target, r).map(pgText));
    await client.query(evidenceSql, columns(values, EVIDENCE_COLUMNS.length));
    written += rows.length;
  };
  const flushAll = () =>
    serial(async () => {
      while (buffer.length > 0) {
        const rows = buffer.splice(0, PG_BATCH);
        await writeRows(rows);
      }
    });
  const assertOpen = () => {
    if (closed) throw new Error("record sink is closed");
  };

  return {
    async add(rows) {
      assertOpen();
      if (Array.isArray(rows)) for (const r of rows as readonly EvidenceRowInput[]) buffer.push(r);
      else buffer.push(rows as EvidenceRowInput);
      if (buffer.length >= PG_BATCH) await flushAll();
    },
    async flush() {
      assertOpen();
      await flushAll();
    },
    async clearFile() {
      assertOpen();
      buffer = [];
      await serial(() =>
        inTransaction(async () => {
          for (const t of ["Evidence", "RequestBucket", "LatencyHistogram"]) {
            await client.query(`DELETE FROM "${t}" WHERE "fileId" = $1`, [target.fileId]);
          }
        }),
      );
      written = 0;
    },
    async upsertRequestBuckets(rows) {
      assertOpen();
      if (!rows.length) return;
      const values = rows.map((r) =>
        [target.incidentId, target.fileId, r.second, r.source, r.dest, r.status, r.flag, r.count, finiteOr(r.durationSumMs, 0)].map(pgText),
      );
      await serial(() => client.query(bucketSql, columns(dedupe(values, [1, 2, 3, 4, 5, 6]), BUCKET_COLUMNS.length)));
    },
    async upsertLatencyHistograms(rows) {
      assertOpen();
      if (!rows.length) return;
      const values = rows.map((r) => [target.incidentId, target.fileId, r.service, r.hop, r.minute, r.metric, r.count, r.histogram].map(pgText));
      await serial(() => client.query(histogramSql, columns(dedupe(values, [1, 2, 3, 4, 5]), HISTOGRAM_COLUMNS.length)));
    },
    get written() {
      return written;
    },
    async close() {
      if (closed) return;
      try {
        await flushAll();
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

function finiteOrNull(n: number | null | undefined): number | null {
  return typeof n === "number" && Number.isFinite(n) ? n : null;
}
function finiteOr(n: number | null | undefined, d: number): number {
  return typeof n === "number" && Number.isFinite(n) ? n : d;
}
/** Integer columns: a fractional or out-of-range value would fail the whole batch. */
function intOrNull(n: number | null | undefined): number | null {
  return typeof n === "number" && Number.isInteger(n) && Math.abs(n) <= 0x7fffffff ? n : null;
}
function truncate(s: string): string {
  const oneLine = s.replace(/\s*[\r\n]+\s*/g, " ").trim();
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

function requestSeverity(r: RequestRecord): string {
  if (r.status === 0 || (r.status !== null && r.status >= 500) || (r.error && r.status === null)) return "error";
  if (r.status !== null && r.status >= 400) return "warning";
  return r.error ? "warning" : "info";
}

/**
 * Indexed columns and the one-line summary of any record, e.g.
 *   request  "GET /api/cart 503 UF 1203ms frontend → cart"
 *   span     "checkout POST /pay 12ms error 500"
 *   event    the event text
 */
export function toEvidenceRow(record: EvidenceRecord, seq: number): EvidenceRowInput {
  const base = {
    seq,
    kind: record.kind,
    line: intOrNull(record.prov.line),
    data: encodeRecordJson(record),
  };
  switch (record.kind) {
    case "event": {
      const s = record.subject;
      return {
        ...base,
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
        ...base,
        ts: finiteOrNull(record.ts),
        durationMs: finiteOrNull(record.durationMs),
        source: record.source,
        service: record.dest?.service ?? record.dest?.workload ?? record.dest?.cluster ?? record.authority ?? null,
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
        ...base,
        ts: finiteOrNull(record.ts),
        durationMs: finiteOrNull(record.durationMs),
        source: "trace",
        service: record.service,
        node: null,
        status: intOrNull(record.httpStatus),
        severity: record.status === "error" || record.fault ? "error" : record.throttle ? "warning" : "info",
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
        ...base,
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
        ...base,
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
        ...base,
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
        ...base,
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
        ...base,
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
