import type { SpanInput } from "./trace-blame";

/**
 * Bail-outs: where a service's request handling stops early. Without span status a failing call is
 * still visible by what follows it: a handler that gets an error (or a value it cannot use) back
 * from a call stops making the calls it normally makes next.
 *
 *   reference  frontend Recv ─ pcs.GetProduct ─ currency ─ cart ─ recommendation ─ ads   (goes on)
 *   window     frontend Recv ─ pcs.GetProduct ╳                                          (stops)
 *              checkout PlaceOrder ─ cart ─ pcs.GetProduct ╳                              (stops)
 *
 * For every entry invocation of a service (a span whose parent is in another service, or a root)
 * the services it calls, in order of their first call, are a path; every prefix of it is a point the invocation
 * *reached*, and the full list is where it *stopped*. Per (service, operation, prefix) the share of
 * invocations that stop there is compared, reference vs window: conditioning on the prefix keeps a
 * change of workload mix (more of one page, fewer of another) from looking like a failure.
 *
 * Who is to blame for a bail-out after a call to X: X's answer, or the caller's own handling of it.
 * Traces without status cannot tell one caller's case apart, so the rule is the common cause:
 * - callers of two or more services stop right after X → X (the one thing they share);
 * - a caller that stops before any call, or only one calling service stops after X → the caller
 *   (its own code path changed), and X at half weight (its bad answer is the other reading);
 * - a caller's bail-out right after a callee that bails itself is propagation, not its own.
 */
export const BAILOUT = {
  /** Prefixes longer than this are not told apart (a handler that far in is not "stopping early"). */
  MAX_PREFIX: 32,
  /** Invocations that reached a prefix in the reference before its stop share is trusted. */
  MIN_REACH: 5,
  /** Window invocations that stop at a prefix for a bail-out. */
  MIN_STOPS: 3,
  /** The stop share at a prefix must grow by this much (0..1)… */
  MIN_RISE: 0.2,
  /** …and the window's stops must be this improbable at the reference's stop share (binomial tail). */
  MAX_P: 1e-3,
  /** Window invocations of an operation needed at all. */
  MIN_INVOCATIONS: 5,
  /** Extra stops at this share of an operation's invocations are a full signal… */
  FULL_AFFECTED: 0.05,
  /** …when the stop share at the prefix grew by this much (a path that never stopped now stops in 2 of 5). */
  FULL_RISE: 0.4,
  /** Weight of the callee when only one calling service stops after it (the caller is charged fully). */
  SINGLE_CALLER_CALLEE: 0.5,
  /** Bail-outs cited per service. */
  EXAMPLES: 3,
} as const;

export interface BailPoint {
  /** The service whose invocation stopped. */
  caller: string;
  operation: string;
  /** The service called last before stopping; null = stopped before making any call. */
  after: string | null;
  /** Call path (callee services) up to the stop. */
  prefix: string[];
  reach: { reference: number; window: number };
  stops: { reference: number; window: number };
  /** Window stop share − reference stop share at this prefix. */
  rise: number;
  /** Extra stops in the window as a share of the operation's window invocations. */
  affected: number;
  /** Indexes (into the input spans) of window entry spans that stopped here. */
  examples: number[];
}

export interface BailBlame {
  service: string;
  /** 0..1: the largest affected share among bail-outs charged to it, weighted by its rise. */
  score: number;
  /** Charged as the caller (own code path) or as the callee (its answers stopped callers). */
  role: "caller" | "callee";
  points: BailPoint[];
  /** Distinct calling services that stop after it (callee role). */
  callers: string[];
}

export interface BailoutAnalysis {
  points: BailPoint[];
  blames: BailBlame[];
}

interface Acc {
  invocations: [number, number];
  reach: Map<string, [number, number]>;
  stops: Map<string, [number, number]>;
  examples: Map<string, number[]>;
}

/**
 * @param phaseOf reference / window / null (left out) per span; the entry span's phase is used.
 */
export function analyseBailouts(spans: readonly SpanInput[], phaseOf: (s: SpanInput, i: number) => "reference" | "window" | null): BailoutAnalysis {
  const index = new Map<string, number>();
  spans.forEach((s, i) => index.set(`${s.traceId}|${s.spanId}`, i));
  const kids = new Map<number, number[]>();
  spans.forEach((s, i) => {
    if (!s.parentSpanId) return;
    const p = index.get(`${s.traceId}|${s.parentSpanId}`);
    if (p === undefined) return;
    (kids.get(p) ?? kids.set(p, []).get(p)!).push(i);
  });

  const accs = new Map<string, Acc>();
  spans.forEach((s, i) => {
    const parent = s.parentSpanId ? index.get(`${s.traceId}|${s.parentSpanId}`) : undefined;
    const isEntry = parent === undefined ? !s.parentSpanId || s.spanKind === "server" : spans[parent]!.service !== s.service;
    if (!isEntry) return;
    const ph = phaseOf(s, i);
    if (!ph) return;
    const side = ph === "reference" ? 0 : 1;
    // Calls out of this invocation: children in another service, reached through its own spans.
    const calls: Array<{ ts: number; service: string }> = [];
    const stack = [i];
    let guard = 0;
    while (stack.length && guard++ < 10_000) {
      const x = stack.pop()!;
      const ch = kids.get(x) ?? [];
      let crossed = false;
      for (const c of ch) {
        const cs = spans[c]!;
        if (cs.service === s.service) stack.push(c);
        else {
          calls.push({ ts: cs.ts, service: cs.service });
          crossed = true;
        }
      }
      const xs = spans[x]!;
      // A client span whose server side is not exported still says whom it called.
      if (!crossed && x !== i && xs.spanKind === "client" && xs.peer && xs.peer !== s.service) calls.push({ ts: xs.ts, service: xs.peer });
    }
    calls.sort((a, b) => a.ts - b.ts || (a.service < b.service ? -1 : a.service > b.service ? 1 : 0));
    const key = `${s.service}\u0000${s.name}`;
    const acc = accs.get(key) ?? accs.set(key, { invocations: [0, 0], reach: new Map(), stops: new Map(), examples: new Map() }).get(key)!;
    acc.invocations[side]++;
    // The path is the called services in order of their first call: repeats (one call per item of
    // a cart, per currency conversion) vary with the request, not with how far the handler got.
    const path: string[] = [];
    for (const c of calls) if (!path.includes(c.service)) path.push(c.service);
    const n = Math.min(path.length, BAILOUT.MAX_PREFIX);
    let prefix = "";
    for (let j = 0; j <= n; j++) {
      if (j > 0) prefix += `\u0001${path[j - 1]!}`;
      const r = acc.reach.get(prefix) ?? acc.reach.set(prefix, [0, 0]).get(prefix)!;
      r[side]++;
    }
    if (path.length <= BAILOUT.MAX_PREFIX) {
      const st = acc.stops.get(prefix) ?? acc.stops.set(prefix, [0, 0]).get(prefix)!;
      st[side]++;
      if (side === 1) {
        const ex = acc.examples.get(prefix) ?? acc.examples.set(prefix, []).get(prefix)!;
        if (ex.length < BAILOUT.EXAMPLES) ex.push(i);
      }
    }
  });

  const points: BailPoint[] = [];
  for (const [key, acc] of accs) {
    if (acc.invocations[1] < BAILOUT.MIN_INVOCATIONS) continue;
    const [caller, operation] = key.split("\u0000") as [string, string];
    for (const [prefix, st] of acc.stops) {
      const reach = acc.reach.get(prefix)!;
      if (reach[0] < BAILOUT.MIN_REACH || st[1] < BAILOUT.MIN_STOPS) continue;
      // Smoothed so a handful of reference invocations cannot claim "never stops here".
      const r0 = (st[0] + 0.5) / (reach[0] + 1);
      const r1 = st[1] / reach[1];
      const rise = r1 - r0;
      if (rise < BAILOUT.MIN_RISE) continue;
      // A handful of invocations moves a share a lot: the count itself must be unlikely by chance.
      if (binomialTail(st[1], reach[1], r0) > BAILOUT.MAX_P) continue;
      const path = prefix ? prefix.split("\u0001").slice(1) : [];
      points.push({
        caller,
        operation,
        after: path.at(-1) ?? null,
        prefix: path,
        reach: { reference: reach[0], window: reach[1] },
        stops: { reference: st[0], window: st[1] },
        rise,
        affected: (st[1] - r0 * reach[1]) / acc.invocations[1],
        examples: acc.examples.get(prefix) ?? [],
      });
    }
  }
  points.sort((a, b) => b.affected - a.affected || (a.caller < b.caller ? -1 : a.caller > b.caller ? 1 : 0));
  return { points, blames: blame(points) };
}

function blame(points: readonly BailPoint[]): BailBlame[] {
  const bailing = new Set(points.map((p) => p.caller));
  const callersOf = new Map<string, Set<string>>();
  for (const p of points) if (p.after) (callersOf.get(p.after) ?? callersOf.set(p.after, new Set()).get(p.after)!).add(p.caller);
  const out = new Map<string, BailBlame>();
  const charge = (service: string, role: BailBlame["role"], p: BailPoint, callers: string[], weight = 1) => {
    const b = out.get(service) ?? out.set(service, { service, score: 0, role, points: [], callers }).get(service)!;
    b.points.push(p);
    const s = weight * Math.min(1, p.affected / BAILOUT.FULL_AFFECTED) * Math.min(1, p.rise / BAILOUT.FULL_RISE);
    if (s > b.score) {
      b.score = s;
      b.role = role;
    }
  };
  for (const p of points) {
    // Propagation: the callee stopped early itself, so this caller only passed its failure on.
    if (p.after && bailing.has(p.after)) continue;
    const callers = [...(p.after ? callersOf.get(p.after)! : [])].sort();
    if (p.after && callers.length >= 2) charge(p.after, "callee", p, callers);
    else {
      charge(p.caller, "caller", p, []);
      // The callee's bad answer is the other reading; without status or logs it stays the runner-up.
      if (p.after) charge(p.after, "callee", p, callers, BAILOUT.SINGLE_CALLER_CALLEE);
    }
  }
  return [...out.values()].sort((a, b) => b.score - a.score || (a.service < b.service ? -1 : 1));
}

/** P(X ≥ k) for X ~ Binomial(n, p), summed in log space from the k-th term (n up to millions). */
export function binomialTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n || p <= 0) return 0;
  if (p >= 1) return 1;
  let logTerm = k * Math.log(p) + (n - k) * Math.log1p(-p);
  for (let j = 1; j <= k; j++) logTerm += Math.log((n - k + j) / j);
  let term = Math.exp(logTerm);
  let sum = term;
  for (let i = k; i < n && term > sum * 1e-12; i++) {
    term *= ((n - i) / (i + 1)) * (p / (1 - p));
    sum += term;
  }
  return Math.min(1, sum);
}
