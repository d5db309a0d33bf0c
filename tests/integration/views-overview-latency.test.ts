import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withTempSqlite, type TempDatabase } from "../helpers/db";
import { analysedScenario, fixtureUploads, scenarioFiles, startPipeline, type PipelineHarness } from "../helpers/pipeline";
import { getOverview, isFailedBucket } from "@/lib/server/views/overview";
import { destName, isFailedRequest } from "@/lib/server/correlate/requests";
import { decodeRecordJson, type RequestRecord } from "@/lib/schemas/records";
import { getLatency } from "@/lib/server/views/latency";
import { OverviewDto } from "@/lib/schemas/views-overview";
import { LatencyDto } from "@/lib/schemas/views-latency";

describe("overview and latency view services (seed-001)", () => {
  const scenario = analysedScenario("seed-001-ambient-rollout-503");
  let id: string;
  beforeAll(() => void ({ id } = scenario));

  it("overview: window from the correlation; requests and failures in it are the stored requests, one per request id, failed by the one definition", async () => {
    const db = scenario.db;
    const o = OverviewDto.parse(await getOverview(id, db));
    expect(o.analysed).toBe(true);
    expect(o.window.onset).not.toBeNull();
    expect(o.window.recovery).not.toBeNull();
    const onset = Date.parse(o.window.onset!);
    const recovery = Date.parse(o.window.recovery!);
    expect(o.window.durationMs).toBe(recovery - onset);
    // Recomputed independently from the stored rows: the earliest record of each request id stands for it.
    const rows = await db.evidence.findMany({ where: { incidentId: id, kind: "request" }, select: { data: true } });
    const reqs = rows.map((r) => decodeRecordJson(r.data)).filter((r): r is RequestRecord => r.kind === "request" && r.ts !== null);
    const byId = new Map<string, RequestRecord>();
    const single: RequestRecord[] = [];
    for (const r of reqs) {
      if (!r.requestId) single.push(r);
      else if (!byId.has(r.requestId) || r.ts! < byId.get(r.requestId)!.ts!) byId.set(r.requestId, r);
    }
    const during = [...byId.values(), ...single].filter((r) => r.ts! >= onset && r.ts! < recovery);
    expect(o.impact.requests).toBe(during.length);
    expect(o.impact.failed).toBe(during.filter(isFailedRequest).length);
    expect(o.impact.failed).toBeGreaterThan(0);
    expect(o.impact.affectedServices.length).toBeGreaterThan(0);
    const top = o.impact.affectedServices[0]!;
    expect(top.failed).toBe(during.filter((r) => destName(r) === top.service && isFailedRequest(r)).length);
    const d = during.filter((r) => r.status !== null && r.durationMs !== null).map((r) => Number(r.durationMs)).sort((a, b) => a - b);
    expect(o.impact.p99DuringMs).toBe(Math.round(d[Math.floor(0.99 * (d.length - 1))]!));
  });

  it("latency: phase counts add up to the stored histogram counts; percentiles ordered", async () => {
    const db = scenario.db;
    const l = LatencyDto.parse(await getLatency(id, {}, db));
    expect(l.service).not.toBeNull();
    const stored = await db.latencyHistogram.findMany({ where: { incidentId: id, service: l.service!, metric: "duration" } });
    const total = stored.reduce((s, r) => s + r.count, 0);
    const overall = l.histograms.find((x) => x.metric === "duration" && (x.hop === "all" || l.histograms.filter((y) => y.metric === "duration").length === 1))!;
    expect(overall).toBeTruthy();
    const sum = overall.buckets.reduce((s, b) => s + b.before + b.during + b.after, 0);
    expect(sum).toBe(total);
    const p = overall.phases.during!;
    expect(p.p50!).toBeLessThanOrEqual(p.p90!);
    expect(p.p90!).toBeLessThanOrEqual(p.p99!);
    expect(p.p99!).toBeLessThanOrEqual(p.p999!);
    for (const b of overall.buckets) expect(b.hiMs).toBeGreaterThan(b.loMs);
    // Comparison: the slow group is the top 5 % of the sampled requests.
    const c = l.comparison;
    expect(c.sampled).toBeGreaterThan(0);
    expect(c.slow + c.fast).toBe(c.sampled);
    expect(c.slow).toBeLessThanOrEqual(Math.ceil(c.sampled * 0.05) + c.sampled * 0.5);
    for (const a of c.attributes) for (const v of a.values) expect(v.diff).toBeCloseTo(v.slowShare - v.fastShare, 9);
  });

  it("latency: an unknown service falls back to the busiest", async () => {
    const l = await getLatency(id, { service: "no-such-service" }, scenario.db);
    expect(l.service).toBe(l.services[0]?.service ?? null);
  });
});

describe("overview on a clean ambient rollout (near miss): completed ztunnel connections are not failures", () => {
  let temp: TempDatabase;
  let h: PipelineHarness;
  let id: string;
  beforeAll(async () => {
    temp = await withTempSqlite();
    h = await startPipeline(temp.client(), temp.config);
    ({ id } = await h.create(fixtureUploads(scenarioFiles("near-miss-clean-rollout"))));
    await h.waitDone(id);
  });
  afterAll(async () => {
    await h?.stop();
    await temp?.cleanup();
  });

  it("counts as failed only what the records call errors", async () => {
    const db = temp.client();
    const o = OverviewDto.parse(await getOverview(id, db));
    // Independent of the bucket rule: the stored request records' own severity.
    const requests = await db.evidence.count({ where: { incidentId: id, kind: "request" } });
    const errors = await db.evidence.count({ where: { incidentId: id, kind: "request", severity: "error" } });
    expect(requests).toBeGreaterThan(0);
    expect(errors).toBeLessThan(requests / 10);
    expect(o.impact.failed).toBeLessThanOrEqual(errors);
    expect(o.impact.requests).toBeGreaterThan(o.impact.failed * 2);
  });
});

describe("isFailedBucket", () => {
  it("5xx, connection errors and Envoy's no-response (0 with a flag) fail; a status-less completed connection does not", () => {
    expect(isFailedBucket(503, "UF")).toBe(true);
    expect(isFailedBucket(500, "-")).toBe(true);
    expect(isFailedBucket(-1, "error")).toBe(true);
    expect(isFailedBucket(0, "UC")).toBe(true);
    expect(isFailedBucket(0, "-")).toBe(false);
    expect(isFailedBucket(200, "-")).toBe(false);
    expect(isFailedBucket(404, "NR")).toBe(false);
    expect(isFailedBucket(0, "DC")).toBe(false);
    expect(isFailedBucket(499, "-")).toBe(false);
  });
});
