import type { EventRecord } from "@/lib/schemas/records";
import { addMs, durationMs, elapsed, epochMs, minEpoch, type DurationMs, type EpochMs } from "@/lib/schemas/time";
import type { IncidentWindow } from "./schema";
import { SparseHistogram, type SecondAgg } from "./store";
import type { Located } from "./store";

/**
 * Incident window from change points in error rate and latency.
 *
 * Requests are bucketed per BUCKET_S seconds (wider for sparse logs, see bucketizeAdaptive; skew-corrected). The baseline is the 25th percentile
 * of bucket error rates / p99s (robust when the incident covers most of the bundle). A bucket is
 * abnormal when its error rate > max(MIN_ERR, 3×baseline) with ≥ MIN_ERRORS errors, or its tail (p99, or lower in a small bucket: see tailQuantile) > max(2.5×baseline, baseline+150 ms).
 *
 *   err%  ▁▁▁▁▁▂▇█▇▆▇▅▂▁▁▁▁
 *              ▲onset ▲peak  ▲recovery (end of the last abnormal bucket)
 *   human  alert^      mitigation^  resolution^   → cross-checked: |alert − onset| ≤ 15 min agrees
 *
 * The window comes from measured evidence only; without a change point there is no onset, whatever
 * the human timeline says (its entries are shown as marks, never promoted to an onset).
 */
export const BUCKET_S = 10;
const MIN_ERR = 0.02;
const MIN_REQ = 5;
/** One stray 503 in a quiet bucket is not a change point. */
export const MIN_ERRORS = 3;
const AGREE_MS = durationMs(15 * 60_000);

export interface Bucket {
  start: EpochMs;
  widthMs: DurationMs;
  count: number;
  errors: number;
  hist: SparseHistogram;
}

/**
 * Sparse logs (a sampled access log at 0.2 req/s) would leave every 10 s bucket below MIN_REQ, so the
 * bucket width doubles (10 s → 20 s → … ≤ 320 s) until the median non-empty bucket holds ≥ MIN_REQ.
 */
export function bucketizeAdaptive(perSecond: Map<number, SecondAgg>[]): { width: number; buckets: Bucket[] } {
  let width = BUCKET_S;
  let buckets = bucketize(perSecond, width);
  while (width < 320 && buckets.length > 3) {
    const counts = buckets.map((b) => b.count).sort((a, b) => a - b);
    if (counts[counts.length >> 1]! >= MIN_REQ) break;
    width *= 2;
    buckets = bucketize(perSecond, width);
  }
  return { width, buckets };
}

export function bucketize(perSecond: Map<number, SecondAgg>[], bucketS = BUCKET_S): Bucket[] {
  const m = new Map<EpochMs, Bucket>();
  for (const file of perSecond)
    for (const [sec, agg] of file) {
      const start = epochMs(Math.floor(sec / bucketS) * bucketS * 1000);
      let b = m.get(start);
      if (!b) m.set(start, (b = { start, widthMs: durationMs(bucketS * 1000), count: 0, errors: 0, hist: new SparseHistogram() }));
      b.count += agg.count;
      b.errors += agg.errors;
      b.hist.merge(agg.hist);
    }
  return [...m.values()].sort((a, b) => a.start - b.start);
}

/**
 * The bucket's tail quantile: p99, but never so high that one request decides it. In a 10 s bucket of
 * 9 requests p99 is the slowest request, so one normally slow call (an export, a report) would make
 * the bucket "abnormal"; a latency change point is a shift of the distribution, so at least
 * TAIL_MIN requests must lie above the quantile the bucket is judged by.
 */
const TAIL_MIN = 3;
export function tailQuantile(count: number): number {
  return Math.max(0.5, Math.min(0.99, 1 - TAIL_MIN / Math.max(1, count)));
}

function pct(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))]!;
}

const iso = (t: number | null | undefined) => (t === null || t === undefined || !Number.isFinite(t) ? null : new Date(t).toISOString());

export function findTimelineMarks(events: Located<EventRecord>[]): { alert: EpochMs | null; mitigation: EpochMs | null; resolution: EpochMs | null } {
  const first = (reason: string) => {
    const ts = events
      .filter((e) => e.rec.source === "timeline" && (e.rec.reason ?? "").toLowerCase() === reason && e.rec.ts !== null)
      .map((e) => e.rec.ts as EpochMs);
    return ts.length ? minEpoch(ts) : null;
  };
  return { alert: first("alert"), mitigation: first("mitigation"), resolution: first("resolution") };
}

/** The detected window as instants (the summary carries them as ISO strings). */
export interface WindowTimes {
  onsetMs: EpochMs | null;
  peakMs: EpochMs | null;
  recoveryMs: EpochMs | null;
}

export function detectWindow(buckets: Bucket[], events: Located<EventRecord>[]): IncidentWindow & WindowTimes {
  const marks = findTimelineMarks(events);
  const usable = buckets.filter((b) => b.count >= MIN_REQ);
  let onset: EpochMs | null = null;
  let peak: EpochMs | null = null;
  let recovery: EpochMs | null = null;
  let basis: IncidentWindow["basis"] = "none";
  let baseErr: number | null = null;
  let peakErr: number | null = null;
  let baseP99: number | null = null;
  let peakP99: number | null = null;
  if (usable.length >= 3) {
    const rates = usable.map((b) => b.errors / b.count);
    const p99s = usable.map((b) => b.hist.quantile(tailQuantile(b.count)) ?? 0);
    baseErr = pct(rates, 0.25);
    baseP99 = pct(p99s, 0.25);
    const errLimit = Math.max(MIN_ERR, 3 * baseErr);
    const latLimit = Math.max(2.5 * baseP99, baseP99 + 150);
    let sawErr = false;
    let sawLat = false;
    let bestScore = -1;
    usable.forEach((b, i) => {
      const errAbn = rates[i]! > errLimit && b.errors >= MIN_ERRORS;
      const latAbn = p99s[i]! > latLimit;
      if (!errAbn && !latAbn) return;
      sawErr ||= errAbn;
      sawLat ||= latAbn;
      onset ??= b.start;
      recovery = addMs(b.start, b.widthMs);
      const score = rates[i]! * 10 + p99s[i]! / Math.max(1, latLimit);
      if (score > bestScore) {
        bestScore = score;
        peak = b.start;
        peakErr = rates[i]!;
        peakP99 = p99s[i]!;
      }
    });
    if (onset !== null) basis = sawErr && sawLat ? "error-rate+latency" : sawErr ? "error-rate" : "latency";
  }
  // A human timeline line never creates an onset by itself: "12:00 end of load test, no alerts
  // fired" is not an incident. The timeline's marks stay available as marks (alert, mitigation).
  const alertLag = marks.alert !== null && onset !== null ? elapsed(onset, marks.alert) : null;
  return {
    onset: iso(onset),
    peak: iso(peak),
    recovery: iso(recovery),
    basis,
    baselineErrorRate: baseErr,
    peakErrorRate: peakErr,
    baselineP99Ms: baseP99 === null ? null : Math.round(baseP99),
    peakP99Ms: peakP99 === null ? null : Math.round(peakP99),
    timeline: {
      alert: iso(marks.alert),
      mitigation: iso(marks.mitigation),
      resolution: iso(marks.resolution),
      alertLagMs: alertLag,
      agrees: alertLag === null ? null : Math.abs(alertLag) <= AGREE_MS,
    },
    onsetMs: onset,
    peakMs: peak,
    recoveryMs: recovery,
  };
}
