import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withTempSqlite, type TempDatabase } from "../helpers/db";
import { FIXTURES, fixtureUploads, scenarioFiles, startPipeline, type PipelineHarness } from "../helpers/pipeline";
import { RulesQuery, RulesViewDto } from "@/lib/schemas/views-rules";
import { getRulesView } from "@/lib/server/views/rule-diff";

describe("rules view on seed-000 (iptables reorder after the 1.32 upgrade)", () => {
  let t: TempDatabase;
  let h: PipelineHarness;
  let id: string;
  beforeAll(async () => {
    t = await withTempSqlite();
    h = await startPipeline(t.client(), t.config);
    ({ id } = await h.create(fixtureUploads(scenarioFiles("seed-000-mesh-iptables-reorder")), "seed-000"));
    await h.waitDone(id);
  });
  afterAll(async () => {
    await h?.stop();
    await t?.cleanup();
  });

  it("pairs the node's before/after dumps and shows the moved mesh rule shadowed by the broader rule", async () => {
    const v = RulesViewDto.parse(await getRulesView(id, RulesQuery.parse({}), h.db));
    expect(v.dumps.length).toBe(3);
    expect(v.mode).toBe("before-after");
    expect(v.a?.node).toBe("ip-10-0-3-21");
    expect(v.a?.role).toBe("before");
    expect(v.b?.node).toBe("ip-10-0-3-21");
    expect(v.b?.id).not.toBe(v.a?.id);
    const shadowedRows = v.chains.flatMap((c) => c.rows.filter((r) => r.newlyShadowed).map((r) => ({ c, r })));
    expect(shadowedRows.length).toBeGreaterThan(0);
    const { c, r } = shadowedRows[0]!;
    expect(c.relevance).not.toBe("other");
    // One of the swapped pair leaves the common order ("moved"); both show old and new positions.
    const broad = c.rows.find((x) => x.b?.position === r.b!.shadowedBy!.position)!;
    expect([r.status, broad.status]).toContain("moved");
    expect(broad.a!.position).toBeGreaterThan(broad.b!.position);
    expect(r.b!.shadowedBy!.position).toBeLessThan(r.b!.position);
    expect(r.a!.position).not.toBe(r.b!.position);
    expect(r.a!.shadowedBy).toBeNull();
    // What the change does to traffic, in words, with the deciding rules.
    expect(v.semantic?.identical).toBe(false);
    const harmful = v.semantic!.changes.filter((x) => x.traffic !== "other" && /REJECT|DROP/.test(x.after));
    expect(harmful.length).toBeGreaterThan(0);
    expect(harmful[0]!.words).toMatch(/: \S.* → (REJECT|DROP)$/);
    expect(v.semantic!.shadowed.some((x) => x.rule.position === r.b!.position)).toBe(true);
    // Positions and lines point at real lines of the dumps.
    const after = fs.readFileSync(path.join(FIXTURES, "scenarios/seed-000-mesh-iptables-reorder", v.b!.path.split("seed-000-mesh-iptables-reorder/")[1] ?? v.b!.path), "utf8").split("\n");
    expect(after[r.b!.line - 1]).toContain(c.chain);
    expect(after[r.b!.shadowedBy!.line - 1]).toContain("-A " + c.chain);
    // Unchanged chains are hidden by default, and the mesh filter keeps only mesh chains.
    const mesh = await getRulesView(id, RulesQuery.parse({ filter: "mesh", unchanged: "1" }), h.db);
    expect(mesh.chains.every((x) => x.relevance === "mesh")).toBe(true);
    expect(mesh.chains.length).toBeGreaterThan(0);
  });

  it("compares two nodes' dumps", async () => {
    const v = await getRulesView(id, RulesQuery.parse({}), h.db);
    const other = v.dumps.find((d) => d.node !== v.b!.node)!;
    const n = await getRulesView(id, RulesQuery.parse({ a: String(other.id), b: String(v.b!.id) }), h.db);
    expect(n.mode).toBe("node-vs-node");
    expect(n.chains.some((c) => c.rows.some((r) => r.newlyShadowed))).toBe(true);
  });
});
