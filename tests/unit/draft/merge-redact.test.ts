import { describe, expect, it } from "vitest";
import type { DraftSection, GeneratedSection } from "@/lib/schemas/draft";
import { mergeSections } from "@/lib/server/services/draft";
import { buildRedactor } from "@/lib/server/draft/redact";

const gen = (id: GeneratedSection["id"], markdown: string): GeneratedSection => ({ id, heading: id, markdown, citations: [] });

describe("regeneration merge", () => {
  it("updates unedited sections and keeps edited ones with the new text pending", () => {
    const stored: DraftSection[] = [
      { ...gen("summary", "old summary"), generated: "old summary", edited: false, pending: null },
      { ...gen("impact", "my impact"), generated: "old impact", edited: true, pending: null },
    ];
    const merged = mergeSections(stored, [gen("summary", "new summary"), gen("impact", "new impact")]);
    expect(merged[0]).toMatchObject({ markdown: "new summary", generated: "new summary", edited: false, pending: null });
    expect(merged[1]).toMatchObject({ markdown: "my impact", generated: "old impact", edited: true, pending: "new impact" });
  });
  it("shows no notice when the analysis did not change an edited section", () => {
    const stored: DraftSection[] = [{ ...gen("impact", "mine"), generated: "same", edited: true, pending: "stale" }];
    expect(mergeSections(stored, [gen("impact", "same")])[0]).toMatchObject({ markdown: "mine", pending: null });
  });
});

describe("redaction", () => {
  it("gives the same name the same alias in every text, whatever the order of appearance", () => {
    const md = "Node ip-10-0-3-21 sent to 10.244.3.31 from pod checkout-6f8d9c7b5-q7x2m; db.corp.internal; 10.244.1.20";
    const json = JSON.stringify({ a: "10.244.1.20", b: "nodes/ip-10-0-3-21/x.txt", c: "checkout-6f8d9c7b5-q7x2m", n: "worker-a" });
    const r = buildRedactor([md, json], { nodes: ["worker-a", "ip-10-0-3-21"] });
    const m = r.redact(md);
    const j = r.redact(json);
    for (const name of ["ip-10-0-3-21", "10.244.3.31", "10.244.1.20", "checkout-6f8d9c7b5-q7x2m", "db.corp.internal", "worker-a"]) {
      expect(m + j).not.toContain(name);
    }
    expect(r.table.get("10.244.1.20")).toBe("ip-1");
    expect(r.table.get("10.244.3.31")).toBe("ip-2");
    expect(r.table.get("ip-10-0-3-21")).toMatch(/^node-\d$/);
    expect(m).toContain(r.table.get("ip-10-0-3-21")!);
    expect(j).toContain(`nodes/${r.table.get("ip-10-0-3-21")}/x.txt`);
    expect(JSON.parse(j)).toBeTruthy();
  });
  it("leaves times, versions and ports alone", () => {
    const r = buildRedactor(["14:02:05 Kubernetes 1.32 port 15001 p99 1.01 s istio-proxy"]);
    expect(r.redact("14:02:05 Kubernetes 1.32 port 15001 p99 1.01 s istio-proxy")).toBe("14:02:05 Kubernetes 1.32 port 15001 p99 1.01 s istio-proxy");
  });
});
