import type { FaultKind } from "@/lib/schemas/hypothesis";
import type { EventRecord, SeriesRecord } from "@/lib/schemas/records";
import { addMs, durationMs, subMs, type EpochMs } from "@/lib/schemas/time";
import { detectMetricChanges, rankEntities, serviceFromPodName, type EntityRank, type KindEvidence, type SeriesChange } from "./metric-change";
import { templateChanges, type ServiceTemplateChanges, type TemplateLine } from "./log-templates";
import { analyseBailouts, type BailBlame, type BailoutAnalysis } from "./trace-bailout";
import { analyseTraces, blameServices, type ServiceBlame, type SpanInput, type TraceAnalysis } from "./trace-blame";

/**
 * Which service is at fault: combines trace blame, metric change points, code-path changes and
 * application error logs into one ranked list of suspects. Pure and deterministic.
 *
 *   reference traces ─────────┐        ┌──────── window (split … split + WINDOW_MS) ────────┐
 *   ▁▁▁▁▁▁▁▁ (before, or long after)   ▲ split: measured onset, else the first alert of the
 *                                        timeline, else the metrics' own consensus
 *   traces   self time / edge gaps / error origins per service, reference vs window  → T
 *   metrics  per pod: CPU, memory, latency, errors changed the bad way at the split   → M
 *   paths    a service's own operations stop (or start) making their calls            → P
 *   bails    its handlers stop early: right after a call, or before any (trace-bailout)  → B
 *   logs     error lines per service, and log templates new / surging / vanished       → L
 *
 * A service's score is 1 − Π(1 − signal). Then propagation: a caller's *latency* (its server
 * latency includes its callees' time) is explained by a callee that is itself a suspect, so it
 * drops below it — the deepest anomalous service is the origin. Resource changes (CPU, memory) and
 * code-path changes are the service's own and are never explained away, except a caller's bail-out
 * right after a callee that is itself a strong latency or resource suspect (it timed out on it).
 *
 * The reference is every trace outside the window — before it or after it (a bundle's fault-free
 * baseline may be exported after recovery) — and a latency blame must also hold against the traces
 * just before the split, when there are enough: a service slower than hours earlier but as slow as
 * a minute before the incident drifted; it did not fail.
 */
export const LOCALISE = {
  /** The window after the split that is compared with the rest. */
  WINDOW_MS: durationMs(15 * 60_000),
  /** Traces just before the split, used to check latency blames against drift. */
  LOCAL_REFERENCE_MS: durationMs(10 * 60_000),
  /** Traces needed in the local reference for the drift check. */
  LOCAL_MIN_TRACES: 50,
  /**
   * Traces this close before the split are left out of the reference when enough others remain: an
   * alert (or a hand-written timeline) usually lags the onset, so these may already be the fault.
   */
  GUARD_MS: durationMs(5 * 60_000),
  /** A robust z at this level is a full metric signal. */
  METRIC_FULL_Z: 30,
  /** A callee at this share of a caller's latency evidence explains it. */
  EXPLAINS_SHARE: 0.5,
  /** Invocations per side for a code-path comparison. */
  PATH_MIN_CALLS: 10,
  /** The most a code-path change alone contributes. */
  PATH_MAX: 0.35,
  /** Error log lines in the window for a log signal. */
  LOG_MIN_ERRORS: 5,
  /** The most template changes alone contribute: a caller's messages change with its callee's failure too. */
  TEMPLATE_MAX: 0.6,
  /** A callee's activity at or below this share of its reference level is "silenced". */
  QUIET_RATIO: 0.3,
  /** Bail signal from one silenced callee (its only caller stopped calling it) … */
  QUIET_ONE: 0.3,
  /** … and from two or more (the caller is their common factor). */
  QUIET_MANY: 0.6,
  /** A caller's client-side latency rise this strong (robust z) points at its callees… */
  CALLER_VIEW_MIN_Z: 8,
  /** …and at this z it is a full signal, shared by the callees it can be. */
  CALLER_VIEW_FULL_Z: 15,
} as const;

/** The kinds are the schema's: the Overview, the share page and the draft name them (FAULT_KIND_LABEL). */
export type { FaultKind };

export interface PathChange {
  operation: string;
  calls: { reference: number; window: number };
  /** The callee call whose rate per invocation moved the most. */
  call: string;
  perCall: { reference: number; window: number };
}

export interface LogSignal {
  reference: number;
  window: number;
  /** Index into the input events of the first window error line. */
  examples: number[];
  /** Template changes of the service's messages (log-templates.ts), strongest first. */
  templates: ServiceTemplateChanges | null;
  /**
   * Traces whose deepest error line (by the span it is linked to) is this service's: where the
   * failure started, not every caller that logged it passing by. Reference vs window.
   */
  origins: { reference: number; window: number; windowTraces: number };
}

export interface Suspect {
  service: string;
  pod: string | null;
  kind: FaultKind;
  score: number;
  signals: { trace: number; metric: number; path: number; logs: number; bail: number };
  trace: ServiceBlame | null;
  /** The local-reference check of a latency blame: its ratio against the minutes before the split. */
  localRatio: number | null;
  metric: EntityRank | null;
  metricPod: EntityRank | null;
  path: PathChange | null;
  logs: LogSignal | null;
  bail: BailBlame | null;
  silenced: Silenced | null;
  callerView: CallerView | null;
  /** A callee suspect that explains this service's latency (or its bail-outs after calling it). */
  explainedBy: string | null;
}

/** Callees whose activity (requests, syscalls, bytes) all but stopped while this caller kept working. */
export interface Silenced {
  callees: Array<{ service: string; metric: string; seriesIndex: number; ratio: number | null }>;
}

/**
 * A caller saw its calls get slower (client-side latency) and this service is one of the few
 * callees that can explain it: every other caller of it that measures its client latency too saw
 * no change. Metrics only — what is left when the fault minutes have no traces.
 */
export interface CallerView {
  caller: string;
  metric: string;
  seriesIndex: number;
  score: number;
  ratio: number | null;
  /** The callees it can be (this one among them). */
  candidates: string[];
}

export interface LocaliseInput {
  spans: readonly SpanInput[];
  series: readonly Pick<SeriesRecord, "name" | "labels" | "points">[];
  /** Application log lines (source "app"), for error counts per service. */
  logs: readonly Pick<EventRecord, "ts" | "severity" | "subject" | "attrs" | "text" | "traceId" | "spanId">[];
  splitMs: EpochMs;
}

export interface Localisation {
  suspects: Suspect[];
  analysis: TraceAnalysis | null;
  bailouts: BailoutAnalysis | null;
  changes: SeriesChange[];
  /** caller → callees seen in the traces (any phase). */
  graph: Map<string, Set<string>>;
  /** guardedTraces: traces just before the split left out because they already look like the window. */
  counts: { referenceTraces: number; windowTraces: number; localTraces: number; guardedTraces: number; series: number; logs: number };
}

const clamp01 = (x: number) => Math.max(0, Math.min(1, x));

function traceStarts(spans: readonly SpanInput[]): Map<string, EpochMs> {
  const start = new Map<string, EpochMs>();
  for (const s of spans) {
    const t = start.get(s.traceId);
    if (t === undefined || s.ts < t) start.set(s.traceId, s.ts);
  }
  return start;
}

/** Spans by trace and span id (one map for the call graph and the code paths). */
function spansById(spans: readonly SpanInput[]): Map<string, SpanInput> {
  const byId = new Map<string, SpanInput>();
  for (const s of spans) byId.set(`${s.traceId}|${s.spanId}`, s);
  return byId;
}

function callGraph(spans: readonly SpanInput[], byId: ReadonlyMap<string, SpanInput>): Map<string, Set<string>> {
  const g = new Map<string, Set<string>>();
  const edge = (a: string, b: string) => {
    if (a === b) return;
    (g.get(a) ?? g.set(a, new Set()).get(a)!).add(b);
  };
  for (const s of spans) {
    const p = s.parentSpanId ? byId.get(`${s.traceId}|${s.parentSpanId}`) : undefined;
    if (p) edge(p.service, s.service);
    else if (s.spanKind === "client" && s.peer) edge(s.service, s.peer);
  }
  return g;
}

/**
 * Code-path change: per service entry operation (a span whose parent is in another service), the
 * calls its invocation makes (descendants in its own service and their direct calls out), per
 * invocation, reference vs window. A service that starts throwing or returning early stops making
 * the calls after the failure point; one that returns something else takes another branch. The
 * service whose own pattern changed is where the code path changed; its callers keep theirs.
 */
function pathChanges(spans: readonly SpanInput[], byId: ReadonlyMap<string, SpanInput>, phaseOf: (s: SpanInput) => "reference" | "window" | null): Map<string, PathChange> {
  const kids = new Map<string, SpanInput[]>();
  for (const s of spans) if (s.parentSpanId) (kids.get(`${s.traceId}|${s.parentSpanId}`) ?? kids.set(`${s.traceId}|${s.parentSpanId}`, []).get(`${s.traceId}|${s.parentSpanId}`)!).push(s);
  interface Acc { n: [number, number]; calls: Map<string, [number, number]> }
  const acc = new Map<string, Acc>();
  for (const s of spans) {
    const ph = phaseOf(s);
    if (!ph) continue;
    const p = s.parentSpanId ? byId.get(`${s.traceId}|${s.parentSpanId}`) : undefined;
    if (p && p.service === s.service) continue;
    const i = ph === "reference" ? 0 : 1;
    const key = `${s.service}\u0000${s.name}`;
    const a = acc.get(key) ?? acc.set(key, { n: [0, 0], calls: new Map() }).get(key)!;
    a.n[i]++;
    const stack = [s];
    let guard = 0;
    while (stack.length && guard++ < 10_000) {
      const x = stack.pop()!;
      for (const ch of kids.get(`${x.traceId}|${x.spanId}`) ?? []) {
        const ck = `${ch.service} ${ch.name}`;
        const c = a.calls.get(ck) ?? a.calls.set(ck, [0, 0]).get(ck)!;
        c[i]++;
        if (ch.service === s.service) stack.push(ch);
      }
    }
  }
  const out = new Map<string, PathChange>();
  for (const [key, a] of acc) {
    if (a.n[0] < LOCALISE.PATH_MIN_CALLS || a.n[1] < LOCALISE.PATH_MIN_CALLS) continue;
    const [service, operation] = key.split("\u0000") as [string, string];
    let best: PathChange | null = null;
    let bestDelta = 0;
    for (const [call, c] of a.calls) {
      const r = c[0] / a.n[0];
      const w = c[1] / a.n[1];
      // Relative change of a call made at least every fifth invocation on one side.
      if (Math.max(r, w) < 0.2) continue;
      const delta = Math.abs(w - r) / Math.max(r, w);
      if (delta > bestDelta) {
        bestDelta = delta;
        best = { operation, calls: { reference: a.n[0], window: a.n[1] }, call, perCall: { reference: r, window: w } };
      }
    }
    const prev = out.get(service);
    if (best && bestDelta >= 0.2 && (!prev || bestDelta > pathDelta(prev))) out.set(service, best);
  }
  return out;
}

export const pathDelta = (p: PathChange) => Math.abs(p.perCall.window - p.perCall.reference) / Math.max(p.perCall.reference, p.perCall.window, 1e-9);

function serviceOfLog(e: Pick<EventRecord, "subject" | "attrs">): string | null {
  const s = e.subject;
  if (s?.service) return s.service;
  if (s?.name && (s.kind === undefined || s.kind === "pod")) return serviceFromPodName(s.name);
  const a = e.attrs as Record<string, unknown> | undefined;
  const v = a?.service ?? a?.["service.name"];
  return typeof v === "string" ? v : null;
}

type Signals = Suspect["signals"];
const combine = (s: Signals) => 1 - (1 - s.trace) * (1 - s.metric) * (1 - s.path) * (1 - s.logs) * (1 - s.bail);

/** The kind of the strongest signal. */
function kindOf(s: Signals, trace: ServiceBlame | null, metric: EntityRank | null): FaultKind {
  const parts: Array<[FaultKind, number]> = [
    [trace?.kind === "network" ? "network" : trace?.kind === "errors" ? "errors" : "latency", s.trace],
    [metric?.kind === "cpu" || metric?.kind === "memory" || metric?.kind === "network" ? metric.kind : metric?.kind === "errors" ? "errors" : "latency", s.metric],
    ["errors", Math.max(s.path, s.logs, s.bail)],
  ];
  return parts.sort((a, b) => b[1] - a[1])[0]![0];
}

/**
 * Does the fault already show in the minutes before the split? A timeline's alert usually lags the
 * onset; traces from that lag belong to neither side. Only judged where the traffic is continuous
 * (≥ LOCAL_MIN_TRACES in the 10 minutes before the guard): the guard's end-to-end latency (p50, p90
 * of each trace's longest span, log scale) is compared with the window's and with those 10 minutes'
 * — neighbours, so slow drift over hours cannot decide it. Closer to the window → the guard is left
 * out of the reference and the drift check looks before it. Otherwise (or with no traffic just
 * before: a lone fault-free minute) it stays: the nearest traffic is the best reference there is.
 *
 *   ··· before (10 min) ···[ guard (5 min) ]| split ── window ──
 *                            like window? ─┘ yes → left out     no → reference
 */
function guardLooksLikeWindow(
  spans: readonly SpanInput[],
  start: ReadonlyMap<string, EpochMs>,
  inWindow: (t: EpochMs) => boolean,
  inGuard: (t: EpochMs) => boolean,
  before: (t: EpochMs) => boolean,
): boolean {
  const longest = new Map<string, number>();
  for (const s of spans) if (s.durationMs !== null) longest.set(s.traceId, Math.max(longest.get(s.traceId) ?? 0, s.durationMs));
  const sides: [number[], number[], number[]] = [[], [], []];
  for (const [id, t] of start) {
    const d = longest.get(id);
    if (d === undefined) continue;
    const side = inWindow(t) ? 1 : inGuard(t) ? 2 : before(t) ? 0 : null;
    if (side !== null) sides[side].push(Math.log(1 + d));
  }
  const [ref, win, grd] = sides;
  if (ref.length < LOCALISE.LOCAL_MIN_TRACES || win.length < 20 || grd.length < 20) return false;
  const q = (a: number[], p: number) => {
    const b = [...a].sort((x, y) => x - y);
    return b[Math.min(b.length - 1, Math.floor(p * b.length))]!;
  };
  const dist = (a: number[], b: number[]) => Math.abs(q(a, 0.5) - q(b, 0.5)) + Math.abs(q(a, 0.9) - q(b, 0.9));
  return dist(grd, win) < dist(grd, ref);
}

/**
 * Error origins from trace-linked log lines: per trace, the error line whose span is deepest (most
 * ancestors) names the service where the failure started; its callers' error lines in the same trace
 * only passed it on. Lines without a span id count at their service's deepest span in the trace.
 *
 *   trace  frontend ─ checkout ─ payment       error lines: frontend "order failed", checkout
 *          depth 0     1          2            "charge failed", payment "card declined" → payment
 */
function errorOrigins(
  events: LocaliseInput["logs"],
  spans: readonly SpanInput[],
  byId: ReadonlyMap<string, SpanInput>,
  inWindow: (t: EpochMs) => boolean,
  skip: (t: EpochMs) => boolean,
  out: Map<string, LogSignal>,
): void {
  const depth = new Map<SpanInput, number>();
  const depthOf = (s: SpanInput): number => {
    let d = depth.get(s);
    if (d !== undefined) return d;
    d = 0;
    let p = s.parentSpanId ? byId.get(`${s.traceId}|${s.parentSpanId}`) : undefined;
    for (let guard = 0; p && guard < 256; guard++) {
      d++;
      p = p.parentSpanId ? byId.get(`${p.traceId}|${p.parentSpanId}`) : undefined;
    }
    depth.set(s, d);
    return d;
  };
  let deepestOfService: Map<string, number> | null = null;
  const serviceDepth = (traceId: string, service: string): number => {
    if (!deepestOfService) {
      deepestOfService = new Map();
      for (const s of spans) {
        const k = `${s.traceId}|${s.service}`;
        deepestOfService.set(k, Math.max(deepestOfService.get(k) ?? 0, depthOf(s)));
      }
    }
    return deepestOfService.get(`${traceId}|${service}`) ?? -1;
  };
  const best = new Map<string, { service: string; depth: number; window: boolean }>();
  for (const e of events) {
    if (e.ts === null || !e.traceId || (e.severity !== "error" && e.severity !== "critical") || skip(e.ts)) continue;
    const service = serviceOfLog(e);
    if (!service) continue;
    const span = e.spanId ? byId.get(`${e.traceId}|${e.spanId}`) : undefined;
    const d = span ? depthOf(span) : serviceDepth(e.traceId, service);
    if (d < 0) continue;
    const b = best.get(e.traceId);
    if (!b || d > b.depth) best.set(e.traceId, { service, depth: d, window: inWindow(e.ts) });
  }
  let windowTraces = 0;
  for (const b of best.values()) if (b.window) windowTraces++;
  for (const b of best.values()) {
    const l = out.get(b.service);
    if (!l) continue;
    if (b.window) l.origins.window++;
    else l.origins.reference++;
  }
  for (const l of out.values()) l.origins.windowTraces = windowTraces;
}

/**
 * Every service below `service` in the call graph: a caller's latency and error lines include what
 * happened anywhere under it, not only in the services it calls directly.
 */
function descendants(graph: ReadonlyMap<string, ReadonlySet<string>>, service: string): Set<string> {
  const out = new Set<string>();
  const stack = [...(graph.get(service) ?? [])];
  while (stack.length) {
    const x = stack.pop()!;
    if (x === service || out.has(x)) continue;
    out.add(x);
    for (const y of graph.get(x) ?? []) stack.push(y);
  }
  return out;
}

/**
 * Caller-side latency, traced back to the callees it can be. A pod's client latency is its callees'
 * time plus the path to them: when it rises, the fault is in one of its callees — but not in one that
 * another caller also calls and measured no change for (a slow callee is slow for everyone). Callers
 * without client-latency series say nothing either way (absence is not evidence).
 *
 *   checkout client p95 ×7 ──▶ cart, catalog, currency, shipping, payment, email
 *   frontend client p95 flat ──▶ rules out cart, catalog, currency, shipping (frontend calls them)
 *                                 → payment, email: one of them, 1/2 each
 */
function callerViewCandidates(changes: readonly SeriesChange[], graph: ReadonlyMap<string, ReadonlySet<string>>): Map<string, CallerView> {
  const seen = new Map<string, SeriesChange | null>();
  for (const c of changes) {
    const svc = c.entity.service;
    if (!c.callerView || c.kind !== "latency" || c.entity.nodeLevel || !svc) continue;
    const up = c.changed && c.direction === "up" ? c : null;
    const prev = seen.get(svc);
    if (prev === undefined || (up && (!prev || up.score > prev.score))) seen.set(svc, up);
  }
  const callersOf = new Map<string, string[]>();
  for (const [caller, callees] of graph) for (const callee of callees) (callersOf.get(callee) ?? callersOf.set(callee, []).get(callee)!).push(caller);
  const out = new Map<string, CallerView>();
  for (const [caller, up] of seen) {
    if (!up || up.score < LOCALISE.CALLER_VIEW_MIN_Z) continue;
    const candidates = [...(graph.get(caller) ?? [])].filter((x) => (callersOf.get(x) ?? []).every((d) => d === caller || seen.get(d) !== null)).sort();
    for (const x of candidates) {
      const v: CallerView = { caller, metric: up.metric, seriesIndex: up.seriesIndex, score: up.score, ratio: up.ratio, candidates };
      const prev = out.get(x);
      if (!prev || v.score / v.candidates.length > prev.score / prev.candidates.length) out.set(x, v);
    }
  }
  return out;
}

/**
 * Silenced callees: the metric-side twin of a bail-out. A callee whose request rate (or syscalls,
 * bytes) fell to a fraction of its level while its only caller kept its own going was no longer
 * called: the caller's handlers stop before reaching it. Measured zeros, not missing series (absence
 * is not evidence). A callee with several callers that all stopped is left out — that is more likely
 * the callee itself — and so is a caller that went quiet too (its own callers stopped: look higher).
 */
function silencedCallees(changes: readonly SeriesChange[], graph: ReadonlyMap<string, ReadonlySet<string>>): Map<string, Silenced> {
  const quiet = new Map<string, SeriesChange>();
  for (const c of changes) {
    const svc = c.entity.service;
    if (!c.changed || c.direction !== "down" || c.entity.nodeLevel || !svc) continue;
    if (c.kind !== "traffic" && c.kind !== "other" && c.kind !== "network") continue;
    if (!(c.reference.median > 0) || c.window.median > LOCALISE.QUIET_RATIO * c.reference.median) continue;
    const prev = quiet.get(svc);
    if (!prev || c.score > prev.score) quiet.set(svc, c);
  }
  const callersOf = new Map<string, string[]>();
  for (const [caller, callees] of graph) for (const callee of callees) (callersOf.get(callee) ?? callersOf.set(callee, []).get(callee)!).push(caller);
  const out = new Map<string, Silenced>();
  for (const [callee, c] of quiet) {
    const callers = callersOf.get(callee) ?? [];
    if (callers.length !== 1 || quiet.has(callers[0]!)) continue;
    const s = out.get(callers[0]!) ?? out.set(callers[0]!, { callees: [] }).get(callers[0]!)!;
    s.callees.push({ service: callee, metric: c.metric, seriesIndex: c.seriesIndex, ratio: c.ratio });
  }
  return out;
}

export function localise(input: LocaliseInput): Localisation {
  const { splitMs } = input;
  const start = traceStarts(input.spans);
  const inWindow = (t: EpochMs) => t >= splitMs && t < addMs(splitMs, LOCALISE.WINDOW_MS);
  const guardFrom = subMs(splitMs, LOCALISE.GUARD_MS);
  const inGuard = (t: EpochMs) => t >= guardFrom && t < splitMs;
  const before = (t: EpochMs) => t >= subMs(guardFrom, LOCALISE.LOCAL_REFERENCE_MS) && t < guardFrom;
  const guard = guardLooksLikeWindow(input.spans, start, inWindow, inGuard, before);
  const phase = (s: SpanInput) => {
    const t = start.get(s.traceId)!;
    return inWindow(t) ? "window" : guard && inGuard(t) ? null : "reference";
  };
  // The drift check's reference: the minutes before the guard (or before the split without one).
  const localTo = guard ? guardFrom : splitMs;
  const localPhase = (s: SpanInput) => {
    const t = start.get(s.traceId)!;
    return inWindow(t) ? "window" : t >= subMs(localTo, LOCALISE.LOCAL_REFERENCE_MS) && t < localTo ? "reference" : null;
  };

  const byId = spansById(input.spans);
  let analysis: TraceAnalysis | null = null;
  let blames: ServiceBlame[] = [];
  let local: TraceAnalysis | null = null;
  let paths = new Map<string, PathChange>();
  let bailouts: BailoutAnalysis | null = null;
  if (input.spans.length) {
    analysis = analyseTraces(input.spans, { phaseOf: phase });
    if (analysis.counts.traces.window > 0 && analysis.counts.traces.reference > 0) {
      blames = blameServices(analysis);
      local = analyseTraces(input.spans, { phaseOf: localPhase });
      paths = pathChanges(input.spans, byId, phase);
      bailouts = analyseBailouts(input.spans, phase);
    }
  }
  const graph = callGraph(input.spans, byId);

  const changes = detectMetricChanges(input.series as SeriesRecord[], { hintMs: splitMs });
  const ranks = rankEntities(changes);
  const metricBySvc = new Map(ranks.services.map((r) => [r.name, r]));
  const podBySvc = new Map<string, EntityRank>();
  for (const p of ranks.pods) {
    const svc = p.service ?? serviceFromPodName(p.name);
    const prev = podBySvc.get(svc);
    if (!prev || p.score > prev.score) podBySvc.set(svc, p);
  }

  // Logs: error lines per service, reference vs window.
  const logs = new Map<string, LogSignal>();
  const lines: TemplateLine[] = [];
  input.logs.forEach((e, i) => {
    if (e.ts === null) return;
    const svc = serviceOfLog(e);
    if (!svc) return;
    const l = logs.get(svc) ?? logs.set(svc, { reference: 0, window: 0, examples: [], templates: null, origins: { reference: 0, window: 0, windowTraces: 0 } }).get(svc)!;
    if (guard && inGuard(e.ts)) return;
    const w = inWindow(e.ts);
    lines.push({ service: svc, message: e.text, severity: e.severity, inWindow: w, index: i });
    if (e.severity !== "error" && e.severity !== "critical") return;
    if (w) {
      l.window++;
      if (l.examples.length < 3) l.examples.push(i);
    } else l.reference++;
  });
  if (lines.length) for (const t of templateChanges(lines).services) logs.get(t.service)!.templates = t;
  errorOrigins(input.logs, input.spans, byId, inWindow, guard ? inGuard : () => false, logs);
  const bailBySvc = new Map((bailouts?.blames ?? []).map((b) => [b.service, b]));
  const silenced = silencedCallees(changes, graph);
  const callerViews = callerViewCandidates(changes, graph);
  const services = new Set<string>([...blames.map((b) => b.service), ...metricBySvc.keys(), ...paths.keys(), ...logs.keys(), ...bailBySvc.keys(), ...silenced.keys(), ...callerViews.keys()]);
  const localSvc = new Map((local?.services ?? []).map((s) => [s.service, s]));
  const localTraces = local?.counts.traces.reference ?? 0;

  const suspects: Suspect[] = [];
  const logParts = new Map<string, { origin: number; other: number }>();
  for (const service of services) {
    const trace = blames.find((b) => b.service === service) ?? null;
    let t = trace?.score ?? 0;
    let localRatio: number | null = null;
    if (trace && trace.kind === "latency" && localTraces >= LOCALISE.LOCAL_MIN_TRACES) {
      localRatio = localSvc.get(service)?.self.ratio ?? null;
      // As slow just before the split as in the window: drift, not the incident.
      if (localRatio !== null && localRatio < 1.3) t *= clamp01((localRatio - 1) / 0.3);
    }
    const metric = metricBySvc.get(service) ?? null;
    const cv = callerViews.get(service) ?? null;
    const mCaller = cv ? clamp01(cv.score / LOCALISE.CALLER_VIEW_FULL_Z) / cv.candidates.length : 0;
    const m = Math.max(metric ? clamp01(metric.score / LOCALISE.METRIC_FULL_Z) : 0, mCaller);
    const path = paths.get(service) ?? null;
    // Weak on its own: a caller's path also changes with its workload mix or when a callee fails.
    const p = path ? LOCALISE.PATH_MAX * clamp01((pathDelta(path) - 0.2) / 0.6) * clamp01(Math.min(path.calls.reference, path.calls.window) / 30) : 0;
    const log = logs.get(service) ?? null;
    const lRate = log ? log.window / Math.max(1, log.reference) : 0;
    const o = log?.origins;
    // Error origins: the service's share of the window's failing traces, gated by their rise.
    const lOrigin = o && o.window >= LOCALISE.LOG_MIN_ERRORS && o.windowTraces > 0 ? (o.window / o.windowTraces) * clamp01(1 - o.reference / Math.max(1, 2 * o.window)) : 0;
    const lOther = Math.max(log && log.window >= LOCALISE.LOG_MIN_ERRORS ? clamp01((lRate - 1) / 4) : 0, LOCALISE.TEMPLATE_MAX * (log?.templates?.score ?? 0));
    logParts.set(service, { origin: lOrigin, other: lOther });
    const l = Math.max(lOther, lOrigin);
    const bail = bailBySvc.get(service) ?? null;
    const quiet = silenced.get(service) ?? null;
    const q = quiet ? (quiet.callees.length >= 2 ? LOCALISE.QUIET_MANY : LOCALISE.QUIET_ONE) : 0;
    const signals = { trace: t, metric: m, path: p, logs: l, bail: Math.max(bail?.score ?? 0, q) };
    const score = combine(signals);
    if (score <= 0) continue;
    suspects.push({ service, pod: podBySvc.get(service)?.name ?? null, kind: kindOf(signals, trace, metric), score, signals, trace, localRatio, metric, metricPod: podBySvc.get(service) ?? null, path, logs: log, bail, silenced: quiet, callerView: cv, explainedBy: null });
  }

  // Propagation: a caller's server-latency *metric* includes its callees' time (all the way down), so a callee suspect
  // carrying at least EXPLAINS_SHARE of it explains it away. Trace evidence is already the
  // service's own (self time, its edges' gaps) and resource, path and log changes are its own:
  // those are never explained by a callee.
  const bySvc = new Map(suspects.map((s) => [s.service, s]));
  for (const s of suspects) {
    if (s.signals.metric === 0 || s.metric?.kind !== "latency") continue;
    const best = [...descendants(graph, s.service)]
      .map((c) => bySvc.get(c))
      .filter((c): c is Suspect => !!c && c.score >= LOCALISE.EXPLAINS_SHARE * s.signals.metric)
      .sort((a, b) => b.score - a.score)[0];
    if (!best) continue;
    s.explainedBy = best.service;
    s.signals = { ...s.signals, metric: s.signals.metric * 0.3 };
    s.score = combine(s.signals);
    s.kind = kindOf(s.signals, s.trace, s.metric);
  }
  // A caller's error lines and changed messages follow its callee's failure ("could not get
  // product"): a callee whose own log evidence is at least EXPLAINS_SHARE of it explains them.
  // Trace-linked error origins are already the deepest service's and stay.
  // Judged on the signals before any of them is explained away: a chain web → api → db explains
  // web by api even once api is explained by db.
  const logsBefore = new Map(suspects.map((s) => [s.service, s.signals.logs]));
  for (const s of suspects) {
    const own = logParts.get(s.service);
    if (!own || own.other <= own.origin) continue;
    const callee = [...descendants(graph, s.service)]
      .filter((c) => (logsBefore.get(c) ?? 0) >= LOCALISE.EXPLAINS_SHARE * own.other)
      .sort((a, b) => (logsBefore.get(b) ?? 0) - (logsBefore.get(a) ?? 0) || (a < b ? -1 : 1))
      .map((c) => bySvc.get(c)!)[0];
    if (!callee) continue;
    s.explainedBy ??= callee.service;
    s.signals = { ...s.signals, logs: Math.max(own.origin, own.other * 0.3) };
    s.score = combine(s.signals);
    s.kind = kindOf(s.signals, s.trace, s.metric);
  }
  // A caller that stops right after a callee which is itself slow or saturated gave up on it (a
  // timeout): the callee's own evidence explains the bail-out.
  for (const s of suspects) {
    if (s.bail?.role !== "caller" || s.signals.bail === 0) continue;
    const culprit = s.bail.points
      .map((p) => (p.after ? bySvc.get(p.after) : undefined))
      .filter((c): c is Suspect => !!c && Math.max(c.signals.trace, c.signals.metric) >= Math.max(0.5, s.signals.bail))
      .sort((a, b) => b.score - a.score)[0];
    if (!culprit) continue;
    s.explainedBy ??= culprit.service;
    s.signals = { ...s.signals, bail: s.signals.bail * 0.3 };
    s.score = combine(s.signals);
    s.kind = kindOf(s.signals, s.trace, s.metric);
  }
  suspects.sort((a, b) => b.score - a.score || (a.service < b.service ? -1 : 1));
  return {
    suspects,
    analysis,
    bailouts,
    changes,
    graph,
    counts: { referenceTraces: analysis?.counts.traces.reference ?? 0, windowTraces: analysis?.counts.traces.window ?? 0, localTraces, guardedTraces: guard ? [...start.values()].filter(inGuard).length : 0, series: input.series.length, logs: input.logs.length },
  };
}

export type { KindEvidence };
