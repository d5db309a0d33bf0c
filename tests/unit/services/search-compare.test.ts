import { describe, expect, it } from "vitest";
import { CompareQuery, parseIdList } from "@/lib/schemas/compare";
import { parseDateBound, SearchQuery } from "@/lib/schemas/search";
import type { RuleDumpDto } from "@/lib/schemas/views-rules";
import { relativeSpan, representativeDump } from "@/lib/server/services/compare";
import { likePattern } from "@/lib/server/db/like";
import { draftSectionAt, makeSnippet } from "@/lib/server/services/search";

describe("search query", () => {
  it("a bare date is a whole UTC day: from its first to its last millisecond", () => {
    const q = SearchQuery.parse({ from: "2024-10-15", to: "2024-10-15" });
    expect(q.from).toBe(Date.UTC(2024, 9, 15));
    expect(q.to).toBe(Date.UTC(2024, 9, 16) - 1);
  });
  it("ISO times and epoch ms are taken as given; garbage is a 422-style issue", () => {
    expect(parseDateBound("2024-10-15T14:00:00Z", false)).toBe(Date.UTC(2024, 9, 15, 14));
    expect(parseDateBound("1729000000000", true)).toBe(1729000000000);
    expect(SearchQuery.safeParse({ from: "last tuesday" }).success).toBe(false);
  });
  it("blank terms count as not given, and the page size is bounded", () => {
    const q = SearchQuery.parse({ q: "  ", detector: "", service: " checkout " });
    expect(q.q).toBeUndefined();
    expect(q.detector).toBeUndefined();
    expect(q.service).toBe("checkout");
    expect(SearchQuery.safeParse({ pageSize: "1000" }).success).toBe(false);
  });
});

describe("search text helpers", () => {
  it("LIKE patterns match the term literally (%, _ and \\ escaped) and in lower case", () => {
    expect(likePattern("50%_Done\\")).toBe("%50\\%\\_done\\\\%");
  });
  it("a snippet is the first match with context either side, whitespace collapsed, cut with …", () => {
    const text = `${"a".repeat(200)} the  Kube-Proxy\nupgrade ${"b".repeat(200)}`;
    const s = makeSnippet(text, "kube-proxy", 20)!;
    expect(s.match).toBe("Kube-Proxy");
    expect(s.before.startsWith("…")).toBe(true);
    expect(s.before.endsWith("the ")).toBe(true);
    expect(s.after.startsWith(" upgrade")).toBe(true);
    expect(s.after.endsWith("…")).toBe(true);
    expect(makeSnippet("short text", "text")).toEqual({ before: "short ", match: "text", after: "" });
    expect(makeSnippet("nothing here", "absent")).toBeNull();
    // never cut mid-word when a space is near
    const words = makeSnippet("alpha bravo charlie delta MATCH echo foxtrot golf hotel", "match", 14)!;
    expect(words.before).toBe("…charlie delta ");
    expect(words.after).toBe(" echo foxtrot…");
  });
  it("regex characters in the term are literal", () => {
    expect(makeSnippet("cost (p99) rose", "(p99)")?.match).toBe("(p99)");
  });
  it("names the draft section a match falls in", () => {
    const md = "# Postmortem: x\n\nintro\n\n## Summary\n\nfoo\n\n## Root cause\n\nbar kube-proxy\n";
    expect(draftSectionAt(md, md.indexOf("kube-proxy"))).toBe("Root cause");
    expect(draftSectionAt(md, md.indexOf("foo"))).toBe("Summary");
    expect(draftSectionAt(md, md.indexOf("intro"))).toBe("Title");
  });
});

describe("compare query and alignment", () => {
  it("ids: trimmed, repeats and empty parts dropped, order kept", () => {
    expect(parseIdList(" b, a,,b ,c")).toEqual(["b", "a", "c"]);
    expect(CompareQuery.parse({ ids: "x,y" }).ids).toEqual(["x", "y"]);
    expect(CompareQuery.safeParse({ ids: "x,../etc" }).success).toBe(false);
  });
  it("the relative axis leaves a lead-in and room for the longest window", () => {
    expect(relativeSpan([40_000, 2_660_000])).toEqual({ fromRel: -1_330_000, toRel: 3_990_000 });
    // short or no windows: at least 5 min before onset and 15 min in all
    const short = relativeSpan([0]);
    expect(short.fromRel).toBe(-300_000);
    expect(short.toRel - short.fromRel).toBe(900_000);
    // a chosen span: that many minutes after onset, a quarter of it (≥ 30 s) before
    expect(relativeSpan([2_660_000], 2)).toEqual({ fromRel: -30_000, toRel: 120_000 });
    expect(relativeSpan([0], 60)).toEqual({ fromRel: -900_000, toRel: 3_600_000 });
  });
  it("an incident's iptables state is its after dump, else an unlabelled one, else the first", () => {
    const d = (id: number, role: RuleDumpDto["role"], node = "n1"): RuleDumpDto => ({ id, node, role, capturedAt: id, family: "ipv4", path: `p${id}`, line: 1, rules: 3 });
    expect(representativeDump([d(1, "before"), d(2, "after"), d(3, null, "n2")])?.id).toBe(2);
    expect(representativeDump([d(1, "before"), d(3, null, "n2")])?.id).toBe(3);
    expect(representativeDump([d(4, "before")])?.id).toBe(4);
    expect(representativeDump([])).toBeNull();
  });
});
