import type { Readable } from "node:stream";
import type { BundleManifest } from "@/lib/schemas/manifest";
import type { EvidenceRecord, SpanFacts, SpanRecord } from "@/lib/schemas/records";
import type { EpochMs } from "@/lib/schemas/time";

export const PARSER_IDS = [
  "iptables-save",
  "ipvsadm",
  "conntrack-stats",
  "xray",
  "otlp-json",
  "jaeger-json",
  "ztunnel-access",
  "envoy-access",
  "nginx-access",
  "k8s-events",
  "k8s-objects",
  "klog",
  "prometheus",
  "timeline",
  "app-json",
  "app-logfmt",
  "app-text",
] as const;
export type ParserId = (typeof PARSER_IDS)[number];

/** What the pipeline knows about a file before parsing it. */
export interface ParseContext {
  /** Path inside the bundle, forward slashes. */
  path: string;
  manifest?: BundleManifest;
  /** Node name from the manifest or the path (nodes/<node>/…), when known. */
  node?: string;
  /** IANA zone / offset to assume for zone-less timestamps (manifest), else UTC with a warning. */
  timezone?: string;
  /** Date to assume for time-of-day-only sources (manifest, or earliest evidence in the bundle). */
  referenceDate?: string;
  /** Where referenceDate came from: the manifest (date or window), or the date of the bundle's other evidence. */
  referenceDateSource?: "manifest" | "evidence";
  /** When the evidence was captured (file mtime in the archive, manifest window end), for relative ages. */
  captureTime?: EpochMs;
  /** Before/after role from the manifest for iptables dumps. */
  role?: "before" | "after";
}

/** A line or object the parser could not use: counted and shown per file, never thrown. */
export interface SkippedItem {
  kind: "skipped";
  line?: number;
  pointer?: string;
  reason: string;
  /** First ≤ 200 chars of the offending input, for the UI. */
  excerpt?: string;
}
/** An assumption or doubt about the whole file (timezone assumed, year guessed, …). */
export interface WarningItem {
  kind: "warning";
  message: string;
  line?: number;
}
export type ParseItem = EvidenceRecord | SkippedItem | WarningItem;

export interface ParserSample {
  /** Name the sample would have in a bundle (sniff gets it). */
  name: string;
  content: string;
  /** What parsing the sample must give (checked by the registry test). */
  expect: {
    records: number;
    skipped?: number;
    kinds?: Partial<Record<EvidenceRecord["kind"], number>>;
    /**
     * Field values of records by position (0 = the first record; skipped lines and warnings are not
     * records), read off the sample text. Each listed field must equal the record's: nested objects
     * and array items compare their listed keys only, arrays also their length. Record times (ts,
     * firstTs, capturedAt, createdAt, deletedAt) may be written as ISO 8601 strings, sub-millisecond
     * digits included; they are compared with the record's epoch milliseconds.
     */
    fields?: Readonly<Record<number, Readonly<Record<string, unknown>>>>;
  };
}

export interface Parser {
  id: ParserId;
  title: string;
  /** Record kinds this parser can emit (detectors' `requires` refer to parser ids). */
  emits: readonly EvidenceRecord["kind"][];
  /**
   * Confidence 0..1 that `head` (the first ≤ 64 KiB of the file, decoded as UTF-8 with
   * replacement characters) is this format. `name` is the path in the bundle, a weak hint only.
   * Must be fast and must not throw.
   */
  sniff(head: string, name: string): number;
  /** Streams records. Must not throw for bad input: yield SkippedItem/WarningItem instead. */
  parse(input: Readable, ctx: ParseContext): AsyncIterable<ParseItem>;
  /**
   * Optional, same items as `parse` in batches (one per input chunk): the ingest hot path uses it to
   * avoid an async step per record. Line parsers get it from readLineBatches for free.
   */
  parseBatches?(input: Readable, ctx: ParseContext): AsyncIterable<ParseItem[]>;
  /**
   * Line formats only: a fresh line machine (what parse drives). Parsers that have it can be cut into
   * blocks that re-parse on their own, so big files of theirs are summarised (lib/server/pipeline/tiering.ts).
   */
  segments?(ctx: ParseContext): SegmentableMachine;
  /**
   * Span documents (OTLP/JSON): scanning finds runs of span objects (SpanBatch, unparsed) in one
   * thread, mapping turns a batch into records anywhere; a stored batch re-parses on its own. Big
   * files of such parsers are summarised like line formats (lib/server/pipeline/summarised-spans.ts).
   */
  spanBatches?: SpanBatchSupport;
  samples: readonly ParserSample[];
}

/** A line-at-a-time format state machine: consumes lines, appends records/skips to `out` (driven by line-machine.ts). */
export interface LineMachine {
  out: ParseItem[];
  line(no: number, offset: number, text: string, truncated: boolean): void;
  /** End of input: flush anything still grouped (multi-line records). */
  end(): void;
}

/**
 * A LineMachine that a fresh one can replace between two lines without changing a single item:
 * nothing it holds (a CRI partial line, a wrapped line waiting for continuations, open multi-line
 * records) could be continued or completed by the coming line. Fed `raw` before `line(raw)`.
 */
export interface SegmentableMachine extends LineMachine {
  canCutBefore(raw: string): boolean;
}

/**
 * Spans travel in batches: a run of span objects that sit next to each other in one array, with the
 * resource and scope around them, as unparsed bytes. A batch is exactly what a summarised block of
 * a span file re-parses.
 */
export interface SpanBatch {
  context: SpanBatchContext;
  /** A JSON array of the spans, `[` s0 `,` s1 … `]`: span k is bytes[starts[k], starts[k + 1] − 1). */
  bytes: Uint8Array;
  starts: number[];
  /** File offset and line of each span. */
  offsets: number[];
  lines: number[];
  /** File range from the first span's start to the last span's end. */
  byteStart: number;
  byteEnd: number;
}
export interface SpanBatchContext {
  /** The enclosing resource and scope as JSON text (null when absent). */
  resource: string | null;
  scope: string | null;
  /** Pointer of the spans array and index of the batch's first span in it. */
  pointer: string;
  index: number;
}

/** A parsed batch: per span, its facts (null when it would be skipped) or its full record. */
export interface SpanBatchReader {
  size: number;
  facts(k: number): SpanFacts | null;
  record(k: number): SpanRecord | SkippedItem;
}

export interface SpanBatchSupport {
  /** Batches of at most SPAN_BATCH spans and `maxBatchBytes` bytes (when one span is not bigger). */
  scan(input: AsyncIterable<Buffer>, maxBatchBytes?: number): AsyncIterable<Array<SpanBatch | SkippedItem | WarningItem>>;
  /** One item per span of the batch, in order. */
  map(batch: SpanBatch): Array<SpanRecord | SkippedItem>;
  /** The batch parsed once, read span by span (facts for most, records for the stored ones). */
  read(batch: SpanBatch): SpanBatchReader;
  /** Re-reads a stored batch from the file's bytes [byteStart, byteEnd). */
  reparse(bytes: Buffer, at: { byteStart: number; lineStart: number; context: SpanBatchContext }): Promise<Array<SpanRecord | SkippedItem>>;
}

/** Confidence at or above which a sniff claims a file. */
export const SNIFF_THRESHOLD = 0.5;
