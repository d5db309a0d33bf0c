import { describe, expect, it } from "vitest";
import { iptablesRuleOrder } from "@/lib/server/detectors/iptables-rule-order";
import { byDetector, ruleset, run } from "./builders";

const SAFE = [
  "-A KUBE-SERVICES -p tcp -m tcp --dport 15001 -m comment --comment \"istio outbound capture\" -j ACCEPT",
  "-A KUBE-SERVICES -p tcp -m tcp --dport 15006 -m comment --comment \"istio inbound capture\" -j ACCEPT",
  "-A KUBE-SERVICES -p tcp -m comment --comment \"default/unmatched: reject\" -j REJECT --reject-with icmp-port-unreachable",
];
const REORDERED = [SAFE[2]!, SAFE[0]!, SAFE[1]!];

describe("iptables-rule-order", () => {
  it("flags a REJECT moved above the Istio 15001/15006 rules between before and after dumps of one node", async () => {
    const res = await run([
      { path: "nodes/canary-1/iptables-before.txt", records: [ruleset("canary-1", "filter", SAFE, { role: "before" })] },
      { path: "nodes/canary-1/iptables-after.txt", records: [ruleset("canary-1", "filter", REORDERED, { role: "after" })] },
    ], [iptablesRuleOrder]);
    const h = byDetector(res, "iptables-rule-order");
    expect(h).toBeDefined();
    expect(h!.confidence).toBeGreaterThanOrEqual(0.8);
    expect(h!.facts.baseline).toBe("same-node");
    expect(h!.facts.ports).toEqual(expect.arrayContaining(["15001", "15006"]));
    expect(h!.facts.broadPosition).toBe(1);
    // Cites both dumps with line numbers.
    const files = new Set(h!.evidence.map((e) => e.file));
    expect(files).toEqual(new Set(["nodes/canary-1/iptables-after.txt", "nodes/canary-1/iptables-before.txt"]));
    expect(h!.evidence.every((e) => typeof e.line === "number")).toBe(true);
  });

  it("flags a node whose order differs from a healthy node when there is no before dump", async () => {
    const res = await run([
      { path: "nodes/stable-1/iptables-save.txt", records: [ruleset("stable-1", "filter", SAFE)] },
      { path: "nodes/canary-1/iptables-save.txt", records: [ruleset("canary-1", "filter", REORDERED)] },
    ], [iptablesRuleOrder]);
    const h = byDetector(res, "iptables-rule-order");
    expect(h?.facts.nodes).toEqual(["canary-1"]);
    expect(h?.facts.baseline).toBe("cross-node");
  });

  it("does not fire when only unrelated rules moved (no mesh/service rule became shadowed)", async () => {
    const before = ["-A INPUT -s 10.0.0.0/8 -j ACCEPT", "-A INPUT -p udp -m udp --dport 53 -j ACCEPT", ...SAFE];
    const after = ["-A INPUT -p udp -m udp --dport 53 -j ACCEPT", "-A INPUT -s 10.0.0.0/8 -j ACCEPT", ...SAFE];
    const res = await run([
      { path: "a/before.txt", records: [ruleset("n1", "filter", before, { role: "before" })] },
      { path: "a/after.txt", records: [ruleset("n1", "filter", after, { role: "after" })] },
    ], [iptablesRuleOrder]);
    expect(res.hypotheses).toEqual([]);
  });

  it("does not fire when the broad rule was already above the narrow one before the change (not a regression)", async () => {
    const res = await run([
      { path: "b/before.txt", records: [ruleset("n1", "filter", REORDERED, { role: "before" })] },
      { path: "b/after.txt", records: [ruleset("n1", "filter", REORDERED, { role: "after" })] },
    ], [iptablesRuleOrder]);
    expect(res.hypotheses).toEqual([]);
  });
});
