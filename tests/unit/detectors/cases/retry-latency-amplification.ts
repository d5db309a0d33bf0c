import { expect } from "vitest";
import type { EvidenceRecord } from "@/lib/schemas/records";
import { defineDetectorCases } from "@/tests/helpers/detector-cases";
import { healthyTraffic, req, span, T0 } from "../builders";

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

export const cases = defineDetectorCases({
  fires: [
    {
      name: "the ~200 ms step and the 1 s timeout it crosses",
      files: () => {
        const { logs, traces } = retryIncident(12);
        return [
          { path: "logs/istio-proxy.log", records: [...healthyTraffic({ seconds: 60, rps: 5 }), ...logs] },
          { path: "traces/otlp.json", records: traces },
        ];
      },
      confidence: { gte: 0.7 },
      facts: { stepMs: 200, timeoutMs: 1000 },
      cites: [
        { file: "traces/otlp.json", spanId: expect.stringMatching(/./) },
        { file: "logs/istio-proxy.log", line: expect.any(Number) },
      ],
    },
  ],
  doesNotFire: [
    {
      name: "slow upstreams that time out without any retries",
      files: () => {
        const slow: EvidenceRecord[] = [];
        for (let i = 0; i < 20; i++) slow.push(req({ ts: T0 + i * 1000, durationMs: 1000, status: 504, flags: ["UT"] }));
        return [{ path: "logs/a.log", records: [...healthyTraffic({ seconds: 30, rps: 5 }), ...slow] }];
      },
    },
    {
      name: "retries that succeed without any timeout",
      files: () => {
        const retried: EvidenceRecord[] = [];
        for (let i = 0; i < 20; i++) retried.push(req({ ts: T0 + i * 1000, durationMs: 230, status: 200, flags: ["URX"], attempts: 2 }));
        return [{ path: "logs/a.log", records: [...healthyTraffic({ seconds: 30, rps: 5 }), ...retried] }];
      },
    },
  ],
});
