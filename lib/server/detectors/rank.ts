import type { Hypothesis } from "@/lib/schemas/hypothesis";
import type { Detector } from "./types";
import { round3 } from "./util";

/**
 * Ranking by explanation: a mechanism that explains the symptoms ranks above them.
 *
 *   mechanism  iptables-rule-order 0.86  ──explains──▶ retry-latency-amplification 0.80 → 0.81 cap
 *                                         ──explains──▶ latency-regression 0.62 → capped below 0.86
 *   symptom    error-burst-after-change 0.60 (nothing explains it, no mechanism ≥ 0.5) → stays 0.60
 *
 *  1. A hypothesis names the symptom detectors it explains (`explains`, set by the detector when its
 *     evidence covers the symptom: the same failures, the same window). Each symptom is capped just
 *     below the strongest mechanism that explains it and says so (`explainedBy`, a "cap" factor).
 *     Mechanisms whose detectors do not say which symptoms they explain fall back to MECHANISM_OF:
 *     retries are how resets and refusals turn into latency, so any reset-producing mechanism at
 *     ≥ 0.5 explains them.
 *  2. Generic detectors (they describe symptoms: latency-regression, error-burst-after-change) stay
 *     below the best specific hypothesis at ≥ 0.5 even when it does not claim them.
 *  3. Order: confidence desc, then specific before generic, then detector id (deterministic).
 * Every change is a confidence factor in plain words, so "why this confidence" stays true.
 */
const MECHANISM_OF: Record<string, string[]> = {
  "iptables-rule-order": ["retry-latency-amplification"],
  "endpoint-removal-race": ["retry-latency-amplification"],
  "ipvs-stale-backends": ["retry-latency-amplification"],
};
const GAP = 0.05;

export function rankHypotheses(hyps: Hypothesis[], detectors: readonly Detector[]): Hypothesis[] {
  const spec = new Map(detectors.map((d) => [d.id, d.specificity]));
  const out = hyps.map((h) => ({ ...h, facts: { ...h.facts }, confidenceFactors: [...h.confidenceFactors], explains: [...h.explains] }));
  const capTo = (h: Hypothesis, max: number, label: string) => {
    const target = Math.max(0, Math.min(h.confidence, max));
    if (target < h.confidence) {
      h.confidenceFactors.push({ kind: "cap", label, effect: round3(target - h.confidence) });
      h.confidence = target;
    }
  };
  const short = (h: Hypothesis) => (h.title.length > 90 ? `${h.title.slice(0, 87)}…` : h.title);

  for (const effect of out) {
    const explainers = out
      .filter((m) => m !== effect && m.detector !== effect.detector && (m.explains.includes(effect.detector) || (m.confidence >= 0.5 && (MECHANISM_OF[m.detector] ?? []).includes(effect.detector))))
      .sort((a, b) => b.confidence - a.confidence || (a.detector < b.detector ? -1 : 1));
    const m = explainers[0];
    if (!m) continue;
    effect.explainedBy = m.detector;
    if (!m.explains.includes(effect.detector)) m.explains.push(effect.detector);
    capTo(effect, m.confidence - GAP, `explained by a mechanism (${short(m)}): a symptom ranks below the cause that explains it`);
  }
  const bestSpecific = Math.max(0, ...out.filter((h) => spec.get(h.detector) === "specific" && h.confidence >= 0.5).map((h) => h.confidence));
  if (bestSpecific > 0)
    for (const h of out)
      if (spec.get(h.detector) !== "specific") capTo(h, bestSpecific - GAP, "describes a symptom; a specific mechanism was established, so it ranks below it");
  for (const h of out) h.confidence = round3(h.confidence);
  const rank = (id: string) => (spec.get(id) === "specific" ? 0 : 1);
  return out.sort((a, b) => b.confidence - a.confidence || rank(a.detector) - rank(b.detector) || (a.detector < b.detector ? -1 : a.detector > b.detector ? 1 : 0) || (a.title < b.title ? -1 : 1));
}
