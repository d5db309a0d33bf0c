import { describe, expect, it } from "vitest";
import { latencyRegression } from "@/lib/server/detectors/latency-regression";
import { byDetector, healthyTraffic, prng, req, run, T0 } from "./builders";
import type { EvidenceRecord } from "@/lib/schemas/records";
import { durationMs } from "@/lib/schemas/time";

describe("latency-regression", () => {
  it("reports the p99 shift and where it is concentrated (one node)", async () => {
    const r = prng(7);
    const slow: EvidenceRecord[] = [];
    for (let i = 0; i < 600; i++) slow.push(req({ ts: T0 + i * 100, durationMs: i % 20 === 0 ? 900 + Math.floor(r() * 200) : 30 + Math.floor(r() * 30), dest: { ip: "10.0.9.1", node: "canary-1", port: 80 } }));
    const res = await run([{ path: "logs/envoy.log", records: [...healthyTraffic({ seconds: 60, rps: 10, node: "stable-1" }), ...slow] }], [latencyRegression]);
    const h = byDetector(res, "latency-regression");
    expect(h).toBeDefined();
    expect(h!.facts.concentratedIn).toContain("node=canary-1");
    expect(h!.facts.p99Ms as number).toBeGreaterThan(800);
    expect(h!.confidence).toBeLessThan(0.7); // generic: never outranks a specific explanation by itself
  });

  it("does not fire on uniformly healthy traffic across nodes", async () => {
    const res = await run([{ path: "logs/envoy.log", records: [...healthyTraffic({ seconds: 60, rps: 10, node: "a", seed: 1 }), ...healthyTraffic({ seconds: 60, rps: 10, node: "b", seed: 2 })] }], [latencyRegression]);
    expect(res.hypotheses).toEqual([]);
  });

  // A normally slow call (a report export, ~3.6 s) that is simply called more often in part of the
  // bundle shifts the mix, not the latency: the same route was as slow outside that part.
  const exportCalls = (from: number, seconds: number, every: number, seed: number, node: string) => {
    const r = prng(seed);
    const out = [];
    for (let s = 0; s < seconds; s += every) out.push(req({ ts: from + s * 1000 + Math.floor(r() * 900), durationMs: 3400 + Math.floor(r() * 400), method: "GET", path: `/api/reports/export?id=${s}`, dest: { ip: "10.0.1.9", port: 8080, node } }));
    return out;
  };
  it("does not report a normally slow route that is merely called more often (mix change)", async () => {
    const base = healthyTraffic({ seconds: 600, rps: 3, node: "a", seed: 3 }).map((x) => ({ ...x, method: "GET", path: "/api/cart" }));
    const records = [...base, ...exportCalls(T0, 300, 30, 4, "a"), ...exportCalls(T0 + 300_000, 300, 2, 5, "a")];
    const res = await run([{ path: "logs/envoy.log", records }], [latencyRegression]);
    expect(res.hypotheses).toEqual([]);
  });
  it("does report the same route getting slower", async () => {
    const base = healthyTraffic({ seconds: 600, rps: 3, node: "a", seed: 3 }).map((x) => ({ ...x, method: "GET", path: "/api/cart" }));
    const r = prng(9);
    const slower = base.map((x) => ((x.ts as number) >= T0 + 300_000 && r() < 0.2 ? { ...x, durationMs: durationMs(900 + Math.floor(r() * 300)) } : x));
    const res = await run([{ path: "logs/envoy.log", records: slower }], [latencyRegression]);
    const h = byDetector(res, "latency-regression");
    expect(h).toBeDefined();
    expect(h!.facts.p99Ms as number).toBeGreaterThan(800);
  });
});
