import { describe, expect, it } from "vitest";
import { retryLatencyAmplification } from "@/lib/server/detectors/retry-latency-amplification";
import type { EvidenceRecord } from "@/lib/schemas/records";
import { byDetector, healthyTraffic, req, run, span, T0 } from "./builders";

/** n traces where checkout retries payment every ~200 ms (RST) and frontend gives up at 1 s (504 UT). */
function retryIncident(n: number): { logs: EvidenceRecord[]; traces: EvidenceRecord[] } {
  const logs: EvidenceRecord[] = [];
  const traces: EvidenceRecord[] = [];
  for (let i = 0; i < n; i++) {
    const t = T0 + 60_000 + i * 1500;
    const trace = `trace-${i}`;
    logs.push(req({ ts: t, durationMs: 1000 + (i % 3), status: 504, flags: ["UT"], error: "response_timeout", traceId: trace, client: { workload: "frontend" } }));
    logs.push(req({ ts: t + 2, durationMs: 805 + (i % 7), status: 503, flags: ["UF", "URX"], attempts: 4, error: "upstream_reset_before_response_started{connection_failure}", client: { workload: "checkout" } }));
    traces.push(span({ traceId: trace, spanId: `root${i}`, service: "frontend", spanKind: "server", ts: t, durationMs: 1001, status: "error", httpStatus: 504 }));
    for (let a = 0; a < 4; a++)
      traces.push(span({ traceId: trace, spanId: `c${i}-${a}`, parentSpanId: `root${i}`, service: "checkout", peer: "payment", name: "POST /pay", ts: t + 3 + a * 201, durationMs: 198 + (a % 3) * 2, status: "error", statusMessage: "connection reset by peer" }));
  }
  return { logs, traces };
}

describe("retry-latency-amplification", () => {
  it("states the ~200 ms step and the 1 s timeout it crosses", async () => {
    const { logs, traces } = retryIncident(12);
    const res = await run([
      { path: "logs/istio-proxy.log", records: [...healthyTraffic({ seconds: 60, rps: 5 }), ...logs] },
      { path: "traces/otlp.json", records: traces },
    ], [retryLatencyAmplification]);
    const h = byDetector(res, "retry-latency-amplification");
    expect(h).toBeDefined();
    expect(h!.facts.stepMs).toBe(200);
    expect(h!.facts.timeoutMs).toBe(1000);
    expect(h!.confidence).toBeGreaterThanOrEqual(0.7);
    expect(h!.evidence.some((e) => e.file === "traces/otlp.json" && e.spanId)).toBe(true);
    expect(h!.evidence.some((e) => e.file === "logs/istio-proxy.log" && e.line)).toBe(true);
  });

  it("does not fire for slow upstreams that time out without any retries", async () => {
    const slow: EvidenceRecord[] = [];
    for (let i = 0; i < 20; i++) slow.push(req({ ts: T0 + i * 1000, durationMs: 1000, status: 504, flags: ["UT"] }));
    const res = await run([{ path: "logs/a.log", records: [...healthyTraffic({ seconds: 30, rps: 5 }), ...slow] }], [retryLatencyAmplification]);
    expect(res.hypotheses).toEqual([]);
  });

  it("does not fire for retries that succeed without any timeout", async () => {
    const retried: EvidenceRecord[] = [];
    for (let i = 0; i < 20; i++) retried.push(req({ ts: T0 + i * 1000, durationMs: 230, status: 200, flags: ["URX"], attempts: 2 }));
    const res = await run([{ path: "logs/a.log", records: [...healthyTraffic({ seconds: 30, rps: 5 }), ...retried] }], [retryLatencyAmplification]);
    expect(res.hypotheses).toEqual([]);
  });
});
