import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "@/lib/schemas/limits";
import { QUEUE_ANALYZE } from "@/lib/schemas/jobs";
import type { JobContext } from "@/lib/server/jobs/types";
import { receiveMultipart } from "@/lib/server/http/multipart";
import { runAnalysisJob } from "@/lib/server/pipeline/run-analysis";
import { createIncident } from "@/lib/server/services/incidents";
import { attachmentNames, openRawFile } from "@/lib/server/services/raw-file";
import type { Db } from "@/lib/server/db/client";
import { withTempPostgres, withTempSqlite, type TempDatabase } from "../helpers/db";
import { contentUpload, startPipeline, type PipelineHarness } from "../helpers/pipeline";

/**
 * Hostile-inputs rows 10, 11, 24 and 27 through the real pipeline (upload → unpack → queue →
 * worker threads → database), on SQLite with the embedded queue and on PostgreSQL with pg-boss.
 */
const ZTUNNEL = (i: number, tag: string) =>
  `2024-10-15T14:0${i % 10}:00.123456Z\tinfo\taccess\tconnection complete\tsrc.addr=10.244.1.5:4321${i % 10} src.workload="productpage-v1" dst.addr=10.244.2.7:15008 dst.service="${tag}.default.svc.cluster.local" direction="outbound" bytes_sent=${i} bytes_recv=800 duration="${13 + i}ms"`;

for (const provider of ["sqlite", "postgresql"] as const) {
  const mode = provider === "sqlite" ? "embedded" : "pg-boss";
  describe(`hostile bundles through the pipeline (${mode})`, () => {
    let temp: TempDatabase | null = null;
    let h: PipelineHarness | null = null;
    const scratch: string[] = [];
    beforeAll(async () => {
      temp = provider === "sqlite" ? await withTempSqlite() : await withTempPostgres();
      if (!temp) return;
      // Three handlers at once, so concurrent jobs really interleave (row 27).
      h = await startPipeline(temp.client(), temp.config, { env: { HINDSIGHT_WORKER_CONCURRENCY: "3", HINDSIGHT_JOB_MAINTENANCE_SECONDS: "1" } });
    });
    afterAll(async () => {
      await h?.stop();
      await temp?.cleanup();
      for (const d of scratch) fs.rmSync(d, { recursive: true, force: true });
    });
    const part = (name: string, content: string | Buffer) => {
      const p = contentUpload(name, content);
      scratch.push(path.dirname(p.tempPath));
      return p;
    };

    it(`row 10 (${mode}): HTML and binary trace.json and a log with NUL bytes and invalid UTF-8 → per-file outcome, the bundle completes`, async (ctx) => {
      if (!h) return ctx.skip();
      const html = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body><h1>502 Bad Gateway</h1><script>x()</script></body></html>\n";
      const binary = Buffer.concat([Buffer.from([0x7b, 0x00, 0xff, 0xfe, 0x00]), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37) % 256))]);
      const good = Array.from({ length: 20 }, (_, i) => ZTUNNEL(i, "reviews")).join("\n");
      // Valid lines with NUL bytes and invalid UTF-8 sequences in and between them.
      const dirty = Buffer.concat([
        Buffer.from(`${ZTUNNEL(1, "ratings")}\n`),
        Buffer.from([0x00, 0x00, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0x0a]),
        Buffer.from(`${ZTUNNEL(2, "ratings").replace("productpage", "product\u0000page")}\n`),
        Buffer.from([0xf0, 0x28, 0x8c, 0xbc, 0x0a]),
        Buffer.from(`${ZTUNNEL(3, "ratings")}\n`),
      ]);
      const { id } = await h.create([
        part("b/traces/html/trace.json", html),
        part("b/traces/bin/trace.json", binary),
        part("b/logs/dirty.log", dirty),
        part("b/logs/ztunnel.log", `${good}\n`),
      ], "row 10");
      const d = await h.waitDone(id);
      expect(d.status, JSON.stringify(d.run)).not.toBe("failed");
      expect(["completed", "partial"]).toContain(d.run?.status);
      const byPath = Object.fromEntries(d.files.map((f) => [f.path, f]));
      // Decided by content, not by the .json name: no trace parser claims HTML or binary.
      for (const p of ["b/traces/html/trace.json", "b/traces/bin/trace.json"]) {
        const f = byPath[p]!;
        expect(["unrecognized", "failed"], p).toContain(f.status);
        expect(f.records, p).toBe(0);
        expect(`${f.error ?? ""} ${f.warnings.map((w) => w.message).join(" ")} ${f.status}`, p).toMatch(/\S/);
      }
      expect(byPath["b/traces/bin/trace.json"]!.warnings.map((w) => w.message).join(" ")).toMatch(/binary/);
      // The dirty log keeps its good lines; the bad bytes are skipped or kept flagged, never fatal.
      expect(byPath["b/logs/dirty.log"]).toMatchObject({ format: "ztunnel-access" });
      expect(byPath["b/logs/dirty.log"]!.records).toBeGreaterThanOrEqual(2);
      expect(byPath["b/logs/ztunnel.log"]).toMatchObject({ format: "ztunnel-access", status: "parsed", records: 20 });
    });

    it(`row 11 (${mode}): the raw file is streamed back byte for byte as a sandboxed attachment with a safe name`, async (ctx) => {
      if (!h) return ctx.skip();
      const evil = '<html><script>alert("evil")</script></html>\n';
      const { id } = await h.create([part("up/evil.html", evil), part(`up/we"ird;\r name<>.html`.replace(/[\r]/g, ""), evil)], "row 11");
      await h.waitDone(id);
      const files = await h.db.evidenceFile.findMany({ where: { incidentId: id }, orderBy: { path: "asc" } });
      const evilFile = files.find((f) => f.path === "up/evil.html")!;
      const raw = await openRawFile(id, evilFile.id, h.db, h.dataDir);
      expect(raw.headers).toMatchObject({
        "Content-Type": "application/octet-stream",
        "Content-Disposition": `attachment; filename="evil.html"; filename*=UTF-8''evil.html`,
        "X-Content-Type-Options": "nosniff",
        "Content-Length": String(Buffer.byteLength(evil)),
      });
      expect(raw.headers["Content-Security-Policy"]).toContain("sandbox");
      expect(await new Response(raw.body).text()).toBe(evil);
      // A hostile stored name cannot break out of the header parameter.
      const weird = files.find((f) => f.path !== "up/evil.html")!;
      const disposition = (await openRawFile(id, weird.id, h.db, h.dataDir)).headers["Content-Disposition"]!;
      expect(disposition).toMatch(/^attachment; filename="[A-Za-z0-9._ -]+"; filename\*=UTF-8''[A-Za-z0-9._~%!-]+$/);
      // Only files of the incident in the URL.
      const other = await h.create([part("x/other.log", "x\n")], "row 11 other");
      await expect(openRawFile(other.id, evilFile.id, h.db, h.dataDir)).rejects.toThrow(/not found/);
    });

    it(`row 27 (${mode}): 20 concurrent uploads of different bundles are all processed, none lost, none mixed up`, async (ctx) => {
      if (!h) return ctx.skip();
      const N = 20;
      const created = await Promise.all(
        Array.from({ length: N }, async (_, i) => {
          const tag = `svc${String(i).padStart(2, "0")}`;
          const lines = Array.from({ length: 10 + i }, (_, j) => ZTUNNEL(j, tag)).join("\n");
          const form = new FormData();
          form.set("title", `row 27 bundle ${tag}`);
          form.append("files", new Blob([`${lines}\n`]), `${tag}/logs/ztunnel.log`);
          form.append("files", new Blob([`# ${tag}\n`]), `${tag}/notes-${tag}.md`);
          // The route handler's two steps, concurrently: stream the multipart body, then create.
          const received = await receiveMultipart(new Request("http://localhost/api/incidents", { method: "POST", body: form }), { limits: DEFAULT_LIMITS, dataDir: h!.dataDir });
          try {
            const r = await createIncident({ title: received.fields.title, uploads: received.files }, { db: h!.db, queue: async () => h!.queue, dataDir: h!.dataDir, limits: DEFAULT_LIMITS });
            return { ...r, tag, lines: 10 + i };
          } finally {
            for (const f of received.files) fs.rmSync(f.tempPath, { force: true });
          }
        }),
      );
      expect(new Set(created.map((c) => c.id)).size).toBe(N);
      for (const c of created) {
        const d = await h.waitDone(c.id, 240_000);
        expect(d.title).toBe(`row 27 bundle ${c.tag}`);
        expect(d.run?.status, c.tag).toBe("completed");
        expect(d.files.map((f) => f.path).sort()).toEqual([`${c.tag}/logs/ztunnel.log`, `${c.tag}/notes-${c.tag}.md`]);
        const log = d.files.find((f) => f.path.endsWith("ztunnel.log"))!;
        expect(log).toMatchObject({ format: "ztunnel-access", records: c.lines });
        // Every stored record of this incident is this bundle's, and no other incident has its tag.
        const rows = await h.db.evidence.findMany({ where: { incidentId: c.id }, select: { text: true } });
        expect(rows.filter((r) => r.text.includes("ztunnel") || r.text.includes("dst.service")).every((r) => r.text.includes(`${c.tag}.default`))).toBe(true);
        expect(await h.db.evidence.count({ where: { incidentId: { not: c.id }, text: { contains: `${c.tag}.default` } } })).toBe(0);
      }
      // Each job ran once to completion: one run per incident, no run left behind.
      const runs = await h.db.analysisRun.findMany({ where: { incidentId: { in: created.map((c) => c.id) } } });
      expect(runs).toHaveLength(N);
      expect(runs.every((r) => r.status === "completed")).toBe(true);
    }, 300_000);
  });
}

describe("row 11: attachment file names", () => {
  it("row 11: quoted ASCII fallback and RFC 5987 UTF-8 form; no header injection, no hidden files", () => {
    expect(attachmentNames("up/evil.html")).toEqual({ ascii: "evil.html", utf8: "evil.html" });
    expect(attachmentNames('a/x"; filename=evil.exe')).toEqual({ ascii: "x__ filename_evil.exe", utf8: "x%22%3B%20filename%3Devil.exe" });
    expect(attachmentNames("a/café\r\n.log").ascii).toBe("caf___.log");
    expect(attachmentNames("a/.bashrc").ascii).toBe("bashrc");
    expect(attachmentNames("a/...").ascii).toBe("evidence.bin");
    expect(attachmentNames("logs/ünïcödé.log").utf8).toBe("%C3%BCn%C3%AFc%C3%B6d%C3%A9.log");
  });
});

/** A Db whose evidence-file updates always fail (a storage fault that does not go away). */
function faultyDb(db: Db): Db {
  const bind = (t: object, p: PropertyKey) => {
    const v = Reflect.get(t, p, t) as unknown;
    return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(t) : v;
  };
  const files = new Proxy(db.evidenceFile, {
    get: (t, p) => (p === "update" ? () => Promise.reject(new Error("storage fault (injected): evidence file cannot be written")) : bind(t, p)),
  });
  return new Proxy(db, { get: (t, p) => (p === "evidenceFile" ? files : bind(t, p)) }) as Db;
}

for (const provider of ["sqlite", "postgresql"] as const) {
  const mode = provider === "sqlite" ? "embedded" : "pg-boss";
  describe(`row 24: poison bundle (${mode})`, () => {
    let temp: TempDatabase | null = null;
    let h: PipelineHarness | null = null;
    afterAll(async () => {
      await h?.stop();
      await temp?.cleanup();
    });

    it(`row 24 (${mode}): a poison bundle that always throws is retried with backoff up to the limit, then visibly failed; other jobs are unaffected`, async (ctx) => {
      temp = provider === "sqlite" ? await withTempSqlite() : await withTempPostgres();
      if (!temp) return ctx.skip();
      // 3 attempts (the harness sets HINDSIGHT_JOB_MAX_ATTEMPTS=3); one handler at a time, so the
      // healthy job can only finish before the poison's last attempt if the poison does not block the queue.
      h = await startPipeline(temp.client(), temp.config, { consume: false, env: { HINDSIGHT_JOB_MAINTENANCE_SECONDS: "1" } });
      const db = h.db;
      const faulty = faultyDb(db);
      const poisonIncidents = new Set<string>();
      const deliveries: { at: number; attempt: number; final: boolean }[] = [];
      await h.queue.work(QUEUE_ANALYZE, (payload, job: JobContext) => {
        const poisoned = poisonIncidents.has((payload as { incidentId: string }).incidentId);
        if (poisoned) deliveries.push({ at: Date.now(), attempt: job.attempt, final: job.final });
        return runAnalysisJob({ db: poisoned ? faulty : db, dbConfig: temp!.config, maxAttempts: 3 }, payload, job);
      });
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hindsight-row24-"));
      const write = (name: string, content: string) => {
        fs.writeFileSync(path.join(dir, name), content);
        return { name: `b/${name}`, tempPath: path.join(dir, name), size: Buffer.byteLength(content) };
      };
      const poison = await createIncident({ uploads: [write("poison.log", `${ZTUNNEL(1, "poison")}\n`)], title: "row 24 poison" }, { db, queue: async () => h!.queue, dataDir: h.dataDir, limits: DEFAULT_LIMITS });
      poisonIncidents.add(poison.id);
      const healthy = await createIncident({ uploads: [write("healthy.log", `${ZTUNNEL(1, "healthy")}\n`)], title: "row 24 healthy" }, { db, queue: async () => h!.queue, dataDir: h.dataDir, limits: DEFAULT_LIMITS });

      const healthyDone = await h.waitDone(healthy.id, 60_000);
      const healthyAt = Date.now();
      expect(healthyDone.run?.status).toBe("completed");
      const failed = await h.waitDone(poison.id, 90_000);
      fs.rmSync(dir, { recursive: true, force: true });

      // Three deliveries, the last one flagged final, with growing backoff between them.
      expect(deliveries.map((d) => [d.attempt, d.final])).toEqual([[1, false], [2, false], [3, true]]);
      const gaps = [deliveries[1]!.at - deliveries[0]!.at, deliveries[2]!.at - deliveries[1]!.at];
      expect(gaps[0]).toBeGreaterThanOrEqual(1800);
      expect(gaps[1]).toBeGreaterThanOrEqual(3600);
      // The healthy job did not wait for the poison to give up.
      expect(healthyAt).toBeLessThan(deliveries[2]!.at);

      // Visible failed state: run and incident failed, with the reason.
      expect(failed.status).toBe("failed");
      expect(failed.run).toMatchObject({ status: "failed" });
      const run = await db.analysisRun.findUniqueOrThrow({ where: { id: poison.runId } });
      expect(run.error).toMatch(/storage fault \(injected\)/);
      expect(run.attempts).toBe(3);
      // And the queue gave up too (no further delivery).
      // The run is marked failed inside the handler, the job once the handler has returned (after
      // its thread is closed and its lease released): give that a moment on a busy machine.
      if (provider === "sqlite") {
        const jobOf = async () => (await db.job.findMany({ where: { queue: QUEUE_ANALYZE } })).find((j) => (j.payload as { runId?: string }).runId === poison.runId)!;
        for (let i = 0; i < 100 && (await jobOf()).status === "active"; i++) await new Promise((r) => setTimeout(r, 100));
        const job = await jobOf();
        expect([job.status, job.attempts]).toEqual(["failed", 3]);
      } else {
        const stateOf = () => (h!.queue as import("@/lib/server/jobs/pgboss").PgBossQueue).jobState(QUEUE_ANALYZE, run.jobId!);
        for (let i = 0; i < 100 && (await stateOf()) === "active"; i++) await new Promise((r) => setTimeout(r, 100));
        expect(await stateOf()).toBe("failed");
      }
      await new Promise((r) => setTimeout(r, 2000));
      expect(deliveries).toHaveLength(3);
    }, 180_000);
  });
}
