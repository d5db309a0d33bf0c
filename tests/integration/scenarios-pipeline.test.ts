import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CorrelationSummary } from "@/lib/server/correlate/schema";
import { queryRecords } from "@/lib/server/views/records";
import { patchFile } from "@/lib/server/services/reanalyze";
import { RecordQuery } from "@/lib/schemas/records-api";
import { withTempSqlite, type TempDatabase } from "../helpers/db";
import { FIXTURES, scenarioUploads, startPipeline, type PipelineHarness } from "../helpers/pipeline";
import { readExpect } from "../unit/detectors/scenario";

/**
 * Issue 4 acceptance through the real pipeline (upload → unpack → worker thread → DB →
 * correlate → detectors → stored hypotheses), not only through the detector unit harness:
 * each scenario's expect.json names the top detector, its evidence file and what must not fire.
 */
const SCEN = path.join(FIXTURES, "scenarios");

let temp: TempDatabase;
let h: PipelineHarness;
beforeAll(async () => {
  temp = await withTempSqlite();
  h = await startPipeline(temp.client(), temp.config);
});
afterAll(async () => {
  await h?.stop();
  await temp?.cleanup();
});

describe("seed scenarios through the full pipeline", () => {
  for (const scenario of fs.readdirSync(SCEN).sort()) {
    it(`${scenario}: the expected detector ranks first, citing the expected file; nothing forbidden fires`, async () => {
      const exp = readExpect(scenario);
      const { id } = await h.create(scenarioUploads(scenario));
      const done = await h.waitDone(id, 120_000);
      expect(done.run?.status).toBe("completed");
      for (const [rel, format] of Object.entries(exp.formats ?? {})) {
        expect(done.files.find((f) => f.path === `${scenario}/${rel}`)?.format, rel).toBe(format);
      }
      const strong = done.hypotheses.filter((x) => x.confidence >= 0.5);
      if (exp.top === null) {
        expect(strong.map((x) => x.detector)).toEqual([]);
      } else {
        expect(done.hypotheses[0]?.detector).toBe(exp.top);
        expect(done.topHypothesis).toBe(done.hypotheses[0]?.title);
        if (exp.topEvidenceFile) {
          const cited = done.hypotheses[0]!.evidence.filter((e) => e.file === `${scenario}/${exp.topEvidenceFile}`);
          expect(cited.length).toBeGreaterThan(0);
          expect(cited.some((e) => typeof e.line === "number" && e.line > 0) || cited.some((e) => e.spanId || e.traceId)).toBe(true);
        }
      }
      for (const d of exp.mustNotFire ?? []) expect(strong.map((x) => x.detector)).not.toContain(d);
    }, 180_000);
  }
});

describe("records and clock skew", () => {
  it("records are queryable by kind, time range, service and text, and pages cover everything exactly once", async () => {
    const scenario = "seed-000-mesh-iptables-reorder";
    const { id } = await h.create(scenarioUploads(scenario));
    const done = await h.waitDone(id, 120_000);
    const total = done.files.reduce((s, f) => s + f.records, 0);
    const seen = new Set<number>();
    let cursor: string | undefined;
    let lastTs = -Infinity;
    do {
      const page = await queryRecords(id, RecordQuery.parse({ limit: "97", ...(cursor ? { cursor } : {}) }), h.db);
      for (const r of page.rows) {
        expect(seen.has(r.id)).toBe(false);
        seen.add(r.id);
        if (r.ts !== null) {
          expect(r.ts).toBeGreaterThanOrEqual(lastTs);
          lastTs = r.ts;
        }
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen.size).toBe(total);

    const rulesets = await queryRecords(id, RecordQuery.parse({ kind: "ruleset" }), h.db);
    expect(rulesets.rows.length).toBeGreaterThanOrEqual(3);
    expect(rulesets.rows.every((r) => r.kind === "ruleset")).toBe(true);
    const from = Date.parse("2024-10-15T14:05:00Z");
    const to = Date.parse("2024-10-15T14:06:00Z");
    const slice = await queryRecords(id, RecordQuery.parse({ from: String(from), to: "2024-10-15T14:06:00Z", limit: "1000" }), h.db);
    expect(slice.rows.length).toBeGreaterThan(0);
    expect(slice.rows.every((r) => r.ts !== null && r.ts >= from && r.ts < to)).toBe(true);
    const text = await queryRecords(id, RecordQuery.parse({ q: "504", kind: "request", limit: "1000" }), h.db);
    expect(text.rows.length).toBeGreaterThan(0);
    expect(text.rows.every((r) => r.text.includes("504"))).toBe(true);
    const svc = await queryRecords(id, RecordQuery.parse({ service: "payment", limit: "1000" }), h.db);
    expect(svc.rows.length).toBeGreaterThan(0);
    expect(svc.rows.every((r) => (r.service ?? "").includes("payment"))).toBe(true);
  }, 180_000);

  it("a per-file clock-skew override re-runs the analysis with the override applied", async () => {
    const scenario = "seed-000-mesh-iptables-reorder";
    const { id } = await h.create(scenarioUploads(scenario));
    await h.waitDone(id, 120_000);
    const file = await h.db.evidenceFile.findFirstOrThrow({ where: { incidentId: id, path: `${scenario}/nodes/ip-10-0-3-21/checkout-istio-proxy.json.log` } });
    const first = await h.db.analysisRun.findFirstOrThrow({ where: { incidentId: id }, orderBy: { createdAt: "desc" } });
    const estimated = CorrelationSummary.parse(first.correlation).skew.find((s) => s.fileId === file.id);
    expect(estimated?.basis).not.toBe("override");
    expect(estimated?.skewMs).toBeGreaterThan(600);

    const { runId } = await patchFile(id, file.id, { clockSkewMs: 1234 }, { db: h.db, queue: async () => h.queue });
    const done = await h.waitDone(id, 120_000);
    expect(done.run?.id).toBe(runId);
    const run = await h.db.analysisRun.findUniqueOrThrow({ where: { id: runId } });
    const skew = CorrelationSummary.parse(run.correlation).skew.find((s) => s.fileId === file.id);
    expect(skew).toMatchObject({ basis: "override", appliedMs: 1234 });
    // Files were not parsed again: the same records, no duplicates.
    const rows = await h.db.evidence.count({ where: { incidentId: id } });
    expect(rows).toBe(done.files.reduce((s, f) => s + f.records, 0));
  }, 240_000);
});
