import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withTempPostgres, withTempSqlite, type TempDatabase } from "../helpers/db";
import { scenarioUploads, startPipeline, type PipelineHarness } from "../helpers/pipeline";
import { CompareDto, CompareQuery } from "@/lib/schemas/compare";
import { SearchQuery, SearchResultDto, type SearchQueryInput } from "@/lib/schemas/search";
import { SimilarIncidentsDto } from "@/lib/schemas/similar";
import { type DomainError, InvalidInputError, NotFoundError } from "@/lib/server/errors";
import { toErrorResponse } from "@/lib/server/http/errors";
import { getComparison } from "@/lib/server/services/compare";
import { searchIncidents } from "@/lib/server/services/search";
import { getSimilarIncidents } from "@/lib/server/services/similar";
import { getOverview } from "@/lib/server/views/overview";

/**
 * Compare, search and similar incidents over four analysed scenarios, on both providers:
 *   seed-000  iptables rule order (+ latency regression, error burst), 2024-10-15, iptables dumps
 *   seed-001  endpoint removal race (+ error burst), 2025-06-12, go-httpbin on worker-1..3
 *   slow      near-miss slow upstream: latency regression, 504 UT / response_timeout like seed-000
 *   healthy   healthy baseline: no hypotheses, iptables dumps, no window
 */
const SCENARIOS = {
  seed000: "seed-000-mesh-iptables-reorder",
  seed001: "seed-001-ambient-rollout-503",
  slow: "near-miss-slow-upstream",
  healthy: "healthy-baseline",
} as const;
type Key = keyof typeof SCENARIOS;

for (const provider of ["sqlite", "postgresql"] as const) {
  describe(`compare, search and similar incidents on ${provider}`, () => {
    let temp: TempDatabase | null = null;
    let h: PipelineHarness | null = null;
    const ids = {} as Record<Key, string>;

    beforeAll(async () => {
      temp = provider === "sqlite" ? await withTempSqlite() : await withTempPostgres();
      if (!temp) return;
      h = await startPipeline(temp.client(), temp.config);
      for (const [key, name] of Object.entries(SCENARIOS) as Array<[Key, string]>) {
        const { id } = await h.create(scenarioUploads(name), `Cmp ${key} incident`);
        await h.waitDone(id);
        ids[key] = id;
      }
    }, 300_000);
    afterAll(async () => {
      await h?.stop();
      await temp?.cleanup();
    });

    const search = async (q: SearchQueryInput) => SearchResultDto.parse(await searchIncidents(SearchQuery.parse(q), h!.db));
    const incidentsOf = (r: SearchResultDto) => [...new Set(r.hits.map((x) => x.incidentId))].sort();

    it("search: drafts never opened are generated and searched; hits say which section", async (ctx) => {
      if (!h) return ctx.skip();
      expect(await h.db.draft.count()).toBe(0);
      const r = await search({ q: "postmortem", pageSize: "100" });
      const drafts = r.hits.filter((x) => x.where === "draft");
      expect(drafts.map((x) => x.incidentId).sort()).toEqual(Object.values(ids).sort());
      expect(drafts.every((x) => x.href.endsWith("/draft") && x.detail === "Draft — Title")).toBe(true);
      expect(await h.db.draft.count()).toBe(4);
      // A word only the draft's root-cause section has for seed-000 (the hypothesis summary is in it too).
      const root = await search({ q: "now gives", pageSize: "100" });
      expect(incidentsOf(root)).toEqual([ids.seed000]);
      expect(root.hits.map((x) => x.where).sort()).toEqual(["draft", "hypothesis"]);
      expect(root.hits.find((x) => x.where === "draft")!.detail).toBe("Draft — Root cause");
    });

    it("search: a word of a human timeline entry, in any case, links to that record", async (ctx) => {
      if (!h) return ctx.skip();
      const r = await search({ q: "ROLLOUT RESTART", pageSize: "100" });
      const hit = r.hits.find((x) => x.where === "timeline");
      expect(hit?.incidentId).toBe(ids.seed001);
      expect(hit!.snippet!.match.toLowerCase()).toBe("rollout restart");
      expect(hit!.href).toBe(`/incidents/${ids.seed001}/timeline?record=${hit!.recordId}`);
      const record = await h.db.evidence.findUnique({ where: { id: hit!.recordId! } });
      expect(record).toMatchObject({ incidentId: ids.seed001, source: "timeline" });
      expect(record!.text.toLowerCase()).toContain("rollout restart");
    });

    it("search: by detector, service, node and date range (each alone narrows to the right incidents)", async (ctx) => {
      if (!h) return ctx.skip();
      const byDetector = await search({ detector: "endpoint-removal-race" });
      expect(incidentsOf(byDetector)).toEqual([ids.seed001]);
      expect(byDetector.hits[0]!.where).toBe("filters");
      expect(byDetector.hits[0]!.detail).toMatch(/^detector endpoint-removal-race \(#1, \d+%\)$/);
      expect(incidentsOf(await search({ detector: "latency-regression" }))).toEqual([ids.seed000, ids.slow].sort());
      expect(incidentsOf(await search({ service: "HTTPBIN" }))).toEqual([ids.seed001]);
      expect(incidentsOf(await search({ node: "ip-10-0-3-21" }))).toEqual([ids.seed000]);
      expect(incidentsOf(await search({ from: "2024-10-15", to: "2024-10-15" }))).toEqual([ids.seed000]);
      expect(incidentsOf(await search({ from: "2025-01-01", to: "2025-12-31" }))).toEqual([ids.seed001, ids.slow].sort());
      // Filters and text combine with AND.
      expect(incidentsOf(await search({ q: "Cmp", detector: "latency-regression", to: "2024-12-31" }))).toEqual([ids.seed000]);
    });

    it("search: LIKE wildcards in the text are literal; pages are bounded and consistent", async (ctx) => {
      if (!h) return ctx.skip();
      expect((await search({ q: "e%r" })).total).toBe(0);
      // As wildcards these would match "timeout" / "error" everywhere; literally they are nowhere.
      expect((await search({ q: "t_meout" })).total).toBe(0);
      const all = await search({ q: "Cmp", pageSize: "100" });
      expect(all.hits.filter((x) => x.where === "title")).toHaveLength(4);
      const pages = [];
      for (let page = 1; page <= Math.ceil(all.total / 3); page++) pages.push(...(await search({ q: "Cmp", pageSize: "3", page: String(page) })).hits);
      expect(pages.map((x) => `${x.incidentId}:${x.where}`)).toEqual(all.hits.map((x) => `${x.incidentId}:${x.where}`));
      const empty = await searchIncidents(SearchQuery.parse({}), h.db).then(() => null, (e: unknown) => e);
      expect(empty).toBeInstanceOf(InvalidInputError);
      expect(empty).toMatchObject({ code: "empty_query" });
      expect(toErrorResponse(empty).status).toBe(422);
    });

    it("similar incidents: shared detectors and error signatures, one-line reason, healthy baseline left out", async (ctx) => {
      if (!h) return ctx.skip();
      const s = SimilarIncidentsDto.parse(await getSimilarIncidents(ids.seed000, h.db));
      expect(s.analysed).toBe(true);
      const byId = new Map(s.items.map((x) => [x.id, x]));
      expect(byId.has(ids.healthy)).toBe(false);
      expect(byId.get(ids.slow)?.sharedDetectors).toContain("latency-regression");
      expect(byId.get(ids.slow)?.sharedSignatures).toEqual(expect.arrayContaining(["504 UT", "response_timeout"]));
      expect(byId.get(ids.slow)?.reason).toMatch(/^same detector latency-regression; same errors .*504 UT/);
      expect(byId.get(ids.seed001)?.sharedDetectors).toContain("error-burst-after-change");
      expect(byId.get(ids.seed001)?.sharedSignatures).toContain("503 UF");
      // Deterministic: the same data gives the same list.
      expect((await getSimilarIncidents(ids.seed000, h.db)).items).toEqual(s.items);
      expect((await getSimilarIncidents(ids.healthy, h.db)).items).toEqual([]);
    });

    it("compare: key figures are the overview's, timelines share one relative axis with t = 0 at onset", async (ctx) => {
      if (!h) return ctx.skip();
      const c = CompareDto.parse(await getComparison(CompareQuery.parse({ ids: `${ids.seed000},${ids.slow}` }), h.db));
      expect(c.incidents.map((i) => i.id)).toEqual([ids.seed000, ids.slow]);
      for (const inc of c.incidents) {
        const o = await getOverview(inc.id, h.db);
        expect(inc.figures).toMatchObject({ durationMs: o.window.durationMs, peakErrorRate: o.impact.peakErrorRate, failed: o.impact.failed, p99DuringMs: o.impact.p99DuringMs });
        expect(inc.alignedAt).toBe("onset");
        expect(inc.t0).toBe(Date.parse(o.window.onset!));
        expect(inc.figures.p99ShiftMs).toBeCloseTo(o.impact.p99DuringMs! - o.impact.p99BeforeMs!);
      }
      expect(c.commonDetectors).toEqual(["latency-regression"]);
      expect(c.hypotheses[0]).toMatchObject({ detector: "latency-regression", sharedBy: 2 });
      expect(c.hypotheses.find((r) => r.detector === "iptables-rule-order")?.cells[1]).toBeNull();
      // One axis: every series covers [fromRel, toRel) in the same steps, and counts what is stored there.
      const longest = Math.max(...c.incidents.map((i) => i.figures.durationMs ?? 0));
      expect(c.timeline.toRel).toBeGreaterThanOrEqual(longest);
      expect(c.timeline.fromRel).toBeLessThan(0);
      for (const s of c.timeline.series) {
        const inc = c.incidents.find((i) => i.id === s.incidentId)!;
        const steps = s.points.slice(1).map((p, i) => p.rel - s.points[i]!.rel);
        expect(new Set(steps)).toEqual(new Set([c.timeline.bucketMs]));
        expect(s.points[0]!.rel).toBeLessThanOrEqual(c.timeline.fromRel);
        const stored = await h.db.evidence.count({ where: { incidentId: inc.id, ts: { gte: inc.t0! + c.timeline.fromRel, lt: inc.t0! + c.timeline.toRel } } });
        expect(s.total).toBe(stored);
      }
      const onsets = c.timeline.events.filter((e) => e.kind === "onset");
      expect(onsets.map((e) => [e.incidentId, e.rel])).toEqual([
        [ids.seed000, 0],
        [ids.slow, 0],
      ]);
      expect(c.timeline.events.some((e) => e.kind === "timeline" && e.incidentId === ids.seed000 && /\/timeline\?record=\d+$/.test(e.href))).toBe(true);
    });

    it("compare: latency histograms overlaid on the same buckets, counts from the stored histograms in each window", async (ctx) => {
      if (!h) return ctx.skip();
      const c = await getComparison(CompareQuery.parse({ ids: `${ids.seed000},${ids.slow}` }), h.db);
      expect(c.latency.scope).toEqual(["window", "window"]);
      for (const [i, inc] of c.incidents.entries()) {
        const sum = c.latency.buckets.reduce((s, b) => s + b.counts[i]!, 0);
        expect(sum).toBe(c.latency.percentiles[i]!.count);
        const onsetMin = Math.floor(inc.t0! / 60_000);
        const recoveryMin = Math.floor((inc.t0! + inc.recoveryRel!) / 60_000);
        const stored = await h.db.latencyHistogram.aggregate({ where: { incidentId: inc.id, metric: "duration", minute: { gte: onsetMin, lte: recoveryMin } }, _sum: { count: true } });
        expect(sum).toBe(stored._sum.count);
      }
      for (const b of c.latency.buckets) expect(b.hiMs).toBeGreaterThan(b.loMs);
      // One service: only its rows.
      const svc = await getComparison(CompareQuery.parse({ ids: `${ids.seed000},${ids.slow}`, service: "reports" }), h.db);
      expect(svc.latency.service).toBe("reports");
      expect(svc.latency.percentiles[0]).toBeNull();
      expect(svc.latency.percentiles[1]!.count).toBeGreaterThan(0);
    });

    it("compare: iptables diff across incidents (seed-000's after dump vs the baseline's), bad dump id refused", async (ctx) => {
      if (!h) return ctx.skip();
      const c = await getComparison(CompareQuery.parse({ ids: `${ids.seed000},${ids.healthy}` }), h.db);
      expect(c.rules.a?.incidentId).toBe(ids.seed000);
      expect(c.rules.a?.dump.role).toBe("after");
      expect(c.rules.b?.incidentId).toBe(ids.healthy);
      expect(c.rules.chains.length).toBeGreaterThan(0);
      expect(c.rules.chains.every((ch) => ch.counts.moved + ch.counts.added + ch.counts.removed > 0 || ch.rows.some((r) => r.newlyShadowed) || ch.policyA !== ch.policyB)).toBe(true);
      // The same two dumps, swapped through the URL parameters.
      const swapped = await getComparison(CompareQuery.parse({ ids: `${ids.seed000},${ids.healthy}`, ra: String(c.rules.b!.dump.id), rb: String(c.rules.a!.dump.id) }), h.db);
      expect(swapped.rules.a?.dump.id).toBe(c.rules.b!.dump.id);
      const none = await getComparison(CompareQuery.parse({ ids: `${ids.seed001},${ids.slow}` }), h.db);
      expect(none.rules.note).toMatch(/None of these incidents has iptables dumps/);
      await expect(getComparison(CompareQuery.parse({ ids: `${ids.seed001},${ids.slow}`, ra: String(c.rules.a!.dump.id) }), h.db)).rejects.toBeInstanceOf(NotFoundError);
    });

    it("compare: fewer than two, more than four, or unknown ids are refused with what to do", async (ctx) => {
      if (!h) return ctx.skip();
      // The service throws domain errors; the API answers them with the status beside each.
      const fail = async (ids: string) => {
        const e = (await getComparison(CompareQuery.parse({ ids }), h!.db).then(() => null, (e: unknown) => e)) as DomainError | null;
        return e && { kind: e.constructor, code: e.code, message: e.message, status: toErrorResponse(e).status };
      };
      expect(await fail(ids.seed000)).toMatchObject({ kind: InvalidInputError, code: "too_few", status: 422 });
      expect(await fail(`${ids.seed000},${ids.seed001},${ids.slow},${ids.healthy},x5`)).toMatchObject({ kind: InvalidInputError, code: "too_many", status: 422 });
      const unknown = await fail(`${ids.seed000},nope`);
      expect(unknown).toMatchObject({ kind: NotFoundError, code: "not_found", status: 404 });
      expect(unknown!.message).toContain("nope");
    });
  });
}
