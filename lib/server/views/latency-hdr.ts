import * as hdr from "hdr-histogram-js";

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

/** Merges histograms and keeps log-bucket counts; values in ms. */
export class MergedLatency {
  private merged: hdr.Histogram | null = null;
  readonly counts = new Array<number>(LOG_BUCKETS).fill(0);
  total = 0;

  addEncoded(base64: string): void {
    const h = hdr.decodeFromCompressedBase64(base64);
    try {
      const it = (h as unknown as hdr.JsHistogram).recordedValuesIterator;
      it.reset();
      while (it.hasNext()) {
        const v = it.next();
        this.counts[logBucketIndex(v.valueIteratedTo / 1000)]! += v.countAtValueIteratedTo;
      }
      this.total += h.totalCount;
      if (!this.merged) {
        this.merged = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, bitBucketSize: "packed" });
      }
      this.merged.add(h);
    } finally {
      h.destroy();
    }
  }

  /** Percentile in ms (null when empty). */
  percentile(p: number): number | null {
    if (!this.merged || this.merged.totalCount === 0) return null;
    return this.merged.getValueAtPercentile(p) / 1000;
  }

  destroy(): void {
    this.merged?.destroy();
    this.merged = null;
  }
}
