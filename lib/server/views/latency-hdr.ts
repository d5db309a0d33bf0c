import { inflateSync } from "node:zlib";

/**
 * HdrHistogram helpers for the stored LatencyHistogram rows (microseconds, compressed base64; see
 * lib/server/pipeline/aggregates.ts). Distributions are merged per phase and re-bucketed on a log
 * scale for charts: 5 buckets per decade, 10 µs .. 1 h.
 *
 *   0.01ms  0.016  0.025  0.04  0.063  0.1ms ... 1s ... 1h
 *   |------|------|------|-----|------|  (each bucket ×1.585 wider than the previous)
 */
export const BUCKETS_PER_DECADE = 5;
const MIN_EXP = -2 * BUCKETS_PER_DECADE; // 0.01 ms
const MAX_EXP = Math.ceil(Math.log10(3_600_000) * BUCKETS_PER_DECADE); // 1 h

export function logBucketIndex(ms: number): number {
  const e = Math.floor(Math.log10(Math.max(ms, 1e-9)) * BUCKETS_PER_DECADE + 1e-9);
  return Math.min(MAX_EXP, Math.max(MIN_EXP, e)) - MIN_EXP;
}
export function logBucketBounds(index: number): [number, number] {
  const e = index + MIN_EXP;
  return [10 ** (e / BUCKETS_PER_DECADE), 10 ** ((e + 1) / BUCKETS_PER_DECADE)];
}
export const LOG_BUCKETS = MAX_EXP - MIN_EXP + 1;

/**
 * The counts of one stored histogram (compressed V2 encoding), decoded without building an
 * HdrHistogram: base64 → inflate → header → ZigZag LEB128 counts (negative words are runs of empty
 * slots). Building a histogram per row and walking it with its iterator cost ~1 ms a row, which made
 * the Overview take 15 s on 20k rows; this costs a few µs. Slot i holds values in
 * [valueFromIndex(i), highestEquivalentValue(i)] exactly as HdrHistogram lays them out.
 */
export interface DecodedCounts {
  /** Slots per half sub-bucket (2^subBucketHalfCountMagnitude) and the unit magnitude, for slot → value. */
  halfCount: number;
  unitMagnitude: number;
  /** Non-empty slots and their counts. */
  slots: number[];
  counts: number[];
  total: number;
}

const V2_COMPRESSED_COOKIE_BASE = 0x1c849304;
const V2_COOKIE_BASE = 0x1c849303;

export function decodeHistogramCounts(base64: string): DecodedCounts {
  const raw = Buffer.from(base64.trim(), "base64");
  if ((raw.readInt32BE(0) & ~0xf0) !== V2_COMPRESSED_COOKIE_BASE) throw new Error("histogram: only the compressed V2 encoding is supported");
  const body = inflateSync(raw.subarray(8, 8 + raw.readInt32BE(4)));
  if ((body.readInt32BE(0) & ~0xf0) !== V2_COOKIE_BASE) throw new Error("histogram: bad V2 cookie");
  const payloadLength = body.readInt32BE(4);
  const digits = body.readInt32BE(12);
  const lowest = Number(body.readBigInt64BE(16));
  const largestSingleUnit = 2 * 10 ** digits;
  const subBucketCountMagnitude = Math.ceil(Math.log2(largestSingleUnit));
  const halfCount = 2 ** (Math.max(subBucketCountMagnitude, 1) - 1);
  const unitMagnitude = Math.floor(Math.log2(lowest));
  const slots: number[] = [];
  const counts: number[] = [];
  let total = 0;
  let p = 40;
  const end = 40 + payloadLength;
  let index = 0;
  while (p < end) {
    // ZigZag LEB128-64b9B: 7 bits a byte for 8 bytes, the 9th byte whole.
    let v = 0;
    let mul = 1;
    let k = 0;
    for (; k < 8; k++) {
      const b = body[p++]!;
      v += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) break;
    }
    if (k === 8) v += body[p++]! * mul;
    const word = v % 2 === 0 ? v / 2 : -(v + 1) / 2;
    if (word < 0) index += -word;
    else {
      if (word > 0) {
        slots.push(index);
        counts.push(word);
        total += word;
      }
      index++;
    }
  }
  return { halfCount, unitMagnitude, slots, counts, total };
}

/** Highest value counted in slot `index` (what HdrHistogram reports for it), in the recorded unit. */
export function slotHighestValue(index: number, halfCount: number, unitMagnitude: number): number {
  let bucket = Math.floor(index / halfCount) - 1;
  let sub = (index % halfCount) + halfCount;
  if (bucket < 0) {
    sub -= halfCount;
    bucket = 0;
  }
  const unit = 2 ** (bucket + unitMagnitude);
  return sub * unit + unit - 1;
}

/**
 * Merges histograms and keeps log-bucket counts; values in ms. Counts are summed per HdrHistogram
 * slot (all stored histograms share one layout: 1 µs .. 1 h, 3 digits), so percentiles are exactly
 * HdrHistogram's getValueAtPercentile on the merged histogram.
 */
export class MergedLatency {
  private slotCounts = new Map<number, number>();
  private layout: { halfCount: number; unitMagnitude: number } | null = null;
  private logCounts: number[] | null = null;
  total = 0;

  addEncoded(base64: string): void {
    const d = decodeHistogramCounts(base64);
    if (d.total === 0) return;
    if (!this.layout) this.layout = { halfCount: d.halfCount, unitMagnitude: d.unitMagnitude };
    else if (this.layout.halfCount !== d.halfCount || this.layout.unitMagnitude !== d.unitMagnitude) throw new Error("histogram: layouts differ");
    for (let i = 0; i < d.slots.length; i++) this.slotCounts.set(d.slots[i]!, (this.slotCounts.get(d.slots[i]!) ?? 0) + d.counts[i]!);
    this.total += d.total;
    this.logCounts = null;
  }

  private sortedSlots(): number[] {
    return [...this.slotCounts.keys()].sort((a, b) => a - b);
  }

  /** Counts per log bucket (LOG_BUCKETS entries). */
  get counts(): readonly number[] {
    if (this.logCounts) return this.logCounts;
    const out = new Array<number>(LOG_BUCKETS).fill(0);
    if (this.layout) {
      for (const [slot, n] of this.slotCounts) out[logBucketIndex(slotHighestValue(slot, this.layout.halfCount, this.layout.unitMagnitude) / 1000)]! += n;
    }
    return (this.logCounts = out);
  }

  /** Percentile in ms (null when empty); HdrHistogram's rounding (count at percentile rounded up, ≥ 1). */
  percentile(p: number): number | null {
    if (!this.layout || this.total === 0) return null;
    const fp = (Math.min(p, 100) / 100) * this.total;
    const countAt = Math.max(Math.ceil(fp - ulp(fp)), 1);
    let seen = 0;
    for (const slot of this.sortedSlots()) {
      seen += this.slotCounts.get(slot)!;
      if (seen >= countAt) return slotHighestValue(slot, this.layout.halfCount, this.layout.unitMagnitude) / 1000;
    }
    return null;
  }

  destroy(): void {
    this.slotCounts.clear();
    this.logCounts = null;
  }
}

function ulp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  const exp = Math.floor(Math.log2(Math.abs(x)));
  return 2 ** (exp - 52);
}
