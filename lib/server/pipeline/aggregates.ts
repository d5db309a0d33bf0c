import * as hdr from "hdr-histogram-js";
import type { EvidenceRecord, RequestRecord, SpanRecord } from "@/lib/schemas/records";

/** Caps keep aggregate memory bounded whatever the file size. */
const MAX_BUCKET_KEYS = 500_000;
const MAX_HISTOGRAMS = 20_000;
/** Latencies are recorded in microseconds, 1 µs .. 1 h, 3 significant digits. */
const HIGHEST_US = 3_600_000_000;
/** With 3 significant digits HdrHistogram uses 2048 sub-buckets: values below 2048 µs have 1 µs resolution. */
const SUB_BUCKET_HALF_MAGNITUDE = 10;
/** Distinct pending values per histogram before they are folded into the HdrHistogram (memory bound). */
const MAX_PENDING_VALUES = 4096;

/**
 * The lowest value HdrHistogram (3 significant digits, unit 1) counts in the same bucket as `v`:
 * v with its low bits cleared, the bucket's width being 2^(floor(log2(v | 2047)) − 10). Recording this
 * instead of v gives byte-identical encoded histograms, which lets counts be collected in a Map first.
 */
export function hdrEquivalent(v: number): number {
  if (v < 2048) return v;
  const shift = Math.floor(Math.log2(v)) - SUB_BUCKET_HALF_MAGNITUDE;
  const unit = 2 ** shift;
  return Math.floor(v / unit) * unit;
}

/**
 * One latency histogram under construction. `hdr.recordValue` on a packed histogram costs about a
 * microsecond (it was ~7% of ingest), so observations are first counted per HdrHistogram-equivalent
 * value in a Map (a few hundred distinct values in practice) and folded in with recordValueWithCount.
 */
class PendingHistogram {
  private readonly pending = new Map<number, number>();
  private h: hdr.Histogram | null = null;
  count = 0;

  constructor(readonly key: Omit<LatencyHistogramRow, "count" | "histogram">) {}

  record(us: number): void {
    const v = hdrEquivalent(us);
    this.pending.set(v, (this.pending.get(v) ?? 0) + 1);
    this.count++;
    if (this.pending.size >= MAX_PENDING_VALUES) this.fold();
  }

  private fold(): hdr.Histogram {
    this.h ??= hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3, bitBucketSize: "packed" });
    for (const [v, n] of this.pending) this.h.recordValueWithCount(v, n);
    this.pending.clear();
    return this.h;
  }

  /** Encodes and frees the histogram. */
  encode(): string {
    // Encoding walks every counts slot; on a packed array each slot costs a lookup (it took ~60% of
    // ingest with thousands of histograms), so the counts are copied into one plain 32-bit histogram
    // that is reused for every encode. The encoded form does not depend on the array type.
    scratch ??= hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3, bitBucketSize: 32 });
    scratch.reset();
    if (this.h) {
      scratch.add(this.h);
      this.h.destroy();
      this.h = null;
    }
    for (const [v, n] of this.pending) scratch.recordValueWithCount(v, n);
    this.pending.clear();
    return hdr.encodeIntoCompressedBase64(scratch);
  }
}
let scratch: hdr.Histogram | null = null;

export interface RequestBucketRow {
  second: number;
  source: string;
  dest: string;
  status: number;
  flag: string;
  count: number;
  durationSumMs: number;
}
export interface LatencyHistogramRow {
  service: string;
  hop: string;
  minute: number;
  metric: "duration" | "connect";
  count: number;
  histogram: string;
}

/**
 * Maintains, while a file is ingested, the aggregates views need without scanning raw records:
 *  - per-second request counts by source / destination / status / first response flag;
 *  - HdrHistograms of latency (and connect time) per destination service, hop and minute.
 * Spans contribute client/server latency per service too.
 */
export class IngestAggregates {
  private readonly buckets = new Map<string, RequestBucketRow>();
  private readonly histograms = new Map<string, PendingHistogram>();
  dropped = 0;

  add(record: EvidenceRecord): void {
    if (record.kind === "request") this.addRequest(record);
    else if (record.kind === "span") this.addSpan(record);
  }

  private addRequest(r: RequestRecord): void {
    if (r.ts == null) return;
    const second = Math.floor(r.ts / 1000);
    const dest = destName(r);
    const status = r.status ?? (r.error ? -1 : 0);
    const flag = r.flags?.[0] ?? (r.error ? "error" : "-");
    const key = `${second}|${r.source}|${dest}|${status}|${flag}`;
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= MAX_BUCKET_KEYS) {
        this.dropped++;
        return;
      }
      b = { second, source: r.source, dest, status, flag, count: 0, durationSumMs: 0 };
      this.buckets.set(key, b);
    }
    b.count++;
    if (r.durationMs != null) b.durationSumMs += r.durationMs;
    const minute = Math.floor(second / 60);
    const hop = `${clientName(r)} -> ${dest}`;
    if (r.durationMs != null) this.record(dest, hop, minute, "duration", r.durationMs);
    if (r.connectMs != null) this.record(dest, hop, minute, "connect", r.connectMs);
  }

  private addSpan(s: SpanRecord): void {
    if (s.durationMs == null) return;
    const minute = Math.floor(s.ts / 60_000);
    const hop = s.spanKind === "client" && s.peer ? `${s.service} -> ${s.peer}` : s.service;
    this.record(s.service, hop, minute, "duration", s.durationMs);
  }

  private record(service: string, hop: string, minute: number, metric: "duration" | "connect", ms: number): void {
    if (!(ms >= 0)) return;
    const key = `${service}|${hop}|${minute}|${metric}`;
    let entry = this.histograms.get(key);
    if (!entry) {
      if (this.histograms.size >= MAX_HISTOGRAMS) {
        this.dropped++;
        return;
      }
      entry = new PendingHistogram({ service, hop, minute, metric });
      this.histograms.set(key, entry);
    }
    entry.record(Math.min(HIGHEST_US, Math.max(1, Math.round(ms * 1000))));
  }

  bucketRows(): RequestBucketRow[] {
    return [...this.buckets.values()];
  }

  histogramRows(): LatencyHistogramRow[] {
    const out: LatencyHistogramRow[] = [];
    for (const p of this.histograms.values()) out.push({ ...p.key, count: p.count, histogram: p.encode() });
    this.histograms.clear();
    return out;
  }
}

export function destName(r: RequestRecord): string {
  const d = r.dest;
  if (!d) return r.authority ?? "unknown";
  return d.service ?? d.workload ?? d.cluster ?? (d.ip ? `${d.ip}${d.port ? `:${d.port}` : ""}` : r.authority ?? "unknown");
}

export function clientName(r: RequestRecord): string {
  const c = r.client;
  if (!c) return "unknown";
  return c.workload ?? c.service ?? c.ip ?? "unknown";
}
