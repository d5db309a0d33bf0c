import { beforeAll, describe, expect, it } from "vitest";
import { Hypothesis, Origin, type HypothesisInput } from "@/lib/schemas/hypothesis";
import { OverviewDto } from "@/lib/schemas/views-overview";
import { originOf } from "@/lib/server/analysis/origin";
import { DETECTORS } from "@/lib/server/detectors";
import { rankHypotheses } from "@/lib/server/detectors/rank";
import { serviceFault } from "@/lib/server/detectors/service-fault";
import { run } from "../detectors/builders";
import { cases } from "../detectors/cases/service-fault";

const hyp = (h: Partial<HypothesisInput> & Pick<HypothesisInput, "detector" | "title" | "confidence">): Hypothesis =>
  Hypothesis.parse({ summary: `${h.title}.`, evidence: [], ...h });

/** A specific mechanism (iptables-rule-order is `specific` in DETECTORS) with no service in its facts. */
const mechanism = (confidence: number, extra: Partial<HypothesisInput> = {}) =>
  hyp({ detector: "iptables-rule-order", title: "iptables change on node-a: ACCEPT → REJECT", confidence, facts: { node: "node-a" }, ...extra });

/** A runner-up as service-fault writes it: same detector, `alternativeTo` the leader. */
const alternative = (of: Hypothesis, service: string, confidence: number) =>
  hyp({
    detector: "service-fault",
    title: `Alternative: fault started in ${service}: CPU saturation`,
    confidence,
    facts: { service, pod: "", kind: "cpu", score: 0.3, alternativeTo: String(of.facts.service) },
  });

const rank = (hs: Hypothesis[]) => rankHypotheses(hs, DETECTORS);
const at = (ranked: Hypothesis[], h: Hypothesis) => ranked.findIndex((x) => x.title === h.title) + 1;

describe("originOf: where the fault started, from ranked hypotheses", () => {
  /** The real detector's hypothesis: one pod's CPU steps up at the alert (its own case data). */
  let fault: Hypothesis;
  beforeAll(async () => {
    const c = cases.fires.find((x) => x.facts?.kind === "cpu")!;
    const r = await run(c.files(), [serviceFault]);
    fault = r.hypotheses[0]!;
    expect(fault.detector).toBe("service-fault");
  });

  it("service-fault ranked first: it is the origin (service, pod, kind, its own confidence and rank), no mechanism above, its runners-up as alternatives", () => {
    const second = alternative(fault, "stock", fault.confidence - 0.2);
    const third = alternative(fault, "search", fault.confidence - 0.3);
    const ranked = rank([third, fault, second]);
    const o = originOf(ranked)!;
    expect(Origin.parse(o)).toEqual(o);
    expect(o).toMatchObject({ service: fault.facts.service, pod: fault.facts.pod, kind: fault.facts.kind, detector: "service-fault", title: fault.title, under: null });
    expect(o.rank).toBe(at(ranked, fault));
    expect(o.rank).toBe(1);
    expect(o.confidence).toBe(ranked[0]!.confidence);
    expect(o.alternatives).toEqual([
      { service: "stock", confidence: ranked[at(ranked, second) - 1]!.confidence, rank: at(ranked, second) },
      { service: "search", confidence: ranked[at(ranked, third) - 1]!.confidence, rank: at(ranked, third) },
    ]);
  });

  it("a specific mechanism ranked above: the origin stays, under that mechanism, with the confidence the ranking left it", () => {
    const symptom = hyp({ detector: "latency-regression", title: "p99 latency 40 ms → 400 ms", confidence: 0.7, facts: { p99BeforeMs: 40 } });
    const ranked = rank([fault, symptom, mechanism(0.86)]);
    expect(ranked[0]!.detector).toBe("iptables-rule-order");
    const o = originOf(ranked)!;
    expect(o.service).toBe(fault.facts.service);
    expect(o.rank).toBe(at(ranked, fault));
    expect(o.rank).toBeGreaterThan(1);
    // The ranking capped the generic hypothesis below the mechanism: the origin carries that figure.
    expect(o.confidence).toBe(ranked[o.rank - 1]!.confidence);
    expect(o.confidence).toBeLessThan(0.86);
    expect(o.under).toEqual({ rank: 1, title: ranked[0]!.title, detector: "iptables-rule-order" });
  });

  it("under: the mechanism that explains the origin wins over a higher-ranked one that does not", () => {
    const explainer = hyp({ detector: "endpoint-removal-race", title: "Endpoint removed before its pod stopped", confidence: 0.85, explains: ["service-fault"] });
    const ranked = rank([fault, explainer, mechanism(0.9)]);
    const o = originOf(ranked)!;
    expect(ranked[o.rank - 1]!.explainedBy).toBe("endpoint-removal-race");
    expect(o.under).toEqual({ rank: at(ranked, explainer), title: explainer.title, detector: "endpoint-removal-race" });
    expect(o.under!.rank).toBe(2);
  });

  it("only generic hypotheses above: no mechanism to show it under", () => {
    // A weaker localisation that does not claim the symptom (the real one explains it at score ≥ 0.5).
    const weak = { ...fault, explains: [] };
    const burst = hyp({ detector: "error-burst-after-change", title: "Errors rose 60 s after a deploy", confidence: Math.min(1, fault.confidence + 0.1) });
    const ranked = rank([weak, burst]);
    expect(ranked[0]!.detector).toBe("error-burst-after-change");
    const o = originOf(ranked)!;
    expect(o.rank).toBe(2);
    expect(o.under).toBeNull();
  });

  it("null when no hypothesis names a service: none at all, only mechanisms, only alternatives, an empty service", () => {
    expect(originOf([])).toBeNull();
    expect(originOf(rank([mechanism(0.86)]))).toBeNull();
    expect(originOf(rank([alternative(fault, "stock", 0.4), alternative(fault, "search", 0.3)]))).toBeNull();
    expect(originOf(rank([hyp({ detector: "service-fault", title: "Fault started somewhere", confidence: 0.5, facts: { service: " ", kind: "cpu" } })]))).toBeNull();
    expect(originOf(rank([hyp({ detector: "service-fault", title: "Fault started somewhere", confidence: 0.5, facts: { service: 3 } })]))).toBeNull();
  });

  it("an empty pod is no pod; a kind it cannot name is null, not a guess", () => {
    const o = originOf([hyp({ detector: "service-fault", title: "Fault started in cart: disk", confidence: 0.6, facts: { service: "cart", pod: "", kind: "disk" } })])!;
    expect(o.pod).toBeNull();
    expect(o.kind).toBeNull();
    expect(o.service).toBe("cart");
  });

  it("an overview stored before the field existed reads as origin null", () => {
    const stored = {
      analysed: true,
      window: { onset: null, peak: null, recovery: null, durationMs: null, basis: "none", alert: null, alertLagMs: null },
      timeRange: { start: null, end: null },
      impact: { baselineErrorRate: null, peakErrorRate: null, requests: 0, failed: 0, p99BeforeMs: null, p99DuringMs: null, affectedServices: [] },
      recordCounts: {},
      requestsSampled: false,
    };
    expect(OverviewDto.parse(JSON.parse(JSON.stringify(stored))).origin).toBeNull();
  });
});
