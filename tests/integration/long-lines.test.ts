import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_LINE_BYTES } from "@/lib/server/parsers/lines";
import { withTempSqlite, type TempDatabase } from "../helpers/db";
import { startPipeline, type PipelineHarness } from "../helpers/pipeline";

/**
 * Hostile-inputs row 13 at full size through the pipeline (worker thread with its bounded heap,
 * sniffing, parser, bulk sink): a 50 MB line without a newline and a million ANSI escapes. The
 * file is parsed (not crashed), the long line is cut at MAX_LINE_BYTES and reported, the lines
 * around it are kept, and nothing close to 50 MB reaches storage. (The per-parser variant with
 * smaller inputs is in tests/unit/parsers/fuzz.test.ts.)
 */
const LINE = (i: number) =>
  `2024-10-15T14:02:${String(i % 60).padStart(2, "0")}.123456Z\tinfo\taccess\tconnection complete\tsrc.addr=10.244.1.5:43210 src.workload="productpage-v1" dst.addr=10.244.2.7:15008 dst.service="reviews.default.svc.cluster.local" direction="outbound" bytes_sent=120 bytes_recv=800 duration="13ms"`;

describe("row 13: a 50 MB line and a million ANSI escapes", () => {
  let temp: TempDatabase;
  let h: PipelineHarness;
  let dir: string;
  beforeAll(async () => {
    temp = await withTempSqlite();
    h = await startPipeline(temp.client(), temp.config);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hindsight-row13-"));
  });
  afterAll(async () => {
    await h.stop();
    await temp.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("row 13: linear, bounded, the long line truncated with a report, the lines around it kept", async () => {
    const file = path.join(dir, "ztunnel.log");
    const fd = fs.openSync(file, "w");
    fs.writeSync(fd, `${LINE(0)}\n${LINE(1)}\n`);
    // 50 MB without a newline, written in 1 MiB blocks.
    const block = Buffer.alloc(1024 * 1024, 0x41);
    for (let i = 0; i < 50; i++) fs.writeSync(fd, block);
    fs.writeSync(fd, "\n");
    // A million ANSI escapes: 1,000 lines of 1,000 colour codes each, then a normal line.
    const ansi = "\x1b[31m\x1b[0m".repeat(500);
    for (let i = 0; i < 1000; i++) fs.writeSync(fd, `${ansi}${LINE(i + 2)}\n`);
    fs.writeSync(fd, `${LINE(1002)}\n`);
    fs.closeSync(fd);
    const size = fs.statSync(file).size;
    expect(size).toBeGreaterThan(50 * 1024 * 1024);

    const t0 = Date.now();
    const { id } = await h.create([{ name: "row13/ztunnel.log", tempPath: file, size }], "row 13");
    const d = await h.waitDone(id, 300_000);
    const ms = Date.now() - t0;
    console.log(`row 13: ${(size / 1048576).toFixed(0)} MiB with a 50 MB line and 1,000,000 ANSI escapes analysed in ${ms} ms`);
    const f = d.files[0]!;
    expect(f.format).toBe("ztunnel-access");
    // Parsed, not crashed: a thread that ran out of its bounded heap would have failed the file.
    expect(["parsed", "partial"]).toContain(f.status);
    expect(f.error ?? "").not.toMatch(/crash/);
    // The lines before and after the long one are records; the long one is skipped and reported.
    expect(f.records).toBeGreaterThanOrEqual(3);
    expect(f.records + f.skipped).toBe(1004);
    expect(f.skipped).toBeGreaterThanOrEqual(1);
    const reported = [...f.skippedSamples.map((s) => `${s.line}:${s.reason}`), ...f.warnings.map((w) => `${w.line}:${w.message}`)].join("\n");
    expect(reported).toMatch(/^3:.*(long|truncat|1 MiB)/im);
    // Nothing near 50 MB was stored: every stored text is within the line cap.
    const rows = await h.db.evidence.findMany({ where: { incidentId: id }, select: { text: true } });
    expect(Math.max(...rows.map((r) => r.text.length))).toBeLessThanOrEqual(MAX_LINE_BYTES);
    expect(d.run?.status).toMatch(/completed|partial/);
  }, 360_000);
});
