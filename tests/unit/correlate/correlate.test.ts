import { describe, expect, it } from "vitest";
import { CorrelationSummary } from "@/lib/server/correlate/schema";
import { Hypothesis } from "@/lib/schemas/hypothesis";
import type { Detector } from "@/lib/server/detectors/types";
import { DETECTORS } from "@/lib/server/detectors";
import { ev, healthyTraffic, pod, req, run, T0 } from "../detectors/builders";
import type { EvidenceRecord } from "@/lib/schemas/records";

describe("correlation", () => {
  it("estimates clock skew from shared x-request-ids, reports its basis, and honours overrides", async () => {
    const a: EvidenceRecord[] = [];
    const b: EvidenceRecord[] = [];
    for (let i = 0; i < 20; i++) {
      a.push(req({ ts: T0 + i * 1000, durationMs: 30, requestId: `rid-${i}` }));
      b.push(req({ ts: T0 + i * 1000 + 1500 + (i % 3), durationMs: 25, requestId: `rid-${i}`, source: "nginx" }));
    }
    const res = await run([{ path: "gw/envoy.log", records: a }, { path: "edge/nginx.log", records: [...b, req({ ts: T0 + 99_000, durationMs: 1, requestId: "only-here" })] }]);
    const s = res.correlation.skew.find((x) => x.path === "edge/nginx.log")!;
    expect(s.basis).toBe("request-id");
    expect(s.samples).toBe(20);
    expect(Math.abs(s.skewMs - 1501)).toBeLessThanOrEqual(2);
    expect(s.appliedMs).toBe(s.skewMs);
    expect(s.relativeTo).toBe("gw/envoy.log");

    const over = await run([{ path: "gw/envoy.log", records: a }, { path: "edge/nginx.log", records: b }], undefined, { f1: 0 });
    expect(over.correlation.skew.find((x) => x.path === "edge/nginx.log")).toMatchObject({ basis: "override", appliedMs: 0 });
  });

  it("does not correct small deltas that are hop latency, not skew", async () => {
    const a = Array.from({ length: 10 }, (_, i) => req({ ts: T0 + i * 1000, durationMs: 30, requestId: `r${i}` }));
    const b = Array.from({ length: 10 }, (_, i) => req({ ts: T0 + i * 1000 + 4, durationMs: 20, requestId: `r${i}` }));
    const res = await run([{ path: "a.log", records: a }, { path: "b.log", records: b }]);
    expect(res.correlation.skew.every((s) => s.appliedMs === 0)).toBe(true);
  });

  it("finds onset/peak/recovery from the error rate and cross-checks the human alert", async () => {
    const errors = Array.from({ length: 300 }, (_, i) => req({ ts: T0 + 120_000 + i * 200, durationMs: 1000, status: 504, flags: ["UT"] }));
    const res = await run([
      { path: "envoy.log", records: [...healthyTraffic({ seconds: 300, rps: 10 }), ...errors] },
      { path: "timeline.md", records: [ev({ ts: T0 + 180_000, source: "timeline", reason: "alert", text: "504 alert fired" }), ev({ ts: T0 + 200_000, source: "timeline", reason: "mitigation", text: "rollback" })] },
    ]);
    const w = res.correlation.window;
    expect(w.onset).toBe(new Date(T0 + 120_000).toISOString());
    expect(w.recovery).toBe(new Date(T0 + 180_000).toISOString());
    expect(w.basis).toMatch(/error-rate/);
    expect(w.timeline.alertLagMs).toBe(60_000);
    expect(w.timeline.agrees).toBe(true);
    expect(res.correlation.cohorts.phase.map((c) => c.key)).toEqual(["after", "before", "during"]);
    expect(() => CorrelationSummary.parse(JSON.parse(JSON.stringify(res.correlation)))).not.toThrow();
  });

  it("builds an identity map that keeps both owners of a reused IP", async () => {
    const res = await run([{ path: "pods.yaml", records: [pod("web-a", "10.1.1.1", { createdAt: T0 as never, deletedAt: (T0 + 1000) as never }), pod("api-b", "10.1.1.1", { createdAt: (T0 + 5000) as never })] }]);
    expect(res.correlation.identity.reusedIps).toEqual(["10.1.1.1"]);
    expect(res.correlation.identity.entries).toBe(2);
  });
});

describe("runner", () => {
  it("turns a throwing detector into a problem and still returns the others' hypotheses", async () => {
    const boom: Detector = { id: "boom", title: "boom", requires: [], specificity: "generic", detect: () => { throw new Error("kaboom"); } };
    const res = await run([{ path: "a.log", records: healthyTraffic({ seconds: 10, rps: 2 }) }], [boom, ...DETECTORS]);
    expect(res.problems).toEqual([{ detector: "boom", message: "kaboom" }]);
    res.hypotheses.forEach((h) => expect(() => Hypothesis.parse(h)).not.toThrow());
  });

  it("is deterministic: same input, same output", async () => {
    // Records are built once (builders number lines globally) and analysed twice.
    const records = [...healthyTraffic({ seconds: 60, rps: 5 }), ...Array.from({ length: 50 }, (_, i) => req({ ts: T0 + 30_000 + i * 100, durationMs: 1000, status: 504, flags: ["UT"] }))];
    const mk = () => run([{ path: "a.log", records }]);
    expect(JSON.stringify(await mk())).toBe(JSON.stringify(await mk()));
  });
});
