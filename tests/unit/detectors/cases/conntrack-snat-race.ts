import type { EvidenceRecord, RequestRecord } from "@/lib/schemas/records";
import { bands } from "@/lib/server/detectors/conntrack-snat-race";
import { defineDetectorCases, inRange } from "@/tests/helpers/detector-cases";
import { counter, healthyTraffic, req, span, T0 } from "../builders";

function synRetransmits(n: number): EvidenceRecord[] {
  const out: EvidenceRecord[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 4 === 3 ? 3001 + (i % 5) : 1001 + (i % 7);
    out.push(req({ ts: T0 + i * 3000, durationMs: c + 13, connectMs: c, source: "nginx", status: 200 }));
  }
  return out;
}
const conntrack = (ts: number, insertFailed: number) => [0, 1].map((cpu) => counter("conntrack_insert_failed", insertFailed / 2, ts, { cpu: String(cpu) }));
// Undated snapshots whose time is only in the file name (ingest leaves them undated).
const undated = (v: number) => [0, 1].map((cpu) => ({ ...counter("conntrack_insert_failed", v / 2, T0, { cpu: String(cpu) }), ts: null }));

/**
 * Slow connects spread over 400 ms–1.3 s, none of them on a SYN-retransmit step: whatever falls
 * into the detector's own bands for this population (bands() of every connect time) is left out.
 */
function spreadOutSlowness(): RequestRecord[] {
  const spread: RequestRecord[] = [];
  for (let i = 0; i < 40; i++) spread.push(req({ ts: T0 + i * 3000, durationMs: 300 + i * 37, connectMs: 400 + i * 23, source: "nginx" }));
  const healthy = healthyTraffic({ seconds: 300, rps: 10, source: "nginx", connect: true });
  const connect = (r: RequestRecord) => Number(r.connectMs ?? 0);
  const steps = bands([...healthy, ...spread].map(connect));
  return [...healthy, ...spread.filter((r) => !steps.some((b) => connect(r) >= b.lo && connect(r) <= b.hi))];
}

/**
 * Traced calls gateway → orders: the orders server span starts `gapOf(i)` ms after the gateway's
 * client span (normally ~2 ms).
 */
function tracedCalls(n: number, gapOf: (i: number) => number): EvidenceRecord[] {
  const out: EvidenceRecord[] = [];
  for (let i = 0; i < n; i++) {
    const t = T0 + i * 1000;
    const gap = gapOf(i);
    out.push(span({ traceId: `t${i}`, spanId: `c${i}`, service: "gateway", name: "GET /orders", spanKind: "client", ts: t, durationMs: gap + 20 }));
    out.push(span({ traceId: `t${i}`, spanId: `s${i}`, parentSpanId: `c${i}`, service: "orders", name: "GET /orders", spanKind: "server", ts: t + gap, durationMs: 18 }));
  }
  return out;
}

export const cases = defineDetectorCases({
  fires: [
    {
      // The span path: the callee's server span begins ~1 s / ~3 s after the caller's client span.
      name: "traced calls reaching the callee ~1 s/~3 s late (sharp steps in the span gaps), with insert_failed growth",
      files: () => [
        { path: "traces/otlp.json", records: tracedCalls(300, (i) => (i % 10 === 0 ? 1003 + (i % 7) : i % 25 === 1 ? 3004 : 2 + (i % 3))) },
        { path: "nodes/n1/conntrack-S-before.txt", node: "n1", records: conntrack(T0, 24) },
        { path: "nodes/n1/conntrack-S-after.txt", node: "n1", records: conntrack(T0 + 300_000, 2024) },
      ],
      confidence: { gte: 0.6 },
      facts: { traceGaps: inRange({ gte: 30 }) },
    },
    {
      name: "1 s/3 s connect clusters with an unaffected median, corroborated by insert_failed growth",
      files: () => [
        { path: "logs/nginx-access.log", records: [...healthyTraffic({ seconds: 300, rps: 10, source: "nginx", connect: true }), ...synRetransmits(40)] },
        { path: "nodes/n1/conntrack-S-before.txt", node: "n1", records: conntrack(T0, 24) },
        { path: "nodes/n1/conntrack-S-after.txt", node: "n1", records: conntrack(T0 + 300_000, 9024) },
      ],
      confidence: { gte: 0.75 },
      facts: { insertFailedGrowth: 9000, near1s: 30, near3s: 10, medianMs: inRange({ lt: 10 }) },
      cites: ["nodes/n1/conntrack-S-after.txt"],
    },
    {
      // Undated snapshots without a node folder: the file names with the time cut out make one
      // series. Few delayed connects in the collected log: the counters carry the finding, at a
      // confidence that says the logs show little of it.
      name: "strong insert_failed growth read as evidence when the logs caught few delayed connects",
      files: () => [
        { path: "logs/nginx-access.log", records: [...healthyTraffic({ seconds: 300, rps: 2, source: "nginx", connect: true }), ...synRetransmits(1)] },
        { path: "bundle/worker-a_conntrack-S-0446.txt", records: undated(40) },
        { path: "bundle/worker-a_conntrack-S-0457.txt", records: undated(3040) },
      ],
      confidence: { lte: 0.6 },
      facts: { insertFailedGrowth: 3000 },
      cites: ["bundle/worker-a_conntrack-S-0457.txt"],
    },
  ],
  doesNotFire: [
    {
      // A CPU-starved callee answers late by any amount: its server spans start 0.2–2.6 s after the
      // call, some of them inside the 1 s band, but they do not pile up there.
      name: "a starved callee starting late by spread-out amounts (no steps in the span gaps)",
      files: () => [{ path: "traces/otlp.json", records: tracedCalls(300, (i) => (i % 3 === 0 ? 200 + ((i * 37) % 2400) : 2 + (i % 3))) }],
    },
    {
      name: "slowness spread out (no 1 s/3 s bands)",
      files: () => [{ path: "logs/nginx.log", records: spreadOutSlowness() }],
    },
    {
      name: "1 s gateway timeouts (errors, not delayed successes)",
      files: () => {
        const timeouts: EvidenceRecord[] = [];
        for (let i = 0; i < 40; i++) timeouts.push(req({ ts: T0 + i * 3000, durationMs: 1000, status: 504, flags: ["UT"] }));
        return [{ path: "logs/envoy.log", records: [...healthyTraffic({ seconds: 300, rps: 10 }), ...timeouts] }];
      },
    },
    {
      name: "a handful of failed inserts with no delays",
      files: () => [
        { path: "logs/nginx-access.log", records: healthyTraffic({ seconds: 300, rps: 2, source: "nginx", connect: true }) },
        { path: "nodes/n1/conntrack-S-0446.txt", node: "n1", records: conntrack(T0, 10) },
        { path: "nodes/n1/conntrack-S-0457.txt", node: "n1", records: conntrack(T0 + 600_000, 40) },
      ],
    },
  ],
});
