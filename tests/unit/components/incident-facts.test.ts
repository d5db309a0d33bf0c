import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { IncidentFacts, runOutcome } from "@/components/incidents/IncidentFacts";
import { SharedIncidentView } from "@/components/share/SharedIncidentView";
import type { IncidentStatus, RunStatus } from "@/lib/schemas/api";
import { SharedIncidentDto } from "@/lib/schemas/shares";

/** The incident page and the share page say the same about an incident: one component, one rule. */
const text = (html: string) => html.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ");

describe("runOutcome", () => {
  const run = (status: RunStatus) => ({ status });
  const cases: [IncidentStatus, RunStatus | null, { active: boolean; finished: boolean; outcome: string }][] = [
    ["processing", "running", { active: true, finished: false, outcome: "completed" }],
    ["analysed", "queued", { active: true, finished: false, outcome: "completed" }],
    ["analysed", "completed", { active: false, finished: true, outcome: "completed" }],
    ["partial", "partial", { active: false, finished: true, outcome: "partial" }],
    ["failed", "failed", { active: false, finished: true, outcome: "failed" }],
    // The share page used to call these "completed" (it only looked at the run):
    ["failed", null, { active: false, finished: true, outcome: "failed" }],
    ["partial", "completed", { active: false, finished: true, outcome: "partial" }],
    ["new", null, { active: true, finished: false, outcome: "completed" }],
  ];
  for (const [status, runStatus, expected] of cases) {
    it(`incident ${status}, run ${runStatus ?? "none"} → ${expected.outcome}${expected.finished ? ", finished" : ""}`, () => {
      expect(runOutcome({ status }, runStatus ? run(runStatus) : null)).toEqual(expected);
    });
  }
});

describe("IncidentFacts", () => {
  const facts = { status: "analysed" as const, createdAt: "2025-03-12T09:00:00.000Z", fileCount: 1234, totalBytes: 1536, windowStart: "2025-03-12T08:58:00.000Z", windowEnd: "2025-03-12T09:04:30.000Z", timezone: "Europe/Berlin", summary: "Checkout failed." };

  it("shows the incident's window, counts, zone and summary, and the id only when given", () => {
    const html = renderToStaticMarkup(createElement(IncidentFacts, { incident: facts }));
    expect(text(html)).toContain("Window 2025-03-12 08:58:00 UTC → 2025-03-12 09:04:30 UTC");
    expect(text(html)).toContain("Files 1,234");
    expect(text(html)).toContain("Size 1.50 KiB");
    expect(text(html)).toContain("Time zone Europe/Berlin");
    expect(text(html)).toContain("Checkout failed.");
    expect(text(html)).not.toContain("ID");
    expect(text(renderToStaticMarkup(createElement(IncidentFacts, { incident: facts, id: "inc_1" })))).toContain("ID inc_1");
  });

  it("leaves the window out when the incident has none", () => {
    expect(text(renderToStaticMarkup(createElement(IncidentFacts, { incident: { ...facts, windowStart: null, windowEnd: null } })))).not.toContain("Window");
  });

  it("the share page shows the incident's window (as the incident page does), not the detected onset → recovery", () => {
    const data = SharedIncidentDto.parse({
      incident: { title: "t", ...facts, status: "failed" },
      run: null,
      overview: {
        analysed: true,
        window: { onset: "2025-03-12T09:01:00.000Z", peak: null, recovery: "2025-03-12T09:02:00.000Z", durationMs: 60_000, basis: "error-rate", alert: null, alertLagMs: null },
        timeRange: { start: null, end: null },
        impact: { baselineErrorRate: 0, peakErrorRate: 0.5, requests: 10, failed: 5, p99BeforeMs: 47, p99DuringMs: 1010, affectedServices: [] },
        recordCounts: {},
        requestsSampled: false,
      },
      hypotheses: [],
      files: [],
      draft: null,
      share: { expiresAt: null },
    });
    const page = text(renderToStaticMarkup(createElement(SharedIncidentView, { data })));
    expect(page).toContain("Window 2025-03-12 08:58:00 UTC → 2025-03-12 09:04:30 UTC");
    expect(page).not.toContain("09:01:00");
    // p99 figures in the pages' latency style, the same as the incident page's Impact panel
    expect(page).toContain("p99 before 47 ms");
    expect(page).toContain("p99 during 1.01 s");
  });
});
