import { describe, expect, it } from "vitest";
import { FAULT_KIND_LABEL, Hypothesis, type HypothesisInput } from "@/lib/schemas/hypothesis";
import { DETECTORS } from "@/lib/server/detectors";
import { rankHypotheses } from "@/lib/server/detectors/rank";
import { generateDraft, type DraftInput } from "@/lib/server/draft/generate";

const hyp = (h: Partial<HypothesisInput> & Pick<HypothesisInput, "detector" | "title" | "confidence">): Hypothesis =>
  Hypothesis.parse({ summary: `${h.title}.`, evidence: [], ...h });

/** A service-fault hypothesis as the detector writes it (facts only; the title is the caller's). */
const fault = (title: string, confidence: number) =>
  hyp({ detector: "service-fault", title, confidence, facts: { service: "cartservice", pod: "cartservice-7d4b9c-wc2lz", kind: "cpu", score: 0.8, splitBasis: "onset" } });
const mechanism = hyp({ detector: "iptables-rule-order", title: "iptables change on node-a: ACCEPT → REJECT", confidence: 0.86, facts: { node: "node-a" } });

function draft(hypotheses: Hypothesis[]) {
  const input: DraftInput = {
    incident: { id: "inc-1", title: "Checkout slow", summary: "", timezone: "UTC", windowStart: null, windowEnd: null },
    run: { id: "run-1", status: "completed", finishedAt: null, problems: [] },
    correlation: null,
    hypotheses: rankHypotheses(hypotheses, DETECTORS),
    timeline: [],
    files: [],
    detectors: DETECTORS.map((d) => ({ id: d.id, title: d.title, requires: d.requires })),
  };
  const sections = generateDraft(input);
  const section = (id: string) => sections.find((s) => s.id === id)!;
  return { ranked: input.hypotheses, summary: section("summary"), contributing: section("contributing"), ruledOut: section("ruledOut") };
}

/** The figure the draft prints for a hypothesis wherever it lists it ("confidence 81%"). */
const listed = (markdown: string, h: Hypothesis) => new RegExp(`${h.title.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\*\\* \\(confidence (\\d+)%`).exec(markdown)?.[1];

describe("draft: the service where the fault started", () => {
  it("under a specific mechanism: the summary names the service, pod and kind with the hypothesis' own confidence, under the root cause", () => {
    const { ranked, summary, contributing } = draft([fault("Fault started in cartservice (pod cartservice-7d4b9c-wc2lz): CPU saturation", 0.74), mechanism]);
    const origin = ranked.find((h) => h.detector === "service-fault")!;
    expect(summary.markdown).toContain(`The fault shows first in cartservice (pod cartservice-7d4b9c-wc2lz): ${FAULT_KIND_LABEL.cpu}`);
    expect(summary.markdown).toContain("under that root cause");
    // One number: the summary's confidence is the one Contributing factors gives the same hypothesis.
    const inSummary = /shows first in [^(]*\(pod [^)]*\)[^(]*\(confidence (\d+)%/.exec(summary.markdown)?.[1];
    expect(inSummary).toBe(listed(contributing.markdown, origin));
    expect(Number(inSummary)).toBe(Math.round(origin.confidence * 100));
    expect(summary.citations).toContainEqual(expect.objectContaining({ source: "hypothesis:service-fault", note: origin.title }));
  });

  it("the origin is the root cause: named once (its title already says it), else in a sentence of its own", () => {
    const named = draft([fault("Fault started in cartservice (pod cartservice-7d4b9c-wc2lz): CPU saturation", 0.74)]).summary.markdown;
    expect(named.match(/cartservice \(pod/g)).toHaveLength(1);
    expect(named).not.toContain("The fault started in");
    const unnamed = draft([fault("CPU saturation in the cart tier", 0.74)]).summary.markdown;
    expect(unnamed).toContain(`The fault started in cartservice (pod cartservice-7d4b9c-wc2lz): ${FAULT_KIND_LABEL.cpu}.`);
  });

  it("no cause reached the threshold: the service is the strongest lead, with its confidence, said to be below it", () => {
    const { ranked, summary, ruledOut } = draft([fault("Fault started in cartservice: CPU saturation", 0.42)]);
    expect(summary.markdown).toContain("No detector found a root cause");
    expect(summary.markdown).toMatch(/The strongest lead on where the fault started: cartservice \(pod cartservice-7d4b9c-wc2lz\): CPU saturation \(confidence (\d+)%, detector `service-fault`\), below the threshold\./);
    const inRuledOut = listed(ruledOut.markdown, ranked[0]!);
    expect(inRuledOut).toBe(String(Math.round(ranked[0]!.confidence * 100)));
    expect(/strongest lead[^%]*confidence (\d+)%/.exec(summary.markdown)?.[1]).toBe(inRuledOut);
  });

  it("no hypothesis names a service: the summary says nothing about where it started", () => {
    const { summary } = draft([mechanism]);
    expect(summary.markdown).not.toMatch(/fault (started|shows first)|strongest lead/);
  });
});
