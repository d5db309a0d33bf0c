import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { SharedIncidentView } from "@/components/share/SharedIncidentView";
import { ImpactPanel } from "@/components/views/overview/ImpactPanel";
import { FAULT_KIND_LABEL, Hypothesis, type HypothesisInput } from "@/lib/schemas/hypothesis";
import { SharedIncidentDto } from "@/lib/schemas/shares";
import { OverviewDto } from "@/lib/schemas/views-overview";
import { originOf } from "@/lib/server/analysis/origin";
import { DETECTORS } from "@/lib/server/detectors";
import { rankHypotheses } from "@/lib/server/detectors/rank";

const text = (html: string) => html.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ");
const hyp = (h: Partial<HypothesisInput> & Pick<HypothesisInput, "detector" | "title" | "confidence">): Hypothesis =>
  Hypothesis.parse({ summary: `${h.title}.`, evidence: [], ...h });

const ranked = rankHypotheses(
  [
    hyp({ detector: "service-fault", title: "Fault started in payment (pod payment-5d8-x2x): errors", confidence: 0.66, facts: { service: "payment", pod: "payment-5d8-x2x", kind: "errors", score: 0.7 } }),
    hyp({ detector: "service-fault", title: "Alternative: fault started in checkout: errors", confidence: 0.41, facts: { service: "checkout", pod: "", kind: "errors", score: 0.3, alternativeTo: "payment" } }),
    hyp({ detector: "iptables-rule-order", title: "iptables change on node-a: ACCEPT → REJECT", confidence: 0.84, facts: { node: "node-a" } }),
  ],
  DETECTORS,
);
const origin = originOf(ranked)!;
const overview = OverviewDto.parse({
  analysed: true,
  window: { onset: "2024-10-15T14:04:00.000Z", peak: null, recovery: "2024-10-15T14:47:00.000Z", durationMs: 2_580_000, basis: "error-rate", alert: null, alertLagMs: null },
  timeRange: { start: null, end: null },
  impact: { baselineErrorRate: 0, peakErrorRate: 1, requests: 515, failed: 105, p99BeforeMs: 125, p99DuringMs: 1000, affectedServices: [] },
  recordCounts: {},
  requestsSampled: false,
  origin,
});

/** The heading a `#hyp-N` anchor lands on, in the same page's markup. */
const headingOf = (html: string, anchor: string) => new RegExp(`<h3 id="${anchor.slice(1)}"[^>]*>([^<]*)</h3>`).exec(html)?.[1];

describe("Where it started (Overview impact panel and share page)", () => {
  it("share page: service, pod, kind in words, the card's own percentage, links that land on the origin's, the mechanism's and the alternative's cards", () => {
    const data = SharedIncidentDto.parse({
      incident: { title: "Checkout 504s", summary: "", status: "analysed", createdAt: "2024-10-15T15:00:00.000Z", windowStart: null, windowEnd: null, timezone: "UTC", fileCount: 3, totalBytes: 100 },
      run: { status: "completed", startedAt: null, finishedAt: null, assessment: null, coverage: [] },
      overview,
      hypotheses: ranked,
      files: [],
      draft: null,
      share: { expiresAt: null },
    });
    const html = renderToStaticMarkup(createElement(SharedIncidentView, { data }));
    const line = /<div role="group" aria-label="Where it started".*?<\/div>/.exec(html)?.[0] ?? "";
    expect(text(line)).toContain(`Where it started payment (pod payment-5d8-x2x) · ${FAULT_KIND_LABEL.errors} · 66% confidence`);
    expect(text(line)).toContain("Where it shows first, under #1 iptables change on node-a");
    expect(text(line)).toMatch(/Alternatives: checkout 41%/);
    const anchors = [...line.matchAll(/href="(#hyp-\d+)"/g)].map((m) => m[1]!);
    expect(anchors.map((a) => headingOf(html, a))).toEqual([origin.title, ranked[0]!.title, ranked.find((h) => h.facts.alternativeTo)!.title].map((t) => t.replace(/>/g, "&gt;")));
    // The same number as the origin's card shows.
    const card = new RegExp(`(\\d+)%</div>(?:(?!<li).)*<h3 id="hyp-${origin.rank}"`).exec(html)?.[1];
    expect(card).toBe("66");
  });

  it("impact panel: the line above the figures; none without an origin", () => {
    const html = renderToStaticMarkup(createElement(ImpactPanel, { incidentId: "inc-1", overview }));
    expect(text(html)).toContain("Where it started payment");
    expect(html).toContain(`href="#hyp-${origin.rank}"`);
    expect(html.indexOf("Where it started")).toBeLessThan(html.indexOf("Peak error rate"));
    const none = renderToStaticMarkup(createElement(ImpactPanel, { incidentId: "inc-1", overview: { ...overview, origin: null } }));
    expect(none).not.toContain("Where it started");
  });
});
