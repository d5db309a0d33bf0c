import { expect } from "vitest";
import type { EvidenceRecord, RequestRecord, SeriesRecord } from "@/lib/schemas/records";
import { epochMs } from "@/lib/schemas/time";
import { defineDetectorCases } from "@/tests/helpers/detector-cases";
import { ev, prng, req, T0 } from "../builders";

/** Fields a case changes on a request (durations as plain numbers). */
type Patch = Omit<Partial<RequestRecord>, "durationMs"> & { durationMs?: number };

const SVC = "pricing.shop.svc.cluster.local";
const CLUSTER = `outbound|8080||${SVC}`;
const HOSTS = ["10.244.1.11", "10.244.2.12", "10.244.3.13"];
const SPIKE = { from: T0 + 300_000, to: T0 + 420_000 };

/**
 * Traffic from frontend to pricing for 10 minutes at `rps`, `spikeRps` during SPIKE; `during(t, rnd)`
 * may turn a spike request into something else (an overflow, a 429, a UH).
 */
function traffic(opts: { rps?: number; spikeRps?: number; seed?: number; during?: (t: number, rnd: () => number) => Patch | null }): EvidenceRecord[] {
  const r = prng(opts.seed ?? 11);
  const out: EvidenceRecord[] = [];
  let i = 0;
  for (let s = 0; s < 600; s++) {
    const t0 = T0 + s * 1000;
    const spiking = t0 >= SPIKE.from && t0 < SPIKE.to;
    const n = spiking ? (opts.spikeRps ?? 40) : (opts.rps ?? 8);
    for (let k = 0; k < n; k++, i++) {
      const ts = t0 + Math.floor(r() * 1000);
      const base = { ts, durationMs: 20 + Math.floor(r() * 40) + (spiking ? 60 : 0), requestId: `rq-${i}`, authority: "pricing.shop:8080", client: { ip: "10.244.7.7", workload: "frontend" }, dest: { ip: HOSTS[Math.floor(r() * 3)]!, port: 8080, service: SVC, cluster: CLUSTER } };
      const f = spiking ? opts.during?.(ts, r) : null;
      out.push(req({ ...base, ...(f ?? {}) } as Parameters<typeof req>[0]));
    }
  }
  return out;
}
const uo = (): Patch & { durationMs: number } => ({ status: 503, flags: ["UO"], error: "upstream_reset_before_response_started{overflow}", durationMs: 0, dest: { service: SVC, cluster: CLUSTER } });

function overflowCounter(grow: boolean): SeriesRecord {
  const points: [ReturnType<typeof epochMs>, number][] = [];
  for (let s = 0; s <= 600; s += 30) points.push([epochMs(T0 + s * 1000), grow ? Math.max(0, Math.min(s, 420) - 300) * 7 : 0]);
  return { kind: "series", name: "envoy_cluster_upstream_rq_pending_overflow", labels: { cluster_name: CLUSTER, pod: "frontend-6c9d-abcde" }, points, prov: { pointer: "/data/result/0" } };
}

export const cases = defineDetectorCases({
  fires: [
    {
      name: "503 UO in ~0 ms during a traffic spike, the overflow counter growing",
      files: () => [{ path: "logs/frontend-sidecar.log", records: traffic({ during: (_t, rnd) => (rnd() < 0.3 ? uo() : null) }) }, { path: "metrics/overflow.json", records: [overflowCounter(true)] }],
      confidence: { gte: 0.85 },
      facts: { service: "pricing", trigger: "traffic-spike", clients: ["frontend"], sharePct: 100 },
      cites: ["logs/frontend-sidecar.log", "metrics/overflow.json"],
      check: (h) => expect(h.facts.inFlightAtOverflow as number).toBeGreaterThan(h.facts.inFlightUsual as number),
    },
    {
      name: "a lowered limit: overflows at the normal rate after a DestinationRule change",
      files: () => [
        { path: "timeline.md", records: [ev({ ts: T0 + 280_000, source: "timeline", reason: "deploy", text: "applied DestinationRule pricing: connectionPool.http.http1MaxPendingRequests 1024 → 4" })] },
        { path: "logs/frontend-sidecar.log", records: traffic({ spikeRps: 8, during: (_t, rnd) => (rnd() < 0.2 ? uo() : null) }) },
      ],
      facts: { trigger: "limit-lowered" },
      cites: ["timeline.md"],
    },
    {
      name: "the DestinationRule's pool limits are cited next to the in-flight requests",
      files: () => [
        { path: "istio/destinationrule.yaml", records: [{ kind: "object", k8sKind: "DestinationRule", name: "pricing", namespace: "shop", ips: [], labels: {}, service: SVC, connectionPool: { maxConnections: 2, http1MaxPendingRequests: 1 }, prov: { pointer: "/" } }] },
        { path: "logs/frontend-sidecar.log", records: traffic({ during: (_t, rnd) => (rnd() < 0.3 ? uo() : null) }) },
      ],
      facts: { connectionPool: "maxConnections 2, http1MaxPendingRequests 1" },
      cites: ["istio/destinationrule.yaml"],
    },
  ],
  doesNotFire: [
    {
      name: "a traffic spike that only adds latency",
      files: () => [{ path: "logs/frontend-sidecar.log", records: traffic({}) }, { path: "metrics/overflow.json", records: [overflowCounter(false)] }],
      coverage: { status: "clean" },
    },
    {
      name: "no healthy upstream (UH) during the spike",
      files: () => [{ path: "logs/frontend-sidecar.log", records: traffic({ during: (_t, rnd) => (rnd() < 0.3 ? { status: 503, flags: ["UH"], error: "no_healthy_upstream", durationMs: 0 } : null) }) }],
    },
    {
      name: "rate limiting (429 RL) during the spike",
      files: () => [{ path: "logs/frontend-sidecar.log", records: traffic({ during: (_t, rnd) => (rnd() < 0.3 ? { status: 429, flags: ["RL"], error: "request_rate_limited", durationMs: 0 } : null) }) }],
    },
    {
      name: "a handful of overflows",
      files: () => [{ path: "logs/frontend-sidecar.log", records: traffic({ during: (t) => (t % 30_000 < 30 ? uo() : null) }).slice(0) }],
      check: (res) => expect(res.hypotheses.filter((h) => h.detector === "circuit-breaker-overflow")).toHaveLength(0),
    },
  ],
});
