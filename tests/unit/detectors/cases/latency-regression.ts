import { expect } from "vitest";
import type { EvidenceRecord, RequestRecord } from "@/lib/schemas/records";
import { durationMs } from "@/lib/schemas/time";
import { defineDetectorCases, inRange } from "@/tests/helpers/detector-cases";
import { healthyTraffic, prng, req, T0 } from "../builders";

// A normally slow call (a report export, ~3.6 s) that is simply called more often in part of the
// bundle shifts the mix, not the latency: the same route was as slow outside that part.
const exportCalls = (from: number, seconds: number, every: number, seed: number, node: string) => {
  const r = prng(seed);
  const out: RequestRecord[] = [];
  for (let s = 0; s < seconds; s += every) out.push(req({ ts: from + s * 1000 + Math.floor(r() * 900), durationMs: 3400 + Math.floor(r() * 400), method: "GET", path: `/api/reports/export?id=${s}`, dest: { ip: "10.0.1.9", port: 8080, node } }));
  return out;
};
const cartTraffic = () => healthyTraffic({ seconds: 600, rps: 3, node: "a", seed: 3 }).map((x) => ({ ...x, method: "GET", path: "/api/cart" }));

export const cases = defineDetectorCases({
  fires: [
    {
      name: "the p99 shift and where it is concentrated (one node)",
      files: () => {
        const r = prng(7);
        const slow: EvidenceRecord[] = [];
        for (let i = 0; i < 600; i++) slow.push(req({ ts: T0 + i * 100, durationMs: i % 20 === 0 ? 900 + Math.floor(r() * 200) : 30 + Math.floor(r() * 30), dest: { ip: "10.0.9.1", node: "canary-1", port: 80 } }));
        return [{ path: "logs/envoy.log", records: [...healthyTraffic({ seconds: 60, rps: 10, node: "stable-1" }), ...slow] }];
      },
      // Generic: never outranks a specific explanation by itself.
      confidence: { lt: 0.7 },
      facts: { concentratedIn: expect.arrayContaining(["node=canary-1"]), p99Ms: inRange({ gt: 800 }) },
    },
    {
      name: "the same route getting slower",
      files: () => {
        const r = prng(9);
        const slower = cartTraffic().map((x) => ((x.ts as number) >= T0 + 300_000 && r() < 0.2 ? { ...x, durationMs: durationMs(900 + Math.floor(r() * 300)) } : x));
        return [{ path: "logs/envoy.log", records: slower }];
      },
      facts: { p99Ms: inRange({ gt: 800 }) },
    },
  ],
  doesNotFire: [
    {
      name: "uniformly healthy traffic across nodes",
      files: () => [{ path: "logs/envoy.log", records: [...healthyTraffic({ seconds: 60, rps: 10, node: "a", seed: 1 }), ...healthyTraffic({ seconds: 60, rps: 10, node: "b", seed: 2 })] }],
    },
    {
      name: "a normally slow route that is merely called more often (mix change)",
      files: () => [{ path: "logs/envoy.log", records: [...cartTraffic(), ...exportCalls(T0, 300, 30, 4, "a"), ...exportCalls(T0 + 300_000, 300, 2, 5, "a")] }],
    },
  ],
});
