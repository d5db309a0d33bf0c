import { describe, expect, it } from "vitest";
import { errorBurstAfterChange } from "@/lib/server/detectors/error-burst-after-change";
import type { EvidenceRecord } from "@/lib/schemas/records";
import { byDetector, ev, healthyTraffic, req, run, T0 } from "./builders";

function errorsFrom(start: number, n: number): EvidenceRecord[] {
  return Array.from({ length: n }, (_, i) => req({ ts: start + i * 200, durationMs: 5, status: 503, flags: ["UF"] }));
}

describe("error-burst-after-change", () => {
  it("ties an error change point to the deploy 2 minutes before it", async () => {
    const res = await run([
      { path: "logs/envoy.log", records: [...healthyTraffic({ seconds: 600, rps: 5 }), ...errorsFrom(T0 + 300_000, 100)] },
      { path: "k8s/events.json", records: [ev({ ts: T0 + 180_000, reason: "ScalingReplicaSet", text: "Scaled up replica set checkout-7f9 to 1" })] },
    ], [errorBurstAfterChange]);
    const h = byDetector(res, "error-burst-after-change");
    expect(h).toBeDefined();
    expect(h!.facts.lagMs as number).toBeGreaterThanOrEqual(110_000);
    expect(h!.facts.lagMs as number).toBeLessThanOrEqual(130_000);
    expect(h!.evidence[0]!.file).toBe("k8s/events.json");
  });

  it("does not fire when the only change came long before the errors, or was the rollback", async () => {
    const res = await run([
      { path: "logs/envoy.log", records: [...healthyTraffic({ seconds: 3000, rps: 2 }), ...errorsFrom(T0 + 2_500_000, 100)] },
      { path: "timeline.md", records: [ev({ ts: T0 + 10_000, source: "timeline", text: "Deployed checkout v2" }), ev({ ts: T0 + 2_510_000, source: "timeline", reason: "mitigation", text: "Rolled back checkout to v1" })] },
    ], [errorBurstAfterChange]);
    expect(res.hypotheses).toEqual([]);
  });
});
