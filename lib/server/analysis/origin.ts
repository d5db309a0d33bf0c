import { FaultKind, type Hypothesis, type HypothesisRef, type Origin } from "@/lib/schemas/hypothesis";
import { DETECTORS } from "@/lib/server/detectors";
import type { Detector } from "@/lib/server/detectors/types";

const nonEmpty = (v: unknown): v is string => typeof v === "string" && v.trim() !== "";
/** A runner-up ("Alternative: …"): it names a service, but only as a second guess to another. */
const isAlternative = (h: Hypothesis) => h.facts.alternativeTo !== undefined;

/**
 * Where the fault started, from a run's hypotheses in rank order (as stored: rank 1 first).
 *
 *   #1 iptables-rule-order 84 %   specific ──┐
 *   #2 retry-latency-amp.  79 %   specific   │ under: the highest-ranked specific mechanism above
 *   #3 service-fault       66 %   payment  ◀─┘ origin: the first that names a service (not an alternative)
 *   #4 service-fault       40 %   Alternative: checkout (alternativeTo payment) → alternatives
 *
 * A mechanism the origin names as explaining it (`explainedBy`) is preferred as `under` when it ranks
 * above. Null when no hypothesis names a service. Pure.
 */
export function originOf(ranked: readonly Hypothesis[], detectors: readonly Pick<Detector, "id" | "specificity">[] = DETECTORS): Origin | null {
  const at = ranked.findIndex((h) => nonEmpty(h.facts.service) && !isAlternative(h));
  if (at < 0) return null;
  const h = ranked[at]!;
  const service = h.facts.service as string;
  const ref = (i: number): HypothesisRef => ({ rank: i + 1, title: ranked[i]!.title, detector: ranked[i]!.detector });

  const specific = new Set(detectors.filter((d) => d.specificity === "specific").map((d) => d.id));
  const above = ranked.slice(0, at);
  const explainer = h.explainedBy ? above.findIndex((x) => x.detector === h.explainedBy) : -1;
  const mechanism = explainer >= 0 ? explainer : above.findIndex((x) => specific.has(x.detector));

  const kind = FaultKind.safeParse(h.facts.kind);
  return {
    ...ref(at),
    service,
    pod: nonEmpty(h.facts.pod) ? h.facts.pod : null,
    kind: kind.success ? kind.data : null,
    confidence: h.confidence,
    under: mechanism >= 0 ? ref(mechanism) : null,
    alternatives: ranked.flatMap((x, i) =>
      isAlternative(x) && x.detector === h.detector && x.facts.alternativeTo === service && nonEmpty(x.facts.service) ? [{ service: x.facts.service, confidence: x.confidence, rank: i + 1 }] : [],
    ),
  };
}
