import type { EvidenceRecord, RequestRecord } from "@/lib/schemas/records";
import { subMs, type DurationMs, type EpochMs } from "@/lib/schemas/time";
import { buildIdentity, type IdentityMap } from "./identity";
import type { CohortStats, CorrelationSummary, SkewEstimate } from "./schema";
import { estimateSkew } from "./skew";
import { EvidenceStore, type FileInfo, type Located } from "./store";
import { isFailedRequest } from "./requests";
import { bucketizeAdaptive, detectWindow, type Bucket, type WindowTimes } from "./window";
import { computeImpact } from "./impact";

export { EvidenceStore, BOUNDS, type FileInfo, type Located } from "./store";
export { isFailedRequest, isFailedBucket, bucketOutcome, destName, clientName } from "./requests";
export { IdentityMap, stripPort, serviceFromComment } from "./identity";
export type { CorrelationSummary } from "./schema";

/** Everything detectors see: skew-corrected records, the window, the identity map. */
export interface Correlated {
  files: Map<string, FileInfo>;
  requests: Located<RequestRecord>[];
  /** Uniform sample for distribution statistics (== requests when nothing was dropped). */
  requestSample: Located<RequestRecord>[];
  spans: Located<Extract<EvidenceRecord, { kind: "span" }>>[];
  events: Located<Extract<EvidenceRecord, { kind: "event" }>>[];
  objects: Located<Extract<EvidenceRecord, { kind: "object" }>>[];
  counters: Located<Extract<EvidenceRecord, { kind: "counter" }>>[];
  series: Located<Extract<EvidenceRecord, { kind: "series" }>>[];
  rulesets: Located<Extract<EvidenceRecord, { kind: "ruleset" }>>[];
  ipvs: Located<Extract<EvidenceRecord, { kind: "ipvs" }>>[];
  buckets: Bucket[];
  window: WindowTimes;
  identity: IdentityMap;
  /** fileId → clock correction applied (ms; subtracted from the file's timestamps). */
  skew: Map<string, DurationMs>;
  summary: CorrelationSummary;
}

function shift<T extends { ts?: unknown }>(list: Located<T>[], skew: Map<string, DurationMs>, extra?: (rec: T, d: DurationMs) => T): Located<T>[] {
  return list.map((l) => {
    const d = skew.get(l.fileId);
    if (d === undefined || d === 0) return l;
    const ts = l.rec.ts;
    let rec = typeof ts === "number" ? ({ ...l.rec, ts: subMs(ts as EpochMs, d) } as T) : l.rec;
    if (extra) rec = extra(rec, d);
    return { fileId: l.fileId, rec };
  });
}
const byTs = <T extends { ts?: unknown }>(a: Located<T>, b: Located<T>) =>
  ((a.rec.ts as number | null) ?? Number.NEGATIVE_INFINITY) - ((b.rec.ts as number | null) ?? Number.NEGATIVE_INFINITY) || (a.fileId < b.fileId ? -1 : a.fileId > b.fileId ? 1 : 0);

function percentile(sorted: number[], q: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))]!;
}

export function cohortStats(key: string, reqs: RequestRecord[]): CohortStats {
  const d = reqs.filter((r) => r.status !== null).map((r) => r.durationMs).filter((x): x is NonNullable<typeof x> => x !== null && Number.isFinite(x)).map(Number).sort((a, b) => a - b);
  const p50 = percentile(d, 0.5);
  const p99 = percentile(d, 0.99);
  return { key, requests: reqs.length, errors: reqs.filter(isFailedRequest).length, p50Ms: p50 === null ? null : Math.round(p50), p99Ms: p99 === null ? null : Math.round(p99) };
}

export function correlate(store: EvidenceStore, fileList: FileInfo[], overrides: Record<string, number> = {}): Correlated {
  const files = new Map(fileList.map((f) => [f.fileId, f]));
  const skewEst: SkewEstimate[] = estimateSkew(store.keys, fileList, overrides);
  const skew = new Map(skewEst.filter((s) => s.appliedMs !== 0).map((s) => [s.fileId, s.appliedMs]));

  const requests = shift(store.requests, skew).sort(byTs);
  const requestSample = store.requestsSampled ? shift(store.reservoir, skew).sort(byTs) : requests;
  const spans = shift(store.spans, skew, (s, d) => (s.events ? { ...s, events: s.events.map((e) => ({ ...e, ts: subMs(e.ts, d) })) } : s)).sort(byTs);
  const events = shift(store.events, skew, (e, d) => (typeof e.firstTs === "number" ? { ...e, firstTs: subMs(e.firstTs, d) } : e)).sort(byTs);
  const counters = shift(store.counters, skew).sort(byTs);
  const shiftedPerSecond = [...store.perSecond.entries()].map(([fileId, m]) => {
    const dSec = Math.round((skew.get(fileId) ?? 0) / 1000);
    if (dSec === 0) return m;
    return new Map([...m.entries()].map(([sec, agg]) => [sec - dSec, agg]));
  });
  const { buckets } = bucketizeAdaptive(shiftedPerSecond);
  const win = detectWindow(buckets, events);
  const identity = buildIdentity({ objects: store.objects, requests, rulesets: store.rulesets, ipvs: store.ipvs });

  // Cohorts over the (sampled) request population.
  const phaseOf = (ts: EpochMs | null): string =>
    ts === null || win.onsetMs === null ? "unknown" : ts < win.onsetMs ? "before" : win.recoveryMs !== null && ts >= win.recoveryMs ? "after" : "during";
  const groups = { phase: new Map<string, RequestRecord[]>(), node: new Map<string, RequestRecord[]>(), namespace: new Map<string, RequestRecord[]>(), version: new Map<string, RequestRecord[]>() };
  const put = (m: Map<string, RequestRecord[]>, k: string | undefined, r: RequestRecord) => {
    if (!k) return;
    const l = m.get(k);
    if (l) l.push(r);
    else if (m.size < 200) m.set(k, [r]);
  };
  for (const { fileId, rec: r } of requestSample) {
    const id = r.dest?.ip ? identity.resolve(r.dest.ip, r.ts) : undefined;
    put(groups.phase, phaseOf(r.ts), r);
    put(groups.node, r.dest?.node ?? id?.node ?? files.get(fileId)?.node, r);
    put(groups.namespace, r.dest?.namespace ?? id?.namespace, r);
    put(groups.version, id?.labels?.version ?? id?.labels?.["app.kubernetes.io/version"], r);
  }
  const statsOf = (m: Map<string, RequestRecord[]>) => [...m.entries()].map(([k, v]) => cohortStats(k, v)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  const allTs: number[] = [];
  for (const l of [requests, spans, events, counters] as Located<{ ts?: unknown }>[][])
    for (const x of l) if (typeof x.rec.ts === "number" && Number.isFinite(x.rec.ts)) allTs.push(x.rec.ts);
  let lo = Infinity;
  let hi = -Infinity;
  for (const t of allTs) {
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  // Summarised files: their first and last records are most likely not rows.
  for (const [fileId, [min, max]] of store.summarisedRange) {
    const d = skew.get(fileId) ?? 0;
    if (min - d < lo) lo = min - d;
    if (max - d > hi) hi = max - d;
  }
  const { onsetMs: _o, peakMs: _p, recoveryMs: _r, ...windowSummary } = win;
  const summary: CorrelationSummary = {
    timeRange: { start: Number.isFinite(lo) ? new Date(lo).toISOString() : null, end: Number.isFinite(hi) ? new Date(hi).toISOString() : null },
    recordCounts: { ...store.counts },
    requestsSampled: store.requestsSampled,
    window: windowSummary,
    skew: skewEst,
    identity: { entries: identity.size, ips: identity.ipCount, reusedIps: identity.reusedIps().slice(0, 50) },
    cohorts: { phase: statsOf(groups.phase), node: statsOf(groups.node), namespace: statsOf(groups.namespace), version: statsOf(groups.version) },
    impact: computeImpact({ requests, sample: requestSample, sampled: store.requestsSampled, buckets, onsetMs: win.onsetMs, recoveryMs: win.recoveryMs, baselineErrorRate: win.baselineErrorRate, peakErrorRate: win.peakErrorRate }),
    coverage: [],
  };
  return {
    files,
    requests,
    requestSample,
    spans,
    events,
    objects: store.objects,
    counters,
    series: store.series,
    rulesets: store.rulesets,
    ipvs: store.ipvs,
    buckets,
    window: { onsetMs: win.onsetMs, peakMs: win.peakMs, recoveryMs: win.recoveryMs },
    identity,
    skew,
    summary,
  };
}
