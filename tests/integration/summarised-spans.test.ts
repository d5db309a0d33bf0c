import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mulberry32 } from "@/lib/prng";
import { RecordQuery } from "@/lib/schemas/records-api";
import { TracesQuery } from "@/lib/schemas/views-traces";
import { queryRecords } from "@/lib/server/views/records";
import { getTracesView } from "@/lib/server/views/traces";
import { withTempPostgres, withTempSqlite, type TempDatabase } from "../helpers/db";
import { ingestSummarisedAndFull, startPipeline, type PipelineHarness } from "../helpers/pipeline";

/**
 * Summarised OTLP/JSON (lib/server/pipeline/summarised-spans.ts): the same trace export ingested
 * summarised (S: notable spans and sampled traces as rows, span blocks with trace Bloom filters)
 * and in full (F) must give the same spans when paged, the same trace lists and waterfalls, the
 * same counts. 128 KiB batches make ~20 blocks. The export is pretty-printed (line numbers matter), has multi-service traces whose
 * spans sit in different resourceSpans, a resource that comes after its scopeSpans, and errors.
 */
function genTraces(file: string, traces: number): void {
  const r = mulberry32(99);
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join("");
  const services = ["frontend", "cart", "payments"];
  const bySvc = new Map<string, unknown[]>(services.map((s) => [s, []]));
  let t = 1_729_000_800_000_000_000n;
  for (let i = 0; i < traces; i++) {
    const traceId = hex(32);
    const root = hex(16);
    t += BigInt(Math.floor(r() * 50_000_000));
    const failed = r() < 0.05;
    const spans = [{ svc: "frontend", id: root, parent: "", kind: 2, dur: 80_000_000 + Math.floor(r() * 40_000_000) }];
    for (let k = 0; k < 4; k++) spans.push({ svc: services[1 + (k % 2)]!, id: hex(16), parent: root, kind: 3, dur: Math.floor(r() * 30_000_000) });
    spans.forEach((s, k) =>
      bySvc.get(s.svc)!.push({
        traceId,
        spanId: s.id,
        parentSpanId: s.parent,
        name: `op ${k}`,
        kind: s.kind,
        startTimeUnixNano: String(t + BigInt(k * 1_000_000)),
        endTimeUnixNano: String(t + BigInt(k * 1_000_000 + s.dur)),
        attributes: [{ key: "http.response.status_code", value: { intValue: failed && k === 2 ? "503" : "200" } }],
        status: failed && k === 2 ? { code: 2, message: "upstream failed" } : {},
      }),
    );
  }
  const resource = (svc: string) => ({ attributes: [{ key: "service.name", value: { stringValue: svc } }] });
  const doc = {
    resourceSpans: services.map((svc, i) =>
      // The last element names its resource after its spans (key order is not guaranteed).
      i === 2 ? { scopeSpans: [{ scope: { name: "t" }, spans: bySvc.get(svc) }], resource: resource(svc) } : { resource: resource(svc), scopeSpans: [{ scope: { name: "t", version: "1" }, spans: bySvc.get(svc) }] },
    ),
  };
  fs.writeFileSync(file, JSON.stringify(doc, null, 1));
}

for (const provider of ["sqlite", "postgresql"] as const) {
  describe(`summarised span files on ${provider}`, () => {
    let temp: TempDatabase | null = null;
    let h: PipelineHarness | null = null;
    let dir: string;
    let s: { id: string; fileId: string };
    let f: { id: string; fileId: string };

    beforeAll(async () => {
      temp = provider === "sqlite" ? await withTempSqlite() : await withTempPostgres();
      if (!temp) return;
      const harness = await startPipeline(temp.client(), temp.config);
      h = harness;
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "hindsight-spans-"));
      const file = path.join(dir, "traces.json");
      genTraces(file, 1500);
      ({ s, f } = await ingestSummarisedAndFull(harness, { name: "otel/traces.json", tempPath: file, size: fs.statSync(file).size }, {
        HINDSIGHT_SUMMARISE_MIN_BYTES: String(64 * 1024),
        HINDSIGHT_SAMPLE_TARGET: "300",
        HINDSIGHT_PARSE_THREADS: "2",
        HINDSIGHT_SUMMARISE_CHUNK_BYTES: String(128 * 1024),
      }));
    }, 600_000);

    afterAll(async () => {
      await h?.stop();
      await temp?.cleanup();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("stores notable spans and sampled traces, with span blocks", async (ctx) => {
      if (!h) return ctx.skip();
      const db = h.db;
      const [sf, ff] = await Promise.all([db.evidenceFile.findUniqueOrThrow({ where: { id: s.fileId } }), db.evidenceFile.findUniqueOrThrow({ where: { id: f.fileId } })]);
      expect(ff.records).toBe(7500);
      expect(sf.records).toBe(ff.records);
      expect(sf.format).toBe("otlp-json");
      const summary = sf.summary as { rows: number; notable: number; sampled: number; blocks: number };
      expect(summary.rows).toBeLessThan(sf.records / 2);
      expect(summary.notable).toBeGreaterThan(0);
      expect(summary.sampled).toBeGreaterThan(0);
      const blocks = await db.evidenceBlock.findMany({ where: { fileId: s.fileId } });
      expect(blocks.length).toBe(summary.blocks);
      expect(blocks.every((b) => b.context !== null && b.traces !== null)).toBe(true);
      expect(blocks.reduce((n, b) => n + b.records, 0)).toBe(sf.records);
      // Sampling is by trace: a sampled trace is stored whole.
      const rows = await db.evidence.findMany({ where: { fileId: s.fileId }, select: { traceId: true, severity: true } });
      const perTrace = new Map<string, number>();
      for (const r of rows) perTrace.set(r.traceId!, (perTrace.get(r.traceId!) ?? 0) + 1);
      expect([...perTrace.values()].filter((n) => n === 5).length).toBeGreaterThan(10);
    });

    it("lists the same slow and failed traces, and shows each waterfall whole", async (ctx) => {
      if (!h) return ctx.skip();
      const db = h.db;
      const [sv, fv] = await Promise.all([getTracesView(s.id, TracesQuery.parse({ limit: 10 }), db), getTracesView(f.id, TracesQuery.parse({ limit: 10 }), db)]);
      expect(sv.totalSpans).toBe(fv.totalSpans);
      // Slowest: same traces, order, longest span and errors (each block keeps its slowest spans).
      const strip = (l: typeof sv.slowest) => l.map(({ rootId: _r, spans: _s, partial: _p, ...rest }) => rest);
      expect(strip(sv.slowest)).toEqual(strip(fv.slowest));
      // Failed: the same traces and errors (every error span is a row); their other spans may still be
      // in blocks, so span counts and durations are lower bounds, flagged `partial`.
      const byId = (l: typeof sv.failed) => new Map(l.map((x) => [x.traceId, x]));
      const [sf, ff] = [byId(sv.failed), byId(fv.failed)];
      expect([...sf.keys()].sort()).toEqual([...ff.keys()].sort());
      expect(sf.size).toBeGreaterThan(0);
      const all = [...sv.slowest.map((x, i) => [x, fv.slowest[i]!] as const), ...[...sf.values()].map((x) => [x, ff.get(x.traceId)!] as const)];
      for (const [a, b] of all) {
        expect(a.errors).toBe(b.errors);
        expect(a.spans <= b.spans && (a.durationMs ?? 0) <= (b.durationMs ?? 0)).toBe(true);
        if (a.spans < b.spans) expect(a.partial).toBe(true);
      }
      expect([...fv.slowest, ...fv.failed].some((x) => x.partial)).toBe(false);
      // A trace that is neither slow nor failed nor sampled: its spans come back from the blocks.
      const stored = new Set((await db.evidence.findMany({ where: { fileId: s.fileId }, select: { traceId: true } })).map((r) => r.traceId));
      const everyTrace = await db.evidence.findMany({ where: { fileId: f.fileId }, select: { traceId: true } });
      const hidden = everyTrace.map((r) => r.traceId!).find((t) => !stored.has(t))!;
      expect(hidden).toBeDefined();
      const [sw, fw] = await Promise.all([getTracesView(s.id, TracesQuery.parse({ trace: hidden }), db), getTracesView(f.id, TracesQuery.parse({ trace: hidden }), db)]);
      // Row ids differ between the incidents: compare parents by span id instead.
      const shape = (v: typeof sw) => {
        const spanOf = new Map(v.detail!.spans.map((x) => [x.id, x.spanId]));
        return v.detail!.spans.map((x) => ({ ...x, id: 0, parent: x.parent === null ? null : spanOf.get(x.parent) }));
      };
      expect(sw.detail!.spans.length).toBe(5);
      expect(shape(sw)).toEqual(shape(fw));
    });

    it("pages through every span, equal to the full ingest", async (ctx) => {
      if (!h) return ctx.skip();
      const db = h.db;
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let guard = 0; guard < 1000; guard++) {
        const page = await queryRecords(s.id, RecordQuery.parse({ limit: 600, ...(cursor ? { cursor } : {}) }), db);
        seen.push(...page.rows.map((r) => `${r.line}|${r.text}|${r.traceId}`));
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      const full = await db.evidence.findMany({ where: { incidentId: f.id }, select: { line: true, text: true, traceId: true } });
      expect(seen.length).toBe(full.length);
      expect(seen.sort()).toEqual(full.map((r) => `${r.line}|${r.text}|${r.traceId}`).sort());
      // Same records, same provenance (pointer, line, offset) as the full ingest, seq included.
      const data = async (fileId: string) => (await db.evidence.findMany({ where: { fileId }, orderBy: { seq: "asc" }, select: { seq: true, data: true } })).map((r) => `${r.seq}|${r.data}`);
      expect(await data(s.fileId)).toEqual(await data(f.fileId));
    });
  });
}
