import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withTempSqlite, type TempDatabase } from "../helpers/db";
import { fixtureUploads, scenarioFiles, startPipeline, type PipelineHarness } from "../helpers/pipeline";
import { TracesQuery, TracesViewDto } from "@/lib/schemas/views-traces";
import { buildWaterfall, getTracesView } from "@/lib/server/views/traces";

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
