import path from "node:path";
import { Worker } from "node:worker_threads";
import { projectRoot } from "@/lib/server/paths";
import { ensureSqliteDir, SQLITE_PRAGMAS } from "../adapters";
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
  type RecordSink,
  ROW_WIDTH,
  settleAll,
  type SinkTarget,
  upsertTail,
} from "./sink";
import { openWriter, type SqliteStatements, type WriterConfig, type WriterMessage } from "./sqlite-writer-thread.js";

/**
 * SQLite: one prepared statement, one transaction per batch. Pipelined sinks write from a writer
 * thread with its own connection (sqlite-writer-thread.js) while the caller keeps parsing; the
 * others run the same executor in the caller's thread.
 */

export const SQLITE_BATCH = 4000;

/** The sink's own connection writes big transactions: a larger page cache keeps the indexes' hot pages in memory. */
const SQLITE_SINK_PRAGMAS = [...SQLITE_PRAGMAS, "cache_size = -65536"];

const placeholders = (n: number) => `(${Array.from({ length: n }, () => "?").join(", ")})`;

function sqliteStatements(ignoreDuplicates: boolean): SqliteStatements {
  return {
    insertEvidence: `INSERT${ignoreDuplicates ? " OR IGNORE" : ""} INTO "Evidence" (${quoteColumns(EVIDENCE_COLUMNS)}) VALUES ${placeholders(EVIDENCE_COLUMNS.length)}`,
    insertBucket: `INSERT INTO "RequestBucket" (${quoteColumns(BUCKET_COLUMNS)}) VALUES ${placeholders(BUCKET_COLUMNS.length)} ${upsertTail(BUCKET_COLUMNS, BUCKET_KEY)}`,
    insertHistogram: `INSERT INTO "LatencyHistogram" (${quoteColumns(HISTOGRAM_COLUMNS)}) VALUES ${placeholders(HISTOGRAM_COLUMNS.length)} ${upsertTail(HISTOGRAM_COLUMNS, HISTOGRAM_KEY)}`,
    deletes: FILE_TABLES.map((t) => `DELETE FROM "${t}" WHERE "fileId" = ?`),
  };
}

function writerConfig(sqlitePath: string, target: SinkTarget, ignoreDuplicates: boolean): WriterConfig {
  return { sqlitePath, rowWidth: ROW_WIDTH, pragmas: SQLITE_SINK_PRAGMAS, sql: sqliteStatements(ignoreDuplicates), incidentId: target.incidentId, fileId: target.fileId };
}

/** A writer thread: messages are handled in order; each gets an ack `{ id, error? }`. */
class WriterThread {
  private readonly worker: Worker;
  private seq = 0;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;

  constructor(w: WriterConfig) {
    // From the source tree, like the pipeline thread (threads.ts): the ignore comments keep Next's
    // bundler from replacing the file with a chunk. Plain JavaScript, so no loader (execArgv: []).
    const entry = path.join(/*turbopackIgnore: true*/ projectRoot(), "lib/server/db/bulk/sqlite-writer-thread.js");
    this.worker = new Worker(/* webpackIgnore: true */ /*turbopackIgnore: true*/ entry, { workerData: { hindsightSqliteWriter: w }, execArgv: [] });
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

export function openSqliteSink(sqlitePath: string, target: SinkTarget, pipelined: boolean, ignoreDuplicates: boolean, batchRows: number): RecordSink {
  ensureSqliteDir(sqlitePath);
  const config = writerConfig(sqlitePath, target, ignoreDuplicates);
  const thread = pipelined ? new WriterThread(config) : null;
  const inline = thread ? null : openWriter(config);

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
