// Types of sqlite-writer-thread.js: the messages it handles and the configuration it opens with.
import type { LatencyHistogramInput, RequestBucketInput } from "./sink";

export interface SqliteStatements {
  insertEvidence: string;
  insertBucket: string;
  insertHistogram: string;
  deletes: string[];
}

export type WriterMessage =
  | { op: "rows"; values: (string | number | null)[] }
  | { op: "clear" }
  | { op: "buckets"; rows: RequestBucketInput[] }
  | { op: "histograms"; rows: LatencyHistogramInput[] }
  | { op: "close" };

/** What a writer needs to open its connection (workerData of a writer thread). */
export interface WriterConfig {
  sqlitePath: string;
  /** ROW_WIDTH, checked by the writer against the insert it spells out. */
  rowWidth: number;
  pragmas: string[];
  sql: SqliteStatements;
  incidentId: string;
  fileId: string;
}

export declare function openWriter(w: WriterConfig): (m: WriterMessage) => void;
