import type { ClassSpec, World } from "../generator";
import type { Req } from "../formats/access";

/**
 * Issue 18: the client proxy's connection-pool limits for one upstream (Istio DestinationRule
 * connectionPool: tcp.maxConnections, http.http1MaxPendingRequests / http2MaxRequests) are smaller than
 * the traffic. Requests finding neither a connection nor a pending slot are rejected by Envoy itself:
 * 503 `UO` `upstream_reset_before_response_started{overflow}` in 0–1 ms, no upstream host; the
 * pending-overflow counter grows. The trigger: a traffic spike (×3–6 for 2–8 minutes) or a change
 * that lowered the limit (overflows at the usual load peaks from then on).
 *
 * Axes: trigger, the proxy that logged it (client sidecar, gateway), text or JSON, HTTP/1.1 or gRPC
 * (logged as 200 with UO), the overflow share, Prometheus counters present or not (query_range JSON),
 * an ingress nginx in front (bare 503s), the shared noise axes.
 *
 * Near-misses (one per variant): a spike that only adds latency (pool large enough); a spike met by
 * rate limiting (429 RL) at the edge; endpoints ejected (503 UH no healthy upstream) during the
 * spike; a 404 storm with client cancellations (DC/499) during the spike.
 */
export const circuitBreakerOverflow: ClassSpec = {
  id: "circuit-breaker-overflow",
  build(w, kind) {
    const app = w.service;
    const backends = Array.from({ length: w.rng.int(2, 4) }, () => w.hostPort(w.podIp(), 8080));
    const grpc = w.pickAxis("protocol", ["http1", "http1", "grpc"] as const) === "grpc";
    const proxy = w.pickAxis("proxy", ["sidecar", "gateway"] as const);
    const trigger = kind === "incident" ? w.pickAxis("trigger", ["traffic-spike", "traffic-spike", "limit-lowered"] as const) : "traffic-spike";
    const near = kind === "near-miss" ? w.pickAxis("nearMiss", ["spike-latency-only", "rate-limited", "no-healthy-upstream", "404-storm"] as const) : null;
    const overShare = w.rng.pick([0.05, 0.1, 0.2, 0.35]);
    if (kind === "incident") w.axis("overflowShare", String(overShare));
    const spikeLen = w.rng.int(2, 8) * 60_000;
    const factor = w.rng.int(3, 6);
    const base = Math.max(w.requests, 600);
    const spikeCount = trigger === "traffic-spike" ? Math.min(15_000, Math.round((base * (factor - 1) * spikeLen) / (w.end - w.start))) : 0;
    if (spikeCount) w.axis("spike", `${factor}x for ${spikeLen / 60_000}m`);
    const inSpike = (t: number) => t >= w.onset && t < w.onset + spikeLen;
    let overflows = 0;
    const cluster = `outbound|8080||${app}.${w.ns}.svc.cluster.local`;
    const shape = (r: Req) => {
      if (grpc) Object.assign(r, { method: "POST", path: `/${app}.v1.Api/${w.rng.pick(["Get", "List", "Update"])}`, protocol: "HTTP/2", ua: "grpc-go/1.62.1" });
      if (r.upstreamHost === null || r.flags !== "-") return;
      const hot = trigger === "traffic-spike" ? inSpike(r.ts) : r.ts >= w.onset;
      if (!hot) return;
      if (kind === "incident" && w.rng.chance(overShare)) {
        overflows++;
        Object.assign(r, { status: grpc ? 200 : 503, flags: "UO", details: "upstream_reset_before_response_started{overflow}", durMs: w.rng.int(0, 1), upstreamMs: null, connectMs: null, upstreamHost: null });
        return;
      }
      if (near === "rate-limited" && w.rng.chance(overShare)) return void Object.assign(r, { status: 429, flags: "RL", details: "request_rate_limited", durMs: 0, upstreamMs: null, connectMs: null, upstreamHost: null });
      if (near === "no-healthy-upstream" && r.ts < w.onset + 60_000 && w.rng.chance(0.5)) return void Object.assign(r, { status: 503, flags: "UH", details: "no_healthy_upstream", durMs: 0, upstreamMs: null, connectMs: null, upstreamHost: null });
      if (near === "404-storm" && w.rng.chance(0.3)) return void Object.assign(r, { status: 404, flags: "NR", details: "route_not_found", upstreamHost: null, upstreamMs: null, connectMs: null, durMs: 0, cluster: "-" });
      if (near === "404-storm" && w.rng.chance(0.05)) return void Object.assign(r, { status: 0, flags: "DC", details: "downstream_remote_disconnect", upstreamMs: null });
      // Requests that got a slot waited for it: queueing adds latency under load.
      const wait = w.rng.int(5, trigger === "traffic-spike" ? 120 : 40);
      r.durMs += wait;
      if (r.upstreamMs !== null) r.upstreamMs += wait;
    };
    const reqs = w.traffic({ count: base, upstreams: () => w.rng.pick(backends), shape });
    if (spikeCount) {
      const extra = w.traffic({ count: spikeCount, upstreams: () => w.rng.pick(backends) });
      extra.forEach((r, k) => {
        r.ts = w.onset + Math.floor(((k + w.rng.next()) * spikeLen) / spikeCount);
        shape(r);
      });
      reqs.push(...extra);
      reqs.sort((a, b) => a.ts - b.ts);
    }
    if (kind === "incident") w.axis("overflows", String(overflows));
    const limit = w.rng.pick([1, 4, 10, 16, 32]);
    if (trigger === "limit-lowered") {
      w.timelineEntries.push({ ts: w.onset - w.rng.int(10, 120) * 1000, text: `applied DestinationRule ${app}: connectionPool.http.http1MaxPendingRequests ${w.rng.pick([1024, 512, 256])} → ${limit}, maxConnections → ${limit * 2}` });
    } else {
      w.timelineEntries.push({ ts: w.onset + w.rng.int(0, 60) * 1000, text: w.rng.pick([`marketing campaign email sent; traffic to ${app} up`, "traffic spike from a partner batch job", `${w.caller} retry storm after a cache flush`]) });
    }
    const logName = proxy === "sidecar" ? `${w.caller}-istio-proxy.log` : "gateway-access.log";
    w.accessLog(logName, reqs, { formats: ["envoy-text", "envoy-json"], evidence: kind === "incident", axisName: "envoy", skewMaxSec: 10 });
    if (!grpc && w.rng.chance(0.3)) {
      w.axis("ingressNginx", "in front");
      w.accessLog("ingress-nginx-access.log", reqs.filter((r) => r.status !== 0).map((r) => ({ ...r, ts: r.ts - w.rng.int(1, 3), durMs: r.durMs + 2 })), { formats: ["nginx-timings", "nginx-main-ext", "nginx-json"], axisName: "ingress" });
    }
    if (w.keep("prometheus", 0.6)) prometheus(w, cluster, reqs, kind === "incident");
    if (kind === "incident") w.timelineEntries.push({ ts: w.onset + w.rng.int(60, 240) * 1000, text: `${app}: callers see fast 503s` });
    w.redHerrings();
    w.finishContext(kind === "incident" ? `503s calling ${app}` : `${app} load review`);
  },
};

/** Prometheus query_range JSON of the client proxy's overflow counter and request rate, 30 s steps. */
function prometheus(w: World, cluster: string, reqs: Req[], evidence: boolean): void {
  const step = 30_000;
  const from = Math.floor(w.start / step) * step;
  const over: [number, string][] = [];
  const active: [number, string][] = [];
  let total = 0;
  let k = 0;
  const sorted = [...reqs].sort((a, b) => a.ts - b.ts);
  for (let t = from; t <= w.end; t += step) {
    let inStep = 0;
    while (k < sorted.length && sorted[k]!.ts < t) {
      if (sorted[k]!.flags === "UO") total++;
      inStep++;
      k++;
    }
    over.push([t / 1000, String(total)]);
    active.push([t / 1000, String(Math.round(inStep / 30))]);
  }
  const pod = `${w.caller}-${w.rng.hex(9)}-${w.rng.hex(5)}`;
  const doc = {
    status: "success",
    data: {
      resultType: "matrix",
      result: [
        { metric: { __name__: "envoy_cluster_upstream_rq_pending_overflow", cluster_name: cluster, namespace: w.ns, pod }, values: over },
        { metric: { __name__: "envoy_cluster_upstream_rq_pending_active", cluster_name: cluster, namespace: w.ns, pod }, values: active },
      ],
    },
  };
  w.add("prometheus-envoy-cluster.json", JSON.stringify(doc), { evidence });
}
