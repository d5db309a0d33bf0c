import type { SpanRecord } from "@/lib/schemas/records";
import { durationMs, type DurationMs, type EpochMs } from "@/lib/schemas/time";

/**
 * From spans to where time and errors originate. One input of service-fault localisation: which
 * service's *own* work got slower, which call path (network/connect/queue between a client span and
 * the server span it caused) got slower, and which service errors start in. Pure: no DB, no clock,
 * deterministic; linear in the spans apart from sorting (each parent's children, each sample set).
 *
 * Self time. A span's exclusive time is its duration minus the union of its children's intervals,
 * each clipped to the parent (clock skew lets a child start a little before its parent; parallel
 * children overlap and count once):
 *
 *   A server  ├──────────────────────────────────────┤ 100 ms
 *   A client     ├───────────────────────────┤           80 ms   ← self of A client = gap = 80 − 60
 *   B server  ┤├──────────────────────┤                  60 ms     (child starts 1 ms early: clipped)
 *   B → C        ├──────┤  ├────────┤                            ← parallel or sequential children:
 *                   ├─────┤                                         their union, not their sum
 *   self(A server) = 100 − 80 = 20 ms
 *
 * A client span with a child in another service is a call: its exclusive time is the *gap* of the
 * edge caller → callee (time the caller waited that the callee's server span does not cover: network,
 * connect, queueing), not the caller's own work. A client span without a child but with a `peer` is a
 * call to that peer whose server side is not in the bundle (client duration only). Everything else is
 * the service's own time.
 *
 * Reference vs window. Spans are split by their trace's start (`splitMs`), or explicitly (`phaseOf`).
 * Per (service, operation), per service and per edge, the distributions of self time / gap are
 * compared at p50, p75 and p90:
 *
 *   shift  = mean over q of max(0, Q_window(q) − Q_reference(q))        ms per span
 *   ratio  = max over q of (Q_window(q) + 1 ms) / (Q_reference(q) + 1 ms)
 *   excess = shift × window spans / window traces                        extra ms per window trace
 *
 * (p75 and p90 only where both sides have TAIL_MIN samples above them: the p90 of 12 spans is one span.)
 *
 * An upstream whose duration grew only because a callee grew keeps its self time, so it gets no
 * excess: blame lands where the time is spent, not on everyone above it.
 *
 * Errors. A failing span (status error, HTTP ≥ 500, X-Ray fault) whose children include a failing
 * span only propagates; a failing span with no failing child is an *origin* (a failing client call
 * with nothing failing below it is charged to the callee it called: it did not answer).
 *
 * Blame. A service's score is the largest of: its share of all excess (self time; the total taken
 * as at least MIN_EXCESS_OF_REQUEST of the reference's end-to-end p50) × a gate on how
 * much its top operation slowed (ratio 1 → 0, STRONG_RATIO → 1); the same for the edge gaps charged
 * to it (kind "network"); its share of the rise in error origins per trace × a gate on how new they
 * are. Uniform growth (every service +15 %) gives every gate ≈ 0.15: no strong blame.
 *
 * Edge gaps are charged to the callee ("the callee's network/connect path"), unless the caller is
 * the common factor: the caller's own incoming calls also slowed (or two of its outgoing edges did)
 * while the callee answers its other callers as fast as before — then the caller is charged.
 */
export const TRACE_BLAME = {
  /** Fewest samples per side for a comparison. */
  MIN_SAMPLES: 5,
  /** A tail quantile (p75, p90) is compared only with this many samples above it on both sides. */
  TAIL_MIN: 3,
  /**
   * Shares of the excess are taken of at least this fraction of the reference's end-to-end p50: when
   * the whole window is only a millisecond slower, the service holding most of that millisecond is
   * not the cause of anything.
   */
  MIN_EXCESS_OF_REQUEST: 0.2,
  /** Added to both sides of a latency ratio: sub-millisecond self times do not make 10× ratios. */
  RATIO_FLOOR_MS: 1,
  /** A ratio this large gives the full gate. */
  STRONG_RATIO: 2,
  /** An edge counts as slowed (for charging caller vs callee) at this gap ratio. */
  GROWN_RATIO: 1.5,
  /** Error origins in the window below this count do not gate in. */
  MIN_ERRORS: 3,
  /** A blame at or above this score is strong. */
  STRONG_SCORE: 0.3,
  /** Distinct operations kept per service (names with ids in them); the rest are pooled. */
  MAX_OPS_PER_SERVICE: 200,
  /** Spans cited per service and evidence. */
  EXAMPLES: 3,
} as const;

export type SpanInput = Pick<SpanRecord, "traceId" | "spanId" | "parentSpanId" | "service" | "name" | "spanKind" | "ts" | "durationMs" | "status"> &
  Partial<Pick<SpanRecord, "httpStatus" | "peer" | "fault">>;
export type Phase = "reference" | "window";

export interface TraceBlameOptions {
  /** Traces that start at/after this instant are the window, earlier ones the reference. */
  splitMs?: EpochMs;
  /** Traces starting at/after this instant are left out (with splitMs). */
  windowEndMs?: EpochMs;
  /** Traces starting before this instant are left out (with splitMs). */
  referenceStartMs?: EpochMs;
  /** Explicit phase per span (wins over splitMs); null leaves the span out of the comparison. */
  phaseOf?: (span: SpanInput, index: number) => Phase | null;
  minSamples?: number;
}

export interface Dist {
  count: number;
  p50: number | null;
  p75: number | null;
  p90: number | null;
}
export interface Comparison {
  reference: Dist;
  window: Dist;
  /** null when a side has fewer than minSamples. */
  ratio: number | null;
  shiftMs: DurationMs | null;
}

export interface SpanCitation {
  traceId: string;
  spanId: string;
  service: string;
  operation: string;
  ts: EpochMs;
  durationMs: DurationMs;
  /** Self time (or gap, for a call) in ms. */
  selfMs: DurationMs;
  /** The server span of a call, when there is one. */
  serverSpanId?: string;
  /** Index into the input array. */
  index: number;
}

export interface OperationStats {
  service: string;
  operation: string;
  self: Comparison;
  total: Comparison;
  /** Extra self ms per window trace. */
  excessMsPerTrace: number;
}

export interface ServiceStats {
  service: string;
  self: Comparison;
  total: Comparison;
  excessMsPerTrace: number;
  /** Operations with enough samples on both sides / seen only in the window. */
  comparedOperations: number;
  windowOnlyOperations: number;
}

export interface EdgeStats {
  caller: string;
  callee: string;
  calls: { reference: number; window: number };
  /** Client spans with no child in the bundle: the server side is unseen (callee from `peer`). */
  unmatched: { reference: number; window: number };
  /** Exclusive time of the client span: network / connect / queue between caller and callee. */
  gap: Comparison;
  /** Client span duration, and the server side it waited for (union of its children). */
  client: Comparison;
  server: Comparison;
  excessMsPerTrace: number;
  /** Who the gap's excess is charged to (see the doc block). */
  chargedTo: string;
  examples: SpanCitation[];
}

export interface ErrorOrigins {
  service: string;
  reference: number;
  window: number;
  /** Origins per trace. */
  referenceRate: number;
  windowRate: number;
  examples: SpanCitation[];
}

export interface TraceAnalysis {
  counts: {
    spans: number;
    traces: { reference: number; window: number };
    /** Spans whose parent is not in the input (partial traces). */
    orphans: number;
    /** Children reaching outside their parent (clock skew), clipped. */
    clippedChildren: number;
    /** Spans without a usable duration (in progress, negative, non-finite). */
    noDuration: number;
    /** Spans outside both phases. */
    unphased: number;
    /** Spans of partial traces left out of self time: a span under them has no parent in the input. */
    partialSelfSkipped: number;
  };
  endToEnd: Comparison;
  operations: OperationStats[];
  services: ServiceStats[];
  edges: EdgeStats[];
  errors: ErrorOrigins[];
  /** Slowest window spans (by self time) per service. */
  examples: Map<string, SpanCitation[]>;
}

export interface BlameEvidence {
  score: number;
  /** Share of all excess (or of the rise in error origins) that is this service's. */
  share: number;
  /** 0..1 from how large the change is (ratio or novelty of errors). */
  gate: number;
}
export interface ServiceBlame {
  service: string;
  score: number;
  strong: boolean;
  kind: "latency" | "network" | "errors" | null;
  latency: (BlameEvidence & { excessMsPerTrace: number; ratio: number | null; operation: string | null; self: Comparison | null }) | null;
  network: (BlameEvidence & { excessMsPerTrace: number; ratio: number | null; edges: Array<{ caller: string; callee: string; ratio: number | null; excessMsPerTrace: number }> }) | null;
  errors: (BlameEvidence & { reference: number; window: number; referenceRate: number; windowRate: number }) | null;
  examples: SpanCitation[];
}

// ───────────────────────── statistics ─────────────────────────

function quantile(sorted: Float64Array | number[], q: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function dist(xs: number[]): Dist {
  const s = Float64Array.from(xs).sort();
  return { count: s.length, p50: quantile(s, 0.5), p75: quantile(s, 0.75), p90: quantile(s, 0.9) };
}

const QUANTILES = [
  ["p50", 0.5],
  ["p75", 0.75],
  ["p90", 0.9],
] as const;

function compare(ref: number[], win: number[], min: number): Comparison {
  const reference = dist(ref);
  const window = dist(win);
  if (reference.count < min || window.count < min) return { reference, window, ratio: null, shiftMs: null };
  const F = TRACE_BLAME.RATIO_FLOOR_MS;
  // A tail quantile of a dozen samples is one or two spans: use it only with TAIL_MIN samples above it on both sides.
  const usable = QUANTILES.filter(([, q]) => q === 0.5 || Math.min(reference.count, window.count) * (1 - q) >= TRACE_BLAME.TAIL_MIN);
  let ratio = 0;
  let shift = 0;
  for (const [k] of usable) {
    ratio = Math.max(ratio, ((window[k] ?? 0) + F) / ((reference[k] ?? 0) + F));
    shift += Math.max(0, (window[k] ?? 0) - (reference[k] ?? 0));
  }
  return { reference, window, ratio, shiftMs: durationMs(shift / usable.length) };
}

const gateOfRatio = (ratio: number | null) => (ratio === null ? 0 : Math.max(0, Math.min(1, (ratio - 1) / (TRACE_BLAME.STRONG_RATIO - 1))));

class Samples {
  readonly ref: number[] = [];
  readonly win: number[] = [];
  add(phase: 1 | 2, x: number): void {
    (phase === 1 ? this.ref : this.win).push(x);
  }
}

/** Keeps the k largest by selfMs (k is tiny: insertion). */
function keepTop(list: SpanCitation[], c: SpanCitation, k: number): void {
  if (list.length === k && list[k - 1]!.selfMs >= c.selfMs) return;
  let i = list.length;
  while (i > 0 && list[i - 1]!.selfMs < c.selfMs) i--;
  list.splice(i, 0, c);
  if (list.length > k) list.pop();
}

// ───────────────────────── analysis ─────────────────────────

/** Orphans per trace checked one by one; a trace with more is left out of self time wholly. */
const MAX_ORPHANS_CHECKED = 64;

const failing = (s: SpanInput) => s.status === "error" || (s.httpStatus !== undefined && s.httpStatus >= 500) || s.fault === true;

/** Builds the call graph, self times, per-op/service/edge comparisons and error origins. */
export function analyseTraces(spans: readonly SpanInput[], opts: TraceBlameOptions = {}): TraceAnalysis {
  const n = spans.length;
  const min = opts.minSamples ?? TRACE_BLAME.MIN_SAMPLES;
  const K = TRACE_BLAME.EXAMPLES;

  // Span lookup by (traceId, spanId): span ids rarely repeat across traces, so the common map is by
  // span id alone and only a collision pays for a composite key.
  const byId = new Map<string, number>();
  const byTraceAndId = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const s = spans[i]!;
    const j = byId.get(s.spanId);
    if (j === undefined) byId.set(s.spanId, i);
    else if (spans[j]!.traceId !== s.traceId) byTraceAndId.set(`${s.traceId}\u0000${s.spanId}`, i);
  }
  const lookup = (traceId: string, spanId: string): number => {
    const j = byId.get(spanId);
    if (j !== undefined && spans[j]!.traceId === traceId) return j;
    return byTraceAndId.get(`${traceId}\u0000${spanId}`) ?? -1;
  };

  // Phases: per trace (by its earliest span) unless given per span.
  const phase = new Uint8Array(n); // 0 none, 1 reference, 2 window
  if (opts.phaseOf) {
    for (let i = 0; i < n; i++) {
      const p = opts.phaseOf(spans[i]!, i);
      phase[i] = p === "reference" ? 1 : p === "window" ? 2 : 0;
    }
  } else if (opts.splitMs !== undefined && Number.isFinite(opts.splitMs)) {
    const traceStart = new Map<string, EpochMs>();
    for (const s of spans) {
      const t = traceStart.get(s.traceId);
      if (Number.isFinite(s.ts) && (t === undefined || s.ts < t)) traceStart.set(s.traceId, s.ts);
    }
    for (let i = 0; i < n; i++) {
      const t = traceStart.get(spans[i]!.traceId);
      if (t === undefined) continue;
      if (opts.referenceStartMs !== undefined && t < opts.referenceStartMs) continue;
      if (opts.windowEndMs !== undefined && t >= opts.windowEndMs) continue;
      phase[i] = t < opts.splitMs ? 1 : 2;
    }
  }
  const tracesIn = [new Set<string>(), new Set<string>()];
  let unphased = 0;
  for (let i = 0; i < n; i++) {
    if (phase[i] === 0) unphased++;
    else tracesIn[phase[i]! - 1]!.add(spans[i]!.traceId);
  }
  const refTraces = tracesIn[0]!.size;
  const winTraces = tracesIn[1]!.size;

  // Intervals and the parent → children lists (linked through arrays: no per-span allocation).
  const start = new Float64Array(n);
  const end = new Float64Array(n);
  let noDuration = 0;
  for (let i = 0; i < n; i++) {
    const s = spans[i]!;
    const d = s.durationMs;
    if (d === null || !Number.isFinite(d) || d < 0 || !Number.isFinite(s.ts)) {
      start[i] = Number.NaN;
      end[i] = Number.NaN;
      noDuration++;
    } else {
      start[i] = s.ts;
      end[i] = s.ts + d;
    }
  }
  const parent = new Int32Array(n).fill(-1);
  const firstChild = new Int32Array(n).fill(-1);
  const nextSibling = new Int32Array(n).fill(-1);
  let orphans = 0;
  for (let i = 0; i < n; i++) {
    const s = spans[i]!;
    if (s.parentSpanId === null || s.parentSpanId === "") continue;
    const p = lookup(s.traceId, s.parentSpanId);
    if (p < 0 || p === i) {
      orphans++;
      continue;
    }
    parent[i] = p;
    nextSibling[i] = firstChild[p]!;
    firstChild[p] = i;
  }

  // A span whose parent is missing may have been the child of any span around it in time: those
  // spans would count its time as their own. In a partial trace, spans at least as long as an orphan
  // that overlap most of its interval give no self-time sample (their durations, gaps and errors
  // still count).
  const orphansOf = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const s = spans[i]!;
    if (parent[i]! >= 0 || s.parentSpanId === null || s.parentSpanId === "" || Number.isNaN(start[i]!)) continue;
    const l = orphansOf.get(s.traceId);
    if (l) l.push(i);
    else orphansOf.set(s.traceId, [i]);
  }
  const mayHaveAbsorbed = (i: number): boolean => {
    const l = orphansOf.get(spans[i]!.traceId);
    if (!l) return false;
    if (l.length > MAX_ORPHANS_CHECKED) return true;
    for (const o of l) {
      // Only a span at least as long can have held the orphan (its own descendants are shorter).
      if (o === i || end[i]! - start[i]! < end[o]! - start[o]!) continue;
      const overlap = Math.min(end[i]!, end[o]!) - Math.max(start[i]!, start[o]!);
      if (overlap > 0 && overlap >= 0.5 * (end[o]! - start[o]!)) return true;
    }
    return false;
  };
  let partialSelfSkipped = 0;

  // Self time, calls and error origins.
  const selfMs = new Float64Array(n).fill(Number.NaN);
  const calleeOf: (string | null)[] = new Array<string | null>(n).fill(null);
  const serverSpanOf = new Int32Array(n).fill(-1);
  const unionMs = new Float64Array(n);
  let clippedChildren = 0;
  // Scratch buffers for one parent's child intervals (grown on demand, reused: no per-span allocation).
  let ivA = new Float64Array(64);
  let ivB = new Float64Array(64);
  let order = new Int32Array(64);
  const calleeCount = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const s = spans[i]!;
    const timed = !Number.isNaN(start[i]!);
    let k = 0;
    let firstCross = -1;
    let otherCallee = false;
    for (let c = firstChild[i]!; c >= 0; c = nextSibling[c]!) {
      const cs = spans[c]!;
      if (cs.service !== s.service) {
        if (firstCross < 0) firstCross = c;
        else if (cs.service !== spans[firstCross]!.service) otherCallee = true;
      }
      if (!timed || Number.isNaN(start[c]!)) continue;
      const a = Math.max(start[c]!, start[i]!);
      const b = Math.min(end[c]!, end[i]!);
      if (start[c]! < start[i]! || end[c]! > end[i]!) clippedChildren++;
      if (b <= a) continue;
      if (k === ivA.length) {
        const grow = (x: Float64Array) => {
          const y = new Float64Array(x.length * 2);
          y.set(x);
          return y;
        };
        ivA = grow(ivA);
        ivB = grow(ivB);
        order = new Int32Array(ivA.length);
      }
      ivA[k] = a;
      ivB[k] = b;
      k++;
    }
    if (firstCross >= 0) {
      // Calls to several services from one span (rare): the most frequent callee names the edge.
      let best = spans[firstCross]!.service;
      if (otherCallee) {
        calleeCount.clear();
        for (let c = firstChild[i]!; c >= 0; c = nextSibling[c]!) {
          const svc = spans[c]!.service;
          if (svc !== s.service) calleeCount.set(svc, (calleeCount.get(svc) ?? 0) + 1);
        }
        let bestN = 0;
        for (const [svc, m] of calleeCount) if (m > bestN || (m === bestN && svc < best)) [best, bestN] = [svc, m];
      }
      calleeOf[i] = best;
      serverSpanOf[i] = firstCross;
    } else if (firstChild[i]! < 0 && s.spanKind === "client" && s.peer) {
      calleeOf[i] = s.peer;
    }
    if (!timed) continue;
    // Union of the child intervals: sort by start (insertion sort for the usual handful), merge.
    for (let x = 0; x < k; x++) order[x] = x;
    if (k <= 32) {
      for (let x = 1; x < k; x++) {
        const o = order[x]!;
        let y = x - 1;
        while (y >= 0 && ivA[order[y]!]! > ivA[o]!) {
          order[y + 1] = order[y]!;
          y--;
        }
        order[y + 1] = o;
      }
    } else {
      const sub = order.subarray(0, k);
      sub.sort((x, y) => ivA[x]! - ivA[y]!);
    }
    let union = 0;
    let curA = 0;
    let curB = 0;
    for (let x = 0; x < k; x++) {
      const a = ivA[order[x]!]!;
      const b = ivB[order[x]!]!;
      if (x === 0 || a > curB) {
        if (x > 0) union += curB - curA;
        curA = a;
        curB = b;
      } else if (b > curB) curB = b;
    }
    if (k > 0) union += curB - curA;
    unionMs[i] = union;
    selfMs[i] = Math.max(0, end[i]! - start[i]! - union);
  }
  const isCall = (i: number) => spans[i]!.spanKind === "client" && calleeOf[i] !== null;

  const hasFailingChild = new Uint8Array(n);
  for (let i = 0; i < n; i++) if (parent[i]! >= 0 && failing(spans[i]!)) hasFailingChild[parent[i]!] = 1;

  // Accumulate samples.
  const OTHER_OPS = "(other operations)";
  const opSamples = new Map<string, Map<string, { self: Samples; total: Samples }>>();
  const svcSamples = new Map<string, { self: Samples; total: Samples }>();
  const edgeAcc = new Map<string, { caller: string; callee: string; calls: [number, number]; unmatched: [number, number]; gap: Samples; client: Samples; server: Samples; examples: SpanCitation[] }>();
  const errAcc = new Map<string, { ref: number; win: number; examples: SpanCitation[] }>();
  const examples = new Map<string, SpanCitation[]>();
  const root = new Samples();
  const cite = (i: number, self: DurationMs, server = -1): SpanCitation => {
    const s = spans[i]!;
    const c: SpanCitation = { traceId: s.traceId, spanId: s.spanId, service: s.service, operation: s.name, ts: s.ts, durationMs: durationMs(end[i]! - start[i]!), selfMs: self, index: i };
    if (server >= 0) c.serverSpanId = spans[server]!.spanId;
    return c;
  };
  const edgeOf = (caller: string, callee: string) => {
    const key = `${caller}\u0000${callee}`;
    let e = edgeAcc.get(key);
    if (!e) edgeAcc.set(key, (e = { caller, callee, calls: [0, 0], unmatched: [0, 0], gap: new Samples(), client: new Samples(), server: new Samples(), examples: [] }));
    return e;
  };

  for (let i = 0; i < n; i++) {
    const ph = phase[i]!;
    const s = spans[i]!;
    // The call graph: one call per client span; a non-client parent calling another service directly counts per child.
    if (ph !== 0) {
      if (isCall(i)) {
        const e = edgeOf(s.service, calleeOf[i]!);
        e.calls[ph - 1]!++;
        if (serverSpanOf[i]! < 0) e.unmatched[ph - 1]!++;
      } else if (parent[i]! >= 0 && spans[parent[i]!]!.service !== s.service && !isCall(parent[i]!)) {
        edgeOf(spans[parent[i]!]!.service, s.service).calls[ph - 1]!++;
      }
    }
    // Error origins.
    if (ph !== 0 && failing(s) && !hasFailingChild[i]) {
      const svc = s.spanKind === "client" && calleeOf[i] !== null ? calleeOf[i]! : s.service;
      let e = errAcc.get(svc);
      if (!e) errAcc.set(svc, (e = { ref: 0, win: 0, examples: [] }));
      if (ph === 1) e.ref++;
      else {
        e.win++;
        if (e.examples.length < K) e.examples.push(cite(i, durationMs(Number.isNaN(selfMs[i]!) ? 0 : selfMs[i]!)));
      }
    }
    if (ph === 0 || Number.isNaN(selfMs[i]!)) continue;
    const p = ph as 1 | 2;
    const dur = end[i]! - start[i]!;
    if (parent[i]! < 0 && (s.parentSpanId === null || s.parentSpanId === "")) root.add(p, dur);
    if (isCall(i)) {
      const e = edgeOf(s.service, calleeOf[i]!);
      e.client.add(p, dur);
      if (serverSpanOf[i]! >= 0) {
        e.gap.add(p, selfMs[i]!);
        e.server.add(p, unionMs[i]!);
        if (p === 2) keepTop(e.examples, cite(i, durationMs(selfMs[i]!), serverSpanOf[i]!), K);
      }
      continue;
    }
    if (mayHaveAbsorbed(i)) {
      partialSelfSkipped++;
      continue;
    }
    let ops = opSamples.get(s.service);
    if (!ops) opSamples.set(s.service, (ops = new Map()));
    let op = ops.get(s.name);
    if (!op) {
      const name = ops.size >= TRACE_BLAME.MAX_OPS_PER_SERVICE ? OTHER_OPS : s.name;
      op = ops.get(name);
      if (!op) ops.set(name, (op = { self: new Samples(), total: new Samples() }));
    }
    op.self.add(p, selfMs[i]!);
    op.total.add(p, dur);
    let sv = svcSamples.get(s.service);
    if (!sv) svcSamples.set(s.service, (sv = { self: new Samples(), total: new Samples() }));
    sv.self.add(p, selfMs[i]!);
    sv.total.add(p, dur);
    if (p === 2) {
      let ex = examples.get(s.service);
      if (!ex) examples.set(s.service, (ex = []));
      keepTop(ex, cite(i, durationMs(selfMs[i]!)), K);
    }
  }

  const perTrace = (x: number) => (winTraces > 0 ? x / winTraces : 0);
  const operations: OperationStats[] = [];
  const services: ServiceStats[] = [];
  for (const [service, ops] of opSamples) {
    let excess = 0;
    let compared = 0;
    let windowOnly = 0;
    for (const [operation, o] of ops) {
      const self = compare(o.self.ref, o.self.win, min);
      const total = compare(o.total.ref, o.total.win, min);
      const ex = self.shiftMs === null ? 0 : perTrace(self.shiftMs * o.self.win.length);
      if (self.ratio !== null) compared++;
      else if (o.self.ref.length === 0 && o.self.win.length > 0) windowOnly++;
      excess += ex;
      operations.push({ service, operation, self, total, excessMsPerTrace: ex });
    }
    const sv = svcSamples.get(service)!;
    services.push({ service, self: compare(sv.self.ref, sv.self.win, min), total: compare(sv.total.ref, sv.total.win, min), excessMsPerTrace: excess, comparedOperations: compared, windowOnlyOperations: windowOnly });
  }
  const edges: EdgeStats[] = [...edgeAcc.values()].map((e) => {
    const gap = compare(e.gap.ref, e.gap.win, min);
    return {
      caller: e.caller,
      callee: e.callee,
      calls: { reference: e.calls[0], window: e.calls[1] },
      unmatched: { reference: e.unmatched[0], window: e.unmatched[1] },
      gap,
      client: compare(e.client.ref, e.client.win, min),
      server: compare(e.server.ref, e.server.win, min),
      excessMsPerTrace: gap.shiftMs === null ? 0 : perTrace(gap.shiftMs * e.gap.win.length),
      chargedTo: e.callee,
      examples: e.examples,
    };
  });
  chargeEdges(edges);
  const errors: ErrorOrigins[] = [...errAcc.entries()].map(([service, e]) => ({
    service,
    reference: e.ref,
    window: e.win,
    referenceRate: refTraces > 0 ? e.ref / refTraces : 0,
    windowRate: winTraces > 0 ? e.win / winTraces : 0,
    examples: e.examples,
  }));
  const byName = <T>(key: (x: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  operations.sort((a, b) => b.excessMsPerTrace - a.excessMsPerTrace || byName<OperationStats>((x) => `${x.service}\u0000${x.operation}`)(a, b));
  services.sort(byName((x) => x.service));
  edges.sort(byName((x) => `${x.caller}\u0000${x.callee}`));
  errors.sort(byName((x) => x.service));
  return {
    counts: { spans: n, traces: { reference: refTraces, window: winTraces }, orphans, clippedChildren, noDuration, unphased, partialSelfSkipped },
    endToEnd: compare(root.ref, root.win, min),
    operations,
    services,
    edges,
    errors,
    examples,
  };
}

/**
 * Caller or callee? A network fault sits at one service and slows every edge touching it. The
 * callee is charged by default; the caller when it is the common factor (its incoming calls slowed
 * too, or two of its outgoing edges did) and the callee answers some other caller as fast as before.
 */
function chargeEdges(edges: EdgeStats[]): void {
  const grown = (e: EdgeStats) => e.gap.ratio !== null && e.gap.ratio >= TRACE_BLAME.GROWN_RATIO;
  const clean = (e: EdgeStats) => e.gap.ratio !== null && e.gap.ratio < TRACE_BLAME.GROWN_RATIO;
  const grownIn = new Set<string>();
  const grownOut = new Map<string, number>();
  for (const e of edges)
    if (grown(e)) {
      grownIn.add(e.callee);
      grownOut.set(e.caller, (grownOut.get(e.caller) ?? 0) + 1);
    }
  for (const e of edges) {
    if (!grown(e)) continue;
    const callerCommon = grownIn.has(e.caller) || (grownOut.get(e.caller) ?? 0) >= 2;
    const calleeFineElsewhere = edges.some((o) => o.callee === e.callee && o.caller !== e.caller && clean(o));
    if (callerCommon && calleeFineElsewhere) e.chargedTo = e.caller;
  }
}

/**
 * Ranks services by where the window's extra time and new errors originate (see the doc block).
 * Accepts the spans or a ready analysis.
 */
export function blameServices(input: readonly SpanInput[] | TraceAnalysis, opts: TraceBlameOptions = {}): ServiceBlame[] {
  const a = Array.isArray(input) ? analyseTraces(input as readonly SpanInput[], opts) : (input as TraceAnalysis);
  const excessFloor = TRACE_BLAME.MIN_EXCESS_OF_REQUEST * (a.endToEnd.reference.p50 ?? 0);
  const totalExcess = Math.max(excessFloor, a.services.reduce((x, s) => x + s.excessMsPerTrace, 0) + a.edges.reduce((x, e) => x + e.excessMsPerTrace, 0));
  const errRise = new Map(a.errors.map((e) => [e.service, Math.max(0, e.windowRate - e.referenceRate)]));
  const totalErrRise = [...errRise.values()].reduce((x, y) => x + y, 0);
  const names = new Set<string>([...a.services.map((s) => s.service), ...a.edges.map((e) => e.chargedTo), ...a.errors.map((e) => e.service)]);
  const svcByName = new Map(a.services.map((s) => [s.service, s]));
  const errByName = new Map(a.errors.map((e) => [e.service, e]));
  // Operations are sorted by excess: the first compared one per service is its top operation.
  const topOp = new Map<string, OperationStats>();
  for (const o of a.operations) if (o.self.ratio !== null && !topOp.has(o.service)) topOp.set(o.service, o);
  const chargedTo = new Map<string, EdgeStats[]>();
  for (const e of a.edges) if (e.gap.ratio !== null) chargedTo.set(e.chargedTo, [...(chargedTo.get(e.chargedTo) ?? []), e]);
  const out: ServiceBlame[] = [];
  for (const service of names) {
    const b: ServiceBlame = { service, score: 0, strong: false, kind: null, latency: null, network: null, errors: null, examples: a.examples.get(service) ?? [] };
    const sv = svcByName.get(service);
    if (sv) {
      const top = topOp.get(service) ?? null;
      const share = totalExcess > 0 ? sv.excessMsPerTrace / totalExcess : 0;
      const gate = gateOfRatio(top?.self.ratio ?? null);
      b.latency = { score: share * gate, share, gate, excessMsPerTrace: sv.excessMsPerTrace, ratio: top?.self.ratio ?? null, operation: top?.operation ?? null, self: top?.self ?? null };
    }
    const charged = chargedTo.get(service) ?? [];
    if (charged.length) {
      const excess = charged.reduce((x, e) => x + e.excessMsPerTrace, 0);
      const top = charged.reduce((x, e) => (e.excessMsPerTrace > x.excessMsPerTrace ? e : x));
      const share = totalExcess > 0 ? excess / totalExcess : 0;
      const gate = gateOfRatio(top.gap.ratio);
      b.network = {
        score: share * gate,
        share,
        gate,
        excessMsPerTrace: excess,
        ratio: top.gap.ratio,
        edges: charged.map((e) => ({ caller: e.caller, callee: e.callee, ratio: e.gap.ratio, excessMsPerTrace: e.excessMsPerTrace })).sort((x, y) => y.excessMsPerTrace - x.excessMsPerTrace),
      };
    }
    const er = errByName.get(service);
    if (er) {
      const share = totalErrRise > 0 ? (errRise.get(service) ?? 0) / totalErrRise : 0;
      const gate = er.window < TRACE_BLAME.MIN_ERRORS || er.windowRate === 0 ? 0 : Math.max(0, Math.min(1, 2 * (1 - er.referenceRate / er.windowRate)));
      b.errors = { score: share * gate, share, gate, reference: er.reference, window: er.window, referenceRate: er.referenceRate, windowRate: er.windowRate };
    }
    for (const [kind, ev] of [["latency", b.latency], ["network", b.network], ["errors", b.errors]] as const) {
      if (ev && ev.score > b.score) {
        b.score = ev.score;
        b.kind = kind;
      }
    }
    if (b.kind === "network") b.examples = charged.flatMap((e) => e.examples).sort((x, y) => y.selfMs - x.selfMs).slice(0, TRACE_BLAME.EXAMPLES);
    else if (b.kind === "errors") b.examples = er?.examples ?? [];
    b.strong = b.score >= TRACE_BLAME.STRONG_SCORE;
    out.push(b);
  }
  return out.sort((x, y) => y.score - x.score || (x.service < y.service ? -1 : x.service > y.service ? 1 : 0));
}
