import fs from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isBundleError } from "@/lib/server/bundle/errors";
import { toErrorResponse } from "@/lib/server/http/errors";
import { getDraft } from "@/lib/server/services/draft";
import { InvalidInputError } from "@/lib/server/errors";
import { getComparison } from "@/lib/server/services/compare";
import { patchFile } from "@/lib/server/services/reanalyze";
import { getOverview } from "@/lib/server/views/overview";
import { withTempSqlite, type TempDatabase } from "../helpers/db";
import { contentUpload, FIXTURES, startPipeline, type PipelineHarness } from "../helpers/pipeline";

/**
 * Issue 14's observations, each replayed through the real pipeline (upload → parse → correlate →
 * detect → draft) on a bundle of our own (tests/fixtures/own/regressions/, README there), written
 * independently of the scenario generator: observations 1 to 6.
 */
const REG = "own/regressions";

function uploadsOf(dir: string) {
  const root = path.join(FIXTURES, REG, dir);
  const walk = (rel: string): string[] =>
    fs.readdirSync(path.join(root, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name)).flatMap((e) => {
      const r = rel ? `${rel}/${e.name}` : e.name;
      return e.isDirectory() ? walk(r) : [r];
    });
  return walk("").filter((r) => r !== "README.md").map((rel) => ({ name: `${dir}/${rel}`, tempPath: path.join(root, rel), size: fs.statSync(path.join(root, rel)).size }));
}

describe("issue 14 regressions (own fixtures, real pipeline)", () => {
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

  it("observation 1: a REJECT (addrtype, multiport) moved above the mesh ACCEPTs is found on the packet-class model, ranks first with its counters, and is not ruled out", async () => {
    const { id } = await h.create(uploadsOf("obs1-iptables-partial-shadow"));
    const done = await h.waitDone(id);
    const top = done.hypotheses[0]!;
    expect(top.detector).toBe("iptables-rule-order");
    expect(top.confidence).toBeGreaterThanOrEqual(0.8);
    // The generic symptom fires too, and ranks below the mechanism that explains it.
    const latency = done.hypotheses.find((x) => x.detector === "latency-regression");
    expect(latency).toBeDefined();
    expect(latency!.explainedBy).toBe("iptables-rule-order");
    expect(latency!.confidence).toBeLessThan(top.confidence);
    // The verdict change in words, the shadowing and the counters with their numbers.
    expect(top.summary).toMatch(/tcp to :15001,15006, [^;]*destination not local[^;]*: ACCEPT → REJECT/);
    expect(top.summary).toMatch(/moved from #5 to #2/);
    expect(top.summary).toMatch(/(partly|fully) shadowed/);
    expect(top.summary).toMatch(/1,204 → 2,431 packets \(\+1,227\)/);
    expect(top.summary).toMatch(/stayed at 5,310/);
    expect(top.evidence.some((e) => e.file.endsWith("iptables-save-c-0905.txt") && e.line)).toBe(true);
    expect(top.evidence.some((e) => e.file.endsWith("iptables-save-c-0950.txt") && e.line)).toBe(true);
    const draft = await getDraft(id, h.db);
    const ruledOut = draft.sections.find((s) => s.id === "ruledOut")!.markdown;
    const root = draft.sections.find((s) => s.id === "rootCause")!.markdown;
    expect(root).toContain("detector `iptables-rule-order`");
    expect(ruledOut).not.toContain("`iptables-rule-order`");
    expect(ruledOut).not.toMatch(/iptables rule order/i);
  });

  it("observation 2: the ambient endpoint race ranks first, its bursts are measured on one millisecond clock (not 3 s), and the draft does not rule it out", async () => {
    const { id } = await h.create(uploadsOf("obs2-ambient-rollout"));
    const done = await h.waitDone(id);
    const top = done.hypotheses[0]!;
    expect(top.detector).toBe("endpoint-removal-race");
    expect(top.confidence).toBeGreaterThanOrEqual(0.5);
    // The ztunnel node's clock runs 3.05 s ahead of the gateway's: measured across the two logs the
    // bursts looked 3 s long. Each pod refused connections for well under a second.
    const gaps = top.facts.gapsMs as number[];
    expect(gaps.length).toBe(2);
    for (const g of gaps) expect(g).toBeLessThan(1000);
    expect(top.title).not.toMatch(/\b[1-9](\.\d)? s\b/);
    for (const other of done.hypotheses.slice(1)) expect(other.confidence).toBeLessThan(top.confidence);
    const draft = await getDraft(id, h.db);
    const ruledOut = draft.sections.find((s) => s.id === "ruledOut")!.markdown;
    const root = draft.sections.find((s) => s.id === "rootCause")!.markdown;
    expect(root).toContain("detector `endpoint-removal-race`");
    expect(ruledOut).not.toContain("`endpoint-removal-race`");
  });

  it("observation 3: conntrack -S snapshots dated only by their file names are dated from them, and the SNAT race uses their counters", async () => {
    const dir = "obs3-undated-conntrack";
    // insert_failed growth per node, summed over CPUs, recomputed here from the fixture files.
    const sumOf = (rel: string) =>
      [...fs.readFileSync(path.join(FIXTURES, REG, dir, rel), "utf8").matchAll(/insert_failed=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    const growthA = sumOf("node-a/conntrack-S-1025.txt") - sumOf("node-a/conntrack-S-0905.txt");
    const growthB = sumOf("node-b/conntrack-S-1025.txt") - sumOf("node-b/conntrack-S-0905.txt");
    expect(growthA).toBeGreaterThan(10_000);
    const { id } = await h.create(uploadsOf(dir));
    const done = await h.waitDone(id);
    const top = done.hypotheses[0]!;
    expect(top.detector).toBe("conntrack-snat-race");
    expect(top.facts.insertFailedGrowth).toBe(growthA + growthB);
    const cited = (name: string) => top.evidence.filter((e) => e.file === `${dir}/node-a/${name}`);
    // Both snapshots are cited, with the time of day their names give on the date of the other evidence.
    expect(cited("conntrack-S-0905.txt").map((e) => e.ts)).toContain("2025-03-12T09:05:00.000Z");
    expect(cited("conntrack-S-1025.txt").map((e) => e.ts)).toContain("2025-03-12T10:25:00.000Z");
    expect(top.summary).toContain(`insert_failed grew by ${growthA + growthB}`);
    expect(top.summary).not.toMatch(/not available|not checked|No conntrack/);
    expect(JSON.stringify(top.confidenceFactors)).not.toMatch(/times are not all known/);
    const snapshots = done.files.filter((f) => f.path.includes("/conntrack-S-"));
    expect(snapshots.length).toBe(4);
    for (const f of snapshots) {
      expect(f.capture?.basis, f.path).toBe("file name");
      expect(f.capture?.note ?? "", f.path).toMatch(/date 2025-03-12 taken from the bundle's other evidence/);
    }
    // The timeline states "Times are CET (UTC+1)" and no date: its date comes from the other evidence.
    const timeline = await h.db.evidence.findMany({ where: { incidentId: id, source: "timeline" }, orderBy: { seq: "asc" }, select: { ts: true, data: true } });
    expect(timeline.map((r) => (r.ts === null ? null : new Date(r.ts).toISOString()))).toEqual(["2025-03-12T09:12:00.000Z", "2025-03-12T09:20:00.000Z", "2025-03-12T10:25:00.000Z", "2025-03-12T10:40:00.000Z"]);
    // "… no page sent to payments" is not an alert.
    expect(timeline.map((r) => (JSON.parse(r.data) as { reason: string }).reason)).toEqual(["alert", "investigation", "other", "investigation"]);
    expect(done.files.find((f) => f.path.endsWith("timeline.md"))!.warnings.map((w) => w.message).join("\n")).toMatch(/no date: 2025-03-12 taken from the bundle's other evidence/);
    // The access log and the timeline are not snapshots: no capture basis.
    expect(done.files.filter((f) => !f.path.includes("/conntrack-S-")).map((f) => f.capture)).toEqual([null, null]);
  });

  it("observation 3: a user sets a snapshot's capture time through the API; the file is parsed again with it and the basis says so", async () => {
    const dir = "obs3-undated-conntrack";
    const { id } = await h.create(uploadsOf(dir));
    await h.waitDone(id);
    const deps = { db: h.db, queue: async () => h.queue };
    const file = await h.db.evidenceFile.findFirstOrThrow({ where: { incidentId: id, path: `${dir}/node-a/conntrack-S-1025.txt` } });
    const log = await h.db.evidenceFile.findFirstOrThrow({ where: { incidentId: id, path: `${dir}/ingress/ingress-nginx-controller.log` } });
    // Access log records carry their own times: a capture time is refused, with a reason.
    const refused = await patchFile(id, log.id, { captureTime: "2025-03-12T10:30:00Z" }, deps).then(() => null, (e: unknown) => e);
    expect(refused).toBeInstanceOf(InvalidInputError);
    expect(refused).toMatchObject({ code: "not_a_snapshot" });
    expect(toErrorResponse(refused).status).toBe(422);
    const before = await h.db.evidence.count({ where: { incidentId: id } });

    const { runId } = await patchFile(id, file.id, { captureTime: "2025-03-12T11:30:00+01:00" }, deps);
    let done = await h.waitDone(id);
    expect(done.run?.id).toBe(runId);
    const f = done.files.find((x) => x.id === file.id)!;
    expect(f.capture).toMatchObject({ basis: "user", time: "2025-03-12T10:30:00.000Z", override: "2025-03-12T10:30:00.000Z" });
    const rows = await h.db.evidence.findMany({ where: { fileId: file.id }, select: { ts: true } });
    expect(new Set(rows.map((r) => r.ts))).toEqual(new Set([Date.parse("2025-03-12T10:30:00Z")]));
    // Parsed again, not appended: the incident holds as many rows as before.
    expect(await h.db.evidence.count({ where: { incidentId: id } })).toBe(before);

    await patchFile(id, file.id, { captureTime: null }, deps);
    done = await h.waitDone(id);
    expect(done.files.find((x) => x.id === file.id)!.capture).toMatchObject({ basis: "file name", time: "2025-03-12T10:25:00.000Z", override: null });
  });

  it("observation 4: IPVS backends of services without an EndpointSlice in the bundle (API server, kube-dns) are not stale; the two real stale backends are", async () => {
    const { id } = await h.create(uploadsOf("obs4-ipvs-own-service"));
    const done = await h.waitDone(id);
    const top = done.hypotheses[0]!;
    expect(top.detector).toBe("ipvs-stale-backends");
    expect(top.facts.staleIps).toEqual(["10.244.1.17", "10.244.3.19"]);
    expect(top.facts.nodes).toEqual(["ip-10-20-2-12"]);
    expect(top.evidence.some((e) => e.file.endsWith("ip-10-20-2-12/ipvsadm-Ln.txt"))).toBe(true);
  });

  it("observation 5: a timeline line in a healthy bundle is not an onset, and the draft tells no incident story", async () => {
    const { id } = await h.create(uploadsOf("obs5-healthy-load-test"));
    const done = await h.waitDone(id);
    expect(done.hypotheses.filter((x) => x.confidence >= 0.5)).toEqual([]);
    expect(done.run?.assessment?.kind).toBe("healthy");
    const o = await getOverview(id, h.db);
    expect(o.window.onset).toBeNull();
    expect(o.window.recovery).toBeNull();
    const draft = await getDraft(id, h.db);
    const summary = draft.sections.find((s) => s.id === "summary")!.markdown;
    expect(summary).toContain("does not show when the incident started");
    expect(summary).not.toMatch(/degraded|12:00/);
  });

  it("observation 5: uploads with nothing analysable say so and are not healthy; an upload with no file is refused", async () => {
    const png = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex");
    let seed = 1;
    const random = Buffer.from(Array.from({ length: 4096 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff));
    const cases = [
      contentUpload("empty.log", ""),
      contentUpload("diagram.png", png),
      contentUpload("dump.bin", random),
      contentUpload("evidence.zip", ""),
      contentUpload("logs.tar.gz", gzipSync(random)),
    ];
    for (const upload of cases) {
      const { id } = await h.create([upload]);
      const done = await h.waitDone(id);
      expect(done.run?.assessment?.kind, upload.name).toBe("nothing-analysable");
      expect(done.hypotheses.filter((x) => x.confidence >= 0.5), upload.name).toEqual([]);
    }
    const refused = await h.create([]).then(() => null, (e: unknown) => e);
    expect(isBundleError(refused) && refused.code).toBe("empty_bundle");
    expect(toErrorResponse(refused).status).toBe(422);
  });

  it("observation 6: one impact — failed requests counted once across sources and the same in the Overview, the draft and Compare", async () => {
    const lines = fs.readFileSync(path.join(FIXTURES, REG, "obs6-one-impact/ingress/ingress-nginx-controller.log"), "utf8").trim().split("\n");
    const failedLines = lines.filter((l) => / 503 \d+ "-"/.test(l)).length;
    expect(failedLines).toBeGreaterThan(10);
    const { id } = await h.create(uploadsOf("obs6-one-impact"));
    await h.waitDone(id);
    const o = await getOverview(id, h.db);
    // The ingress and the sidecar logged every request (same request id): each counts once.
    expect(o.impact.duplicatesMerged).toBeGreaterThan(0);
    expect(o.impact.failed).toBeGreaterThan(0);
    expect(o.impact.failed).toBeLessThanOrEqual(failedLines);
    expect(o.impact.requests).toBeLessThanOrEqual(lines.length);
    expect(o.impact.peakErrorRate ?? 0).toBeGreaterThan(0);
    const draft = await getDraft(id, h.db);
    const impact = draft.sections.find((s) => s.id === "impact")!.markdown;
    expect(impact).toContain(`(${o.impact.failed} of ${o.impact.requests}`);
    for (const s of o.impact.affectedServices) expect(impact).toContain(s.service);
    expect(impact).not.toContain("not identified");
    const other = await h.create(uploadsOf("obs5-healthy-load-test"));
    await h.waitDone(other.id);
    const cmp = await getComparison({ ids: [id, other.id], service: undefined }, h.db);
    const fig = cmp.incidents.find((i) => i.id === id)!.figures;
    expect([fig.requests, fig.failed]).toEqual([o.impact.requests, o.impact.failed]);
  });
});
