import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DETECTORS } from "@/lib/server/detectors";
import { PARSER_IDS } from "@/lib/server/parsers/types";
import { caseCounts } from "@/tests/helpers/detector-cases";
import { DETECTOR_CASES } from "./cases";
import { listScenarios, readExpect, runScenario } from "./scenario";

const ROOT = path.resolve(__dirname, "..", "..", "..");

/** Every detector is documented, has cases that must fire and must not fire, and names real parsers. */
describe("detector registry", () => {
  it("has the seven issue-4 detectors and issue 17's service-fault, unique ids, one file each", () => {
    expect(DETECTORS.map((d) => d.id).sort()).toEqual(
      ["conntrack-snat-race", "endpoint-removal-race", "error-burst-after-change", "iptables-rule-order", "ipvs-stale-backends", "latency-regression", "retry-latency-amplification", "service-fault", "oom-crashloop-no-healthy-upstream", "network-policy-deny", "upstream-idle-timeout-race", "circuit-breaker-overflow"].sort(),
    );
    for (const d of DETECTORS) expect(existsSync(path.join(ROOT, "lib/server/detectors", `${d.id}.ts`)), d.id).toBe(true);
  });

  const scenarios = listScenarios().map((n) => readExpect(n));
  for (const d of DETECTORS) {
    describe(d.id, () => {
      it("requires real parser ids", () => {
        expect(d.requires.length).toBeGreaterThan(0);
        for (const p of d.requires) expect(PARSER_IDS as readonly string[]).toContain(p);
      });
      it("is documented in docs/detectors/<id>.md with its heuristic and an example", () => {
        const doc = path.join(ROOT, "docs/detectors", `${d.id}.md`);
        expect(existsSync(doc)).toBe(true);
        const text = readFileSync(doc, "utf8");
        expect(text).toContain(`# ${d.id}`);
        expect(text).toMatch(/## Fires when/);
        expect(text).toMatch(/## Does not fire/);
      });
      it("has at least one firing and one non-firing case (cases run by its unit test file, and scenarios)", () => {
        const cases = DETECTOR_CASES[d.id];
        expect(cases, `tests/unit/detectors/cases/${d.id}.ts listed in cases/index.ts`).toBeDefined();
        const counts = caseCounts(cases!);
        expect(counts.fires, "cases that must fire").toBeGreaterThan(0);
        expect(counts.doesNotFire, "cases that must not fire").toBeGreaterThan(0);
        expect(existsSync(path.join(__dirname, `${d.id}.test.ts`)), `${d.id}.test.ts runs the cases`).toBe(true);
        const firingScenarios = scenarios.filter((s) => s.top === d.id || s.alsoFires?.includes(d.id));
        const quietScenarios = scenarios.filter((s) => s.mustNotFire.includes(d.id));
        expect(firingScenarios.length + quietScenarios.length).toBeGreaterThan(0);
        expect(quietScenarios.length, "a scenario where it must stay below 0.5").toBeGreaterThan(0);
      });
    });
  }
});

/**
 * "Why this confidence" must be the truth: on every scenario, each hypothesis' factors sum to its
 * confidence, are worded for people (no raw keys such as p99Ms), and a symptom that a mechanism
 * explains says so and ranks below it. Every detector can say what it checked when it is quiet.
 */
describe("confidence factors and coverage", () => {
  it("every detector reports coverage (ruled out vs not checked)", () => {
    for (const d of DETECTORS) expect(typeof d.coverage, d.id).toBe("function");
  });
  for (const name of listScenarios()) {
    it(`${name}: factors add up, read as words, and explained symptoms rank below their mechanism`, async () => {
      const { result } = await runScenario(name);
      const byDetector = new Map(result.hypotheses.map((h) => [h.detector, h]));
      for (const h of result.hypotheses) {
        expect(h.confidenceFactors.length, h.detector).toBeGreaterThan(0);
        expect(h.confidenceFactors[0]!.kind).toBe("base");
        const sum = h.confidenceFactors.reduce((n, f) => n + f.effect, 0);
        expect(Math.abs(sum - h.confidence), `${h.detector}: factors sum ${sum} vs ${h.confidence}`).toBeLessThan(0.003);
        for (const f of h.confidenceFactors) expect(f.label, `${h.detector}: "${f.label}"`).not.toMatch(/\b[a-z]+[A-Z][A-Za-z]*(Ms|Rate|Count)\b/);
        if (h.explainedBy) {
          const m = byDetector.get(h.explainedBy);
          expect(m, `${h.detector} explained by a hypothesis that exists`).toBeDefined();
          expect(h.confidence).toBeLessThan(m!.confidence);
        }
      }
      const ids = new Set(result.correlation.coverage.map((c) => c.detector));
      for (const d of DETECTORS) expect(ids.has(d.id), d.id).toBe(true);
      for (const c of result.correlation.coverage) expect(c.status === "fired").toBe(byDetector.has(c.detector));
    });
  }
});

