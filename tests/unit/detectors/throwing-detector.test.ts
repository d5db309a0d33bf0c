import { expect, it } from "vitest";
import { DETECTORS } from "@/lib/server/detectors";
import type { Detector } from "@/lib/server/detectors/types";
import { runScenario } from "./scenario";

/** Issue 4 acceptance: one detector's exception is a visible problem, never a failed analysis. */
it("a throwing detector is reported as a problem and the other hypotheses stay intact", async () => {
  const exploding: Detector = {
    ...DETECTORS[0]!,
    id: "exploding-test-detector",
    title: "throws on purpose",
    detect: () => {
      throw new Error("boom from a detector bug");
    },
  };
  const clean = await runScenario("seed-000-mesh-iptables-reorder");
  const withBug = await runScenario("seed-000-mesh-iptables-reorder", { detectors: [exploding, ...DETECTORS] });
  expect(withBug.result.problems).toEqual([expect.objectContaining({ detector: "exploding-test-detector", message: expect.stringContaining("boom") })]);
  expect(withBug.result.hypotheses.map((h) => [h.detector, h.confidence])).toEqual(clean.result.hypotheses.map((h) => [h.detector, h.confidence]));
  expect(withBug.result.hypotheses[0]?.detector).toBe("iptables-rule-order");
});
