import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withTempPostgres, withTempSqlite, type TempDatabase } from "../helpers/db";
import { contentUpload, evidenceFingerprint, fixtureUploads, startPipeline, type PipelineHarness } from "../helpers/pipeline";
import { runAnalysisJob } from "@/lib/server/pipeline/run-analysis";

const FILES = [
  "public/ztunnel/istio-io-docs-troubleshoot-ztunnel-access.log",
  "public/iptables/istio-iptables-capture-golden-tproxy.txt",
  "public/otlp/otel-proto-examples-trace.json",
  "public/k8s-events/k9s-render-testdata-ev.json",
  "public/xray/awsdocs-independent-subsegment-INVALID-JSON.json",
];

for (const provider of ["sqlite", "postgresql"] as const) {
  describe(`analysis pipeline on ${provider}`, () => {
    let temp: TempDatabase | null = null;
    let h: PipelineHarness | null = null;

    beforeAll(async () => {
      temp = provider === "sqlite" ? await withTempSqlite() : await withTempPostgres();
      if (!temp) return;
      h = await startPipeline(temp.client(), temp.config);
    });
    afterAll(async () => {
      await h?.stop();
      await temp?.cleanup();
    });

    it("analyses a bundle: every file gets its format, status and counts; a bad file makes the run partial", async (ctx) => {
      if (!h) return ctx.skip();
      const binary = contentUpload("bundle/trace.json", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3, 0xff, 0xfe]));
      const { id } = await h.create([...fixtureUploads(FILES), binary], "pipeline test");
      const done = await h.waitDone(id);
      expect(done.run?.status).toBe("partial");
      const byPath = Object.fromEntries(done.files.map((f) => [f.path, f]));
      expect(byPath["bundle/public/ztunnel/istio-io-docs-troubleshoot-ztunnel-access.log"]).toMatchObject({ format: "ztunnel-access", status: "parsed" });
      expect(byPath["bundle/public/iptables/istio-iptables-capture-golden-tproxy.txt"]?.format).toBe("iptables-save");
      expect(byPath["bundle/public/otlp/otel-proto-examples-trace.json"]).toMatchObject({ format: "otlp-json", status: "parsed", records: 1 });
      expect(byPath["bundle/public/k8s-events/k9s-render-testdata-ev.json"]).toMatchObject({ format: "k8s-events", records: 1 });
      expect(byPath["bundle/public/xray/awsdocs-independent-subsegment-INVALID-JSON.json"]).toMatchObject({ format: "xray", status: "failed" });
      expect(byPath["bundle/trace.json"]).toMatchObject({ format: null, status: "unrecognized" });
      expect(done.run?.problems.some((p) => p.scope.includes("INVALID-JSON"))).toBe(true);
      const fp = await evidenceFingerprint(h.db, id);
      expect(fp.count).toBe(done.files.reduce((s, f) => s + f.records, 0));
      expect(fp.distinctSeq).toBe(fp.count);
      const buckets = await h.db.requestBucket.count({ where: { incidentId: id } });
      expect(buckets).toBeGreaterThan(0);
    });

    it("re-delivering the job after it was interrupted ends in the same state (no duplicates)", async (ctx) => {
      if (!h) return ctx.skip();
      const { id, runId } = await h.create(fixtureUploads(FILES.slice(0, 3), "again"), "idempotency");
      const first = await h.waitDone(id);
      const before = await evidenceFingerprint(h.db, id);
      // Simulate a worker killed after writing records but before marking files and the run done.
      await h.db.evidenceFile.updateMany({ where: { incidentId: id }, data: { status: "pending" } });
      await h.db.analysisRun.update({ where: { id: runId }, data: { status: "running", leaseOwner: null, leaseUntil: null } });
      await runAnalysisJob({ db: h.db, dbConfig: h.config, maxAttempts: 3 }, { incidentId: id, runId }, { jobId: "redelivered", attempt: 2, final: false, signal: new AbortController().signal });
      const after = await evidenceFingerprint(h.db, id);
      expect(after).toEqual(before);
      const rows = await h.db.hypothesisRow.count({ where: { runId } });
      expect(rows).toBe(first.hypotheses.length);
      const files = await h.db.evidenceFile.count({ where: { incidentId: id } });
      expect(files).toBe(3);
    });

    it("a second worker cannot take a run another live worker holds", async (ctx) => {
      if (!h) return ctx.skip();
      const { id, runId } = await h.create(fixtureUploads(FILES.slice(0, 1), "lease"), "lease");
      await h.waitDone(id);
      await h.db.analysisRun.update({ where: { id: runId }, data: { status: "running", leaseOwner: "other-host:1:abc", leaseUntil: new Date(Date.now() + 60_000) } });
      await expect(
        runAnalysisJob({ db: h.db, dbConfig: h.config, maxAttempts: 3 }, { incidentId: id, runId }, { jobId: "dup", attempt: 1, final: false, signal: new AbortController().signal }),
      ).rejects.toThrow(/another worker/);
    });
  });
}
