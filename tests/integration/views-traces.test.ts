import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withTempSqlite, type TempDatabase } from "../helpers/db";
import { contentUpload, fixtureUploads, scenarioFiles, startPipeline, type PipelineHarness } from "../helpers/pipeline";
import { TracesQuery, TracesViewDto, WaterfallWindowQuery } from "@/lib/schemas/views-traces";
import { buildWaterfall, getTracesView, getWaterfallWindow, WATERFALL_FIRST_WINDOW } from "@/lib/server/views/traces";

describe("traces view on seed-003 (conntrack SNAT race, X-Ray)", () => {
  let t: TempDatabase;
  let h: PipelineHarness;
  let id: string;
  beforeAll(async () => {
    t = await withTempSqlite();
    h = await startPipeline(t.client(), t.config);
    ({ id } = await h.create(fixtureUploads(scenarioFiles("seed-003-conntrack-snat-race")), "seed-003"));
    await h.waitDone(id);
  });
  afterAll(async () => {
    await h?.stop();
    await t?.cleanup();
  });

  it("lists slowest traces aggregated by trace id, and the waterfall shows the SNAT-race connect gap", async () => {
    const v = TracesViewDto.parse(await getTracesView(id, TracesQuery.parse({}), h.db));
    expect(v.totalSpans).toBeGreaterThan(0);
    expect(v.slowest.length).toBeGreaterThan(0);
    const durations = v.slowest.map((s) => s.durationMs ?? 0);
    expect(durations).toEqual([...durations].sort((a, b) => b - a));
    expect(v.slowest.reduce((n, s) => n + s.spans, 0)).toBeLessThanOrEqual(v.totalSpans);
    const slow = v.slowest[0]!;
    const d = TracesViewDto.parse(await getTracesView(id, TracesQuery.parse({ trace: slow.traceId }), h.db)).detail!;
    expect(d.spans.length).toBe(slow.spans);
    expect(d.spans[0]!.depth).toBe(0);
    // Children follow their parent (depth-first) and offsets are relative to the trace start.
    for (const s of d.spans.slice(1)) if (s.parent !== null) expect(d.spans.findIndex((p) => p.id === s.parent)).toBeLessThan(d.spans.indexOf(s));
    const gaps = d.spans.filter((s) => s.gapMs !== null).map((s) => s.gapMs!);
    expect(gaps.some((g) => g >= 900)).toBe(true);
    expect(d.comparison).not.toBeNull();
    expect(d.comparison!.typical.traceId).not.toBe(slow.traceId);
    expect(d.comparison!.typical.durationMs!).toBeLessThan(d.summary.durationMs!);
    expect(d.comparison!.rows.some((r) => r.diffMs >= 900)).toBe(true);
  });
});

describe("buildWaterfall (pure)", () => {
  const span = (id: number, spanId: string, parent: string | null, ts: number, dur: number, extra: Record<string, unknown> = {}) => ({
    id,
    path: "t.json",
    line: id,
    rec: { kind: "span" as const, traceId: "t", spanId, parentSpanId: parent, service: "svc", name: `op${spanId}`, spanKind: "internal" as const, ts, durationMs: dur, status: "unset" as const, attrs: {}, prov: {}, ...extra },
  });
  it("marks retries to the same peer, errors and the connect gap", () => {
    const w = buildWaterfall([
      span(1, "a", null, 1000, 4000),
      span(2, "b", "a", 4000, 100, { spanKind: "client", peer: "payments", status: "error", statusMessage: "connection reset" }),
      span(3, "c", "a", 4200, 100, { spanKind: "client", peer: "payments" }),
      span(4, "d", "c", 4210, 50),
    ] as never);
    expect(w.rows.map((r) => r.id)).toEqual([1, 2, 3, 4]);
    expect(w.rows[1]).toMatchObject({ attempt: 1, attempts: 2, error: true, gapMs: 3000, depth: 1 });
    expect(w.rows[2]).toMatchObject({ attempt: 2, attempts: 2, gapMs: null });
    expect(w.retries).toBe(1);
    expect(w.errors).toBe(1);
    expect(w.gaps).toBe(1);
  });
});

describe("traces view on a 5,000-span trace: windowed, never the whole trace in one payload", () => {
  let t: TempDatabase;
  let h: PipelineHarness;
  let id: string;
  const SPANS = 5000;
  beforeAll(async () => {
    t = await withTempSqlite();
    h = await startPipeline(t.client(), t.config);
    // OTLP/JSON: one root with SPANS-1 children in chains of 10 (deep and wide).
    const hex = (n: number, len: number) => n.toString(16).padStart(len, "0");
    const spans = Array.from({ length: SPANS }, (_, i) => ({
      traceId: "f".repeat(32),
      spanId: hex(i + 1, 16),
      parentSpanId: i === 0 ? "" : hex(i % 10 === 1 ? 1 : i, 16),
      name: `op-${i}`,
      kind: 2,
      startTimeUnixNano: String(1_729_000_800_000_000_000n + BigInt(i) * 1_000_000n),
      endTimeUnixNano: String(1_729_000_800_000_000_000n + BigInt(i) * 1_000_000n + (i === 0 ? BigInt(SPANS) * 2_000_000n : 500_000n)),
    }));
    const body = JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: "service.name", value: { stringValue: "checkout" } }] }, scopeSpans: [{ spans }] }] });
    ({ id } = await h.create([contentUpload("big-trace.otlp.json", body)], "big trace"));
    await h.waitDone(id);
  });
  afterAll(async () => {
    await h?.stop();
    await t?.cleanup();
  });

  it("sends the first window with the page and serves the rest by index, collapsed or not", async () => {
    const d = TracesViewDto.parse(await getTracesView(id, TracesQuery.parse({ trace: "f".repeat(32) }), h.db)).detail!;
    expect(d.summary.spans).toBe(SPANS);
    expect(d.spans).toEqual([]);
    expect(d.window!.total).toBe(SPANS);
    expect(d.window!.rows.length).toBe(WATERFALL_FIRST_WINDOW);
    expect(d.extentMs).toBeGreaterThanOrEqual(SPANS * 2);
    const later = await getWaterfallWindow(id, "f".repeat(32), WaterfallWindowQuery.parse({ offset: "4900", limit: "200" }), h.db);
    expect(later.offset).toBe(4800);
    expect(later.rows.at(-1)!.index).toBe(SPANS - 1);
    // Collapsing the root leaves one visible row.
    const root = d.window!.rows[0]!;
    const collapsed = await getWaterfallWindow(id, "f".repeat(32), WaterfallWindowQuery.parse({ collapsed: String(root.id) }), h.db);
    expect(collapsed.total).toBe(1);
    // A span from the URL is in the first window.
    const deep = later.rows[50]!;
    const around = TracesViewDto.parse(await getTracesView(id, TracesQuery.parse({ trace: "f".repeat(32), span: String(deep.id) }), h.db)).detail!;
    expect(around.window!.rows.some((r) => r.id === deep.id)).toBe(true);
    await expect(getWaterfallWindow(id, "0".repeat(32), WaterfallWindowQuery.parse({}), h.db)).rejects.toThrow(/not found/);
  });
});
