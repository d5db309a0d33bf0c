import { expect } from "vitest";
import type { EvidenceRecord, RequestRecord } from "@/lib/schemas/records";
import { defineDetectorCases } from "@/tests/helpers/detector-cases";
import { ev, prng, req, T0, type FileRecords } from "../builders";

/** Fields a case changes on a request (durations as plain numbers). */
type Patch = Omit<Partial<RequestRecord>, "durationMs"> & { durationMs?: number };

const SVC = "pricing.shop.svc.cluster.local";
const CLUSTER = `outbound|8080||${SVC}`;
const HOSTS = ["10.244.1.11", "10.244.2.12", "10.244.3.13"];
const RESET = "upstream_reset_before_response_started{connection_termination}";

/**
 * Steady traffic to pricing for `seconds`; `fail(t, i, rnd)` turns a request into a reset when it returns
 * a partial record (status, flags, error, duration).
 */
function traffic(opts: { seconds: number; rps: number; seed?: number; fail?: (t: number, i: number, rnd: () => number) => Patch | null; slowFrom?: number }): EvidenceRecord[] {
  const r = prng(opts.seed ?? 7);
  const out: EvidenceRecord[] = [];
  let i = 0;
  for (let s = 0; s < opts.seconds; s++)
    for (let k = 0; k < opts.rps; k++, i++) {
      const ts = T0 + s * 1000 + Math.floor(r() * 1000);
      const host = HOSTS[Math.floor(r() * HOSTS.length)]!;
      const base = { ts, durationMs: 20 + Math.floor(r() * 40) + (opts.slowFrom !== undefined && ts >= opts.slowFrom ? 400 : 0), requestId: `req-${i}`, authority: "pricing.shop:8080", dest: { ip: host, port: 8080, service: SVC, cluster: CLUSTER } };
      const f = opts.fail?.(ts, i, r);
      out.push(req({ ...base, ...(f ?? {}) } as Parameters<typeof req>[0]));
    }
  return out;
}
const uc = (d = 1): Patch & { durationMs: number } => ({ status: 503, flags: ["UC"], error: RESET, durationMs: d });
/** One reset in every `every` requests after `from`, at random: a steady trickle. */
const trickle = (every: number, from = T0 + 120_000, d = 1) => (t: number, _i: number, rnd: () => number) => (t >= from && rnd() < 1 / every ? uc(d) : null);

const change = (): FileRecords => ({ path: "timeline.md", records: [ev({ ts: T0 + 115_000, source: "timeline", reason: "deploy", text: "deployed pricing v2.4.0 (node 20 upgrade, keepAliveTimeout now 5s)" })] });
const KILLS = [T0 + 200_000, T0 + 260_000, T0 + 320_000, T0 + 380_000, T0 + 440_000];
const rolloutEvents = (): FileRecords => ({ path: "k8s/events.json", records: KILLS.map((k, i) => ev({ ts: k, reason: "Killing", text: "Stopping container pricing", subject: { kind: "Pod", name: `pricing-7d9f8c6b5-x${i}x4q`, namespace: "shop" } })) });

export const cases = defineDetectorCases({
  fires: [
    {
      name: "a steady trickle of UC connection-termination resets after the server's keep-alive changed",
      files: () => [change(), { path: "logs/sidecar.log", records: traffic({ seconds: 600, rps: 10, fail: trickle(150) }) }],
      confidence: { gte: 0.75 },
      facts: { service: "pricing", upstream: SVC, changeAt: expect.any(String) },
      cites: ["logs/sidecar.log", "timeline.md"],
      explains: ["error-burst-after-change"],
      check: (h) => {
        expect((h.facts.backends as string[]).length).toBe(3);
        expect(h.facts.ratePct as number).toBeLessThan(2);
        expect(h.facts.sharePct).toBe(100);
      },
    },
    {
      name: "gRPC: the local reply is logged as 200 with UC and the details, still counted",
      files: () => [{ path: "logs/gateway.json", records: traffic({ seconds: 600, rps: 8, seed: 3, fail: (t, _i, rnd) => (t >= T0 + 60_000 && rnd() < 1 / 120 ? { status: 200, flags: ["UC"], error: RESET, durationMs: 0, protocol: "HTTP/2" } : null) }) }],
      facts: { service: "pricing" },
    },
    {
      name: "a chained Envoy hop reports each reset after its 1 s delayed-close timeout",
      files: () => [{ path: "logs/edge.log", records: traffic({ seconds: 600, rps: 10, seed: 5, fail: trickle(150, T0 + 60_000, 1001) }) }],
      check: (h) => expect(h.confidenceFactors.some((f) => /delayed-close/.test(f.label))).toBe(true),
    },
  ],
  doesNotFire: [
    {
      name: "a rollout: resets in bursts at each pod's termination",
      files: () => [rolloutEvents(), { path: "logs/sidecar.log", records: traffic({ seconds: 600, rps: 10, fail: (t, _i, rnd) => (KILLS.some((k) => t >= k && t < k + 800) && rnd() < 0.5 ? uc(30) : null) }) }],
    },
    {
      name: "the same bursts without termination events: bursts are not a steady trickle",
      files: () => [{ path: "logs/sidecar.log", records: traffic({ seconds: 600, rps: 10, fail: (t, _i, rnd) => (KILLS.some((k) => t >= k && t < k + 800) && rnd() < 0.6 ? uc(30) : null) }) }],
    },
    {
      name: "a one-off burst of resets during a deploy",
      files: () => [change(), { path: "logs/sidecar.log", records: traffic({ seconds: 600, rps: 10, fail: (t) => (t >= T0 + 130_000 && t < T0 + 133_000 ? uc(2) : null) }) }],
    },
    {
      name: "refused connections (UF) spread evenly: a connect failure, not a closed keep-alive connection",
      files: () => [{ path: "logs/sidecar.log", records: traffic({ seconds: 600, rps: 10, fail: (t, _i, rnd) => (rnd() < 1 / 150 ? { status: 503, flags: ["UF"], error: "upstream_reset_before_response_started{connection_failure,delayed_connect_error:_111}", durationMs: 1 } : null) }) }],
      coverage: { status: "clean" },
    },
    {
      name: "slow but uniform latency, no resets",
      files: () => [{ path: "logs/sidecar.log", records: traffic({ seconds: 600, rps: 10, slowFrom: T0 + 300_000 }) }],
      coverage: { status: "clean", detail: /no steady trickle/ },
    },
    {
      name: "one pod's workers crashing mid-request: resets spread in time, but after the server worked on them",
      files: () => [{ path: "logs/sidecar.log", records: traffic({ seconds: 600, rps: 10, fail: (_t, _i, rnd) => (rnd() < 1 / 150 ? { ...uc(300 + Math.floor(rnd() * 2000)), dest: { ip: HOSTS[0]!, port: 8080, service: SVC, cluster: CLUSTER } } : null) }) }],
    },
    {
      name: "resets after the response started (a server dying mid-body)",
      files: () => [{ path: "logs/sidecar.log", records: traffic({ seconds: 600, rps: 10, fail: (t, _i, rnd) => (rnd() < 1 / 150 ? { status: 200, flags: ["UC"], error: "upstream_reset_after_response_started{connection_termination}", durationMs: 40 } : null) }) }],
    },
  ],
});
