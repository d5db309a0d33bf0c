import { beforeAll, describe, expect, it } from "vitest";
import { analysedScenario, type PipelineHarness } from "../helpers/pipeline";
import { getTimelineFirstView, getTimelineMeta, getTimelinePage, getTimelineRates, getTimelineRecord, resolveEvidenceLink } from "@/lib/server/views/timeline";
import { TimelinePageQuery, TimelineRatesQuery } from "@/lib/schemas/views-timeline";

describe("timeline view service (seed-001)", () => {
  const scenario = analysedScenario("seed-001-ambient-rollout-503");
  let id: string;
  let h: PipelineHarness;
  beforeAll(() => void ({ id, h } = scenario));

  it("rates: bucket counts sum to the records in range, by source, errors = error/critical severity", async () => {
    const db = scenario.db;
    const rates = await getTimelineRates(id, TimelineRatesQuery.parse({}), db);
    expect(rates.points.length).toBeGreaterThan(0);
    expect(rates.points.length).toBeLessThanOrEqual(400);
    const inRange = await db.evidence.count({ where: { incidentId: id, ts: { gte: rates.from!, lt: rates.to! } } });
    expect(rates.total).toBe(inRange);
    expect(rates.points.reduce((s, p) => s + p.total, 0)).toBe(inRange);
    for (const p of rates.points) expect(Object.values(p.bySource).reduce((s, n) => s + n, 0)).toBe(p.total);
    const errors = await db.evidence.count({ where: { incidentId: id, ts: { gte: rates.from!, lt: rates.to! }, severity: { in: ["error", "critical"] } } });
    expect(rates.points.reduce((s, p) => s + p.errors, 0)).toBe(errors);
    expect(errors).toBeGreaterThan(0);
    // Each record falls in the bucket that contains its timestamp.
    const sample = await db.evidence.findFirst({ where: { incidentId: id, ts: { not: null } }, orderBy: { ts: "desc" } });
    const idx = Math.floor((sample!.ts! - rates.from!) / rates.bucketMs);
    expect(rates.points[idx]!.total).toBeGreaterThan(0);
  });

  it("rates honour filters and a zoomed range", async () => {
    const db = scenario.db;
    const all = await getTimelineRates(id, TimelineRatesQuery.parse({}), db);
    const mid = all.from! + Math.floor((all.to! - all.from!) / 2);
    const zoom = await getTimelineRates(id, TimelineRatesQuery.parse({ from: String(all.from), to: String(mid), kind: "request", severity: "error" }), db);
    const expected = await db.evidence.count({ where: { incidentId: id, kind: "request", severity: "error", ts: { gte: all.from!, lt: mid } } });
    expect(zoom.total).toBe(expected);
    expect(zoom.bucketMs).toBeLessThanOrEqual(all.bucketMs);
  });

  it("pages: around a record gives it in context, cursors continue both ways without gaps", async () => {
    const db = scenario.db;
    const ordered = await db.evidence.findMany({ where: { incidentId: id }, orderBy: [{ ts: { sort: "asc", nulls: "first" } }, { id: "asc" }], select: { id: true } });
    const target = ordered[Math.floor(ordered.length / 2)]!.id;
    const around = await getTimelinePage(id, TimelinePageQuery.parse({ around: String(target), limit: "20" }), db);
    expect(around.focus).toBe(target);
    const pos = around.rows.findIndex((r) => r.id === target);
    expect(pos).toBe(10);
    const index = ordered.findIndex((r) => r.id === target);
    expect(around.rows.map((r) => r.id)).toEqual(ordered.slice(index - 10, index + 11).map((r) => r.id));
    const older = await getTimelinePage(id, TimelinePageQuery.parse({ cursor: around.before!, dir: "before", limit: "5" }), db);
    expect(older.rows.map((r) => r.id)).toEqual(ordered.slice(index - 15, index - 10).map((r) => r.id));
    const newer = await getTimelinePage(id, TimelinePageQuery.parse({ cursor: around.after!, dir: "after", limit: "5" }), db);
    expect(newer.rows.map((r) => r.id)).toEqual(ordered.slice(index + 11, index + 16).map((r) => r.id));
  });

  it("first view: the server-rendered page and chart equal what the client would fetch for the URL, and are stored per run", async () => {
    const db = scenario.db;
    // Warmed by the run itself, before any view asked: the chart exactly as a first visit requests it.
    const run0 = await db.analysisRun.findFirst({ where: { incidentId: id }, orderBy: { createdAt: "desc" } });
    const warmed = (await db.viewCache.findMany({ where: { runId: run0!.id }, select: { key: true } })).map((k) => k.key);
    const meta = await getTimelineMeta(id, db);
    const firstVisit = await getTimelineFirstView(id, meta, new URLSearchParams(), db);
    expect(warmed).toContain(`rates:${JSON.stringify(TimelineRatesQuery.parse(Object.fromEntries(new URLSearchParams(firstVisit.ratesQuery))))}`);
    const some = (await getTimelinePage(id, TimelinePageQuery.parse({ limit: "5" }), db)).rows[3]!;
    for (const url of ["", `severity=error`, `record=${some.id}`, `kind=request&q=503`]) {
      const first = await getTimelineFirstView(id, meta, new URLSearchParams(url), db);
      const page = await getTimelinePage(id, TimelinePageQuery.parse(Object.fromEntries(new URLSearchParams(first.pageQuery))), db);
      const rates = await getTimelineRates(id, TimelineRatesQuery.parse(Object.fromEntries(new URLSearchParams(first.ratesQuery))), db);
      expect(first.page).toEqual(page);
      expect(first.rates).toEqual(rates);
      if (url.startsWith("record=")) expect(first.page!.focus).toBe(some.id);
    }
    // The unfiltered chart is in the ViewCache table for the finished run (other processes read it).
    const run = await db.analysisRun.findFirst({ where: { incidentId: id }, orderBy: { createdAt: "desc" } });
    const keys = (await db.viewCache.findMany({ where: { runId: run!.id }, select: { key: true } })).map((k) => k.key);
    expect(keys).toEqual(expect.arrayContaining(["overview", "timeline-counts:v2", "cited"]));
    expect(keys.some((k) => k.startsWith("rates:") && !k.includes('"q"'))).toBe(true);
    expect(keys.some((k) => k.includes('"severity"'))).toBe(false);
    // Bad parameters leave the first view to the client (which shows the API's error).
    const bad = await getTimelineFirstView(id, meta, new URLSearchParams("from=yesterday"), db);
    expect(bad.page).toBeNull();
  });

  it("meta: cited evidence resolves to records, files carry skew, sources counted", async () => {
    const db = scenario.db;
    const meta = await getTimelineMeta(id, db);
    const incident = await h.waitDone(id);
    expect(meta.files.map((f) => f.path).sort()).toEqual(incident.files.map((f) => f.path).sort());
    expect(meta.sources.reduce((s, x) => s + x.count, 0)).toBe(await db.evidence.count({ where: { incidentId: id, source: { not: null } } }));
    const cite = incident.hypotheses.flatMap((hy) => hy.evidence).find((e) => e.line != null);
    expect(cite).toBeTruthy();
    const rid = await resolveEvidenceLink(id, cite!.file, cite!.line!, db);
    expect(rid).not.toBeNull();
    expect(meta.cited.map((c) => c.id)).toContain(rid);
    const detail = await getTimelineRecord(id, rid!, db);
    expect(detail!.citedBy.length).toBeGreaterThan(0);
    const page = await getTimelinePage(id, TimelinePageQuery.parse({ around: String(rid) }), db);
    expect(page.rows.find((r) => r.id === rid)?.cited).toBe(true);
  });
});
