import { expect } from "vitest";
import type { EvidenceRecord } from "@/lib/schemas/records";
import { defineDetectorCases, inRange } from "@/tests/helpers/detector-cases";
import { ev, healthyTraffic, req, T0 } from "../builders";

function errorsFrom(start: number, n: number): EvidenceRecord[] {
  return Array.from({ length: n }, (_, i) => req({ ts: start + i * 200, durationMs: 5, status: 503, flags: ["UF"] }));
}

export const cases = defineDetectorCases({
  fires: [
    {
      name: "an error change point tied to the deploy 2 minutes before it",
      files: () => [
        { path: "logs/envoy.log", records: [...healthyTraffic({ seconds: 600, rps: 5 }), ...errorsFrom(T0 + 300_000, 100)] },
        { path: "k8s/events.json", records: [ev({ ts: T0 + 180_000, reason: "ScalingReplicaSet", text: "Scaled up replica set checkout-7f9 to 1" })] },
      ],
      facts: { lagMs: inRange({ gte: 110_000, lte: 130_000 }) },
      // The change itself is the first citation.
      check: (h) => expect(h.evidence[0]!.file).toBe("k8s/events.json"),
    },
  ],
  doesNotFire: [
    {
      name: "the only change came long before the errors, or was the rollback",
      files: () => [
        { path: "logs/envoy.log", records: [...healthyTraffic({ seconds: 3000, rps: 2 }), ...errorsFrom(T0 + 2_500_000, 100)] },
        { path: "timeline.md", records: [ev({ ts: T0 + 10_000, source: "timeline", text: "Deployed checkout v2" }), ev({ ts: T0 + 2_510_000, source: "timeline", reason: "mitigation", text: "Rolled back checkout to v1" })] },
      ],
    },
  ],
});
