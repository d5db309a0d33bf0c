import * as hdr from "hdr-histogram-js";
import type { EvidenceRecord, RequestRecord, SpanFacts } from "@/lib/schemas/records";
import { bucketOutcome, clientName, destName } from "@/lib/server/correlate/requests";
import type { RequestBucketInput } from "@/lib/server/db/bulk";

export { clientName, destName };

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

  /** Adds counts of HdrHistogram-equivalent values (another instance's state). */
  recordCounts(values: readonly (readonly [number, number])[]): void {
    for (const [v, n] of values) {
      this.pending.set(v, (this.pending.get(v) ?? 0) + n);
      this.count += n;
    }
    if (this.pending.size >= MAX_PENDING_VALUES) this.fold();
  }

  /** Adds an encoded histogram (another instance's folded state). */
  addEncoded(b64: string, count: number): void {
    this.fold().add(hdr.decodeFromCompressedBase64(b64, 32, false));
    this.count += count;
  }

  /** A plain form for another thread: the value counts, or the encoding once folded. */
  exportState(): HistogramState {
    if (this.h === null) return { key: this.key, count: this.count, values: [...this.pending.entries()], encoded: null };
    const count = this.count;
    return { key: this.key, count, values: null, encoded: this.encode() };
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

/** A histogram's state passed between threads (PendingHistogram.exportState). */
export interface HistogramState {
  key: Omit<LatencyHistogramRow, "count" | "histogram">;
  count: number;
  values: [number, number][] | null;
  encoded: string | null;
}

/** What an IngestAggregates holds, as plain data (structured-clone safe) for merging. */
export interface AggregatesState {
  buckets: RequestBucketRow[];
  histograms: HistogramState[];
  dropped: number;
}

/** One per-second request aggregate: the row the record sink writes. */
export type RequestBucketRow = RequestBucketInput;
export interface LatencyHistogramRow {
  service: string;
  hop: string;
  minute: number;
  metric: "duration" | "connect";
  count: number;
  histogram: string;
}

/** Distinct client names per destination with a hop of their own; later ones share OTHER_CLIENTS. */
const MAX_CLIENTS_PER_DEST = 32;
export const OTHER_CLIENTS = "(other clients)";

/** Histograms of one hop, by minute. */
type HopMinutes = Map<number, { duration?: PendingHistogram; connect?: PendingHistogram }>;
interface DestHops {
  /** client name → its hop's minutes (OTHER_CLIENTS once the cap is reached) */
  clients: Map<string, HopMinutes>;
  hopNames: Map<HopMinutes, string>;
}

/**
 * Maintains, while a file is ingested, the aggregates views need without scanning raw records:
 *  - per-second request counts by source / destination / status / first response flag;
 *  - HdrHistograms of latency (and connect time) per destination service, hop and minute.
 * Spans contribute client/server latency per service too.
 *
 * Hot path (every record of a GB file): nested maps keyed by the strings the record already holds,
 * so no key string is built per record — only when a bucket or histogram is created. A hop's
 * client is the caller's workload, service or IP; past MAX_CLIENTS_PER_DEST distinct callers of one
 * destination (Envoy logs name callers by IP), the rest share one "(other clients)" hop.
 */
export class IngestAggregates {
  /** second → destination → buckets (few per destination: source × status × flag, scanned) */
  private readonly buckets = new Map<number, Map<string, RequestBucketRow[]>>();
  private bucketCount = 0;
  /** service → hops; spans use their own hop strings (service or "service -> peer") as the client key */
  private readonly hops = new Map<string, DestHops>();
  private histogramCount = 0;
  dropped = 0;

  add(record: EvidenceRecord | SpanFacts): void {
    if (record.kind === "request") this.addRequest(record);
    else if (record.kind === "span") this.addSpan(record);
  }

  private addRequest(r: RequestRecord): void {
    if (r.ts == null) return;
    const second = Math.floor(r.ts / 1000);
    const dest = destName(r);
    const { status, flag } = bucketOutcome(r);
    let perDest = this.buckets.get(second);
    if (!perDest) this.buckets.set(second, (perDest = new Map()));
    let list = perDest.get(dest);
    if (!list) perDest.set(dest, (list = []));
    let b: RequestBucketRow | undefined;
    for (const row of list) {
      if (row.status === status && row.flag === flag && row.source === r.source) {
        b = row;
        break;
      }
    }
    if (!b) {
      if (this.bucketCount >= MAX_BUCKET_KEYS) {
        this.dropped++;
        return;
      }
      this.bucketCount++;
      b = { second, source: r.source, dest, status, flag, count: 0, durationSumMs: 0 };
      list.push(b);
    }
    b.count++;
    if (r.durationMs != null) b.durationSumMs += r.durationMs;
    if (r.durationMs == null && r.connectMs == null) return;
    const minute = Math.floor(second / 60);
    const hop = this.hopMinutes(dest, clientName(r), true);
    if (r.durationMs != null) this.record(dest, hop, minute, "duration", r.durationMs);
    if (r.connectMs != null) this.record(dest, hop, minute, "connect", r.connectMs);
  }

  private addSpan(s: SpanFacts): void {
    if (s.durationMs == null) return;
    const minute = Math.floor(s.ts / 60_000);
    const hop = s.spanKind === "client" && s.peer ? `${s.service} -> ${s.peer}` : s.service;
    this.record(s.service, this.hopMinutes(s.service, hop, false), minute, "duration", s.durationMs);
  }

  /** The minutes map of a hop; `client` is a caller name (requests) or the whole hop string (spans). */
  private hopMinutes(service: string, client: string, isCaller: boolean): HopMinutes {
    let d = this.hops.get(service);
    if (!d) this.hops.set(service, (d = { clients: new Map(), hopNames: new Map() }));
    let m = d.clients.get(client);
    if (m) return m;
    if (isCaller && d.clients.size >= MAX_CLIENTS_PER_DEST) client = OTHER_CLIENTS;
    m = d.clients.get(client);
    if (!m) {
      m = new Map();
      d.clients.set(client, m);
      d.hopNames.set(m, isCaller ? `${client} -> ${service}` : client);
    }
    return m;
  }

  private record(service: string, hop: HopMinutes, minute: number, metric: "duration" | "connect", ms: number): void {
    if (!(ms >= 0)) return;
    let slot = hop.get(minute);
    if (!slot) hop.set(minute, (slot = {}));
    let entry = slot[metric];
    if (!entry) {
      if (this.histogramCount >= MAX_HISTOGRAMS) {
        this.dropped++;
        return;
      }
      this.histogramCount++;
      entry = new PendingHistogram({ service, hop: this.hops.get(service)!.hopNames.get(hop)!, minute, metric });
      slot[metric] = entry;
    }
    entry.record(Math.min(HIGHEST_US, Math.max(1, Math.round(ms * 1000))));
  }

  bucketRows(): RequestBucketRow[] {
    const out: RequestBucketRow[] = [];
    for (const perDest of this.buckets.values()) for (const list of perDest.values()) out.push(...list);
    return out;
  }

  /** Everything as plain data (for AggregatesMerger in another thread); frees the histograms. */
  exportState(): AggregatesState {
    return { buckets: this.bucketRows(), histograms: this.takeHistograms().map((p) => p.exportState()), dropped: this.dropped };
  }

  histogramRows(): LatencyHistogramRow[] {
    return this.takeHistograms().map((p) => ({ ...p.key, count: p.count, histogram: p.encode() }));
  }

  /** Every histogram, handed over: they are removed from this instance. */
  private takeHistograms(): PendingHistogram[] {
    const out: PendingHistogram[] = [];
    for (const d of this.hops.values())
      for (const minutes of d.clients.values())
        for (const slot of minutes.values())
          for (const p of [slot.duration, slot.connect]) if (p) out.push(p);
    this.hops.clear();
    this.histogramCount = 0;
    return out;
  }
}

/**
 * Sums the aggregates of several IngestAggregates (the chunks of a summarised file, parsed in
 * parallel) by their final keys; caps apply to the sum like to a single instance.
 */
export class AggregatesMerger {
  private readonly buckets = new Map<string, RequestBucketRow>();
  private readonly histograms = new Map<string, PendingHistogram>();
  dropped = 0;

  merge(state: AggregatesState): void {
    this.dropped += state.dropped;
    for (const b of state.buckets) {
      const key = `${b.second}\u0001${b.source}\u0001${b.dest}\u0001${b.status}\u0001${b.flag}`;
      const have = this.buckets.get(key);
      if (have) {
        have.count += b.count;
        have.durationSumMs += b.durationSumMs;
      } else if (this.buckets.size < MAX_BUCKET_KEYS) this.buckets.set(key, { ...b });
      else this.dropped += b.count;
    }
    for (const h of state.histograms) {
      const key = `${h.key.service}\u0001${h.key.hop}\u0001${h.key.minute}\u0001${h.key.metric}`;
      let p = this.histograms.get(key);
      if (!p) {
        if (this.histograms.size >= MAX_HISTOGRAMS) {
          this.dropped += h.count;
          continue;
        }
        this.histograms.set(key, (p = new PendingHistogram(h.key)));
      }
      if (h.values) p.recordCounts(h.values);
      else if (h.encoded) p.addEncoded(h.encoded, h.count);
    }
  }

  bucketRows(): RequestBucketRow[] {
    return [...this.buckets.values()];
  }

  /** The sum as plain data again (to merge in another thread); frees the histograms. */
  exportState(): AggregatesState {
    const histograms = [...this.histograms.values()].map((p) => p.exportState());
    this.histograms.clear();
    return { buckets: this.bucketRows(), histograms, dropped: this.dropped };
  }

  histogramRows(): LatencyHistogramRow[] {
    const out: LatencyHistogramRow[] = [];
    for (const p of this.histograms.values()) out.push({ ...p.key, count: p.count, histogram: p.encode() });
    this.histograms.clear();
    return out;
  }
}

