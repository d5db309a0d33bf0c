import type { Rng } from "./prng";
import type { World } from "./generator";
import { wrap, type Req, type Wrapper } from "./formats/access";
import { appLines, FORMATS_BY_LANG, type AppFormat, type AppLevel, type AppRecord } from "./formats/applog";
import { jaegerJson, otlpJson, otlpJsonLines, type GenSpan, type TraceStyle } from "./formats/otel";
import { queryRange, type PromSeries } from "./formats/prom";

/**
 * A microservice system for the service-fault class and the healthy variants: a drawn topology
 * (a gateway, 2–4 levels of services, some called by several callers), steady traffic with a
 * per-endpoint mix, and what such a system leaves behind — traces (OTLP/JSON or Jaeger, head-sampled),
 * per-pod Prometheus series, application logs — with a fault (or a benign change) injected the way it
 * happens in real systems:
 *
 *   cpu           a CPU hog in the pod: its CPU goes to the limit, its own work slows (contention)
 *   latency       its own processing slows (lock contention, a slow untraced call): self time up, CPU flat
 *   network       tc/netem delay on the pod: every call into it waits longer between client and server
 *                 span (and, with egress delay, its own calls out too); its server spans unchanged
 *   exception     its handler throws for a share of requests, at a fixed point of its code: it stops
 *                 making the calls after that point; callers propagate the error (and stop theirs) or
 *                 fall back; ERROR span status only when the instrumentation sets it
 *   wrong-return  a wrong branch: it skips some of its own downstream calls and answers normally
 *
 * Everything is simulated per request (all requests feed the metrics and logs; sampled ones also
 * become spans), so traces, metrics and logs agree with each other as they would in a real system.
 */

export type IncidentKind = "cpu" | "latency" | "network" | "exception" | "wrong-return";
export type NearMissKind = "load-surge" | "benign-deploy" | "mix-change" | "slow-endpoint" | "log-doubling" | "traffic-halving";

/** Service names: no Online Boutique names (the localisation benchmark's system). */
const POOL = [
  "accounts", "ledger", "billing", "invoicing", "inventory", "pricing", "search", "reviews", "notifications", "identity", "sessions", "fulfilment",
  "warehouse", "tax", "fraud-check", "loyalty", "thumbnails", "geo", "quotes", "users", "audit", "feature-flags", "wishlist", "coupons", "promotions",
  "ratings", "stock", "routing", "dispatch", "tracking", "kyc", "risk", "settlement", "statements", "messaging", "bookings", "itinerary", "fares",
  "seatmap", "documents", "consent", "preferences", "exchange-rates", "subscriptions", "entitlements",
] as const;
const ROOTS = ["api-gateway", "edge-api", "web-bff", "mobile-bff", "public-api"] as const;
const ROUTES = [
  "/api/v1/accounts/{id}", "/api/v1/transfers", "/api/v1/search", "/api/v1/bookings/{id}", "/api/v1/quotes", "/api/v1/profile", "/api/v1/documents/{id}",
  "/api/v1/notifications", "/api/v1/statements/{id}", "/api/v1/subscriptions", "/api/v1/orders", "/api/v1/trips/{id}",
] as const;
const VERBS = ["Get", "List", "Create", "Update", "Check", "Resolve", "Compute", "Search", "Validate", "Reserve"] as const;
/** Kubernetes' generated-name alphabet (no vowels): ReplicaSet hashes and pod suffixes. */
const K8S = "bcdfghjklmnpqrstvwxz2456789";
const DB = [
  { system: "postgresql", peer: "postgres", op: "SELECT" },
  { system: "redis", peer: "redis", op: "GET" },
  { system: "mongodb", peer: "mongodb", op: "find" },
  { system: "mysql", peer: "mysql", op: "SELECT" },
] as const;

type Lang = "java" | "go" | "python" | "nodejs";

export interface Pod {
  name: string;
  svc: Svc;
  /** Alive from … to (UTC ms): a rollout replaces pods. */
  from: number;
  to: number;
  /** This pod's clock against true time (its spans' and logs' timestamps). */
  skewMs: number;
  version: string;
  /** JIT / cache warm-up after start: slower and hungrier until then. */
  warmUntil: number;
  idleCores: number;
  memBase: number;
  /** The code defect (exception / wrong-return) is in this pod's build. */
  defective: boolean;
}

interface CallStep {
  kind: "call";
  target: Op;
  p: number;
  repeat: [number, number];
  /** What this caller does when the call fails: fail itself (and stop), or carry on without it. */
  onError: "propagate" | "fallback";
}
interface DbStep {
  kind: "db";
  system: string;
  peer: string;
  stmt: string;
  medianMs: number;
  p: number;
}
type Step = CallStep | DbStep;

export interface Op {
  svc: Svc;
  name: string;
  method: string;
  route: string;
  selfMedian: number;
  selfSigma: number;
  steps: Step[];
  /** Calls run concurrently (fan-out) instead of one after the other. */
  parallel: boolean;
  /** Root endpoints: share of traffic. */
  weight: number;
  /** CPU-bound share of its self time (the rest waits: locks, I/O). */
  cpuShare: number;
  /** An INTERNAL span the handler opens around its first piece of work (manual instrumentation), if any. */
  internal: string | null;
  /** Where a defect throws (step index; steps.length = after the last call) and which calls a wrong branch skips. */
  throwAt: number;
  skipSteps: number[];
  templates: string[];
}

export interface Svc {
  name: string;
  level: number;
  lang: Lang;
  protocol: "http" | "grpc";
  ops: Op[];
  pods: Pod[];
  callers: Set<Svc>;
  /** CPU-bound share of self time. */
  cpuShare: number;
  limitCores: number;
  logs: LogSpec | null;
}

interface LogSpec {
  format: AppFormat;
  wrapper: Wrapper | "kubectl-prefix";
  naming: "pod-files" | "service-file";
  serviceField: boolean;
  /** Share of requests that write a request line (services log each request, or only some). */
  perRequest: number;
  /** Share of logged exceptions that carry their stack trace. */
  stacks: number;
  /** Trace ids in the lines (MDC / log correlation enabled). */
  ids: boolean;
  steadyWarn: { text: string; perMin: number } | null;
  steadyError: { text: string; perMin: number } | null;
}

export interface Topology {
  root: Svc;
  services: Svc[];
  ns: string;
}

/** What the variant injects; null fields are unused by its kind. */
export interface Scenario {
  mode: "incident" | "near-miss" | "healthy";
  incident: IncidentKind | null;
  nearMiss: NearMissKind | null;
  target: Svc | null;
  from: number;
  to: number;
  /** Pods the fault is in (all of the service's, or one). */
  pods: Set<Pod>;
  cpuSlow: number;
  hogCores: number;
  latOps: Set<Op> | null;
  latMs: number;
  netMs: number;
  netJitter: number;
  netEgress: boolean;
  defectOps: Set<Op> | null;
  defectShare: number;
  callerSkips: boolean;
  surge: number;
  surgeSlow: number;
  endpointFactor: Map<Op, number>;
  logDouble: Svc | null;
}

// ───────────────────────── small helpers ─────────────────────────

const pascal = (s: string) => s.split("-").map((p) => p[0]!.toUpperCase() + p.slice(1)).join("");
function k8sId(rng: Rng, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += K8S[Math.floor(rng.next() * K8S.length)];
  return s;
}
/** Log-normal draw around a median. */
function lognormal(rng: Rng, median: number, sigma: number): number {
  // Box–Muller from two uniforms.
  const u = Math.max(1e-12, rng.next());
  const v = rng.next();
  return median * Math.exp(sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
}
function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  return s[lo]! + (s[Math.min(s.length - 1, lo + 1)]! - s[lo]!) * (pos - lo);
}

// ───────────────────────── topology ─────────────────────────

export function podName(rng: Rng, svc: string): string {
  return `${svc}-${k8sId(rng, rng.int(9, 10))}-${k8sId(rng, 5)}`;
}

function newPod(rng: Rng, svc: Svc, from: number, to: number, version: string, clockSkewMs: number): Pod {
  const jvm = svc.lang === "java";
  return {
    name: podName(rng, svc.name),
    svc,
    from,
    to,
    skewMs: clockSkewMs === 0 ? 0 : rng.float(-clockSkewMs, clockSkewMs),
    version,
    warmUntil: from,
    // A JVM idles on GC, JIT and metrics threads; Go, Python and Node idle near zero.
    idleCores: jvm ? rng.float(0.03, 0.15) : rng.float(0.004, 0.03),
    memBase: (jvm ? rng.int(300, 900) : rng.int(40, 260)) * 1024 * 1024,
    defective: false,
  };
}

function makeOp(rng: Rng, svc: Svc, verb: string, level: number): Op {
  const noun = pascal(svc.name);
  const method = ["Get", "List", "Check", "Search", "Resolve"].includes(verb) ? "GET" : verb === "Update" ? "PUT" : "POST";
  const route = `/v1/${svc.name}${["Get", "Update", "Resolve"].includes(verb) ? "/{id}" : verb === "List" ? "" : `/${verb.toLowerCase()}`}`;
  const name = svc.protocol === "grpc" ? `${svc.name.replace(/-/g, "")}.v1.${noun}Service/${verb}${noun}` : `${method} ${route}`;
  return {
    svc,
    name,
    method,
    route,
    selfMedian: level === 0 ? rng.float(0.8, 4) : rng.float(1.5, 18),
    selfSigma: rng.float(0.25, 0.55),
    steps: [],
    parallel: false,
    weight: 0,
    cpuShare: svc.cpuShare * rng.float(0.8, 1.2),
    internal: rng.chance(0.3) ? rng.pick(["validate request", "load context", "authorize", "map request"]) : null,
    throwAt: 0,
    skipSteps: [],
    templates: [],
  };
}

/** A random system: root, 2–4 levels, 6–14 services, every service and op reachable from the root. */
export function buildTopology(rng: Rng, ns: string, clockSkewMs: number, window: { start: number; end: number }): Topology {
  const n = rng.int(6, 14);
  const names = rng.shuffle(POOL).slice(0, n - 1);
  const levels = Math.min(rng.int(2, 4), n - 1);
  const langOf = (): Lang => rng.pick(["java", "java", "go", "go", "python", "nodejs"] as const);
  const svc = (name: string, level: number): Svc => {
    const lang = level === 0 ? rng.pick(["go", "java", "nodejs"] as const) : langOf();
    return { name, level, lang, protocol: level > 0 && lang !== "python" && rng.chance(0.35) ? "grpc" : "http", ops: [], pods: [], callers: new Set(), cpuShare: rng.float(0.4, 0.9), limitCores: rng.pick([0.5, 1, 1, 2]), logs: null };
  };
  const root = svc(rng.pick(ROOTS), 0);
  const services: Svc[] = [root];
  names.forEach((name, i) => services.push(svc(name, i < levels ? i + 1 : rng.int(1, levels))));
  const at = (l: number) => services.filter((s) => s.level === l);

  // Operations: endpoints at the root, 1–3 per service (a slow export endpoint is added by the red herring).
  const routes = rng.shuffle(ROUTES).slice(0, rng.int(3, 6));
  for (const r of routes) {
    const method = /\{id\}$/.test(r) ? "GET" : rng.pick(["GET", "POST"]);
    root.ops.push({ ...makeOp(rng, root, "Get", 0), name: `${method} ${r}`, method, route: r, weight: rng.float(0.3, 3) });
  }
  for (const s of services.slice(1)) for (const v of rng.shuffle(VERBS).slice(0, rng.int(1, 3))) s.ops.push(makeOp(rng, s, v, s.level));

  const addCall = (from: Op, target: Op) => {
    from.steps.push({ kind: "call", target, p: rng.chance(0.7) ? 1 : rng.float(0.35, 0.9), repeat: rng.chance(0.85) ? [1, 1] : [1, rng.int(2, 4)], onError: rng.chance(0.75) ? "propagate" : "fallback" });
    target.svc.callers.add(from.svc);
  };
  // Calls go to deeper levels: mostly the next one, sometimes further down.
  for (const s of services) {
    if (s.level >= levels) continue;
    for (const op of s.ops) {
      const k = rng.int(1, s.level === 0 ? 3 : 2);
      const seen = new Set<Svc>();
      for (let i = 0; i < k; i++) {
        const deeper = rng.chance(0.7) ? at(s.level + 1) : services.filter((x) => x.level > s.level);
        const t = rng.pick(deeper);
        if (seen.has(t)) continue;
        seen.add(t);
        addCall(op, rng.pick(t.ops));
      }
    }
  }
  // Every op of every service is called by something one level up (else it never runs).
  const called = new Set<Op>();
  for (const s of services) for (const op of s.ops) for (const st of op.steps) if (st.kind === "call") called.add(st.target);
  for (const s of services.slice(1))
    for (const op of s.ops) {
      if (called.has(op)) continue;
      const up = rng.pick(at(s.level - 1));
      addCall(rng.pick(up.ops), op);
      called.add(op);
    }
  // Datastores: leaves and some mid-level services query one.
  for (const s of services.slice(1)) {
    if (!(s.level === levels || rng.chance(0.3))) continue;
    const db = rng.pick(DB);
    for (const op of s.ops)
      if (rng.chance(0.8)) {
        const stmt = db.system === "redis" ? `GET ${s.name}:*` : db.system === "mongodb" ? `${s.name}.find` : `SELECT * FROM ${s.name.replace(/-/g, "_")} WHERE id = ?`;
        op.steps.splice(rng.int(0, op.steps.length), 0, { kind: "db", system: db.system, peer: `${s.name}-${db.peer}`, stmt, medianMs: rng.float(0.6, 9), p: rng.chance(0.7) ? 1 : rng.float(0.4, 0.9) });
      }
  }
  for (const s of services)
    for (const op of s.ops) {
      op.parallel = op.steps.filter((x) => x.kind === "call").length >= 2 && rng.chance(0.2);
      op.throwAt = rng.int(0, op.steps.length);
      const calls = op.steps.flatMap((x, i) => (x.kind === "call" ? [i] : []));
      // A wrong branch skips the last call(s) of the handler.
      op.skipSteps = calls.length ? calls.slice(calls.length - rng.int(1, Math.max(1, Math.min(2, calls.length)))) : [];
      op.templates = requestTemplates(rng, op);
    }

  // Pods: 1–3 replicas (the gateway 2–3), alive for the whole capture.
  for (const s of services) {
    const v = `${rng.int(1, 3)}.${rng.int(0, 40)}.${rng.int(0, 9)}`;
    const replicas = s.level === 0 ? rng.int(2, 3) : rng.int(1, 3);
    for (let i = 0; i < replicas; i++) s.pods.push(newPod(rng, s, window.start - 86_400_000, Number.POSITIVE_INFINITY, v, clockSkewMs));
  }
  return { root, services, ns };
}

function requestTemplates(rng: Rng, op: Op): string[] {
  const noun = op.svc.name.replace(/-/g, " ");
  const short = op.name.split("/").at(-1)!;
  return rng.shuffle([
    `${short} completed`,
    `handled ${op.method} ${op.route}`,
    `loaded ${noun} record`,
    `cache lookup for ${noun}`,
    `request processed`,
    `${noun} resolved`,
  ]).slice(0, rng.int(1, 3));
}

/** Adds an always-slow endpoint (1–4 s in one service's op) at the root: healthy, just slow. */
export function addSlowEndpoint(rng: Rng, topo: Topology): Op {
  const cands = topo.services.filter((s) => s.level === 1);
  const s = rng.pick(cands);
  const op = makeOp(rng, s, "Compute", s.level);
  op.name = s.protocol === "grpc" ? `${s.name.replace(/-/g, "")}.v1.${pascal(s.name)}Service/Export${pascal(s.name)}` : "POST /v1/export";
  op.route = "/v1/export";
  op.selfMedian = rng.float(1200, 3500);
  op.selfSigma = 0.35;
  // Mostly waiting on the datastore and the object store.
  op.cpuShare = rng.float(0.1, 0.4);
  op.templates = ["export finished"];
  s.ops.push(op);
  const ep: Op = { ...makeOp(rng, topo.root, "Get", 0), name: "GET /api/v1/reports/export", method: "GET", route: "/api/v1/reports/export", weight: 0 };
  const total = topo.root.ops.reduce((a, o) => a + o.weight, 0);
  ep.weight = total * rng.float(0.02, 0.06);
  ep.steps.push({ kind: "call", target: op, p: 1, repeat: [1, 1], onError: "propagate" });
  ep.templates = ["export requested"];
  s.callers.add(topo.root);
  topo.root.ops.push(ep);
  return ep;
}

// ───────────────────────── simulation ─────────────────────────

interface StepAgg {
  n: number;
  err: number;
  durs: number[];
  client: number[];
  cpuMs: number;
}

interface Invocation {
  end: number;
  failed: boolean;
  /** The failure started here (not passed on from a callee). */
  origin: boolean;
  /** Answered with a wrong / empty result (wrong-return). */
  empty: boolean;
}

interface TraceCtx {
  traceId: string;
  sampled: boolean;
}

export class Simulation {
  readonly spans: GenSpan[] = [];
  readonly logs = new Map<Pod, AppRecord[]>();
  readonly gateway: Req[] = [];
  readonly agg = new Map<Pod, Map<number, StepAgg>>();
  /** Per-request noise of healthy systems: stop-the-world GC pauses, one-off slow requests. */
  gcPause = 0.004;
  oneOffSlow = 0.0005;
  private sampling = 1;

  constructor(
    readonly rng: Rng,
    readonly topo: Topology,
    readonly sc: Scenario,
    readonly stepMs: number,
    readonly gridStart: number,
  ) {}

  private active(t: number): boolean {
    return t >= this.sc.from && t < this.sc.to;
  }

  private bucket(pod: Pod, t: number): StepAgg {
    const b = Math.floor((t - this.gridStart) / this.stepMs);
    let m = this.agg.get(pod);
    if (!m) this.agg.set(pod, (m = new Map()));
    let a = m.get(b);
    if (!a) m.set(b, (a = { n: 0, err: 0, durs: [], client: [], cpuMs: 0 }));
    return a;
  }

  private pickPod(s: Svc, t: number): Pod {
    const alive = s.pods.filter((p) => t >= p.from && t < p.to);
    return this.rng.pick(alive.length ? alive : s.pods);
  }

  private netBase(): number {
    return 0.15 + this.rng.next() * 0.9;
  }

  private log(pod: Pod, rec: Omit<AppRecord, "service" | "pod" | "ts"> & { ts: number }): void {
    if (!pod.svc.logs) return;
    const list = this.logs.get(pod) ?? this.logs.set(pod, []).get(pod)!;
    const r: AppRecord = { ...rec, ts: rec.ts + pod.skewMs, service: pod.svc.name, pod: pod.name };
    if (!pod.svc.logs.ids) {
      delete r.traceId;
      delete r.spanId;
    }
    list.push(r);
    if (this.sc.logDouble === pod.svc && this.active(rec.ts)) list.push({ ...r, ts: r.ts + 0.05 });
  }

  /** Spans are built only for sampled traces (`make` is not called otherwise). */
  private span(ctx: TraceCtx, make: () => Omit<GenSpan, "traceId">): void {
    if (ctx.sampled) this.spans.push({ traceId: ctx.traceId, ...make() });
  }

  /** Span ids exist for every request (log lines carry them), but are drawn only where something records them. */
  private spanId(ctx: TraceCtx, svc: Svc): string {
    return ctx.sampled || svc.logs?.ids ? this.rng.hex(16) : "";
  }

  /** A client call from `caller` (pod) to `target` starting at `t`. */
  private call(ctx: TraceCtx, caller: Pod, parentId: string, target: Op, t: number): { clientEnd: number; res: Invocation } {
    const sc = this.sc;
    const pod = this.pickPod(target.svc, t);
    const clientId = ctx.sampled ? this.rng.hex(16) : "";
    let req = this.netBase();
    let resp = this.netBase();
    if (sc.incident === "network" && this.active(t)) {
      const d = () => sc.netMs * (1 + sc.netJitter * (2 * this.rng.next() - 1));
      if (sc.pods.has(pod)) {
        if (sc.netEgress) resp += d();
        else req += d();
      }
      if (sc.netEgress && sc.pods.has(caller)) req += d();
    }
    const res = this.invoke(ctx, target, pod, t + req, clientId);
    const clientEnd = res.end + resp;
    this.bucket(caller, t).client.push(clientEnd - t);
    const http = target.svc.protocol === "http";
    this.span(ctx, () => ({
      spanId: clientId,
      parentSpanId: parentId,
      service: caller.svc.name,
      pod: caller.name,
      name: http ? target.method : target.name,
      kind: "client",
      startMs: t + caller.skewMs,
      endMs: clientEnd + caller.skewMs,
      error: res.failed,
      ...(res.failed ? { errorMessage: http ? "500 Internal Server Error" : "rpc error: code = Unknown" } : {}),
      attrs: this.attrs(target, res.failed, "client"),
    }));
    return { clientEnd, res };
  }

  private attrs(op: Op, failed: boolean, side: "client" | "server"): Record<string, string | number | boolean> {
    if (this.richAttrs === false) return {};
    if (op.svc.protocol === "grpc") {
      const [svcName, method] = op.name.split("/") as [string, string];
      return { "rpc.system": "grpc", "rpc.service": svcName, "rpc.method": method, "rpc.grpc.status_code": failed ? 2 : 0, ...(side === "client" ? { "server.address": op.svc.name, "server.port": 9090 } : {}) };
    }
    return {
      "http.request.method": op.method,
      ...(side === "server" ? { "http.route": op.route } : { "server.address": `${op.svc.name}.${this.topo.ns}.svc.cluster.local`, "server.port": 8080 }),
      "http.response.status_code": failed ? 500 : 200,
    };
  }
  private dbAttrs(st: DbStep): Record<string, string> {
    return this.richAttrs ? { "db.system": st.system, "db.statement": st.stmt, "peer.service": st.peer } : { "peer.service": st.peer };
  }
  /** Minimal instrumentation writes no attributes (and no status). */
  richAttrs = true;

  /** One invocation of `op` in `pod`, arriving at `t0`. */
  private invoke(ctx: TraceCtx, op: Op, pod: Pod, t0: number, parentId: string | null): Invocation {
    const { rng, sc } = this;
    const svc = op.svc;
    const on = this.active(t0);
    const faulty = on && sc.pods.has(pod);
    let self = lognormal(rng, op.selfMedian, op.selfSigma);
    let cpu = self * op.cpuShare;
    if (svc.lang === "java" && rng.chance(this.gcPause)) self += rng.float(15, 180);
    if (rng.chance(this.oneOffSlow)) self += rng.float(300, 2500);
    if (t0 < pod.warmUntil) {
      self *= 1.3 + 0.7 * ((pod.warmUntil - t0) / Math.max(1, pod.warmUntil - pod.from));
      cpu *= 2;
    }
    if (sc.surge > 1 && on) self *= sc.surgeSlow;
    if (faulty && sc.incident === "cpu") self *= sc.cpuSlow;
    if (faulty && sc.incident === "latency" && (!sc.latOps || sc.latOps.has(op))) self += lognormal(rng, sc.latMs, 0.3);
    const defect = (sc.incident === "exception" || sc.incident === "wrong-return") && pod.defective && (sc.defectOps === null || sc.defectOps.has(op)) && on && rng.chance(sc.defectShare);
    const throwAt = defect && sc.incident === "exception" ? op.throwAt : -1;
    const skips = defect && sc.incident === "wrong-return" ? new Set(op.skipSteps) : null;

    const serverId = this.spanId(ctx, svc);
    const gaps = op.steps.length + 1;
    const slice = () => (self * 0.6) / gaps;
    let t = t0 + self * 0.4 * rng.float(0.5, 1);
    if (op.internal) {
      const from = t0 + Math.min(0.05, (t - t0) / 4);
      this.span(ctx, () => ({ spanId: this.rng.hex(16), parentSpanId: serverId, service: svc.name, pod: pod.name, name: op.internal!, kind: "internal", startMs: from + pod.skewMs, endMs: t + pod.skewMs, error: false, attrs: {} }));
    }
    let failed = false;
    let origin = false;
    let failedCallee: Op | null = null;
    let skipNext = false;
    const parallelStart = t;
    let parallelEnd = t;
    for (let i = 0; i < op.steps.length && !failed; i++) {
      if (i === throwAt) {
        failed = origin = true;
        break;
      }
      if (skips?.has(i)) continue;
      const st = op.steps[i]!;
      if (st.kind === "db") {
        if (!rng.chance(st.p)) continue;
        let d = lognormal(rng, st.medianMs, 0.45);
        // Egress delay on the pod delays its datastore queries too.
        if (faulty && sc.incident === "network" && sc.netEgress) d += sc.netMs * (1 + sc.netJitter * (2 * rng.next() - 1));
        this.span(ctx, () => ({ spanId: this.rng.hex(16), parentSpanId: serverId, service: svc.name, pod: pod.name, name: `${st.system === "mongodb" ? "find" : st.stmt.split(" ")[0]} ${svc.name.replace(/-/g, "_")}`, kind: "client", startMs: t + pod.skewMs, endMs: t + d + pod.skewMs, error: false, attrs: this.dbAttrs(st) }));
        t += d + slice();
        continue;
      }
      if (skipNext) {
        skipNext = false;
        continue;
      }
      if (!rng.chance(st.p)) continue;
      const reps = rng.int(st.repeat[0], st.repeat[1]);
      for (let r = 0; r < reps; r++) {
        const start = op.parallel ? parallelStart + rng.float(0, 0.3) : t;
        const { clientEnd, res } = this.call(ctx, pod, serverId, st.target, start);
        if (op.parallel) parallelEnd = Math.max(parallelEnd, clientEnd);
        else t = clientEnd + slice() / reps;
        if (res.failed) {
          if (st.onError === "propagate") {
            failed = true;
            failedCallee = st.target;
            break;
          }
          this.log(pod, { ts: (op.parallel ? clientEnd : t) + 0.2, level: "WARN", logger: loggerOf(svc, "client"), msg: `${st.target.svc.name} unavailable, continuing without it`, traceId: ctx.traceId, spanId: serverId });
        }
        if (res.empty && sc.callerSkips) skipNext = true;
      }
    }
    if (op.parallel) t = Math.max(t, parallelEnd) + slice();
    if (!failed && throwAt === op.steps.length) failed = origin = true;
    t += failed ? rng.float(0.3, 2.5) : self * 0.4 * rng.float(0.5, 1) + slice();
    const end = t;

    const a = this.bucket(pod, t0);
    a.n++;
    if (failed) a.err++;
    a.durs.push(end - t0);
    a.cpuMs += cpu;
    const http = svc.protocol === "http";
    const msg = origin ? exceptionOf(svc, op).split(":")[0]! : failedCallee ? `${failedCallee.svc.name} call failed` : undefined;
    this.span(ctx, () => ({
      spanId: serverId,
      parentSpanId: parentId,
      service: svc.name,
      pod: pod.name,
      name: op.name,
      kind: "server",
      startMs: t0 + pod.skewMs,
      endMs: end + pod.skewMs,
      error: failed,
      ...(msg ? { errorMessage: msg } : {}),
      attrs: this.attrs(op, failed, "server"),
    }));
    if (svc.logs) {
      const L = svc.logs;
      if (origin) {
        const exc = exceptionOf(svc, op);
        const withStack = rng.chance(L.stacks);
        this.log(pod, { ts: end - 0.1, level: "ERROR", logger: loggerOf(svc, "handler"), msg: `${http ? "Request processing failed" : "Unhandled exception"} in ${shortName(op)}`, traceId: ctx.traceId, spanId: serverId, ...(withStack || L.format.startsWith("json") || L.format === "logfmt" ? { stack: stackOf(svc, op, exc, withStack) } : { fields: { error: exc } }) });
      } else if (failedCallee) {
        this.log(pod, { ts: end - 0.1, level: "ERROR", logger: loggerOf(svc, "client"), msg: `upstream ${failedCallee.svc.name} failed: ${failedCallee.svc.protocol === "http" ? "500 Internal Server Error" : "rpc error: code = Unknown"}`, traceId: ctx.traceId, spanId: serverId });
      } else if (rng.chance(L.perRequest)) {
        this.log(pod, { ts: end - 0.05, level: "INFO", logger: loggerOf(svc, "handler"), msg: rng.pick(op.templates), traceId: ctx.traceId, spanId: serverId, fields: { duration_ms: Math.round(end - t0) } });
      }
    }
    return { end, failed, origin, empty: skips !== null };
  }

  /** Arrivals over the capture and every request through the system. */
  run(opts: { start: number; end: number; requests: number; sampling: number; trend: number }): void {
    const { rng, topo, sc } = this;
    this.sampling = opts.sampling;
    const eps = topo.root.ops;
    const minutes = Math.ceil((opts.end - opts.start) / 60_000);
    // Baseline rate per minute: a slow trend and a random walk of a few percent.
    let walk = 0;
    const base: number[] = [];
    for (let m = 0; m < minutes; m++) {
      walk = 0.85 * walk + rng.float(-0.05, 0.05);
      base.push(1 + opts.trend * (m / minutes) + walk);
    }
    const mean = base.reduce((a, b) => a + b, 0) / minutes;
    const w0 = eps.reduce((a, e) => a + e.weight, 0);
    let carry = 0;
    for (let m = 0; m < minutes; m++) {
      const t = opts.start + m * 60_000;
      const on = t + 30_000 >= sc.from && t + 30_000 < sc.to;
      const ws = eps.map((e) => e.weight * (on ? (sc.endpointFactor.get(e) ?? 1) : 1) * (on && sc.surge > 1 ? sc.surge : 1));
      const total = ws.reduce((a, b) => a + b, 0);
      const expected = (opts.requests / minutes) * (base[m]! / mean) * (total / w0) + carry;
      const count = Math.floor(expected);
      carry = expected - count;
      const span = Math.min(60_000, opts.end - t);
      for (let i = 0; i < count; i++) {
        const ts = t + rng.next() * span;
        let x = rng.next() * total;
        let k = 0;
        while (k < eps.length - 1 && x >= ws[k]!) x -= ws[k++]!;
        this.request(eps[k]!, ts);
      }
    }
    this.spans.sort((a, b) => a.startMs - b.startMs);
  }

  private request(ep: Op, ts: number): void {
    const ctx: TraceCtx = { traceId: this.rng.hex(32), sampled: this.rng.chance(this.sampling) };
    const pod = this.pickPod(ep.svc, ts);
    const res = this.invoke(ctx, ep, pod, ts, null);
    this.gateway.push({
      ts,
      method: ep.method,
      path: ep.route.replace("{id}", String(this.rng.int(1000, 99_999))),
      status: res.failed ? 500 : 200,
      flags: "-",
      details: "via_upstream",
      durMs: Math.round(res.end - ts) + 1,
      upstreamMs: Math.round(res.end - ts),
      connectMs: 0,
      upstreamHost: `10.244.${this.rng.int(0, 9)}.${this.rng.int(2, 250)}:8080`,
      cluster: `outbound|8080||${ep.svc.name}.${this.topo.ns}.svc.cluster.local`,
      authority: `${this.topo.ns}.example.com`,
      reqId: `${this.rng.hex(8)}-${this.rng.hex(4)}-${this.rng.hex(4)}-${this.rng.hex(4)}-${this.rng.hex(12)}`,
      client: `${this.rng.int(11, 220)}.${this.rng.int(0, 255)}.${this.rng.int(0, 255)}.${this.rng.int(1, 254)}:${this.rng.int(32768, 60999)}`,
      ua: this.rng.pick(["Mozilla/5.0", "okhttp/4.12.0", "MobileApp/7.3 (iOS 17.4)", "python-requests/2.31.0"]),
      bytesOut: this.rng.int(200, 12_000),
      local: `10.244.0.${this.rng.int(2, 250)}:8080`,
    });
  }
}

// ───────────────────────── language flavour ─────────────────────────

function loggerOf(svc: Svc, role: "handler" | "client"): string {
  const pkg = svc.name.replace(/-/g, "");
  switch (svc.lang) {
    case "java":
      return `com.acme.${pkg}.${role === "handler" ? `${pascal(svc.name)}Controller` : "UpstreamClient"}`;
    case "python":
      return role === "handler" ? `${pkg}.handlers` : `${pkg}.clients`;
    case "go":
      return role === "handler" ? "handler" : "client";
    case "nodejs":
      return svc.name;
  }
}

const shortName = (op: Op) => op.name.split("/").at(-1)!;

function exceptionOf(svc: Svc, op: Op): string {
  const noun = pascal(svc.name);
  switch (svc.lang) {
    case "java":
      return `java.lang.NullPointerException: Cannot invoke "com.acme.${svc.name.replace(/-/g, "")}.${noun}.getCurrency()" because "${noun[0]!.toLowerCase()}${noun.slice(1)}" is null`;
    case "python":
      return "KeyError: 'currency'";
    case "go":
      return `runtime error: invalid memory address or nil pointer dereference in ${shortName(op)}`;
    case "nodejs":
      return "TypeError: Cannot read properties of undefined (reading 'currency')";
  }
}

function stackOf(svc: Svc, op: Op, exc: string, frames: boolean): string[] {
  const pkg = svc.name.replace(/-/g, "");
  const noun = pascal(svc.name);
  if (!frames) return [exc];
  switch (svc.lang) {
    case "java":
      return [
        exc,
        `\tat com.acme.${pkg}.${noun}Service.${shortName(op).replace(/[^A-Za-z]/g, "").replace(/^./, (c) => c.toLowerCase()) || "handle"}(${noun}Service.java:${88 + pkg.length})`,
        `\tat com.acme.${pkg}.${noun}Controller.handle(${noun}Controller.java:41)`,
        "\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)",
        "\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885)",
        "\t... 48 common frames omitted",
      ];
    case "python":
      return ["Traceback (most recent call last):", `  File "/app/${pkg}/handlers.py", line 74, in handle`, "    rate = payload['currency']", exc];
    case "go":
      return [exc, `goroutine 173 [running]:`, `main.(*server).handle(0xc000182000, {0x9a3f40, 0xc0003a8000})`, `\t/src/${pkg}/handler.go:88 +0x2c`];
    case "nodejs":
      return [exc, `    at handle (/app/src/${pkg}/handler.js:42:17)`, "    at Layer.handle [as handle_request] (/app/node_modules/express/lib/router/layer.js:95:5)"];
  }
}

// ───────────────────────── background noise ─────────────────────────

/** Lines every pod writes regardless of requests: health, pools, GC, and the service's steady warnings/errors. */
export function backgroundLogs(sim: Simulation, from: number, to: number): void {
  const { rng } = sim;
  for (const s of sim.topo.services) {
    const L = s.logs;
    if (!L) continue;
    for (const pod of s.pods) {
      const a = Math.max(from, pod.from);
      const b = Math.min(to, pod.to);
      if (b <= a) continue;
      const push = (ts: number, level: AppLevel, msg: string, logger = loggerOf(s, "handler")) => {
        const list = sim.logs.get(pod) ?? sim.logs.set(pod, []).get(pod)!;
        const r: AppRecord = { ts: ts + pod.skewMs, level, logger, msg, service: s.name, pod: pod.name };
        list.push(r);
        if (sim.sc.logDouble === s && ts >= sim.sc.from && ts < sim.sc.to) list.push({ ...r, ts: r.ts + 0.05 });
      };
      if (pod.from > from) push(pod.from + 2000, "INFO", s.lang === "java" ? `Started ${pascal(s.name)}Application in 7.412 seconds` : `listening on :8080`);
      const every = rng.int(60, 180) * 1000;
      for (let t = a + rng.next() * every; t < b; t += every * rng.float(0.8, 1.2)) {
        push(t, "INFO", rng.pick(["health check ok", "connection pool stats", "config refreshed", "metrics flushed"]), loggerOf(s, "client"));
        if (s.lang === "java" && rng.chance(0.5)) push(t + 10, "INFO", "GC pause (G1 Evacuation Pause) young", "gc");
      }
      for (const [steady, level] of [[L.steadyWarn, "WARN"], [L.steadyError, "ERROR"]] as const) {
        if (!steady) continue;
        const gap = 60_000 / steady.perMin / s.pods.length;
        for (let t = a + rng.next() * gap; t < b; t += gap * rng.float(0.3, 1.7)) push(t, level, steady.text, loggerOf(s, "client"));
      }
    }
  }
}

// ───────────────────────── writers ─────────────────────────

export type TraceFormat = "otlp-single" | "otlp-jsonl" | "otlp-per-service" | "jaeger";

/** Writes the sampled spans; returns the files and which services' spans (or calls into them) each holds. */
export function writeTraces(w: World, sim: Simulation, format: TraceFormat, style: TraceStyle, evidence: (spans: readonly GenSpan[]) => boolean): void {
  const spans = sim.spans;
  if (!spans.length) return;
  const rng = sim.rng;
  const dir = rng.pick(["traces/", "otel/", ""]);
  const emit = (name: string, ss: GenSpan[], content: string) => w.add(name, content, { evidence: evidence(ss) });
  switch (format) {
    case "otlp-single":
      // Pretty-printed (a human saved it from a UI) only when small.
      emit(`${dir}traces.json`, spans, otlpJson(spans, style, spans.length < 800 && rng.chance(0.3)));
      break;
    case "otlp-jsonl":
      emit(`${dir}otel-traces.jsonl`, spans, otlpJsonLines(spans, style, rng.pick([5000, 10_000, 30_000])));
      break;
    case "otlp-per-service": {
      const by = new Map<string, GenSpan[]>();
      for (const s of spans) (by.get(s.service) ?? by.set(s.service, []).get(s.service)!).push(s);
      for (const [svc, ss] of by) emit(`${dir || "traces/"}${svc}.json`, ss, otlpJson(ss, style));
      break;
    }
    case "jaeger": {
      // Jaeger UI exports / API pages: traces in chunks.
      const per = rng.pick([100, 250, 1000, 100_000]);
      const byTrace = new Map<string, GenSpan[]>();
      for (const s of spans) (byTrace.get(s.traceId) ?? byTrace.set(s.traceId, []).get(s.traceId)!).push(s);
      const traces = [...byTrace.values()];
      for (let i = 0, k = 1; i < traces.length; i += per, k++) {
        const chunk = traces.slice(i, i + per).flat();
        emit(traces.length > per ? `${dir || "jaeger/"}traces-${String(k).padStart(2, "0")}.json` : `${dir}jaeger-traces.json`, chunk, jaegerJson(chunk, style));
      }
      break;
    }
  }
}

export interface MetricSet {
  cpu: "container_cpu_usage_seconds_total" | "container_cpu_usage_millicores" | null;
  memory: "container_memory_working_set_bytes" | "memory_usage_bytes" | null;
  serverLatency: "istio_request_duration_milliseconds_p99" | "pod_server_latency_p95_seconds" | "http_server_request_duration_seconds_p95" | null;
  clientLatency: "pod_client_latency_p95_seconds" | "http_client_request_duration_seconds_p95" | null;
  traffic: "http_requests_per_second" | "pod_workload_ops" | null;
  success: "success_rate" | "pod_success_rate_percent" | null;
}

export type MetricRole = keyof MetricSet;

/** Per-pod series of every metric in the set, one query_range file per metric. */
export function writeMetrics(
  w: World,
  sim: Simulation,
  set: MetricSet,
  opts: { start: number; end: number; skewMs: number; rateWindowMs: number; labels: "pod-ns" | "pod-ns-service" | "pod-ns-container"; dir: string; evidence: (role: MetricRole) => boolean },
): void {
  const { rng, topo, sc, stepMs, gridStart } = sim;
  const first = Math.floor((opts.start - gridStart) / stepMs);
  const last = Math.floor((opts.end - gridStart) / stepMs) - 1;
  const series = new Map<MetricRole, PromSeries[]>();
  for (const s of topo.services)
    for (const pod of s.pods) {
      const labels: Record<string, string> = { pod: pod.name, namespace: topo.ns };
      if (opts.labels === "pod-ns-service") labels.service = s.name;
      if (opts.labels === "pod-ns-container") labels.container = s.name;
      const pts: Record<MetricRole, Array<[number, number]>> = { cpu: [], memory: [], serverLatency: [], clientLatency: [], traffic: [], success: [] };
      let heap = pod.memBase * rng.float(0.85, 1);
      const m = sim.agg.get(pod);
      const hasCallees = s.ops.some((o) => o.steps.some((x) => x.kind === "call"));
      // Each point is a range query over the trailing rate window (`rate(x[1m])` at a 15 s step
      // covers four steps): consecutive points overlap when the window is longer than the step.
      const k = Math.max(1, Math.round(opts.rateWindowMs / stepMs));
      const winS = (k * stepMs) / 1000;
      for (let b = first; b <= last; b++) {
        const tEnd = gridStart + (b + 1) * stepMs;
        const tFrom = tEnd - k * stepMs;
        if (tEnd <= pod.from || tEnd - stepMs >= pod.to) continue;
        // A scrape that failed now and then.
        if (rng.chance(0.006)) continue;
        let n = 0;
        let err = 0;
        let cpuMs = 0;
        const durs: number[] = [];
        const client: number[] = [];
        for (let j = b - k + 1; j <= b; j++) {
          const a = m?.get(j);
          if (!a) continue;
          n += a.n;
          err += a.err;
          cpuMs += a.cpuMs;
          for (const x of a.durs) durs.push(x);
          for (const x of a.client) client.push(x);
        }
        const ts = tEnd + opts.skewMs;
        let cores = pod.idleCores * rng.float(0.93, 1.07) + (cpuMs / 1000 / winS) * rng.float(0.97, 1.03);
        const warm = Math.max(0, Math.min(tEnd, pod.warmUntil) - Math.max(tFrom, pod.from)) / (k * stepMs);
        if (warm > 0) cores += warm * rng.float(0.2, 0.6) * s.limitCores;
        if (sc.incident === "cpu" && sc.pods.has(pod)) {
          const overlap = Math.max(0, Math.min(tEnd, sc.to) - Math.max(tFrom, sc.from)) / (k * stepMs);
          cores += overlap * sc.hogCores * rng.float(0.93, 1.0);
        }
        cores = Math.min(cores, s.limitCores * rng.float(0.97, 1));
        pts.cpu.push([ts, set.cpu === "container_cpu_usage_millicores" ? cores * 1000 : cores]);
        // Memory: a JVM heap saws up with allocations and drops at GC; others drift a little.
        const stepN = m?.get(b)?.n ?? 0;
        if (s.lang === "java") {
          heap += stepN * rng.float(0.3, 1.5) * 1024 * 1024 * 0.05 + rng.float(0, 2) * 1024 * 1024;
          if (heap > pod.memBase * 1.35 || rng.chance(0.05)) heap = pod.memBase * rng.float(0.85, 0.95);
        } else heap = heap * rng.float(0.995, 1.006) + (heap < pod.memBase * 0.9 ? 1024 * 1024 : 0);
        pts.memory.push([ts, Math.round(heap)]);
        const unitMs = set.serverLatency === "istio_request_duration_milliseconds_p99";
        const lat = n ? quantile(durs, unitMs ? 0.99 : 0.95) : Number.NaN;
        pts.serverLatency.push([ts, unitMs ? lat : lat / 1000]);
        if (hasCallees) pts.clientLatency.push([ts, client.length ? quantile(client, 0.95) / 1000 : Number.NaN]);
        pts.traffic.push([ts, n / winS]);
        const ok = n ? (n - err) / n : Number.NaN;
        pts.success.push([ts, set.success === "pod_success_rate_percent" ? ok * 100 : ok]);
      }
      for (const role of Object.keys(pts) as MetricRole[]) if (pts[role].length) (series.get(role) ?? series.set(role, []).get(role)!).push({ labels, points: pts[role] });
    }
  const pretty = rng.chance(0.15);
  for (const role of Object.keys(set) as MetricRole[]) {
    const name = set[role];
    const ss = series.get(role);
    if (!name || !ss?.length) continue;
    w.add(`${opts.dir}${name}.json`, queryRange(name, ss, { pretty }), { evidence: opts.evidence(role) });
  }
}

/** Application logs of the services that have them, per pod file or one file per service. */
export function writeLogs(w: World, sim: Simulation, evidence: (svc: Svc) => boolean): void {
  for (const s of sim.topo.services) {
    const L = s.logs;
    if (!L) continue;
    const style = { format: L.format, serviceField: L.serviceField };
    const render = (pod: Pod, r: AppRecord) =>
      appLines(r, style).map((line) => (L.wrapper === "kubectl-prefix" ? `[pod/${pod.name}/${s.name}] ${line}` : wrap(line, L.wrapper, r.ts + 0.3 + (r.ts % 7))));
    if (L.naming === "pod-files") {
      for (const pod of s.pods) {
        const recs = (sim.logs.get(pod) ?? []).sort((a, b) => a.ts - b.ts);
        if (!recs.length) continue;
        w.add(`pods/${pod.name}.log`, `${recs.flatMap((r) => render(pod, r)).join("\n")}\n`, { evidence: evidence(s) });
      }
    } else {
      const all = s.pods.flatMap((pod) => (sim.logs.get(pod) ?? []).map((r) => ({ pod, r }))).sort((a, b) => a.r.ts - b.r.ts);
      if (!all.length) continue;
      w.add(`logs/${s.name}.log`, `${all.flatMap(({ pod, r }) => render(pod, r)).join("\n")}\n`, { evidence: evidence(s) });
    }
  }
}

/** Draws how a service logs (format by language, wrapper, file naming, verbosity, steady noise). */
export function drawLogSpec(rng: Rng, s: Svc, naming: LogSpec["naming"], perRequest: number): LogSpec {
  const format = rng.pick(FORMATS_BY_LANG[s.lang]);
  return {
    format,
    wrapper: naming === "service-file" ? rng.pick(["kubectl-prefix", "none", "none"] as const) : rng.pick(["docker-json", "cri", "none"] as const),
    naming,
    serviceField: format.startsWith("json") || format === "logfmt" ? rng.chance(0.6) : false,
    perRequest,
    stacks: rng.pick([1, 1, 0.5, 0.2]),
    ids: rng.chance(0.8),
    steadyWarn: rng.chance(0.5) ? { text: rng.pick(["slow query detected", "retrying request to cache (attempt 2)", "deprecated API version requested", "token refresh took longer than expected"]), perMin: rng.float(0.2, 3) } : null,
    steadyError: rng.chance(0.3) ? { text: rng.pick(["failed to flush metrics batch: timeout", "could not refresh feature flags, using cached values", "dead letter queue message discarded"]), perMin: rng.float(0.1, 1) } : null,
  };
}

/** Replaces a service's pods one by one from `at` (a rollout): new names, new version, optional warm-up. */
export function rollout(rng: Rng, s: Svc, at: number, opts: { gapMs: number; warmMs: number; version: string; defective: boolean; clockSkewMs: number }): Array<{ old: Pod; fresh: Pod; at: number }> {
  const out: Array<{ old: Pod; fresh: Pod; at: number }> = [];
  const old = [...s.pods];
  old.forEach((p, i) => {
    const t = at + i * opts.gapMs + rng.int(0, 3000);
    const fresh = newPod(rng, s, t, Number.POSITIVE_INFINITY, opts.version, opts.clockSkewMs);
    fresh.warmUntil = t + opts.warmMs;
    fresh.defective = opts.defective;
    p.to = t + rng.int(2000, 8000);
    s.pods.push(fresh);
    out.push({ old: p, fresh, at: t });
  });
  return out;
}

export function emptyScenario(mode: Scenario["mode"]): Scenario {
  return {
    mode,
    incident: null,
    nearMiss: null,
    target: null,
    from: Number.POSITIVE_INFINITY,
    to: Number.POSITIVE_INFINITY,
    pods: new Set(),
    cpuSlow: 1,
    hogCores: 0,
    latOps: null,
    latMs: 0,
    netMs: 0,
    netJitter: 0,
    netEgress: true,
    defectOps: null,
    defectShare: 0,
    callerSkips: false,
    surge: 1,
    surgeSlow: 1,
    endpointFactor: new Map(),
    logDouble: null,
  };
}

// ───────────────────────── one variant's system ─────────────────────────

/**
 * Trace bytes per bundle (measured on a pilot in the variant's own format): keeps a bundle near 3 MB
 * whatever the traffic — the sampling rate follows, as it does in production.
 */
const TRACE_BYTES = 1_200_000;
/** Request log lines per bundle (errors and warnings are never dropped). */
const LINE_BUDGET = 1500;

export interface Family {
  topo: Topology;
  sim: Simulation;
  sc: Scenario;
  /** Services whose pods were replaced (rollout), for the timeline. */
  rolled: Array<{ svc: Svc; at: number; version: string }>;
  traceFormat: TraceFormat;
  /** present: the instrumentation sets span status and HTTP/gRPC attributes; absent: neither (minimal spans). */
  spanStatus: "present" | "absent";
}

export interface FamilyOptions {
  mode: Scenario["mode"];
  incident?: IncidentKind;
  nearMiss?: NearMissKind;
  /** Healthy: the variant's load test window (×3 traffic), when it has one. */
  loadTest?: { from: number; to: number };
  /** Axis name prefix (healthy variants keep the World's own axes apart). */
  prefix?: string;
}

/**
 * Builds the system, injects the scenario, simulates the capture window and writes traces, metrics,
 * logs (and the gateway's access log, events) into the world. Every draw comes from `rng`.
 */
export function family(w: World, rng: Rng, o: FamilyOptions): Family {
  const ax = (name: string, v: string) => w.axis(`${o.prefix ?? ""}${name}`, v);
  const podClock = rng.pick([0, 2, 2, 40]);
  if (podClock) ax("podClockSkew", `±${podClock}ms`);
  const topo = buildTopology(rng, w.ns, podClock, { start: w.start, end: w.end });
  const levels = Math.max(...topo.services.map((s) => s.level));
  const multi = topo.services.filter((s) => s.callers.size > 1).length;
  ax("topology", `${topo.services.length} services, ${levels} levels, ${multi} with several callers`);
  const slow = o.nearMiss === "slow-endpoint" || rng.chance(0.3) ? addSlowEndpoint(rng, topo) : null;
  if (slow) ax("redHerring:slowEndpoint", slow.steps[0]!.kind === "call" ? slow.steps[0]!.target.svc.name : "?");

  const sc = emptyScenario(o.mode);
  const rolled: Family["rolled"] = [];
  const nonRoot = topo.services.filter((s) => s.level > 0);
  const end = w.end;
  const dur = rng.int(3, 10) * 60_000;
  const version = () => `${rng.int(1, 3)}.${rng.int(0, 40)}.${rng.int(0, 9)}`;
  const scopePods = (s: Svc) => {
    const one = s.pods.length > 1 && rng.chance(0.35);
    ax("faultPods", one ? `1 of ${s.pods.length}` : `all ${s.pods.length}`);
    return new Set(one ? [rng.pick(s.pods)] : s.pods);
  };
  if (o.mode === "incident" && o.incident) {
    const kind = (sc.incident = o.incident);
    const eligible =
      kind === "network" ? nonRoot : kind === "wrong-return" ? topo.services.filter((s) => s.ops.some((op) => op.skipSteps.length > 0)) : rng.chance(0.85) ? nonRoot : topo.services;
    const target = (sc.target = rng.pick(eligible));
    sc.from = w.onset;
    sc.to = Math.min(end, w.onset + dur);
    ax("faultMinutes", String(Math.round((sc.to - sc.from) / 60_000)));
    ax("faultService", `${target.name} (level ${target.level}, ${target.callers.size} caller${target.callers.size === 1 ? "" : "s"}, ${target.lang})`);
    switch (kind) {
      case "cpu":
        sc.pods = scopePods(target);
        sc.hogCores = target.limitCores * rng.float(0.6, 1);
        sc.cpuSlow = rng.float(1.4, 4);
        ax("cpuSlowdown", `x${sc.cpuSlow.toFixed(1)}`);
        break;
      case "latency":
        sc.pods = scopePods(target);
        sc.latMs = rng.logInt(25, 600);
        sc.latOps = target.ops.length > 1 && rng.chance(0.4) ? new Set([rng.pick(target.ops)]) : null;
        ax("latency", `+${sc.latMs}ms ${sc.latOps ? "one op" : "all ops"}`);
        break;
      case "network":
        sc.pods = scopePods(target);
        sc.netMs = rng.logInt(15, 300);
        sc.netJitter = rng.pick([0, 0.1, 0.3]);
        sc.netEgress = rng.chance(0.7);
        ax("netem", `${sc.netMs}ms ±${Math.round(sc.netJitter * 100)}% ${sc.netEgress ? "pod egress" : "inbound only"}`);
        break;
      case "exception":
      case "wrong-return": {
        sc.defectShare = kind === "exception" ? rng.float(0.2, 1) : rng.float(0.3, 1);
        const ops = kind === "wrong-return" ? target.ops.filter((op) => op.skipSteps.length > 0) : target.ops;
        sc.defectOps = ops.length > 1 && rng.chance(0.5) ? new Set([rng.pick(ops)]) : new Set(ops);
        sc.callerSkips = kind === "wrong-return" && rng.chance(0.5);
        ax("defect", `${Math.round(sc.defectShare * 100)}% of requests, ${sc.defectOps.size === target.ops.length ? "all ops" : `${sc.defectOps.size} of ${target.ops.length} ops`}${sc.callerSkips ? ", callers skip their next call" : ""}`);
        const via = rng.chance(0.4) ? "rollout" : "flag";
        ax("defectVia", via);
        if (via === "rollout") {
          const v = version();
          rollout(rng, target, w.onset, { gapMs: rng.int(8, 40) * 1000, warmMs: target.lang === "java" && rng.chance(0.5) ? rng.int(20, 90) * 1000 : 0, version: v, defective: true, clockSkewMs: podClock });
          rolled.push({ svc: target, at: w.onset, version: v });
        } else for (const p of target.pods) p.defective = true;
        break;
      }
    }
  } else if (o.mode === "near-miss" && o.nearMiss) {
    sc.nearMiss = o.nearMiss;
    sc.from = w.onset;
    sc.to = end;
    switch (o.nearMiss) {
      case "load-surge":
        sc.surge = rng.float(1.3, 1.8);
        sc.surgeSlow = rng.float(1.03, 1.15);
        sc.to = Math.min(end, w.onset + rng.int(5, 15) * 60_000);
        ax("surge", `x${sc.surge.toFixed(2)} traffic, x${sc.surgeSlow.toFixed(2)} self time, ${Math.round((sc.to - sc.from) / 60_000)} min`);
        break;
      case "benign-deploy": {
        const s = (sc.target = rng.pick(nonRoot));
        const v = version();
        const warm = s.lang === "java" && rng.chance(0.6) ? rng.int(20, 90) * 1000 : 0;
        rollout(rng, s, w.onset, { gapMs: rng.int(8, 40) * 1000, warmMs: warm, version: v, defective: false, clockSkewMs: podClock });
        rolled.push({ svc: s, at: w.onset, version: v });
        ax("deploy", `${s.name} ${v}${warm ? `, JVM warm-up ${warm / 1000}s` : ""}`);
        break;
      }
      case "mix-change": {
        const [up, down] = rng.shuffle(topo.root.ops.filter((e) => e !== slow));
        sc.endpointFactor.set(up!, rng.float(1.5, 3));
        if (down) sc.endpointFactor.set(down, rng.float(0.3, 0.6));
        ax("mix", `${up!.name} x${sc.endpointFactor.get(up!)!.toFixed(1)}${down ? `, ${down.name} x${sc.endpointFactor.get(down)!.toFixed(1)}` : ""}`);
        break;
      }
      case "slow-endpoint":
        sc.to = sc.from;
        break;
      case "log-doubling": {
        const s = (sc.target = rng.pick(topo.services));
        sc.logDouble = s;
        ax("logDoubling", s.name);
        break;
      }
      case "traffic-halving": {
        const ep = rng.pick(topo.root.ops.filter((e) => e !== slow));
        sc.endpointFactor.set(ep, rng.float(0.4, 0.6));
        const first = ep.steps.find((x): x is CallStep => x.kind === "call");
        sc.target = first?.target.svc ?? null;
        ax("halving", `${ep.name} x${sc.endpointFactor.get(ep)!.toFixed(2)}`);
        break;
      }
    }
  } else if (o.mode === "healthy") {
    if (o.loadTest) {
      sc.from = o.loadTest.from;
      sc.to = o.loadTest.to;
      sc.surge = 3;
      sc.surgeSlow = rng.float(1.02, 1.08);
    }
    // A pod replaced now and then (node drain, eviction): new name, maybe a warm-up.
    if (rng.chance(0.5)) {
      const s = rng.pick(nonRoot);
      const victim = rng.pick(s.pods);
      const at = w.start + rng.float(0.1, 0.9) * (w.end - w.start);
      const fresh = newPod(rng, s, at, Number.POSITIVE_INFINITY, victim.version, podClock);
      fresh.warmUntil = s.lang === "java" ? at + rng.int(20, 60) * 1000 : at;
      victim.to = at + rng.int(1000, 5000);
      s.pods.push(fresh);
      ax("podReplaced", `${s.name} at +${Math.round((at - w.start) / 60_000)}m`);
      w.events.push(
        { ts: at - 1000, type: "Normal", reason: "Killing", kind: "Pod", name: victim.name, ns: w.ns, message: `Stopping container ${s.name}`, component: "kubelet", fieldPath: `spec.containers{${s.name}}` },
        { ts: at, type: "Normal", reason: "Scheduled", kind: "Pod", name: fresh.name, ns: w.ns, message: `Successfully assigned ${w.ns}/${fresh.name} to ${rng.pick(w.nodes)}`, component: "default-scheduler" },
        { ts: at + 3000, type: "Normal", reason: "Started", kind: "Pod", name: fresh.name, ns: w.ns, message: `Started container ${s.name}`, component: "kubelet", fieldPath: `spec.containers{${s.name}}` },
      );
    }
  }
  for (const r of rolled) {
    w.events.push({ ts: r.at - 2000, type: "Normal", reason: "ScalingReplicaSet", kind: "Deployment", name: r.svc.name, ns: w.ns, message: `Scaled up replica set ${r.svc.name}-${k8sId(rng, 10)} to 1`, component: "deployment-controller" });
    for (const p of r.svc.pods) {
      if (p.from >= r.at) w.events.push({ ts: p.from, type: "Normal", reason: "Started", kind: "Pod", name: p.name, ns: w.ns, message: `Started container ${r.svc.name}`, component: "kubelet", fieldPath: `spec.containers{${r.svc.name}}` });
      else if (Number.isFinite(p.to)) w.events.push({ ts: p.to - 3000, type: "Normal", reason: "Killing", kind: "Pod", name: p.name, ns: w.ns, message: `Stopping container ${r.svc.name}`, component: "kubelet", fieldPath: `spec.containers{${r.svc.name}}` });
    }
  }

  // Logs: none, some services, or all.
  const logMode = o.nearMiss === "log-doubling" ? rng.pick(["some", "all"] as const) : rng.pick(["none", "some", "some", "all"] as const);
  ax("logs", logMode);
  const naming = rng.pick(["pod-files", "pod-files", "service-file"] as const);
  if (logMode !== "none") ax("logNaming", naming);

  // Scale and sampling: a pilot of the system gives spans and invocations per request.
  const requests = rng.logInt(300, 5000);
  ax("scale", String(requests));
  const traceFormat = rng.pick(["otlp-single", "otlp-jsonl", "otlp-per-service", "jaeger"] as const);
  const spanStatus = rng.chance(0.5) ? "present" : "absent";
  const pilot = new Simulation(rng.fork("pilot"), topo, emptyScenario("healthy"), 60_000, w.start);
  pilot.richAttrs = spanStatus === "present";
  pilot.run({ start: w.start, end: w.start + 600_000, requests: 60, sampling: 1, trend: 0 });
  const pilotStyle: TraceStyle = { status: spanStatus, podAttr: true, enums: "int", namespace: topo.ns };
  const bytesPerReq = Math.max(1, (traceFormat === "jaeger" ? jaegerJson(pilot.spans, pilotStyle) : otlpJson(pilot.spans, pilotStyle)).length / 60);
  const invocations = new Map<Svc, number>();
  for (const pod of topo.services.flatMap((s) => s.pods)) for (const a of pilot.agg.get(pod)?.values() ?? []) invocations.set(pod.svc, (invocations.get(pod.svc) ?? 0) + a.n / 60);
  const head = rng.pick([1, 1, 0.5, 0.2, 0.1]);
  const sampling = Math.min(head, TRACE_BYTES / (requests * bytesPerReq));
  ax("sampling", sampling >= 1 ? "100%" : `${(sampling * 100).toFixed(1)}%`);

  const logged = logMode === "none" ? [] : logMode === "all" ? topo.services : topo.services.filter((s) => s === sc.logDouble || rng.chance(0.5));
  const lines = logged.reduce((a, s) => a + (invocations.get(s) ?? 0) * requests, 0);
  const perRequest = Math.min(1, LINE_BUDGET / Math.max(1, lines));
  for (const s of logged) s.logs = drawLogSpec(rng, s, naming, perRequest * rng.pick([1, 1, 0.5, 0.1]));
  if (logged.length) ax("format:logs", [...new Set(logged.map((s) => s.logs!.format))].sort().join("+"));

  const stepMs = rng.pick([15, 30, 60]) * 1000;
  const sim = new Simulation(rng, topo, sc, stepMs, Math.floor(w.start / stepMs) * stepMs);
  sim.richAttrs = spanStatus === "present";
  sim.run({ start: w.start, end: w.end, requests, sampling, trend: rng.float(-0.15, 0.15) });
  backgroundLogs(sim, w.start, w.end);
  return { topo, sim, sc, rolled, traceFormat, spanStatus };
}

/** Which metric role shows the incident kind in the faulty service (or its callers). */
export const EVIDENCE_METRIC: Record<IncidentKind, MetricRole> = { cpu: "cpu", latency: "serverLatency", network: "clientLatency", exception: "success", "wrong-return": "traffic" };

/**
 * Writes the family's sources with their format axes and drops the ones a human does not need.
 * `need` says which metric must stay when the traces are dropped (the incident's own view).
 */
export function writeFamily(w: World, f: Family, o: { prefix?: string; evidenceSvc: Svc | null; kind: IncidentKind | null }): void {
  const rng = f.sim.rng;
  const ax = (name: string, v: string) => w.axis(`${o.prefix ?? ""}${name}`, v);
  const { sim, topo } = f;
  const target = o.evidenceSvc;
  const pickMetric = <T extends string>(p: number, names: readonly T[]): T | null => (rng.chance(p) ? rng.pick(names) : null);
  const set: MetricSet = {
    cpu: pickMetric(0.85, ["container_cpu_usage_seconds_total", "container_cpu_usage_millicores"] as const),
    memory: pickMetric(0.6, ["container_memory_working_set_bytes", "memory_usage_bytes"] as const),
    serverLatency: pickMetric(0.7, ["istio_request_duration_milliseconds_p99", "pod_server_latency_p95_seconds", "http_server_request_duration_seconds_p95"] as const),
    clientLatency: pickMetric(0.4, ["pod_client_latency_p95_seconds", "http_client_request_duration_seconds_p95"] as const),
    traffic: pickMetric(0.7, ["http_requests_per_second", "pod_workload_ops"] as const),
    success: pickMetric(0.5, ["success_rate", "pod_success_rate_percent"] as const),
  };
  const metricNames = Object.values(set).filter((x): x is NonNullable<typeof x> => x !== null);
  // A human diagnosing the kind needs the traces or the metric that shows it (or, for an exception, the service's logs).
  const kindMetric = o.kind ? set[EVIDENCE_METRIC[o.kind]] !== null : true;
  const kindLogs = o.kind === "exception" && target?.logs != null;
  const dropTraces = (kindMetric || kindLogs) && metricNames.length > 0 && rng.chance(0.12);
  const dropMetrics = !dropTraces && sim.spans.length > 0 && rng.chance(0.1);
  if (dropTraces) w.axis(`missing:${o.prefix ?? ""}traces`, "dropped");
  if (dropMetrics) w.axis(`missing:${o.prefix ?? ""}metrics`, "dropped");

  if (!dropTraces) {
    const format = f.traceFormat;
    const status = f.spanStatus;
    const style: TraceStyle = {
      status,
      podAttr: rng.chance(0.7),
      enums: rng.chance(0.7) ? "int" : "string",
      namespace: topo.ns,
      versionOf: (pod) => topo.services.flatMap((s) => s.pods).find((p) => p.name === pod)?.version,
      languageOf: (svc) => topo.services.find((s) => s.name === svc)?.lang ?? "go",
    };
    ax("format:traces", format);
    ax("spanStatus", status);
    ax("podAttr", style.podAttr ? "k8s.pod.name" : "none");
    const callers = new Set([...(target?.callers ?? [])].map((s) => s.name));
    writeTraces(w, sim, format, style, (ss) => target !== null && ss.some((s) => s.service === target.name || (o.kind === "network" && callers.has(s.service) && s.kind === "client")));
  }
  if (!dropMetrics && metricNames.length) {
    const labels = rng.pick(["pod-ns", "pod-ns-service", "pod-ns-container"] as const);
    ax("metrics", metricNames.join(","));
    ax("metricStep", `${sim.stepMs / 1000}s`);
    ax("metricLabels", labels);
    // Clock skew of the metrics against the traces and logs: none for half the variants, else up to ±30 s.
    const skew = rng.chance(0.5) ? 0 : rng.int(-30_000, 30_000);
    if (skew) w.axis(`skew:${o.prefix ?? ""}metrics`, `${skew}ms`);
    const dir = rng.pick(["metrics/", "prometheus/", ""]);
    // The range vector of the queries: Grafana's $__rate_interval is about four scrape intervals.
    const rateWindowMs = Math.max(sim.stepMs, rng.pick([60_000, 60_000, 120_000]));
    ax("rateWindow", `${rateWindowMs / 1000}s`);
    writeMetrics(w, sim, set, { start: w.start, end: w.end, skewMs: skew, rateWindowMs, labels, dir, evidence: (role) => target !== null && o.kind !== null && role === EVIDENCE_METRIC[o.kind] });
  }
  writeLogs(w, sim, (s) => target !== null && o.kind === "exception" && s === target);
}
