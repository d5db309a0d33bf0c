import type { Hypothesis } from "@/lib/schemas/hypothesis";
import type { Detector } from "./types";

/**
 * Ranking prefers the most specific explanation with the strongest evidence:
 *  1. A cause explains its symptoms: when iptables-rule-order fires (resets/refusals at the node),
 *     retry-latency-amplification is the mechanism, not the root cause → capped just below it and
 *     annotated `explainedBy`.
 *  2. Generic detectors (latency-regression, error-burst-after-change) stay below the best specific
 *     hypothesis at ≥ 0.5; when nothing specific fires they keep their own confidence.
 *  3. Order: confidence desc, then specific before generic, then detector id (deterministic).
 */
const EXPLAINS: Record<string, string[]> = {
  "iptables-rule-order": ["retry-latency-amplification"],
  "endpoint-removal-race": ["retry-latency-amplification"],
  "ipvs-stale-backends": ["retry-latency-amplification"],
};
const GAP = 0.05;

export function rankHypotheses(hyps: Hypothesis[], detectors: readonly Detector[]): Hypothesis[] {
  const spec = new Map(detectors.map((d) => [d.id, d.specificity]));
  const out = hyps.map((h) => ({ ...h, facts: { ...h.facts } }));
  for (const cause of out) {
    for (const effectId of EXPLAINS[cause.detector] ?? []) {
      if (cause.confidence < 0.5) continue;
      for (const eff of out.filter((h) => h.detector === effectId)) {
        eff.confidence = Math.max(0, Math.min(eff.confidence, cause.confidence - GAP));
        eff.facts.explainedBy = cause.detector;
      }
    }
  }
  const bestSpecific = Math.max(0, ...out.filter((h) => spec.get(h.detector) === "specific" && h.confidence >= 0.5).map((h) => h.confidence));
  if (bestSpecific > 0)
    for (const h of out) if (spec.get(h.detector) !== "specific") h.confidence = Math.max(0, Math.min(h.confidence, bestSpecific - GAP));
  for (const h of out) h.confidence = Math.round(h.confidence * 1000) / 1000;
  const rank = (id: string) => (spec.get(id) === "specific" ? 0 : 1);
  return out.sort((a, b) => b.confidence - a.confidence || rank(a.detector) - rank(b.detector) || (a.detector < b.detector ? -1 : a.detector > b.detector ? 1 : 0) || (a.title < b.title ? -1 : 1));
}
