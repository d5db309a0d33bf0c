import { describe, expect, it } from "vitest";
import { latencyRegression } from "@/lib/server/detectors/latency-regression";
import { byDetector, healthyTraffic, prng, req, run, T0 } from "./builders";
import type { EvidenceRecord } from "@/lib/schemas/records";

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
});
