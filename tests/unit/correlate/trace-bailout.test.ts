import { describe, expect, it } from "vitest";
import { analyseBailouts, BAILOUT, binomialTail, type BailoutAnalysis } from "@/lib/server/correlate/trace-bailout";
import type { SpanInput } from "@/lib/server/correlate/trace-blame";
import { epochMs, durationMs } from "@/lib/schemas/time";
import { prng } from "../detectors/builders";

/**
 * A shop without span status (errors are not in the traces), two pages:
 *   order page   web ─ orders ─┬─ stock (×1..4, one per item)     then web ─ search, web ─ ads
 *                              └─ ledger
 *   browse page  web ─ search ─ web ─ stock ─ web ─ ads
 * 400 traces before the split, 400 after. `fail` says what goes wrong in a share of window traces.
 */
interface Opts {
  /** stock answers badly: every caller stops right after calling it. */
  stockFails?: number;
  /** web's own order handler throws after orders answered (orders completed its work). */
  webFailsAfterOrders?: number;
  /** web rejects the request before calling anything. */
  webFailsEarly?: number;
  /** Share of order pages before / after the split (workload mix). */
  orderShare?: [number, number];
  /** Items per order before / after (how many times orders calls stock). */
  items?: [number, number];
  /** Window traces (fewer = thin window). */
  windowTraces?: number;
}

const SPLIT = 1_700_000_000_000;

function shop(o: Opts = {}, seed = 11): { spans: SpanInput[]; phase: (s: SpanInput) => "reference" | "window" } {
  const rand = prng(seed);
  const spans: SpanInput[] = [];
  const n = [400, o.windowTraces ?? 400];
  for (const side of [0, 1] as const) {
    for (let i = 0; i < n[side]!; i++) {
      const traceId = `${side}-${i}`;
      let at = (side ? SPLIT : SPLIT - 3_600_000) + i * 1000;
      let k = 0;
      const sp = (service: string, name: string, parent: string | null, kind: SpanInput["spanKind"]) => {
        const s: SpanInput = { traceId, spanId: `s${k++}`, parentSpanId: parent, service, name, spanKind: kind, ts: epochMs(at++), durationMs: durationMs(5), status: "unset" };
        spans.push(s);
        return s.spanId;
      };
      const fails = (share = 0) => side === 1 && rand() < share;
      const root = sp("web", "GET", null, "server");
      // The web's call to a service: client span, then the callee's server span under it.
      const call = (callee: string, op: string) => sp(callee, op, sp("web", `${callee}.${op}`, root, "client"), "server");
      if (fails(o.webFailsEarly)) continue;
      const orderPage = rand() < (o.orderShare?.[side] ?? 0.5);
      const stockFails = fails(o.stockFails);
      if (orderPage) {
        const ord = call("orders", "Place");
        const items = 1 + Math.floor(rand() * (o.items?.[side] ?? 3));
        let stopped = false;
        for (let j = 0; j < items && !stopped; j++) {
          sp("stock", "Reserve", sp("orders", "stock.Reserve", ord, "client"), "server");
          stopped = stockFails;
        }
        if (stopped) continue; // orders returns the error; web stops after orders
        sp("ledger", "Book", sp("orders", "ledger.Book", ord, "client"), "server");
        if (fails(o.webFailsAfterOrders)) continue;
        call("search", "Related");
        call("ads", "Get");
      } else {
        call("search", "Query");
        call("stock", "Level");
        if (stockFails) continue;
        call("ads", "Get");
      }
    }
  }
  const phase = (s: SpanInput) => (s.ts >= SPLIT ? "window" : "reference") as "reference" | "window";
  return { spans, phase };
}

const run = (o: Opts) => {
  const { spans, phase } = shop(o);
  return analyseBailouts(spans, phase);
};
const top = (a: BailoutAnalysis) => a.blames[0];

describe("analyseBailouts: fires", () => {
  const cases: Array<{ name: string; opts: Opts; service: string; role: "caller" | "callee"; after?: string | null }> = [
    { name: "a callee that two calling services stop after is blamed (common cause)", opts: { stockFails: 0.4 }, service: "stock", role: "callee", after: "stock" },
    { name: "a handler that stops before any call is its own service's", opts: { webFailsEarly: 0.3 }, service: "web", role: "caller", after: null },
    { name: "a handler that stops after a callee completed normally, only one caller: the caller", opts: { webFailsAfterOrders: 0.5 }, service: "web", role: "caller", after: "orders" },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const a = run(c.opts);
      const b = top(a);
      expect(b?.service).toBe(c.service);
      expect(b?.role).toBe(c.role);
      expect(b!.score).toBeGreaterThan(0.5);
      if (c.after !== undefined) expect(b!.points[0]!.after).toBe(c.after);
      // Every charged point cites window entry spans that stopped there.
      expect(b!.points[0]!.examples.length).toBeGreaterThan(0);
    });
  }

  it("propagation: web stopping after orders (which stopped itself) is not charged to web", () => {
    const a = run({ stockFails: 0.4 });
    const webAfterOrders = a.points.find((p) => p.caller === "web" && p.after === "orders");
    expect(webAfterOrders).toBeDefined();
    expect(a.blames.find((b) => b.service === "web")).toBeUndefined();
    expect(a.blames.find((b) => b.service === "orders")).toBeUndefined();
    expect(top(a)!.callers).toEqual(["orders", "web"]);
  });
});

describe("analyseBailouts: must not fire", () => {
  const cases: Array<{ name: string; opts: Opts }> = [
    { name: "nothing changed", opts: {} },
    { name: "workload mix moved from browse to order pages (each request complete)", opts: { orderShare: [0.2, 0.8] } },
    { name: "more items per order: orders calls stock more often, but goes on", opts: { items: [1, 6] } },
    { name: "a failure in too few window requests", opts: { webFailsEarly: 0.004 } },
    { name: "a window too thin to judge", opts: { stockFails: 0.5, windowTraces: BAILOUT.MIN_INVOCATIONS - 1 } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const a = run(c.opts);
      expect(a.blames.filter((b) => b.score >= 0.2)).toEqual([]);
    });
  }
});

describe("binomialTail", () => {
  const cases: Array<[k: number, n: number, p: number, expected: number]> = [
    [0, 10, 0.3, 1],
    [11, 10, 0.3, 0],
    [1, 1, 0.5, 0.5],
    [2, 2, 0.5, 0.25],
    [3, 10, 0.1, 0.0701908264], // 1 − P(X ≤ 2)
    [5, 18, 0.026, 7.6658e-5], // exact sum, checked with Python's math.comb
  ];
  for (const [k, n, p, expected] of cases) it(`P(X ≥ ${k} | n=${n}, p=${p})`, () => expect(binomialTail(k, n, p)).toBeCloseTo(expected, expected < 0.01 ? 5 : 6));
  it("stays finite and tiny for large n", () => expect(binomialTail(617, 625, 0.0017)).toBeLessThan(1e-100));
});
