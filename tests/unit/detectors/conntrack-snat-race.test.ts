import { describe, expect, it } from "vitest";
import { conntrackSnatRace } from "@/lib/server/detectors/conntrack-snat-race";
import type { EvidenceRecord } from "@/lib/schemas/records";
import { byDetector, counter, healthyTraffic, req, run, T0 } from "./builders";

function synRetransmits(n: number): EvidenceRecord[] {
  const out: EvidenceRecord[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 4 === 3 ? 3001 + (i % 5) : 1001 + (i % 7);
    out.push(req({ ts: T0 + i * 3000, durationMs: c + 13, connectMs: c, source: "nginx", status: 200 }));
  }
  return out;
}
const conntrack = (ts: number, insertFailed: number) => [0, 1].map((cpu) => counter("conntrack_insert_failed", insertFailed / 2, ts, { cpu: String(cpu) }));

describe("conntrack-snat-race", () => {
  it("fires on 1 s/3 s connect clusters with an unaffected median, corroborated by insert_failed growth", async () => {
    const res = await run([
      { path: "logs/nginx-access.log", records: [...healthyTraffic({ seconds: 300, rps: 10, source: "nginx", connect: true }), ...synRetransmits(40)] },
      { path: "nodes/n1/conntrack-S-before.txt", node: "n1", records: conntrack(T0, 24) },
      { path: "nodes/n1/conntrack-S-after.txt", node: "n1", records: conntrack(T0 + 300_000, 9024) },
    ], [conntrackSnatRace]);
    const h = byDetector(res, "conntrack-snat-race");
    expect(h).toBeDefined();
    expect(h!.facts.insertFailedGrowth).toBe(9000);
    expect(h!.facts.near1s).toBe(30);
    expect(h!.facts.near3s).toBe(10);
    expect(h!.facts.medianMs).toBeLessThan(10);
    expect(h!.confidence).toBeGreaterThanOrEqual(0.75);
    expect(h!.evidence.some((e) => e.file === "nodes/n1/conntrack-S-after.txt")).toBe(true);
  });

  it("does not fire when slowness is spread out (no 1 s/3 s bands)", async () => {
    const spread: EvidenceRecord[] = [];
    for (let i = 0; i < 40; i++) spread.push(req({ ts: T0 + i * 3000, durationMs: 300 + i * 37, connectMs: 400 + i * 23, source: "nginx" }));
    const filtered = spread.filter((r) => r.kind === "request" && !((r.connectMs ?? 0) >= 950 && (r.connectMs ?? 0) <= 1200) && !((r.connectMs ?? 0) >= 2950 && (r.connectMs ?? 0) <= 3250));
    const res = await run([{ path: "logs/nginx.log", records: [...healthyTraffic({ seconds: 300, rps: 10, source: "nginx", connect: true }), ...filtered] }], [conntrackSnatRace]);
    expect(res.hypotheses).toEqual([]);
  });

  it("does not fire on 1 s gateway timeouts (errors, not delayed successes)", async () => {
    const timeouts: EvidenceRecord[] = [];
    for (let i = 0; i < 40; i++) timeouts.push(req({ ts: T0 + i * 3000, durationMs: 1000, status: 504, flags: ["UT"] }));
    const res = await run([{ path: "logs/envoy.log", records: [...healthyTraffic({ seconds: 300, rps: 10 }), ...timeouts] }], [conntrackSnatRace]);
    expect(res.hypotheses).toEqual([]);
  });

  // Undated snapshots whose time is only in the file name, without a node folder: the file names
  // with the time cut out make one series. Few delayed connects in the collected log: the counters
  // carry the finding, at a confidence that says the logs show little of it.
  it("reads strong insert_failed growth as evidence when the logs caught few delayed connects", async () => {
    const undated = (v: number) => [0, 1].map((cpu) => ({ ...counter("conntrack_insert_failed", v / 2, T0, { cpu: String(cpu) }), ts: null }));
    const res = await run([
      { path: "logs/nginx-access.log", records: [...healthyTraffic({ seconds: 300, rps: 2, source: "nginx", connect: true }), ...synRetransmits(1)] },
      { path: "bundle/worker-a_conntrack-S-0446.txt", records: undated(40) },
      { path: "bundle/worker-a_conntrack-S-0457.txt", records: undated(3040) },
    ], [conntrackSnatRace]);
    const h = byDetector(res, "conntrack-snat-race");
    expect(h).toBeDefined();
    expect(h!.facts.insertFailedGrowth).toBe(3000);
    expect(h!.confidence).toBeLessThanOrEqual(0.6);
    expect(h!.evidence.some((e) => e.file === "bundle/worker-a_conntrack-S-0457.txt")).toBe(true);
  });
  it("does not fire on a handful of failed inserts with no delays", async () => {
    const res = await run([
      { path: "logs/nginx-access.log", records: healthyTraffic({ seconds: 300, rps: 2, source: "nginx", connect: true }) },
      { path: "nodes/n1/conntrack-S-0446.txt", node: "n1", records: conntrack(T0, 10) },
      { path: "nodes/n1/conntrack-S-0457.txt", node: "n1", records: conntrack(T0 + 600_000, 40) },
    ], [conntrackSnatRace]);
    expect(byDetector(res, "conntrack-snat-race")).toBeUndefined();
  });
});
