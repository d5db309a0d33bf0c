import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RecordQuery } from "@/lib/schemas/records-api";
import { TimelineRatesQuery } from "@/lib/schemas/views-timeline";
import { queryRecords, findRecordByLine } from "@/lib/server/views/records";
import { getTimelineMeta, getTimelineRates } from "@/lib/server/views/timeline";
import { genAccessLog } from "@/scripts/bench-data";
import { withTempPostgres, withTempSqlite, type TempDatabase } from "../helpers/db";
import { ingestSummarisedAndFull, startPipeline, type PipelineHarness } from "../helpers/pipeline";

/**
 * Summarised files (lib/server/pipeline/tiering.ts) must lose nothing: the same access log ingested
 * summarised (incident S: notable + sampled rows, blocks, per-second counts, digest) and in full
 * (incident F: a row per record) gives the same records when paged through, the same counts and
 * charts, and the same correlation. HINDSIGHT_SUMMARISE_MIN_BYTES and HINDSIGHT_SAMPLE_TARGET scale the
 * 64 MiB threshold and the 50,000-row sample down to this 3 MB file.
 */
for (const provider of ["sqlite", "postgresql"] as const) {
  describe(`summarised files on ${provider}`, () => {
    let temp: TempDatabase | null = null;
    let h: PipelineHarness | null = null;
    let dir: string;
    let file: string;
    let s: { id: string; fileId: string };
    let f: { id: string; fileId: string };

    beforeAll(async () => {
      temp = provider === "sqlite" ? await withTempSqlite() : await withTempPostgres();
      if (!temp) return;
      const harness = await startPipeline(temp.client(), temp.config);
      h = harness;
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "hindsight-summarised-"));
      file = path.join(dir, "mesh-access.log");
      genAccessLog(file, 3 * 1024 * 1024);
      // A sample of ~500 rows; 256 KiB chunks over 2 parse threads: 12 chunks, so chunk boundaries are exercised too.
      ({ s, f } = await ingestSummarisedAndFull(harness, { name: "mesh/mesh-access.log", tempPath: file, size: fs.statSync(file).size }, {
        HINDSIGHT_SUMMARISE_MIN_BYTES: String(1024 * 1024),
        HINDSIGHT_SAMPLE_TARGET: "500",
        HINDSIGHT_SUMMARISE_CHUNK_BYTES: String(256 * 1024),
        HINDSIGHT_PARSE_THREADS: "2",
      }));
    }, 600_000);

    afterAll(async () => {
      await h?.stop();
      await temp?.cleanup();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("stores a fraction of the records as rows, with blocks, counts and a digest", async (ctx) => {
      if (!h) return ctx.skip();
      const db = h.db;
      const [sf, ff] = await Promise.all([db.evidenceFile.findUniqueOrThrow({ where: { id: s.fileId } }), db.evidenceFile.findUniqueOrThrow({ where: { id: f.fileId } })]);
      expect(sf.records).toBe(ff.records);
      expect(sf.records).toBeGreaterThan(5000);
      const summary = sf.summary as { rows: number; notable: number; sampled: number; blocks: number; chunks: number };
      expect(summary.chunks).toBeGreaterThan(10);
      expect(summary.rows).toBeLessThan(sf.records);
      expect(summary.notable).toBeGreaterThan(0);
      expect(ff.summary).toBeNull();
      const blocks = await db.evidenceBlock.findMany({ where: { fileId: s.fileId }, orderBy: { lineStart: "asc" } });
      // The run's last step warmed the timeline's first view, which materialised the blocks it shows.
      const materialised = blocks.filter((b) => b.materialized);
      expect(materialised.length).toBeLessThan(blocks.length);
      expect(await db.evidence.count({ where: { fileId: s.fileId } })).toBe(summary.rows + materialised.reduce((n, b) => n + b.bulk, 0));
      expect(await db.evidence.count({ where: { fileId: f.fileId } })).toBe(ff.records);
      expect(blocks.length).toBe(summary.blocks);
      // Blocks tile the file: contiguous bytes and lines.
      expect(blocks[0]!.byteStart).toBe(0);
      for (let i = 1; i < blocks.length; i++) {
        expect(blocks[i]!.byteStart).toBe(blocks[i - 1]!.byteEnd);
        expect(blocks[i]!.lineStart).toBe(blocks[i - 1]!.lineEnd + 1);
      }
      expect(blocks.at(-1)!.byteEnd).toBe(fs.statSync(file).size);
      expect(blocks.reduce((n, b) => n + b.records, 0)).toBe(sf.records);
      const seconds = await db.recordSecond.aggregate({ where: { fileId: s.fileId }, _sum: { count: true } });
      expect(seconds._sum.count).toBe(sf.records);
    });

    it("resolves an evidence link to a record still in a block", async (ctx) => {
      if (!h) return ctx.skip();
      const db = h.db;
      const file_ = await db.evidenceFile.findUniqueOrThrow({ where: { id: s.fileId } });
      const stored = new Set((await db.evidence.findMany({ where: { fileId: s.fileId }, select: { line: true } })).map((r) => r.line));
      const block = (await db.evidenceBlock.findFirstOrThrow({ where: { fileId: s.fileId, materialized: false }, orderBy: { lineStart: "desc" } }));
      let line = block.lineStart;
      while (stored.has(line)) line++;
      expect(block.materialized).toBe(false);
      const id = await findRecordByLine(s.id, file_.path, line, db);
      const row = id === null ? null : await db.evidence.findUnique({ where: { id } });
      expect(row?.line).toBe(line);
      expect(row?.bulk).toBe(true);
      expect((await db.evidenceBlock.findUniqueOrThrow({ where: { id: block.id } })).materialized).toBe(true);
    });

    it("pages through every record, in order, equal to the full ingest", async (ctx) => {
      if (!h) return ctx.skip();
      const db = h.db;
      const seen: Array<{ ts: number | null; id: number; text: string; line: number | null }> = [];
      let cursor: string | undefined;
      for (let guard = 0; guard < 1000; guard++) {
        const page = await queryRecords(s.id, RecordQuery.parse({ limit: 700, ...(cursor ? { cursor } : {}) }), db);
        seen.push(...page.rows);
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      const full = await db.evidence.findMany({ where: { incidentId: f.id }, select: { seq: true, text: true, line: true, ts: true } });
      expect(seen.length).toBe(full.length);
      for (let i = 1; i < seen.length; i++) expect(seen[i]!.ts! >= seen[i - 1]!.ts!).toBe(true);
      const key = (r: { line: number | null; text: string }) => `${r.line}|${r.text}`;
      expect(seen.map(key).sort()).toEqual(full.map(key).sort());
      // Everything is a row now; every block says so.
      expect(await db.evidenceBlock.count({ where: { fileId: s.fileId, materialized: false } })).toBe(0);
      expect(await db.evidence.count({ where: { fileId: s.fileId } })).toBe(full.length);
    });

    it("a filtered window backwards gives the full ingest's rows", async (ctx) => {
      if (!h) return ctx.skip();
      const db = h.db;
      const all = await db.evidence.findMany({ where: { incidentId: f.id }, orderBy: { ts: "asc" }, select: { ts: true } });
      const from = all[Math.floor(all.length * 0.3)]!.ts!;
      const to = all[Math.floor(all.length * 0.6)]!.ts!;
      const q = { from, to, severity: ["error"], order: "desc" as const, limit: 50 };
      const pageOf = async (incidentId: string) => {
        const out: string[] = [];
        let cursor: string | undefined;
        for (let guard = 0; guard < 1000; guard++) {
          const page = await queryRecords(incidentId, RecordQuery.parse({ ...q, ...(cursor ? { cursor } : {}) }), db);
          out.push(...page.rows.map((r) => `${r.line}|${r.text}`));
          if (!page.nextCursor) break;
          cursor = page.nextCursor;
        }
        return out;
      };
      const [sr, fr] = await Promise.all([pageOf(s.id), pageOf(f.id)]);
      expect(sr.length).toBeGreaterThan(0);
      expect(sr.sort()).toEqual(fr.sort());
    });

    it("counts and charts every record, as the full ingest does", async (ctx) => {
      if (!h) return ctx.skip();
      const db = h.db;
      const [sm, fm] = await Promise.all([getTimelineMeta(s.id, db), getTimelineMeta(f.id, db)]);
      expect(sm.kinds).toEqual(fm.kinds);
      expect(sm.sources).toEqual(fm.sources);
      for (const filters of [{}, { severity: "error" }, { service: "reviews" }, { source: "envoy" }]) {
        // Whole seconds: RecordSecond counts a second in the bucket of its start.
        const q = TimelineRatesQuery.parse({ buckets: 60, from: Math.floor(sm.range.start! / 60_000) * 60_000, to: Math.ceil((sm.range.end! + 1) / 60_000) * 60_000, ...filters });
        const [sr, fr] = await Promise.all([getTimelineRates(s.id, q, db), getTimelineRates(f.id, q, db)]);
        expect(sr.total).toBe(fr.total);
        expect(sr.total).toBeGreaterThan(0);
        expect(sr.points.map((p) => [p.total, p.errors])).toEqual(fr.points.map((p) => [p.total, p.errors]));
        expect(sr.partial).toBeUndefined();
      }
      const text = await getTimelineRates(s.id, TimelineRatesQuery.parse({ q: "curl" }), db);
      expect(text.partial).toBe(true);
    });

    it("correlates as the full ingest does (per-second aggregates from the digest)", async (ctx) => {
      if (!h) return ctx.skip();
      const db = h.db;
      const corr = async (id: string) => {
        const run = await db.analysisRun.findFirstOrThrow({ where: { incidentId: id }, orderBy: { createdAt: "desc" } });
        const c = run.correlation as Record<string, unknown>;
        return { window: c.window, buckets: c.buckets, timeRange: c.timeRange, recordCounts: c.recordCounts };
      };
      const [sc, fc] = await Promise.all([corr(s.id), corr(f.id)]);
      expect(sc).toEqual(fc);
    });

  });
}
