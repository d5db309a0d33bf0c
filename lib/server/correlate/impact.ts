import type { RequestRecord } from "@/lib/schemas/records";
import { durationMs, elapsed, subMs, type EpochMs } from "@/lib/schemas/time";
import type { Impact } from "./schema";
import { destName, isFailedRequest } from "./requests";
import { SparseHistogram, type Located } from "./store";
import type { Bucket } from "./window";

/**
 * The incident's impact, computed once per analysis and read by the Overview, the draft, Compare
 * and search, so "requests failed" is one number wherever it is shown.
 *
 *   before = [onset − len, onset)   during = [onset, recovery)        len = max(60 s, recovery − onset)
 *   ────────────┤ before ├──────────┤ during ├──────────
 *                              onset▲        ▲recovery
 *   No onset → the whole bundle is the scope and there is no before/during.
 *
 * One request, one count: records that carry the same request id (x-request-id propagated from the
 * gateway to the sidecars, an nginx `$request_id`) are one request however many sources logged it;
 * the earliest observation stands for it (the edge sees the request first and whole, so a retry
 * that succeeded behind it does not count as a failure and one that failed does). Records without
 * a request id count alone. Failed is `isFailedRequest` — the one definition.
 *
 * When the bundle's requests were sampled (over the in-memory cap or summarised files), totals come
 * from the exact per-second aggregates of every request (not de-duplicated) and per-service request
 * counts are estimated from the uniform sample; `exact` says which.
 */
const MAX_AFFECTED = 8;

export function computeImpact(o: {
  requests: Located<RequestRecord>[];
  sample: Located<RequestRecord>[];
  sampled: boolean;
  buckets: Bucket[];
  onsetMs: EpochMs | null;
  recoveryMs: EpochMs | null;
  baselineErrorRate: number | null;
  peakErrorRate: number | null;
}): Impact {
  const { onsetMs, recoveryMs } = o;
  const hasWindow = onsetMs !== null;
  const end = recoveryMs ?? Number.POSITIVE_INFINITY;
  const len = durationMs(hasWindow ? Math.max(60_000, elapsed(onsetMs, recoveryMs ?? lastTs(o.requests) ?? onsetMs)) : 0);
  const phaseOf = (ts: EpochMs | null): "before" | "during" | null => {
    if (ts === null) return null;
    if (!hasWindow) return "during";
    if (ts >= onsetMs && ts < end) return "during";
    if (ts >= subMs(onsetMs, len) && ts < onsetMs) return "before";
    return null;
  };

  // One observation per request.
  const reps: Located<RequestRecord>[] = [];
  const byId = new Map<string, number>();
  let duplicates = 0;
  for (const l of o.requests) {
    const id = l.rec.requestId && l.rec.requestId !== "-" ? l.rec.requestId : null;
    if (id === null) {
      reps.push(l);
      continue;
    }
    const at = byId.get(id);
    if (at === undefined) {
      byId.set(id, reps.length);
      reps.push(l);
      continue;
    }
    duplicates++;
    const cur = reps[at]!;
    if (earlier(l.rec, cur.rec)) reps[at] = l;
  }

  interface Acc { requests: number; failed: number; before: number[]; during: number[] }
  const perService = new Map<string, Acc>();
  const accOf = (s: string) => perService.get(s) ?? perService.set(s, { requests: 0, failed: 0, before: [], during: [] }).get(s)!;
  let requests = 0;
  let failed = 0;
  const before: number[] = [];
  const during: number[] = [];
  for (const { rec } of reps) {
    const phase = phaseOf(rec.ts);
    if (phase === null) continue;
    const httpDuration = rec.status !== null && rec.durationMs !== null && Number.isFinite(rec.durationMs) ? Number(rec.durationMs) : null;
    const acc = accOf(destName(rec));
    if (phase === "during") {
      const bad = isFailedRequest(rec);
      requests++;
      acc.requests++;
      if (bad) {
        failed++;
        acc.failed++;
      }
      if (httpDuration !== null) {
        during.push(httpDuration);
        acc.during.push(httpDuration);
      }
    } else if (httpDuration !== null) {
      before.push(httpDuration);
      acc.before.push(httpDuration);
    }
  }

  let exact = true;
  let p99BeforeMs = hasWindow ? p99(before) : null;
  let p99DuringMs = hasWindow ? p99(during) : null;
  if (o.sampled) {
    // Exact totals from every request's per-second aggregates; per-service counts from the sample.
    exact = false;
    const inScope = o.buckets.filter((b) => (hasWindow ? b.start >= onsetMs && b.start < end : true));
    const totalReq = inScope.reduce((n, b) => n + b.count, 0);
    const totalFailed = inScope.reduce((n, b) => n + b.errors, 0);
    if (totalReq > 0) {
      // The kept rows over-represent failures (notable rows are kept first): a service's share of
      // the requests comes from the uniform sample instead.
      const share = new Map<string, number>();
      let inSample = 0;
      for (const { rec } of o.sample)
        if (phaseOf(rec.ts) === "during") {
          inSample++;
          const s = destName(rec);
          share.set(s, (share.get(s) ?? 0) + 1);
        }
      for (const [s, acc] of perService) acc.requests = Math.max(acc.failed, inSample ? Math.round(((share.get(s) ?? 0) / inSample) * totalReq) : acc.requests);
      requests = totalReq;
      failed = totalFailed;
    }
    if (hasWindow) {
      p99BeforeMs = histP99(o.buckets.filter((b) => b.start >= subMs(onsetMs, len) && b.start < onsetMs));
      p99DuringMs = histP99(inScope);
    }
  }

  const affectedServices = [...perService.entries()]
    .map(([service, a]) => ({
      service,
      requests: a.requests,
      failed: a.failed,
      errorRate: a.requests > 0 ? a.failed / a.requests : null,
      p99BeforeMs: hasWindow ? p99(a.before) : null,
      p99DuringMs: hasWindow ? p99(a.during) : null,
    }))
    .filter((s) => s.failed > 0 || slowedDown(s.p99BeforeMs, s.p99DuringMs))
    .sort((a, b) => b.failed - a.failed || (b.errorRate ?? 0) - (a.errorRate ?? 0) || (a.service < b.service ? -1 : a.service > b.service ? 1 : 0))
    .slice(0, MAX_AFFECTED);

  return {
    scope: hasWindow ? "window" : "whole-bundle",
    requests,
    failed,
    errorRate: requests > 0 ? failed / requests : null,
    baselineErrorRate: o.baselineErrorRate,
    peakErrorRate: o.peakErrorRate,
    p99BeforeMs: round(p99BeforeMs),
    p99DuringMs: round(p99DuringMs),
    duplicatesMerged: exact ? duplicates : 0,
    exact,
    affectedServices: affectedServices.map((s) => ({ ...s, p99BeforeMs: round(s.p99BeforeMs), p99DuringMs: round(s.p99DuringMs) })),
  };
}

function earlier(a: RequestRecord, b: RequestRecord): boolean {
  const ta = a.ts ?? Number.POSITIVE_INFINITY;
  const tb = b.ts ?? Number.POSITIVE_INFINITY;
  if (ta !== tb) return ta < tb;
  return Number(a.durationMs ?? -1) > Number(b.durationMs ?? -1);
}

function lastTs(list: Located<RequestRecord>[]): EpochMs | null {
  for (let i = list.length - 1; i >= 0; i--) {
    const t = list[i]!.rec.ts;
    if (t !== null) return t;
  }
  return null;
}

function p99(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(0.99 * (s.length - 1)))]!;
}

function histP99(buckets: Bucket[]): number | null {
  const h = new SparseHistogram();
  for (const b of buckets) h.merge(b.hist);
  return h.quantile(0.99);
}

const round = (x: number | null) => (x === null ? null : Math.round(x));

function slowedDown(before: number | null, during: number | null): boolean {
  return before !== null && during !== null && during > before * 1.5 && during - before > 5;
}
