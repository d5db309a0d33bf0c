import { describe, expect, it } from "vitest";
import { localise, type LocaliseInput } from "@/lib/server/correlate/localise";
import type { SpanInput } from "@/lib/server/correlate/trace-blame";
import type { SeriesRecord } from "@/lib/schemas/records";
import { durationMs, epochMs, type EpochMs } from "@/lib/schemas/time";
import { prng } from "../detectors/builders";

const SPLIT = epochMs(1_700_000_000_000);
const MIN = 60_000;

/** Reference traces only (the fault minutes were not exported): web → checkout → payment, email; web → cart. */
function referenceTraces(n = 200): SpanInput[] {
  const out: SpanInput[] = [];
  for (let i = 0; i < n; i++) {
    const traceId = `r${i}`;
    const t = SPLIT - 30 * MIN + i * 1000;
    const s = (spanId: string, parent: string | null, service: string, name: string, kind: SpanInput["spanKind"], d = 5): SpanInput => ({ traceId, spanId, parentSpanId: parent, service, name, spanKind: kind, ts: epochMs(t), durationMs: durationMs(d), status: "unset" });
    out.push(s("a", null, "web", "GET", "server"), s("b", "a", "cart", "Get", "server"));
    if (i % 4 === 0) out.push(s("c", "a", "checkout", "Place", "server"), s("d", "c", "payment", "Charge", "server"), s("e", "c", "email", "Send", "server"));
  }
  return out;
}

/** Per-service request-rate series: 10 points before the split, 5 from it; `after` scales the window. */
function ops(levels: Record<string, { level: number; after?: number }>, seed = 5): SeriesRecord[] {
  const rand = prng(seed);
  return Object.entries(levels).map(([svc, { level, after = 1 }]) => ({
    kind: "series",
    name: "pod_workload_ops",
    labels: { pod: `${svc}-5f6585d649-abcde`, service: svc },
    prov: { pointer: `/data/result/${svc}` },
    points: Array.from({ length: 15 }, (_, k) => {
      const ts = epochMs(SPLIT + (k - 10) * MIN);
      return [ts, level * (0.9 + 0.2 * rand()) * (k >= 10 && k < 14 ? after : 1)] as [EpochMs, number];
    }),
  }));
}

const base = (over: Partial<LocaliseInput>): LocaliseInput => ({ spans: [], series: [], logs: [], splitMs: SPLIT, ...over });

describe("localise: silenced callees (metrics, no fault-minute traces)", () => {
  it("names the caller whose two only-called callees went quiet while its own traffic held", () => {
    const L = localise(base({ spans: referenceTraces(), series: ops({ web: { level: 8 }, cart: { level: 8 }, checkout: { level: 2 }, payment: { level: 2, after: 0 }, email: { level: 2, after: 0 } }) }));
    const top = L.suspects[0]!;
    expect(top.service).toBe("checkout");
    expect(top.silenced?.callees.map((c) => c.service).sort()).toEqual(["email", "payment"]);
    expect(top.kind).toBe("errors");
    expect(top.score).toBeGreaterThanOrEqual(0.5);
  });

  it("does not blame a caller whose own traffic fell as much (its callers stopped: look higher)", () => {
    const L = localise(base({ spans: referenceTraces(), series: ops({ web: { level: 8 }, cart: { level: 8 }, checkout: { level: 2, after: 0 }, payment: { level: 2, after: 0 }, email: { level: 2, after: 0 } }) }));
    expect(L.suspects.find((s) => s.service === "checkout")?.silenced ?? null).toBeNull();
  });

  it("traffic that only halves is not silence", () => {
    const L = localise(base({ spans: referenceTraces(), series: ops({ web: { level: 8 }, checkout: { level: 2 }, payment: { level: 2, after: 0.5 }, email: { level: 2, after: 0.5 } }) }));
    expect(L.suspects.filter((s) => s.signals.bail > 0)).toEqual([]);
  });
});

/** Client-side latency per caller pod, like ops(). */
function clientLatency(levels: Record<string, { level: number; after?: number }>): SeriesRecord[] {
  return ops(levels, 9).map((x) => ({ ...x, name: "pod_client_latency_p95_seconds" }));
}

describe("localise: a caller's client latency, traced back to its callees", () => {
  // web calls cart and checkout; checkout calls payment and email (only checkout does).
  it("names the callees only the slowed caller uses, not those an unaffected caller also calls", () => {
    const L = localise(base({ spans: referenceTraces(), series: clientLatency({ web: { level: 0.05 }, checkout: { level: 0.2, after: 6 } }) }));
    const named = L.suspects.filter((x) => x.callerView).map((x) => x.service).sort();
    expect(named).toEqual(["email", "payment"]);
    expect(L.suspects[0]!.callerView?.caller).toBe("checkout");
    expect(L.suspects[0]!.score).toBeGreaterThanOrEqual(0.25);
  });

  it("when every caller of a callee slowed, that callee stays a candidate", () => {
    const L = localise(base({ spans: referenceTraces(), series: clientLatency({ web: { level: 0.05, after: 6 }, checkout: { level: 0.2 } }) }));
    // web's callees: cart (web only) and checkout (web only): both candidates.
    expect(L.suspects.filter((x) => x.callerView).map((x) => x.service).sort()).toEqual(["cart", "checkout"]);
  });

  it("a caller whose client latency did not move names nobody", () => {
    const L = localise(base({ spans: referenceTraces(), series: clientLatency({ web: { level: 0.05 }, checkout: { level: 0.2 } }) }));
    expect(L.suspects).toEqual([]);
  });
});

/** Traces web → api → db in both phases, with error log lines linked to their spans. */
function erroring(opts: { originInWindow: "db" | "api" | null; share: number }) {
  const rand = prng(3);
  const spans: SpanInput[] = [];
  const logs: Array<LocaliseInput["logs"][number]> = [];
  for (let i = 0; i < 600; i++) {
    const win = i >= 300;
    const traceId = `t${i}`;
    const t = epochMs(win ? SPLIT + (i - 300) * 1000 : SPLIT - 20 * MIN + i * 1000);
    const s = (spanId: string, parent: string | null, service: string): SpanInput => ({ traceId, spanId, parentSpanId: parent, service, name: `${service}.op`, spanKind: "server", ts: t, durationMs: durationMs(5), status: "unset" });
    spans.push(s("w", null, "web"), s("a", "w", "api"), s("d", "a", "db"));
    const line = (service: string, spanId: string, text: string, severity: "info" | "error") => logs.push({ ts: t, severity, subject: { kind: "pod", name: `${service}-7d9f8c6b5-x1y2z`, service }, attrs: {}, text, traceId, spanId });
    line("api", "a", `handled request ${i}`, "info");
    line("db", "d", `query ok in ${(rand() * 9).toFixed(0)}ms`, "info");
    if (win && opts.originInWindow && rand() < opts.share) {
      // The failure and the callers passing it on, each in its own words.
      if (opts.originInWindow === "db") line("db", "d", `deadlock detected on relation orders_${i % 7}`, "error");
      line("api", "a", `upstream call failed: status 500 for request ${i}`, "error");
      line("web", "w", `request ${i} failed`, "error");
    }
  }
  return { spans, logs };
}

describe("localise: application logs", () => {
  it("the deepest service with an error line in the failing traces is the origin, not its callers", () => {
    const { spans, logs } = erroring({ originInWindow: "db", share: 0.3 });
    const L = localise(base({ spans, logs }));
    const top = L.suspects[0]!;
    expect(top.service).toBe("db");
    expect(top.logs?.origins.window).toBeGreaterThan(50);
    expect(top.signals.logs).toBeGreaterThan(0.5);
    // api and web logged errors too, but only passed the failure on.
    for (const s of L.suspects.filter((x) => x.service !== "db")) expect(s.score).toBeLessThan(top.score);
  });

  it("a new error template in the window is evidence for its service", () => {
    const { spans, logs } = erroring({ originInWindow: "api", share: 0.3 });
    const L = localise(base({ spans, logs }));
    const api = L.suspects.find((s) => s.service === "api")!;
    expect(api.logs?.templates?.changes.some((c) => c.kind === "new" && /upstream call failed/.test(c.template))).toBe(true);
    expect(L.suspects[0]!.service).toBe("api");
  });

  it("the same log lines before and after the split name nobody", () => {
    const { spans, logs } = erroring({ originInWindow: null, share: 0 });
    const L = localise(base({ spans, logs }));
    expect(L.suspects.filter((s) => s.score >= 0.25)).toEqual([]);
  });
});

/** Continuous traffic web → db, one trace every 2 s for 40 minutes; db's own time grows from `onsetMin` (relative to the split). */
function continuous(onsetMin: number | null, from = -25): SpanInput[] {
  const rand = prng(17);
  const out: SpanInput[] = [];
  for (let t = SPLIT + from * MIN, i = 0; t < SPLIT + 15 * MIN; t += 2000, i++) {
    const slow = onsetMin !== null && t >= SPLIT + onsetMin * MIN;
    const dbMs = 4 + 2 * rand() + (slow ? 40 : 0);
    const traceId = `c${i}`;
    out.push({ traceId, spanId: "w", parentSpanId: null, service: "web", name: "GET", spanKind: "server", ts: epochMs(t), durationMs: durationMs(dbMs + 3), status: "unset" });
    out.push({ traceId, spanId: "d", parentSpanId: "w", service: "db", name: "Query", spanKind: "server", ts: epochMs(t + 1), durationMs: durationMs(dbMs), status: "unset" });
  }
  return out;
}

describe("localise: an alert that lags the onset", () => {
  it("leaves the minutes between onset and alert out of the reference when they already look like the window", () => {
    const L = localise(base({ spans: continuous(-4) }));
    expect(L.counts.guardedTraces).toBeGreaterThan(100);
    expect(L.suspects[0]?.service).toBe("db");
    // The drift check looked before the guard: db was fast there.
    expect(L.suspects[0]!.localRatio).toBeGreaterThan(3);
  });

  it("keeps them when they look like the traffic before (the alert was on time)", () => {
    const L = localise(base({ spans: continuous(0) }));
    expect(L.counts.guardedTraces).toBe(0);
    expect(L.suspects[0]?.service).toBe("db");
  });

  it("keeps them when there is no traffic before them to compare with (a lone reference minute)", () => {
    const L = localise(base({ spans: continuous(-4, -4) }));
    expect(L.counts.guardedTraces).toBe(0);
  });
});
