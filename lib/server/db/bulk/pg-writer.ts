import { connectPg } from "../pg-client";
import { quoteColumns } from "../raw";
import {
  BUCKET_COLUMNS,
  BUCKET_KEY,
  EVIDENCE_COLUMNS,
  type EvidenceRowInput,
  FILE_TABLES,
  finiteOr,
  flattenInto,
  HISTOGRAM_COLUMNS,
  HISTOGRAM_KEY,
  MAX_IN_FLIGHT,
  pgText,
  type RecordSink,
  ROW_WIDTH,
  settleAll,
  type SinkTarget,
  upsertTail,
} from "./sink";

export const PG_BATCH = 4000;

/**
 * PostgreSQL: one statement per batch, each column sent as one array parameter and expanded by
 * unnest(). 16 parameters whatever the batch size, so no 65535-parameter limit and one parse.
 * The next batch is parsed while the server inserts the previous one (pipelined sinks).
 */

const PG_EVIDENCE_TYPES = ["text", "text", "int4", "text", "float8", "float8", "text", "text", "text", "int4", "text", "text", "text", "int4", "text", "bool"];
const PG_BUCKET_TYPES = ["text", "text", "int4", "text", "text", "int4", "text", "int4", "float8"];
const PG_HISTOGRAM_TYPES = ["text", "text", "text", "text", "int4", "text", "int4", "text"];

function unnestInsert(table: string, cols: readonly string[], types: readonly string[], key: readonly string[] | null): string {
  const params = types.map((t, i) => `$${i + 1}::${t}[]`).join(", ");
  return `INSERT INTO "${table}" (${quoteColumns(cols)}) SELECT * FROM unnest(${params})${key ? ` ${upsertTail(cols, key)}` : ""}`;
}

/** Rows → one array per column. */
function columns(rows: readonly unknown[][], width: number): unknown[][] {
  const out: unknown[][] = Array.from({ length: width }, () => new Array(rows.length));
  rows.forEach((row, i) => {
    for (let c = 0; c < width; c++) out[c]![i] = row[c];
  });
  return out;
}

/** A flattened Evidence batch → the 16 column arrays (incidentId and fileId repeated). */
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

export async function openPgSink(url: string, target: SinkTarget, pipelined: boolean, ignoreDuplicates: boolean): Promise<RecordSink> {
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
  const drain = () => {
    const all = acks;
    acks = [];
    return settleAll(all);
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
