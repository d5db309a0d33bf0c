import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withTempSqlite, type TempDatabase } from "../helpers/db";
import { FIXTURES, fixtureUploads, scenarioFiles, startPipeline, type PipelineHarness } from "../helpers/pipeline";
import { NetworkQuery, NetworkViewDto } from "@/lib/schemas/views-network";
import { getNetworkView } from "@/lib/server/views/network";

describe("network view", () => {
  let t: TempDatabase;
  let h: PipelineHarness;
  let ipvsId: string;
  let ctId: string;
  beforeAll(async () => {
    t = await withTempSqlite();
    h = await startPipeline(t.client(), t.config);
    ({ id: ipvsId } = await h.create(fixtureUploads(scenarioFiles("seed-002-ipvs-stale-backends")), "seed-002"));
    ({ id: ctId } = await h.create(fixtureUploads(scenarioFiles("seed-003-conntrack-snat-race")), "seed-003"));
    await h.waitDone(ipvsId);
    await h.waitDone(ctId);
  });
  afterAll(async () => {
    await h?.stop();
    await t?.cleanup();
  });

  it("flags stale IPVS real servers on the affected nodes only (seed-002)", async () => {
    const v = NetworkViewDto.parse(await getNetworkView(ipvsId, NetworkQuery.parse({}), h.db));
    const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, "scenarios/seed-002-ipvs-stale-backends/expect.json"), "utf8")) as unknown;
    expect(v.ipvs.length).toBe(4);
    expect(v.basis).toBe("endpointslices");
    const staleNodes = v.ipvs.filter((d) => d.staleCount > 0).map((d) => d.node).sort();
    const cleanNodes = v.ipvs.filter((d) => d.staleCount === 0).map((d) => d.node);
    expect(staleNodes.length).toBeGreaterThan(0);
    expect(cleanNodes.length).toBeGreaterThan(0);
    for (const n of staleNodes) expect(JSON.stringify(expected)).toContain(n);
    const stale = v.ipvs.flatMap((d) => d.virtuals.flatMap((x) => x.reals.filter((r) => r.stale)));
    expect(stale.every((r) => r.why)).toBe(true);
    // A stale IP never shows up healthy on a clean node for the same VIP.
    const staleIps = new Set(stale.map((r) => r.address));
    for (const d of v.ipvs.filter((x) => x.staleCount === 0)) for (const x of d.virtuals) for (const r of x.reals) expect(staleIps.has(r.address)).toBe(false);
    const only = await getNetworkView(ipvsId, NetworkQuery.parse({ stale: "1" }), h.db);
    expect(only.ipvs.every((d) => d.virtuals.every((x) => x.staleCount > 0))).toBe(true);
  });

  it("charts conntrack insert_failed deltas per node between snapshots (seed-003)", async () => {
    const v = NetworkViewDto.parse(await getNetworkView(ctId, NetworkQuery.parse({}), h.db));
    expect(v.conntrack.length).toBe(2);
    expect(v.selectedCounters).toContain("insert_failed");
    const raw = fs.readFileSync(path.join(FIXTURES, "scenarios/seed-003-conntrack-snat-race/nodes/ip-192-168-12-7/conntrack-S.txt"), "utf8");
    const node = v.conntrack.find((c) => c.node.includes("192-168-12-7"))!;
    expect(node).toBeDefined();
    // Recompute the expected delta from the raw file: sum over CPUs of last − first insert_failed.
    const snaps = raw.split(/\n(?=[^c\n][^\n]*\n\s*cpu=0 )/).map((blk) => [...blk.matchAll(/insert_failed=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0)).filter((n) => n > 0);
    const total = node.points.reduce((n, p) => n + (p.values.insert_failed ?? 0), 0);
    expect(total).toBe(snaps[snaps.length - 1]! - snaps[0]!);
    expect(total).toBeGreaterThan(0);
    expect(node.cpus.length).toBeGreaterThan(0);
    expect(node.points.every((p) => p.line !== null && p.path.endsWith("conntrack-S.txt"))).toBe(true);
    const picked = await getNetworkView(ctId, NetworkQuery.parse({ counters: "drop", node: node.node }), h.db);
    expect(picked.conntrack.length).toBe(1);
    expect(picked.selectedCounters).toEqual(["drop"]);
  });
});
