import { describe, expect, it } from "vitest";
import { mulberry32 } from "@/lib/prng";
import { TRACE_BLAME, analyseTraces, blameServices, type SpanInput } from "@/lib/server/correlate/trace-blame";
import { epochMs, type EpochMs, type DurationMs } from "@/lib/schemas/time";

const T0 = Date.UTC(2025, 2, 12, 9, 0, 0);
const SPLIT = epochMs(T0 + 600_000);

type Kind = SpanInput["spanKind"];
function sp(traceId: string, spanId: string, parent: string | null, service: string, name: string, spanKind: Kind, ts: number, dur: number | null, extra: Partial<SpanInput> = {}): SpanInput {
  return { traceId, spanId, parentSpanId: parent, service, name, spanKind, ts: ts as EpochMs, durationMs: dur as DurationMs | null, status: "unset", ...extra };
}

/**
 * One request through A → B → C (each hop a client span in the caller and a server span in the callee):
 *
 *   A server  ├──────────────────────────────────────────────┤
 *   A client     ├────────────────────────────────────────┤      gapAB before/after B
 *   B server       ├──────────────────────────────────┤
 *   B client          ├────────────────────────┤                 gapBC
 *   C server            ├───────────────────┤                    selfC
 */
interface Hop {
  selfA: number;
  selfB: number;
  selfC: number;
  gapAB: number;
  gapBC: number;
  errorAtC?: boolean;
}
function chain(t: string, ts: number, h: Hop, opts: { dropParentOf?: string[]; skewMs?: number } = {}): SpanInput[] {
  const c = h.selfC;
  const bc = c + h.gapBC;
  const b = bc + h.selfB;
  const ab = b + h.gapAB;
  const a = ab + h.selfA;
  const half = (x: number) => x / 2;
  const sA = ts;
  const sAc = sA + half(h.selfA);
  const sB = sAc + half(h.gapAB) - (opts.skewMs ?? 0);
  const sBc = sB + half(h.selfB);
  const sC = sBc + half(h.gapBC);
  const err = h.errorAtC ? { status: "error" as const } : {};
  const http = h.errorAtC ? { httpStatus: 503 } : {};
  const spans = [
    sp(t, `${t}-a`, null, "A", "GET /checkout", "server", sA, a, http),
    sp(t, `${t}-ac`, `${t}-a`, "A", "B.Call", "client", sAc, ab, { peer: "B", ...err }),
    sp(t, `${t}-b`, `${t}-ac`, "B", "B.Call", "server", sB, b, err),
    sp(t, `${t}-bc`, `${t}-b`, "B", "C.Get", "client", sBc, bc, { peer: "C", ...err }),
    sp(t, `${t}-c`, `${t}-bc`, "C", "C.Get", "server", sC, c, err),
  ];
  for (const id of opts.dropParentOf ?? []) {
    const i = spans.findIndex((s) => s.spanId === `${t}-${id}`);
    spans.splice(i, 1);
  }
  return spans;
}

/** n traces per phase, with ±10 % jitter from a fixed seed. */
function traffic(before: Hop, after: Hop, n = 40, seed = 1, opts: { dropParentOf?: string[]; partialEvery?: number } = {}): SpanInput[] {
  const rnd = mulberry32(seed);
  const j = (x: number) => x * (0.9 + 0.2 * rnd());
  const jit = (h: Hop): Hop => ({ ...h, selfA: j(h.selfA), selfB: j(h.selfB), selfC: j(h.selfC), gapAB: j(h.gapAB), gapBC: j(h.gapBC) });
  const out: SpanInput[] = [];
  for (let i = 0; i < n; i++) {
    const partial = opts.partialEvery && i % opts.partialEvery === 0 ? { dropParentOf: opts.dropParentOf } : {};
    out.push(...chain(`r${i}`, T0 + i * 10_000, jit(before), partial));
    out.push(...chain(`w${i}`, SPLIT + i * 5_000, jit(after), partial));
  }
  return out;
}

const BASE: Hop = { selfA: 10, selfB: 8, selfC: 5, gapAB: 2, gapBC: 2 };

describe("self time", () => {
  it("is the duration minus the union of the children, clipped to the parent (skew, parallel children)", () => {
    const spans = [
      sp("t", "p", null, "A", "root", "server", 1000, 100),
      // Parallel children overlapping: [1010, 1050] ∪ [1030, 1070] = 60 ms; the first starts 5 ms before the parent
      // (skew) and is clipped to [1000, 1050] → union [1000, 1070] = 70 ms.
      sp("t", "c1", "p", "A", "work", "internal", 995, 55),
      sp("t", "c2", "p", "A", "work", "internal", 1030, 40),
      // A child that outlives its parent is clipped at the parent's end.
      sp("t", "c3", "p", "A", "tail", "internal", 1090, 30),
    ];
    const a = analyseTraces(spans, { phaseOf: () => "window", minSamples: 1 });
    expect(a.counts.clippedChildren).toBe(2);
    const root = a.operations.find((o) => o.operation === "root")!;
    expect(root.self.window.p50).toBeCloseTo(100 - 70 - 10, 9);
    expect(root.total.window.p50).toBe(100);
    for (const o of a.operations) expect(o.self.window.p50!).toBeGreaterThanOrEqual(0);
  });

  it("a caller with many parallel children: its self time is not the sum, and a slower callee is blamed, not the caller", () => {
    const trace = (t: string, ts: number, childMs: number) => {
      const out = [sp(t, `${t}-a`, null, "A", "fanout", "server", ts, childMs + 6)];
      for (let k = 0; k < 12; k++) {
        out.push(sp(t, `${t}-c${k}`, `${t}-a`, "A", "B.Get", "client", ts + 2 + (k % 3) * 0.1, childMs + 1, { peer: "B" }));
        out.push(sp(t, `${t}-s${k}`, `${t}-c${k}`, "B", "B.Get", "server", ts + 2.5 + (k % 3) * 0.1, childMs));
      }
      return out;
    };
    const spans: SpanInput[] = [];
    for (let i = 0; i < 30; i++) {
      spans.push(...trace(`r${i}`, T0 + i * 1000, 20 + (i % 5)));
      spans.push(...trace(`w${i}`, SPLIT + i * 1000, 90 + (i % 5)));
    }
    const a = analyseTraces(spans, { splitMs: SPLIT });
    const fan = a.operations.find((o) => o.service === "A" && o.operation === "fanout")!;
    // Twelve parallel calls of ~21 ms inside a ~26 ms span: self ≈ 26 − 21.2 ms, not negative, not 26 − 12 × 21.
    expect(fan.self.reference.p50!).toBeGreaterThan(3);
    expect(fan.self.reference.p50!).toBeLessThan(6);
    expect(fan.self.ratio!).toBeLessThan(1.2);
    expect(fan.total.ratio!).toBeGreaterThan(3);
    const blame = blameServices(a);
    expect(blame[0]).toMatchObject({ service: "B", kind: "latency", strong: true });
    expect(blame.find((b) => b.service === "A")!.strong).toBe(false);
  });
});

describe("blame", () => {
  it("A → B → C where C's own time grows: C is blamed, not A or B (whose durations grew with it)", () => {
    const spans = traffic(BASE, { ...BASE, selfC: 60 });
    const a = analyseTraces(spans, { splitMs: SPLIT });
    expect(a.counts.traces).toEqual({ reference: 40, window: 40 });
    // The upstreams' durations grew, their own time did not.
    for (const svc of ["A", "B"]) {
      const s = a.services.find((x) => x.service === svc)!;
      expect(s.total.ratio!, svc).toBeGreaterThan(2);
      expect(s.self.ratio!, svc).toBeLessThan(1.3);
    }
    expect(a.endToEnd.ratio!).toBeGreaterThan(2);
    const blame = blameServices(a);
    expect(blame[0]).toMatchObject({ service: "C", kind: "latency", strong: true });
    expect(blame[0]!.latency!.operation).toBe("C.Get");
    expect(blame[0]!.latency!.ratio!).toBeGreaterThan(5);
    expect(blame[0]!.latency!.share).toBeGreaterThan(0.8);
    expect(blame.filter((b) => b.strong).map((b) => b.service)).toEqual(["C"]);
    // Cited: the slowest window spans of C, real spans of the input.
    expect(blame[0]!.examples.length).toBe(TRACE_BLAME.EXAMPLES);
    for (const ex of blame[0]!.examples) {
      expect(spans[ex.index]).toMatchObject({ traceId: ex.traceId, spanId: ex.spanId, service: "C" });
      expect(ex.traceId.startsWith("w")).toBe(true);
      expect(ex.selfMs).toBeGreaterThan(40);
    }
    // Same answer from the spans directly.
    expect(blameServices(spans, { splitMs: SPLIT })[0]!.service).toBe("C");
  });

  it("A → B where A's client span grows but B's server span does not: the A → B edge, charged to B as network", () => {
    const spans = traffic(BASE, { ...BASE, gapAB: 80 });
    const a = analyseTraces(spans, { splitMs: SPLIT });
    const edge = a.edges.find((e) => e.caller === "A" && e.callee === "B")!;
    expect(edge.calls).toEqual({ reference: 40, window: 40 });
    expect(edge.gap.ratio!).toBeGreaterThan(10);
    expect(edge.server.ratio!).toBeLessThan(1.3);
    expect(edge.client.ratio!).toBeGreaterThan(3);
    expect(edge.chargedTo).toBe("B");
    const blame = blameServices(a);
    expect(blame[0]).toMatchObject({ service: "B", kind: "network", strong: true });
    expect(blame[0]!.network!.edges[0]).toMatchObject({ caller: "A", callee: "B" });
    const ex = blame[0]!.examples[0]!;
    expect(spans[ex.index]).toMatchObject({ service: "A", spanKind: "client", spanId: ex.spanId });
    expect(ex.serverSpanId).toBe(ex.spanId.replace(/-ac$/, "-b"));
    // A's own time did not grow: no strong latency blame on A.
    const A = blame.find((b) => b.service === "A")!;
    expect(A.strong).toBe(false);
    expect(A.latency!.ratio!).toBeLessThan(1.3);
  });

  it("a network fault at B slows both of B's edges: B → C is charged to B when C answers its other caller as before", () => {
    const spans = traffic(BASE, { ...BASE, gapAB: 60, gapBC: 60 });
    // D also calls C, unaffected.
    for (let i = 0; i < 40; i++)
      for (const [p, ts] of [["r", T0 + i * 10_000 + 3000], ["w", SPLIT + i * 5_000 + 3000]] as const) {
        const t = `${p}d${i}`;
        spans.push(sp(t, `${t}-d`, null, "D", "job", "server", ts, 20), sp(t, `${t}-dc`, `${t}-d`, "D", "C.Get", "client", ts + 5, 9, { peer: "C" }), sp(t, `${t}-c`, `${t}-dc`, "C", "C.Get", "server", ts + 6, 5 + (i % 3) * 0.3));
      }
    const a = analyseTraces(spans, { splitMs: SPLIT });
    expect(a.edges.find((e) => e.caller === "B" && e.callee === "C")!.chargedTo).toBe("B");
    expect(a.edges.find((e) => e.caller === "D" && e.callee === "C")!.gap.ratio!).toBeLessThan(1.5);
    const blame = blameServices(a);
    expect(blame[0]).toMatchObject({ service: "B", kind: "network", strong: true });
    expect(blame[0]!.network!.edges.map((e) => `${e.caller}>${e.callee}`).sort()).toEqual(["A>B", "B>C"]);
    expect(blame.find((b) => b.service === "C")!.strong).toBe(false);
  });

  it("errors at C propagating up to A: the origin is C", () => {
    const rnd = mulberry32(4);
    const spans: SpanInput[] = [];
    for (let i = 0; i < 40; i++) {
      spans.push(...chain(`r${i}`, T0 + i * 10_000, BASE));
      spans.push(...chain(`w${i}`, SPLIT + i * 5_000, { ...BASE, errorAtC: rnd() < 0.5 }));
    }
    const a = analyseTraces(spans, { splitMs: SPLIT });
    const failingWindowTraces = new Set(spans.filter((s) => s.status === "error").map((s) => s.traceId)).size;
    expect(failingWindowTraces).toBeGreaterThan(5);
    expect(a.errors.map((e) => [e.service, e.reference, e.window])).toEqual([["C", 0, failingWindowTraces]]);
    const blame = blameServices(a);
    expect(blame[0]).toMatchObject({ service: "C", kind: "errors", strong: true });
    expect(blame[0]!.errors).toMatchObject({ reference: 0, window: failingWindowTraces, share: 1, gate: 1 });
    for (const ex of blame[0]!.examples) expect(spans[ex.index]).toMatchObject({ service: "C", spanKind: "server", status: "error" });
    for (const svc of ["A", "B"]) expect(blame.find((b) => b.service === svc)!.errors).toBeNull();
  });

  it("a failing call with nothing failing below it is charged to the callee it went to (no answer)", () => {
    const spans: SpanInput[] = [];
    for (let i = 0; i < 10; i++) {
      const t = `w${i}`;
      spans.push(sp(t, `${t}-a`, null, "A", "GET /", "server", SPLIT + i * 1000, 30, { httpStatus: 502 }), sp(t, `${t}-ac`, `${t}-a`, "A", "pay", "client", SPLIT + i * 1000 + 1, 25, { peer: "payments", status: "error" }));
    }
    spans.push(sp("r0", "r0-a", null, "A", "GET /", "server", T0, 30));
    const a = analyseTraces(spans, { splitMs: SPLIT });
    expect(a.errors).toMatchObject([{ service: "payments", reference: 0, window: 10 }]);
    expect(a.edges).toMatchObject([{ caller: "A", callee: "payments", calls: { reference: 0, window: 10 }, unmatched: { reference: 0, window: 10 } }]);
  });

  it("partial traces (parents missing) still give C, and are counted", () => {
    const spans = traffic(BASE, { ...BASE, selfC: 60 }, 40, 2, { dropParentOf: ["bc"], partialEvery: 3 });
    const a = analyseTraces(spans, { splitMs: SPLIT });
    expect(a.counts.orphans).toBe(2 * 14);
    // Without B's client span, C's server span would look like B's (and A's) own time: the spans around
    // the orphan give no self-time sample in those traces.
    expect(a.counts.partialSelfSkipped).toBe(2 * 14 * 2);
    const blame = blameServices(a);
    expect(blame[0]).toMatchObject({ service: "C", kind: "latency", strong: true });
    expect(blame.find((b) => b.service === "B")!.strong).toBe(false);
    expect(blame.find((b) => b.service === "A")!.strong).toBe(false);
    // A missing root (the upstream's spans cut off by the export) changes nothing for the rest.
    const rootless = traffic(BASE, { ...BASE, selfC: 60 }, 40, 2).filter((s) => !s.spanId.endsWith("-a") || s.traceId.endsWith("5"));
    const r = analyseTraces(rootless, { splitMs: SPLIT });
    expect(r.counts.partialSelfSkipped).toBe(0);
    expect(blameServices(r).filter((b) => b.strong).map((b) => b.service)).toEqual(["C"]);
  });

  it("near miss: uniform load growth (+15 % everywhere) blames nobody strongly", () => {
    const k = 1.15;
    for (let seed = 1; seed <= 5; seed++) {
      const spans = traffic(BASE, { selfA: BASE.selfA * k, selfB: BASE.selfB * k, selfC: BASE.selfC * k, gapAB: BASE.gapAB * k, gapBC: BASE.gapBC * k }, 40, seed);
      const blame = blameServices(spans, { splitMs: SPLIT });
      expect(blame.filter((b) => b.strong), `seed ${seed}`).toEqual([]);
      expect(blame[0]!.score).toBeLessThan(TRACE_BLAME.STRONG_SCORE);
    }
  });

  it("near miss: a small window whose tail is one or two slow calls blames nobody (p90 of a dozen spans is one span)", () => {
    const spans = traffic(BASE, BASE, 40, 6).filter((s) => !s.traceId.startsWith("w") || Number(s.traceId.slice(1)) < 12);
    // Two of the twelve window calls A → B waited 60 ms.
    for (const s of spans) if ((s.traceId === "w3" || s.traceId === "w7") && s.spanId.endsWith("-ac")) (s as { durationMs: number }).durationMs += 60;
    const a = analyseTraces(spans, { splitMs: SPLIT });
    const ab = a.edges.find((e) => e.caller === "A" && e.callee === "B")!;
    expect(ab.gap.window.p90!).toBeGreaterThan(20);
    expect(ab.gap.ratio!).toBeLessThan(TRACE_BLAME.GROWN_RATIO);
    expect(blameServices(a).filter((b) => b.strong)).toEqual([]);
  });

  it("near miss: a sub-millisecond step in one service is a large ratio of nothing — not strong", () => {
    const spans = traffic(BASE, BASE, 40, 7);
    // D: a cache lookup under C, 0.1 ms → 1.1 ms; the requests take ~27 ms.
    for (const s of [...spans]) if (s.spanId.endsWith("-c")) spans.push(sp(s.traceId, `${s.spanId}-d`, s.spanId, "D", "cache.get", "server", s.ts + 1, s.traceId.startsWith("w") ? 1.1 : 0.1));
    const blame = blameServices(spans, { splitMs: SPLIT });
    const d = blame.find((b) => b.service === "D")!;
    expect(d.latency!.ratio!).toBeGreaterThan(1.8);
    expect(d.latency!.excessMsPerTrace).toBeCloseTo(1, 1);
    expect(d.strong).toBe(false);
    expect(blame.filter((b) => b.strong)).toEqual([]);
  });

  it("near miss: nothing changed blames nobody; no reference compares nothing", () => {
    expect(blameServices(traffic(BASE, BASE), { splitMs: SPLIT }).filter((b) => b.score > 0.1)).toEqual([]);
    const onlyWindow = traffic(BASE, { ...BASE, selfC: 60 }).filter((s) => s.traceId.startsWith("w"));
    const b = blameServices(onlyWindow, { splitMs: SPLIT });
    expect(b.every((x) => x.score === 0)).toBe(true);
  });

  it("explicit phases, traces wholly in one phase by their start, spans outside both phases left out", () => {
    const spans = traffic(BASE, { ...BASE, selfC: 60 });
    const explicit = analyseTraces(spans, { phaseOf: (s) => (s.traceId.startsWith("r") ? "reference" : s.traceId.startsWith("w1") ? "window" : null) });
    expect(explicit.counts.traces).toEqual({ reference: 40, window: 11 });
    expect(explicit.counts.unphased).toBe(29 * 5);
    // A trace that starts just before the split stays whole in the reference although its later spans are after it.
    const straddle = chain("s", SPLIT - 3, { ...BASE, selfC: 60 });
    const a = analyseTraces([...spans, ...straddle], { splitMs: SPLIT });
    expect(a.counts.traces).toEqual({ reference: 41, window: 40 });
    const bounded = analyseTraces(spans, { splitMs: SPLIT, referenceStartMs: epochMs(T0 + 200_000), windowEndMs: epochMs(SPLIT + 100_000) });
    expect(bounded.counts.traces).toEqual({ reference: 20, window: 20 });
  });

  it("spans without a duration, repeated span ids across traces and parent cycles do not break it", () => {
    const spans = traffic(BASE, { ...BASE, selfC: 60 });
    // Same span ids in another pair of traces (ids are only unique within a trace).
    const copy = traffic(BASE, { ...BASE, selfC: 60 }, 40, 3).map((s) => ({ ...s, traceId: `x-${s.traceId}` }));
    const weird = [
      sp("z", "z1", "z2", "Q", "loop", "internal", SPLIT, 5),
      sp("z", "z2", "z1", "Q", "loop", "internal", SPLIT, 5),
      sp("z", "z3", "z3", "Q", "self", "internal", SPLIT, 5),
      sp("z", "z4", null, "Q", "open", "server", SPLIT, null),
    ];
    const a = analyseTraces([...spans, ...copy, ...weird], { splitMs: SPLIT });
    expect(a.counts.noDuration).toBe(1);
    expect(a.counts.orphans).toBe(1);
    expect(a.edges.find((e) => e.caller === "B" && e.callee === "C")!.calls).toEqual({ reference: 80, window: 80 });
    expect(blameServices(a)[0]!.service).toBe("C");
  });

  it("wide and deep traces (50 000 spans each) are handled without recursion", () => {
    const wide: SpanInput[] = [sp("w", "root", null, "A", "root", "server", SPLIT, 1000)];
    for (let i = 0; i < 50_000; i++) wide.push(sp("w", `c${i}`, "root", "A", "child", "internal", SPLIT + (i % 900), 50));
    const deep: SpanInput[] = [];
    for (let i = 0; i < 50_000; i++) deep.push(sp("d", `d${i}`, i ? `d${i - 1}` : null, "A", "nest", "internal", SPLIT + i * 0.001, 100 - i * 0.001));
    const a = analyseTraces([...wide, ...deep], { phaseOf: () => "window" });
    expect(a.operations.find((o) => o.operation === "root")!.self.window.p50).toBeCloseTo(1000 - 949, 6);
    expect(a.counts.spans).toBe(100_001);
  });

  it("operation names with ids in them are pooled past the per-service cap", () => {
    const spans: SpanInput[] = [];
    for (let i = 0; i < TRACE_BLAME.MAX_OPS_PER_SERVICE + 50; i++) spans.push(sp(`t${i}`, `s${i}`, null, "A", `GET /orders/${i}`, "server", SPLIT + i, 5));
    const a = analyseTraces(spans, { phaseOf: () => "window" });
    expect(a.operations.length).toBe(TRACE_BLAME.MAX_OPS_PER_SERVICE + 1);
    expect(a.operations.find((o) => o.operation === "(other operations)")!.self.window.count).toBe(50);
  });
});
