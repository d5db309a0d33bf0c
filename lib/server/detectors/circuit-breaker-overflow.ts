import type { EvidenceRef } from "@/lib/schemas/hypothesis";
import type { RequestRecord, SeriesRecord } from "@/lib/schemas/records";
import { clientName, isFailedRequest, type Located } from "@/lib/server/correlate";
import { Confidence } from "./confidence";
import type { Detector, DetectorContext } from "./types";
import { describeRequest, fmtMs, iso, median } from "./util";

/**
 * circuit-breaker-overflow: the proxy's connection-pool limits for one upstream cluster (Envoy
 * circuit breakers: max_connections, max_pending_requests, max_requests — Istio DestinationRule
 * connectionPool.tcp.maxConnections, http.http1MaxPendingRequests, http2MaxRequests) are smaller
 * than the traffic. Requests that find no connection and no pending slot are rejected by the proxy
 * itself, without any upstream attempt:
 *
 *   load    ▁▁▁▁▁▂▆██▇▆▂▁▁      in flight to pricing: 6 → 48 (limit: 32 pending)
 *   503 UO  ········✗✗✗✗✗······ `upstream_reset_before_response_started{overflow}`, 0–1 ms, no upstream host
 *   counter envoy_cluster_upstream_rq_pending_overflow{cluster_name="outbound|8080||pricing…"} 0 → 1 312
 *
 * What must be true: the proxy's overflow flag (UO / `{overflow}` details) on requests to one
 * upstream, failing at once; what distinguishes it from look-alikes: no healthy upstream (UH),
 * rate limiting (429 RL), connect failures (UF) and timeouts (UT) carry other flags; a load spike
 * without UO is only latency. What it needs besides the flag: the load at the moments of overflow
 * (a spike, or a limit lowered by a change), and the overflow counters when Prometheus is there.
 */
const MIN_OVERFLOWS = 5;
const BIN_MS = 10_000;
const LIMIT_CHANGE = /destination ?rule|connection ?pool|circuit[ -]?break|max ?(?:connections|pending|requests)|http[12]max(?:pending)?requests|maxconnections|max_pending_requests|max_connections/i;
const OVERFLOW_SERIES = /upstream_rq_pending_overflow|upstream_cx_overflow|upstream_rq_overflow|circuit_breakers_.*_(?:rq|cx|rq_pending)_open|rq_pending_open/;

export function isOverflow(r: RequestRecord): boolean {
  const flags = r.flags ?? [];
  if (flags.includes("UO")) return true;
  return /\{overflow\}|_overflow\b|\bupstream overflow\b/i.test(r.error ?? "") && !flags.some((f) => f === "UH" || f === "UF" || f === "RL");
}

function upstreamOf(r: RequestRecord): string | undefined {
  const d = r.dest;
  const name = d?.service ?? (d?.cluster && d.cluster !== "-" ? d.cluster : undefined) ?? r.authority?.split(":")[0];
  return name || undefined;
}
const short = (s: string) => s.split("|").filter(Boolean).pop()!.split(".")[0]!;

function unique(list: Located<RequestRecord>[]): Located<RequestRecord>[] {
  const seen = new Set<string>();
  return list.filter((r) => {
    const id = r.rec.requestId && r.rec.requestId !== "-" ? r.rec.requestId : null;
    if (id === null) return true;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** Requests in flight at each of `at` (sorted ms), from request starts and durations. */
function inFlightAt(reqs: Located<RequestRecord>[], at: number[]): number[] {
  const starts = reqs.map((r) => r.rec.ts as number).sort((a, b) => a - b);
  const ends = reqs.map((r) => (r.rec.ts as number) + Number(r.rec.durationMs ?? 0)).sort((a, b) => a - b);
  const upper = (xs: number[], t: number) => {
    let lo = 0;
    let hi = xs.length;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (xs[m]! <= t) lo = m + 1;
      else hi = m;
    }
    return lo;
  };
  return at.map((t) => upper(starts, t) - upper(ends, t));
}

/** Overflow counters of the cluster: the increase over the bundle, the series and its first rising point. */
function overflowCounters(ctx: DetectorContext, upstream: string): { increase: number; series: Located<SeriesRecord>[]; flat: Located<SeriesRecord>[] } {
  const svc = short(upstream);
  const mine = ctx.series.filter((s) => OVERFLOW_SERIES.test(s.rec.name) && Object.values(s.rec.labels).some((v) => v === upstream || v.includes(`|${upstream}`) || new RegExp(`(?:^|[|_.])${svc}(?:[._|:]|$)`).test(v)));
  let increase = 0;
  const rising: Located<SeriesRecord>[] = [];
  const flat: Located<SeriesRecord>[] = [];
  for (const s of mine) {
    const vals = s.rec.points.map((p) => p[1]).filter(Number.isFinite);
    if (vals.length < 2) continue;
    const gauge = /_open$/.test(s.rec.name);
    const inc = gauge ? Math.max(...vals) : Math.max(0, vals[vals.length - 1]! - vals[0]!);
    if (inc > 0) {
      rising.push(s);
      if (!gauge) increase += inc;
    } else flat.push(s);
  }
  return { increase, series: rising, flat };
}

export const circuitBreakerOverflow: Detector = {
  id: "circuit-breaker-overflow",
  title: "Requests rejected by the proxy's connection-pool limit (circuit breaker overflow)",
  requires: ["envoy-access", "prometheus", "timeline", "k8s-events", "k8s-objects"],
  specificity: "specific",
  coverage(ctx) {
    const envoy = ctx.requests.filter((r) => r.rec.source === "envoy").length;
    const counters = ctx.series.filter((s) => OVERFLOW_SERIES.test(s.rec.name)).length;
    if (!envoy && !counters) return { checked: false, detail: "no Envoy access logs (response flags) and no overflow counters in the bundle" };
    return { checked: true, detail: `${envoy} Envoy requests${counters ? ` and ${counters} overflow counter series` : ""} examined: no upstream with requests rejected as overflow (UO)` };
  },
  detect(ctx: DetectorContext) {
    const byUp = new Map<string, Located<RequestRecord>[]>();
    for (const r of ctx.requests) {
      if (r.rec.ts === null) continue;
      const u = upstreamOf(r.rec);
      if (u) (byUp.get(u) ?? byUp.set(u, []).get(u)!).push(r);
    }
    const failedAll = unique(ctx.requests.filter((r) => isFailedRequest(r.rec) || isOverflow(r.rec)));
    const out = [];
    const found = [...byUp.entries()]
      .map(([upstream, reqs]) => ({ upstream, reqs, over: unique(reqs.filter((r) => isOverflow(r.rec))) }))
      .filter((x) => x.over.length >= MIN_OVERFLOWS)
      .sort((a, b) => b.over.length - a.over.length || (a.upstream < b.upstream ? -1 : 1))
      .slice(0, 2);
    for (const { upstream, reqs, over } of found) {
      const svc = short(upstream);
      const n = over.length;
      const share = failedAll.length ? Math.min(1, n / failedAll.length) : null;
      const first = over[0]!;
      const last = over[n - 1]!;
      const failDur = median(over.map((r) => r.rec.durationMs).filter((d): d is NonNullable<typeof d> => d !== null).map(Number));
      const noHost = over.filter((r) => !r.rec.dest?.ip).length;
      // Load at the overflow moments vs the upstream's usual load.
      const served = reqs.filter((r) => !isOverflow(r.rec) && r.rec.durationMs !== null);
      const overTs = over.map((r) => r.rec.ts as number);
      const flightAtOver = median(inFlightAt(served, overTs)) ?? 0;
      const sampleTs = served.filter((_, i) => i % Math.max(1, Math.floor(served.length / 500)) === 0).map((r) => r.rec.ts as number);
      const flightUsual = median(inFlightAt(served, sampleTs)) ?? 0;
      const bins = new Map<number, number>();
      for (const r of reqs) {
        const b = Math.floor((r.rec.ts as number) / BIN_MS);
        bins.set(b, (bins.get(b) ?? 0) + 1);
      }
      const rateUsual = median([...bins.values()]) ?? 0;
      const rateAtOver = median(overTs.map((t) => bins.get(Math.floor(t / BIN_MS)) ?? 0)) ?? 0;
      const spike = rateUsual > 0 ? rateAtOver / rateUsual : 1;
      const limitChange = ctx.events
        .filter((e) => e.rec.ts !== null && e.rec.source !== "app" && (e.rec.ts as number) <= (first.rec.ts as number) + 60_000 && (first.rec.ts as number) - (e.rec.ts as number) <= 60 * 60_000 && LIMIT_CHANGE.test(e.rec.text))
        .sort((a, b) => (b.rec.ts as number) - (a.rec.ts as number))[0];
      const counters = overflowCounters(ctx, upstream);
      const rule = ctx.objects.find((o) => o.rec.k8sKind === "DestinationRule" && o.rec.connectionPool && !!o.rec.service && (o.rec.service === upstream || short(o.rec.service) === svc));
      const pool = rule?.rec.connectionPool;
      const capacity = pool ? (pool.maxConnections ?? 0) + (pool.http1MaxPendingRequests ?? 0) || pool.http2MaxRequests || null : null;
      const clients = [...new Set(over.map((r) => clientName(r.rec)).filter((c) => c !== "unknown"))];
      const sources = [...new Set(over.map((r) => r.rec.source))].sort();
      const okDur = median(served.filter((r) => !isFailedRequest(r.rec)).map((r) => Number(r.rec.durationMs)));

      const c = new Confidence(0.6, `the proxy rejected ${n} requests to ${svc} as overflow (UO): its connection-pool limit was reached`);
      if (failDur !== null && failDur <= Math.max(5, 0.25 * (okDur ?? 0))) c.add(0.06, `rejected in ${fmtMs(failDur)} (median)${noHost * 2 >= n ? ", with no upstream host chosen" : ""}: no upstream attempt was made`, "evidence");
      else if (failDur !== null && failDur > 1000) c.add(-0.1, `the rejections took ${fmtMs(failDur)} (median): more like timeouts than an overflow`, "counter");
      if (spike >= 1.5) c.add(0.06, `they coincide with a traffic spike: ${(spike).toFixed(1)}× the usual request rate to ${svc}${flightUsual > 0 ? `, ${Math.round(flightAtOver)} requests in flight vs ${Math.round(flightUsual)} usually` : ""}`, "evidence");
      else if (flightUsual > 0 && flightAtOver >= 1.5 * flightUsual) c.add(0.05, `${Math.round(flightAtOver)} requests in flight to ${svc} at the rejections vs ${Math.round(flightUsual)} usually`, "evidence");
      if (limitChange) c.add(0.05, `the pool limit was changed before the rejections (${limitChange.rec.text.slice(0, 90)})`, "evidence");
      const poolText = pool ? Object.entries(pool).filter(([k]) => k !== "idleTimeoutMs").map(([k, v]) => `${k} ${v}`).join(", ") : "";
      if (capacity !== null && flightAtOver >= 0.5 * capacity) c.add(0.05, `the DestinationRule allows ${poolText}: ${Math.round(flightAtOver)} requests were in flight at the rejections`, "independence");
      if (counters.series.length) c.add(0.1, `the proxy's overflow counters for ${svc} grew${counters.increase ? ` by ${Math.round(counters.increase)}` : ""} (${[...new Set(counters.series.map((s) => s.rec.name))].slice(0, 2).join(", ")})`, "independence");
      else if (counters.flat.length) c.add(-0.1, `the overflow counters for ${svc} in the bundle stayed flat`, "counter");
      if (share !== null) {
        const pct = Math.round(share * 100);
        if (share >= 0.8) c.add(0.12, `explains ${n} of the ${failedAll.length} failed requests (${pct} %)`, "impact");
        else if (share >= 0.5) c.add(0.06, `explains ${n} of the ${failedAll.length} failed requests (${pct} %)`, "impact");
        else if (share < 0.2) c.add(-0.2, `explains only ${n} of the ${failedAll.length} failed requests (${pct} %)`, "impact");
      }
      c.cap(0.95, "the access log shows the rejection, not the configured limit");

      const evidence: EvidenceRef[] = [];
      evidence.push(ctx.cite(first, describeRequest(first.rec), `First of ${n} requests to ${svc} rejected as overflow by the proxy (no upstream attempt).`, { traceId: first.rec.traceId }));
      const mid = over[Math.floor(n / 2)]!;
      if (mid !== first && mid !== last) evidence.push(ctx.cite(mid, describeRequest(mid.rec), `${Math.round(flightAtOver)} requests were in flight to ${svc} at the rejections (median), ${Math.round(flightUsual)} usually.`));
      if (last !== first) evidence.push(ctx.cite(last, describeRequest(last.rec), `Last rejection, ${fmtMs((last.rec.ts as number) - (first.rec.ts as number))} after the first.`));
      for (const s of counters.series.slice(0, 2)) {
        const pts = s.rec.points;
        evidence.push(ctx.cite(s as Located<{ prov: { line?: number; pointer?: string }; ts?: unknown }>, `${s.rec.name}{${Object.entries(s.rec.labels).filter(([k]) => k !== "__name__").map(([k, v]) => `${k}="${v}"`).join(",")}} ${pts[0]?.[1]} at ${iso(pts[0]?.[0])} → ${pts[pts.length - 1]?.[1]} at ${iso(pts[pts.length - 1]?.[0])}`.slice(0, 2000), "The proxy counted the overflows itself.", { ts: iso(pts[pts.length - 1]?.[0]) }));
      }
      if (rule) evidence.push(ctx.cite(rule, `DestinationRule ${rule.rec.namespace ?? ""}/${rule.rec.name} host ${rule.rec.service}: connectionPool ${poolText}`, "The connection-pool limits the client proxies enforce for this upstream."));
      if (limitChange) evidence.push(ctx.cite(limitChange, `${iso(limitChange.rec.ts)} [${limitChange.rec.source}] ${limitChange.rec.text}`.slice(0, 2000), "A change of the connection-pool limits before the rejections."));
      const trigger = spike >= 1.5 ? `a traffic spike (${spike.toFixed(1)}× the usual rate)` : limitChange ? "a lowered connection-pool limit" : "load above the connection-pool limit";
      const path = `${clients.length === 1 ? clients[0] : clients.length ? `${clients.length} clients` : "clients"} → ${svc}`;
      out.push({
        detector: "circuit-breaker-overflow",
        title: `Connection-pool limit for ${svc} overflowed: ${n} requests rejected (503 UO) during ${trigger}`,
        ...c.result(),
        summary: `${n} requests on ${path} were rejected by ${sources.join("/")} itself with the overflow flag (UO) between ${iso(first.rec.ts)} and ${iso(last.rec.ts)}${failDur !== null ? `, in ${fmtMs(failDur)} (median)` : ""}: the cluster's circuit breaker (max connections / max pending requests) was full, so no upstream was tried. They coincide with ${trigger}${flightUsual > 0 ? ` — ${Math.round(flightAtOver)} requests in flight vs ${Math.round(flightUsual)} usually` : ""}.${counters.series.length ? ` The proxy's overflow counters for the cluster grew${counters.increase ? ` by ${Math.round(counters.increase)}` : ""}.` : ""}${share !== null ? ` They are ${Math.round(share * 100)} % of the failed requests.` : ""}`,
        evidence,
        counterEvidence: [],
        checks: [
          `Read the cluster's circuit-breaker thresholds: istioctl proxy-config cluster <client pod> --fqdn ${upstream} -o json (circuitBreakers.thresholds) and the DestinationRule's trafficPolicy.connectionPool.`,
          "Compare upstream_rq_pending_overflow / upstream_cx_overflow and upstream_rq_pending_active with the thresholds over the incident.",
          "Check whether the upstream itself was slow (longer requests hold connections longer and fill the pool sooner).",
        ],
        remediation: {
          immediate: [`Raise ${svc}'s connectionPool limits (http1MaxPendingRequests, maxConnections / http2MaxRequests) to above peak concurrency, or revert the change that lowered them.`, "Shed or rate-limit the spike at the edge instead of at this hop."],
          longTerm: ["Size pool limits from measured peak concurrency (rate × latency) with headroom, and alert on upstream_rq_pending_active approaching the limit.", "Autoscale the upstream on concurrency so slow responses do not fill the pool."],
        },
        explains: share === null || share >= 0.5 ? ["error-burst-after-change", "retry-latency-amplification"] : [],
        facts: {
          upstream,
          service: svc,
          overflows: n,
          requests: unique(reqs).length,
          clients,
          inFlightAtOverflow: Math.round(flightAtOver),
          inFlightUsual: Math.round(flightUsual),
          rateRatio: Math.round(spike * 100) / 100,
          ...(failDur !== null ? { medianRejectMs: Math.round(failDur) } : {}),
          ...(share !== null ? { sharePct: Math.round(share * 100) } : {}),
          counterIncrease: Math.round(counters.increase),
          trigger: spike >= 1.5 ? "traffic-spike" : limitChange ? "limit-lowered" : "load",
          ...(poolText ? { connectionPool: poolText } : {}),
        },
      });
    }
    return out;
  },
};
