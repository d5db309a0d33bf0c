import { describe, expect, it } from "vitest";
import type { Rule, RulesetRecord } from "@/lib/schemas/records";
import { diffRulesets as diffModels } from "@/lib/server/correlate/iptables/diff";
import { diffRulesets, longestIncreasing, semanticDiff } from "@/lib/server/views/rule-diff";

const rule = (chain: string, position: number, spec: { p?: string; dport?: string; target: string }): Rule => ({
  chain,
  position,
  matches: [...(spec.p ? [{ option: "p", value: spec.p, negated: false }] : []), ...(spec.dport ? [{ module: "tcp", option: "dport", value: spec.dport, negated: false }] : [])],
  target: spec.target,
  targetOptions: [],
  line: position + 10,
  raw: "",
  counters: { packets: position, bytes: 0 },
});
const dump = (rules: Rule[]): RulesetRecord => ({
  kind: "ruleset",
  capturedAt: null,
  family: "ipv4",
  backend: "legacy",
  tables: [{ name: "filter", chains: [{ name: "KUBE-SERVICES", policy: "-" }], rules }],
  prov: {},
});

describe("longestIncreasing", () => {
  it("keeps the longest common order", () => {
    expect([...longestIncreasing([0, 2, 1, 3])].sort()).toHaveLength(3);
    expect(longestIncreasing([3, 2, 1]).size).toBe(1);
    expect(longestIncreasing([]).size).toBe(0);
  });
});

describe("diffRulesets", () => {
  const accept = { p: "tcp", dport: "15006", target: "ACCEPT" };
  const reject = { p: "tcp", target: "REJECT" };
  const other = { p: "udp", dport: "53", target: "ACCEPT" };
  it("marks a swap as moved, the narrower rule as newly shadowed, and keeps old/new positions", () => {
    const before = dump([rule("KUBE-SERVICES", 1, other), rule("KUBE-SERVICES", 2, accept), rule("KUBE-SERVICES", 3, reject)]);
    const after = dump([rule("KUBE-SERVICES", 1, other), rule("KUBE-SERVICES", 2, reject), rule("KUBE-SERVICES", 3, accept)]);
    const [c] = diffRulesets(before, after);
    expect(c!.counts).toMatchObject({ same: 2, moved: 1, added: 0, removed: 0, shadowedA: 0, shadowedB: 1 });
    const shadowed = c!.rows.find((r) => r.newlyShadowed)!;
    expect(shadowed.a!.position).toBe(2);
    expect(shadowed.b!.position).toBe(3);
    expect(shadowed.b!.shadowedBy).toMatchObject({ position: 2, line: 12 });
    expect(shadowed.b!.text).toContain("--dport 15006");
    expect(c!.relevance).toBe("mesh");
  });
  it("places removed rules where they were and reports added ones", () => {
    const before = dump([rule("KUBE-SERVICES", 1, other), rule("KUBE-SERVICES", 2, accept)]);
    const after = dump([rule("KUBE-SERVICES", 1, reject), rule("KUBE-SERVICES", 2, other)]);
    const [c] = diffRulesets(before, after);
    expect(c!.rows.map((r) => r.status)).toEqual(["added", "same", "removed"]);
    expect(c!.rows[1]!.a!.position).toBe(1);
    expect(c!.rows[1]!.b!.position).toBe(2);
  });
  it("says what the swap does to traffic: the verdict change in words, the rule now fully shadowed and by which rule", () => {
    const before = dump([rule("KUBE-SERVICES", 1, other), rule("KUBE-SERVICES", 2, accept), rule("KUBE-SERVICES", 3, reject)]);
    const after = dump([rule("KUBE-SERVICES", 1, other), rule("KUBE-SERVICES", 2, reject), rule("KUBE-SERVICES", 3, accept)]);
    const s = semanticDiff(diffModels(before, after));
    expect(s.identical).toBe(false);
    expect(s.changes.map((c) => c.words)).toEqual(["tcp to :15006: ACCEPT → REJECT"]);
    expect(s.changes[0]!.traffic).toBe("mesh");
    expect(s.changes[0]!.afterRule).toMatchObject({ chain: "KUBE-SERVICES", position: 2, line: 12 });
    expect(s.changes[0]!.beforeRule).toMatchObject({ position: 2, line: 12 });
    expect(s.shadowed).toEqual([expect.objectContaining({ status: "fully", was: "live", rule: expect.objectContaining({ position: 3 }), blockers: [expect.objectContaining({ position: 2 })] })]);
    const [c] = diffRulesets(before, after);
    expect(c!.rows.find((r) => r.newlyShadowed)!.b!.shadow).toBe("fully");
    // The same dumps compared with themselves: nothing changes.
    const same = semanticDiff(diffModels(after, after));
    expect(same.identical).toBe(true);
    expect(same.changes).toEqual([]);
    expect(same.shadowed).toEqual([]);
  });
});
