import type { EvidenceRecord, SeriesRecord } from "@/lib/schemas/records";
import { epochMs } from "@/lib/schemas/time";
import { defineDetectorCases, inRange } from "@/tests/helpers/detector-cases";
import { ev, prng, span, T0 } from "../builders";

/**
 * A small system: web → orders → stock, and web → search. One trace per second for 20 minutes;
 * the timeline's alert at T0 + 10 min splits reference from window. `change` alters a window trace.
 */
const ALERT = T0 + 10 * 60_000;
interface Change {
  /** Extra own time (ms) of a service's server span in the window. */
  selfMs?: Partial<Record<string, number>>;
  /** Extra time (ms) between a caller's client span and the callee's server span, per callee. */
  gapMs?: Partial<Record<string, number>>;
  /** Every service's own time multiplied by this in the window. */
  scale?: number;
  /** Share of window requests in which web stops right after orders answered (no span status: a bug in web's handler). */
  webStopsAfterOrders?: number;
}

function traces(change: Change = {}, seed = 7): EvidenceRecord[] {
  const rand = prng(seed);
  const out: EvidenceRecord[] = [];
  for (let i = 0; i < 1200; i++) {
    const t0 = T0 + i * 1000;
    const win = t0 >= ALERT;
    const own = (svc: string, base: number) => (base * (0.8 + 0.4 * rand()) + (win ? (change.selfMs?.[svc] ?? 0) : 0)) * (win ? (change.scale ?? 1) : 1);
    const gap = (callee: string) => 1 + rand() + (win ? (change.gapMs?.[callee] ?? 0) : 0);
    const id = `t${i}`;
    let n = 0;
    // A call: client span in `caller`, server span in `callee` that does `work` own ms plus `inner`.
    const call = (parent: string, caller: string, callee: string, at: number, work: number, inner?: (at: number, parentId: string) => number): number => {
      const cId = `s${i}-${n++}`;
      const sId = `s${i}-${n++}`;
      const g = gap(callee);
      const innerMs = inner ? inner(at + g / 2 + 1, sId) : 0;
      const serverMs = own(callee, work) + innerMs;
      out.push(span({ traceId: id, spanId: sId, parentSpanId: cId, service: callee, name: `${callee}.Handle`, spanKind: "server", ts: at + g / 2, durationMs: serverMs }));
      out.push(span({ traceId: id, spanId: cId, parentSpanId: parent, service: caller, name: `${callee}.Call`, spanKind: "client", ts: at, durationMs: serverMs + g }));
      return serverMs + g;
    };
    const rootId = `s${i}-root`;
    n++;
    let at = t0 + 2;
    at += call(rootId, "web", "orders", at, 4, (a, pid) => call(pid, "orders", "stock", a, 6));
    if (!(win && rand() < (change.webStopsAfterOrders ?? 0))) at += call(rootId, "web", "search", at, 3);
    out.push(span({ traceId: id, spanId: rootId, service: "web", name: "GET /", spanKind: "server", ts: t0, durationMs: at - t0 + own("web", 2) }));
  }
  return out;
}

const alert = () => ev({ ts: ALERT, source: "timeline", reason: "alert", severity: "warning", text: "alert: latency on the front end" });

/** One series per pod, 60 s steps over the 20 minutes; `after` multiplies the values from the alert on. */
function series(name: string, pods: Record<string, { level: number; after?: number }>, seed = 3): SeriesRecord[] {
  const rand = prng(seed);
  return Object.entries(pods).map(([pod, { level, after = 1 }]) => ({
    kind: "series",
    name,
    labels: { pod, namespace: "shop" },
    points: Array.from({ length: 21 }, (_, k) => {
      const ts = T0 + k * 60_000;
      return [epochMs(ts), level * (0.9 + 0.2 * rand()) * (ts > ALERT ? after : 1)] as [ReturnType<typeof epochMs>, number];
    }),
    prov: { pointer: `/data/result/${pod}` },
  }));
}

/** One pod's series, flat but for two samples ×20 at minute `at` and `at`+1 (a lone jump). */
function loneJump(name: string, pod: string, level: number, at: number): SeriesRecord {
  const rand = prng(9);
  return {
    kind: "series",
    name,
    labels: { pod, namespace: "shop" },
    points: Array.from({ length: 21 }, (_, k) => [epochMs(T0 + k * 60_000), level * (0.9 + 0.2 * rand()) * (k === at || k === at + 1 ? 20 : 1)] as [ReturnType<typeof epochMs>, number]),
    prov: { pointer: `/data/result/${pod}` },
  };
}

const PODS = { "web-7c9d8b6f5-k2j4m": { level: 40 }, "orders-5f6585d649-fnmft": { level: 12 }, "stock-579f59597d-wc2lz": { level: 8 }, "search-668d5f85fb-wckp8": { level: 20 } };

export const cases = defineDetectorCases({
  fires: [
    {
      name: "the deepest service's own time grows after the alert; its callers slowed only by it",
      files: () => [
        { path: "traces/otlp.json", records: traces({ selfMs: { stock: 30 } }) },
        { path: "timeline.md", records: [alert()] },
      ],
      confidence: { gte: 0.45 },
      facts: { service: "stock", kind: "latency", splitBasis: "alert" },
      title: /stock/,
    },
    {
      name: "calls into one service take longer between client and server while it answers as fast: its network path",
      files: () => [
        { path: "traces/otlp.json", records: traces({ gapMs: { search: 40 } }) },
        { path: "timeline.md", records: [alert()] },
      ],
      confidence: { gte: 0.45 },
      facts: { service: "search", kind: "network" },
    },
    {
      name: "one pod's CPU steps up ×8 at the alert (metrics only)",
      files: () => [
        { path: "metrics/container_cpu_usage_millicores.json", records: series("container_cpu_usage_millicores", { ...PODS, "orders-5f6585d649-fnmft": { level: 12, after: 8 } }) },
        { path: "timeline.md", records: [alert()] },
      ],
      confidence: { gte: 0.4 },
      facts: { service: "orders", pod: "orders-5f6585d649-fnmft", kind: "cpu" },
    },
    {
      name: "traces and metrics agree on the same service",
      files: () => [
        { path: "traces/otlp.json", records: traces({ selfMs: { orders: 25 } }) },
        { path: "metrics/container_cpu_usage_millicores.json", records: series("container_cpu_usage_millicores", { ...PODS, "orders-5f6585d649-fnmft": { level: 12, after: 6 } }) },
        { path: "timeline.md", records: [alert()] },
      ],
      confidence: { gte: 0.6 },
      facts: { service: "orders", traceSignal: inRange({ gt: 0.2 }), metricSignal: inRange({ gt: 0.2 }) },
    },
    {
      name: "web's handler stops right after orders answers (orders did all its work): web's own code path, without any span status",
      files: () => [
        { path: "traces/otlp.json", records: traces({ webStopsAfterOrders: 0.4 }) },
        { path: "timeline.md", records: [alert()] },
      ],
      confidence: { gte: 0.45 },
      facts: { service: "web", kind: "errors", bailSignal: inRange({ gt: 0.5 }) },
      summary: /stops right after calling orders/,
    },
    {
      name: "no onset, no alert: orders' CPU and web's latency step together; search's p99 jumps alone earlier — the split is where several services moved, capped below a finding",
      files: () => [
        { path: "metrics/container_cpu_usage_millicores.json", records: series("container_cpu_usage_millicores", { ...PODS, "orders-5f6585d649-fnmft": { level: 12, after: 8 } }) },
        { path: "metrics/pod_server_latency_p95_seconds.json", records: [...series("pod_server_latency_p95_seconds", { "web-7c9d8b6f5-k2j4m": { level: 0.2, after: 3 } }, 5), loneJump("pod_server_latency_p99_seconds", "search-668d5f85fb-wckp8", 0.05, 5)] },
      ],
      confidence: { lte: 0.45 },
      facts: { service: "orders", splitBasis: "metrics" },
    },
  ],
  doesNotFire: [
    {
      name: "nothing changed after the alert",
      files: () => [
        { path: "traces/otlp.json", records: traces() },
        { path: "metrics/container_cpu_usage_millicores.json", records: series("container_cpu_usage_millicores", PODS) },
        { path: "timeline.md", records: [alert()] },
      ],
      coverage: { status: "clean" },
    },
    {
      name: "every service a little slower (+15 %): load, not one service's fault",
      files: () => [
        { path: "traces/otlp.json", records: traces({ scale: 1.15 }) },
        { path: "timeline.md", records: [alert()] },
      ],
    },
    {
      name: "traffic (requests per second) of one pod halves: a symptom, not a cause",
      files: () => [
        { path: "metrics/pod_workload_ops.json", records: series("pod_workload_ops", { ...PODS, "orders-5f6585d649-fnmft": { level: 12, after: 0.5 } }) },
        { path: "timeline.md", records: [alert()] },
      ],
    },
    {
      name: "metrics with small noise only, and no onset or alert to compare around",
      files: () => [{ path: "metrics/container_cpu_usage_millicores.json", records: series("container_cpu_usage_millicores", PODS) }],
      coverage: { status: "not-checked" },
    },
  ],
});
