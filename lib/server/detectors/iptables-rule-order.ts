import type { EvidenceRef } from "@/lib/schemas/hypothesis";
import type { Rule, RulesetRecord } from "@/lib/schemas/records";
import type { Located } from "@/lib/server/correlate";
import type { Detector, DetectorContext } from "./types";
import { clamp01, iso } from "./util";

/**
 * iptables-rule-order: a broader terminal rule now sits above a narrower rule that used to take
 * effect, so the narrower rule can never match ("shadowed").
 *
 *   before (node A, 1.31)                after (node A, 1.32)
 *   3 -A KUBE-SERVICES -p tcp --dport 15006 -j ACCEPT    3 -A KUBE-SERVICES -p tcp -j REJECT   ◀ broader, terminal
 *   4 -A KUBE-SERVICES -p tcp -j REJECT                  4 -A KUBE-SERVICES -p tcp --dport 15006 -j ACCEPT  ◀ shadowed
 *
 * Coverage: rule T covers rule N when every non-comment match of T is also a match of N (same
 * option, value, negation; `/32` and long option names normalised) — T matches a superset of N's
 * packets. T is terminal when its target is ACCEPT/DROP/REJECT/KUBE-MARK-DROP or a goto.
 * Pairs compared: before/after dumps of one node (manifest role, else capturedAt/file order) and,
 * when there is no before dump, each node against nodes whose order differs (cross-node).
 * Rules that carry mesh traffic (ISTIO_* chains or targets, ports 15001/15006/15008) or service
 * traffic (KUBE-SVC/KUBE-SEP/KUBE-SERVICES targets) weigh most.
 */
const TERMINAL = new Set(["ACCEPT", "DROP", "REJECT", "KUBE-MARK-DROP"]);
const MESH_PORTS = ["15001", "15006", "15008"];
const ALIASES: Record<string, string> = {
  protocol: "p",
  source: "s",
  destination: "d",
  "in-interface": "i",
  "out-interface": "o",
  "destination-port": "dport",
  "source-port": "sport",
  "destination-ports": "dports",
  "source-ports": "sports",
};

function normValue(option: string, v: string): string {
  let x = v.trim().replace(/^"|"$/g, "");
  if (option === "s" || option === "d") x = x.replace(/\/32$/, "");
  return x.toLowerCase();
}
export function matchKeys(rule: Rule): string[] {
  return rule.matches
    // Comments do not constrain packets; `-m NAME` markers (option "m") only load a module whose options follow.
    .filter((m) => m.module !== "comment" && m.option !== "comment" && m.option !== "m")
    .map((m) => {
      const o = ALIASES[m.option] ?? m.option;
      return `${m.negated ? "!" : ""}${o}=${normValue(o, m.value)}`;
    })
    .sort();
}
/** Stable identity of a rule regardless of position, counters, option order. */
export function ruleKey(table: string, rule: Rule): string {
  const opts = rule.targetOptions.map((t) => `${t.option}=${t.value}`).sort();
  const comment = rule.comment ?? rule.matches.find((m) => m.option === "comment")?.value ?? "";
  return `${table}|${rule.chain}|${matchKeys(rule).join(" ")}|${rule.target ?? ""}|${opts.join(" ")}|${comment}`;
}
export function isTerminal(rule: Rule): boolean {
  return !!rule.target && (TERMINAL.has(rule.target) || rule.goto === true);
}
export function meshOrServiceRelevance(rule: Rule): "mesh" | "service" | null {
  const text = `${rule.chain} ${rule.target ?? ""} ${rule.matches.map((m) => m.value).join(" ")} ${rule.targetOptions.map((t) => t.value).join(" ")}`;
  if (/ISTIO_/.test(text) || MESH_PORTS.some((p) => new RegExp(`(^|[^0-9])${p}([^0-9]|$)`).test(text))) return "mesh";
  if (/KUBE-(SVC|SEP|SERVICES|EXT|NODEPORTS)/.test(rule.target ?? "")) return "service";
  return null;
}

export interface Shadow {
  table: string;
  chain: string;
  broad: Rule;
  narrow: Rule;
}
/**
 * Shadowed rules of one dump. Only terminal rules can shadow, and a real KUBE-SERVICES chain has
 * thousands of jump rules but few terminal ones, so this is O(rules × terminal rules) per chain.
 * Results are cached per dump (the cross-node pass asks repeatedly).
 */
const shadowCache = new WeakMap<RulesetRecord, Shadow[]>();
export function shadows(rs: RulesetRecord): Shadow[] {
  const cached = shadowCache.get(rs);
  if (cached) return cached;
  const out: Shadow[] = [];
  for (const t of rs.tables) {
    const byChain = new Map<string, Rule[]>();
    for (const r of t.rules) (byChain.get(r.chain) ?? byChain.set(r.chain, []).get(r.chain)!).push(r);
    for (const [chain, rules] of byChain) {
      const sorted = [...rules].sort((a, b) => a.position - b.position);
      const terminals: { rule: Rule; keys: string[] }[] = [];
      for (const narrow of sorted) {
        const nKeys = new Set(matchKeys(narrow));
        const hit = terminals.find((b) => b.keys.length < nKeys.size && b.keys.every((k) => nKeys.has(k)) && b.rule.target !== narrow.target);
        if (hit) out.push({ table: t.name, chain, broad: hit.rule, narrow });
        if (isTerminal(narrow)) terminals.push({ rule: narrow, keys: matchKeys(narrow) });
      }
    }
  }
  shadowCache.set(rs, out);
  return out;
}
/** Every rule of a dump by its position-independent key. */
const positionCache = new WeakMap<RulesetRecord, Map<string, Rule>>();
export function positions(rs: RulesetRecord): Map<string, Rule> {
  const cached = positionCache.get(rs);
  if (cached) return cached;
  const m = new Map<string, Rule>();
  for (const t of rs.tables) for (const r of t.rules) m.set(ruleKey(t.name, r), r);
  positionCache.set(rs, m);
  return m;
}

export const iptablesRuleOrder: Detector = {
  id: "iptables-rule-order",
  title: "iptables rule-order regression shadows mesh/service rules",
  requires: ["iptables-save"],
  specificity: "specific",
  detect(ctx: DetectorContext) {
    const dumps = ctx.rulesets.filter((d) => d.rec.family === "ipv4" || ctx.rulesets.every((x) => x.rec.family !== "ipv4"));
    const nodeOf = (d: Located<RulesetRecord>) => d.rec.node ?? ctx.files.get(d.fileId)?.node ?? ctx.files.get(d.fileId)?.path ?? d.fileId;
    const byNode = new Map<string, Located<RulesetRecord>[]>();
    for (const d of dumps) (byNode.get(nodeOf(d)) ?? byNode.set(nodeOf(d), []).get(nodeOf(d))!).push(d);
    const order = (d: Located<RulesetRecord>) => (d.rec.role === "before" ? 0 : d.rec.role === "after" ? 2 : 1);
    const pathOf = (d: Located<RulesetRecord>) => ctx.files.get(d.fileId)?.path ?? d.fileId;

    interface Finding { node: string; after: Located<RulesetRecord>; before: Located<RulesetRecord> | null; s: Shadow; kind: "mesh" | "service"; baseline: "same-node" | "cross-node" }
    const findings: Finding[] = [];
    const latest = new Map<string, Located<RulesetRecord>>();
    for (const [node, list] of [...byNode.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const sorted = [...list].sort((a, b) => order(a) - order(b) || (a.rec.capturedAt ?? 0) - (b.rec.capturedAt ?? 0) || (pathOf(a) < pathOf(b) ? -1 : 1));
      latest.set(node, sorted[sorted.length - 1]!);
      for (let k = 1; k < sorted.length; k++) {
        const before = sorted[k - 1]!;
        const after = sorted[k]!;
        const wasShadowed = new Set(shadows(before.rec).map((s) => ruleKey(s.table, s.narrow)));
        const beforeRules = positions(before.rec);
        for (const s of shadows(after.rec)) {
          const key = ruleKey(s.table, s.narrow);
          const kind = meshOrServiceRelevance(s.narrow);
          if (!kind || wasShadowed.has(key) || !beforeRules.has(key)) continue;
          findings.push({ node, after, before, s, kind, baseline: "same-node" });
        }
      }
    }
    // Cross-node: a node whose latest dump shadows a rule that another node's latest dump does not.
    const flaggedNodes = new Set(findings.map((f) => f.node));
    for (const [node, dump] of latest) {
      if (flaggedNodes.has(node)) continue;
      for (const s of shadows(dump.rec)) {
        const key = ruleKey(s.table, s.narrow);
        const kind = meshOrServiceRelevance(s.narrow);
        if (!kind) continue;
        const healthy = [...latest.entries()].find(([n, other]) => n !== node && positions(other.rec).has(key) && !shadows(other.rec).some((o) => ruleKey(o.table, o.narrow) === key));
        if (healthy) findings.push({ node, after: dump, before: healthy[1], s, kind, baseline: "cross-node" });
      }
    }
    if (!findings.length) return [];

    const mesh = findings.filter((f) => f.kind === "mesh");
    const top = (mesh.length ? mesh : findings)[0]!;
    const nodes = [...new Set(findings.map((f) => f.node))];
    const rulesEv: EvidenceRef[] = [];
    const seen = new Set<string>();
    for (const f of findings) {
      const id = `${f.node}|${ruleKey(f.s.table, f.s.narrow)}`;
      if (seen.has(id) || rulesEv.length >= 12) continue;
      seen.add(id);
      const bKey = ruleKey(f.s.table, f.s.broad);
      const prevNarrow = f.before ? positions(f.before.rec).get(ruleKey(f.s.table, f.s.narrow)) : undefined;
      const prevBroad = f.before ? positions(f.before.rec).get(bKey) : undefined;
      const counters = (r: Rule | undefined) => (r?.counters ? ` [${r.counters.packets} pkts]` : "");
      rulesEv.push({
        file: pathOf(f.after),
        fileId: f.after.fileId,
        line: f.s.broad.line,
        ts: iso(f.after.rec.capturedAt),
        excerpt: `${f.node} (${f.after.rec.role ?? "later"}) -t ${f.s.table} ${f.s.chain} #${f.s.broad.position}: ${f.s.broad.raw}${counters(f.s.broad)}`,
        why: `Broader terminal rule now at position ${f.s.broad.position}${prevBroad ? ` (was ${prevBroad.position})` : ""}, above the ${f.kind} rule it covers.`,
      });
      rulesEv.push({
        file: pathOf(f.after),
        fileId: f.after.fileId,
        line: f.s.narrow.line,
        ts: iso(f.after.rec.capturedAt),
        excerpt: `${f.node} -t ${f.s.table} ${f.s.chain} #${f.s.narrow.position}: ${f.s.narrow.raw}${counters(f.s.narrow)}`,
        why: `This ${f.kind} rule is shadowed: packets it should ${f.s.narrow.target ?? "handle"} hit ${f.s.broad.target} first.`,
      });
      if (f.before && prevNarrow) {
        rulesEv.push({
          file: pathOf(f.before),
          fileId: f.before.fileId,
          line: prevNarrow.line,
          ts: iso(f.before.rec.capturedAt),
          excerpt: `${nodeOf(f.before)} (${f.baseline === "same-node" ? "before" : "healthy node"}) -t ${f.s.table} ${f.s.chain} #${prevNarrow.position}: ${prevNarrow.raw}${counters(prevNarrow)}`,
          why: `${f.baseline === "same-node" ? "Before the change" : "On a node without the regression"} this rule came ${prevBroad ? `before the broad rule (#${prevBroad.position})` : "with no broader rule above it"}.`,
        });
      }
    }
    // Counters: the shadowed rule matching nothing after the change corroborates; traffic still on it contradicts.
    const counterEvidence: EvidenceRef[] = [];
    let conf = top.kind === "mesh" ? 0.8 : 0.65;
    if (top.baseline === "same-node") conf += 0.08;
    const nc = top.s.narrow.counters;
    const bc = top.s.broad.counters;
    if (nc && bc) {
      if (nc.packets === 0 && bc.packets > 0) conf += 0.05;
      else if (nc.packets > 0) {
        conf -= 0.15;
        counterEvidence.push({ file: pathOf(top.after), line: top.s.narrow.line, excerpt: top.s.narrow.raw, why: `The shadowed rule still counted ${nc.packets} packets, so traffic does reach it.` });
      }
    }
    if (findings.length > 1) conf += 0.03;
    const timeoutsDuringWindow = ctx.requests.filter((r) => r.rec.status === 504 || r.rec.status === 503 || (r.rec.flags ?? []).some((f) => f === "UF" || f === "URX" || f === "UT")).length;
    if (timeoutsDuringWindow > 0) conf += 0.04;
    const ports = [...new Set(findings.flatMap((f) => MESH_PORTS.filter((p) => f.s.narrow.raw.includes(p))))];
    return [
      {
        detector: "iptables-rule-order",
        title: `iptables rule order changed on ${nodes.join(", ")}: ${top.s.broad.target} in ${top.s.chain} now shadows ${top.kind} rule${ports.length ? ` (port ${ports.join("/")})` : ""}`,
        confidence: clamp01(Math.min(0.97, conf)),
        summary: `On ${nodes.join(", ")}, a broader ${top.s.broad.target} rule in ${top.s.table}/${top.s.chain} now sits above a narrower ${top.kind === "mesh" ? "service-mesh" : "service"} rule (position ${top.s.broad.position} vs ${top.s.narrow.position}), so that rule can never match. Traffic it should ${top.s.narrow.target ?? "handle"} is ${top.s.broad.target === "ACCEPT" ? "accepted without redirection" : "rejected"}, which clients see as connection resets/refusals and retries. ${top.baseline === "same-node" ? "The earlier dump of the same node had the rules in the safe order." : "Other nodes still have the safe order."}`,
        evidence: rulesEv,
        counterEvidence,
        checks: [
          `Run iptables-save -c on ${nodes[0]} and confirm the counter on the ${top.s.broad.target} rule in ${top.s.chain} grows while the ${top.kind} rule stays at 0.`,
          "Compare kube-proxy / CNI versions between affected and unaffected nodes.",
          "Reproduce one east-west call on an affected node and look for ICMP port-unreachable / RST in tcpdump.",
        ],
        remediation: {
          immediate: ["Roll back kube-proxy / the node version on the affected nodes, or cordon and drain them.", `Reinsert the ${top.kind} rule above the ${top.s.broad.target} rule (iptables -I ${top.s.chain} …) as a stop-gap.`],
          longTerm: ["Pin mesh interception rules with explicit priority (or use the Istio CNI plugin) so kube-proxy reordering cannot shadow them.", "Add an iptables semantic-diff check to node upgrade canaries."],
        },
        facts: {
          nodes,
          chain: top.s.chain,
          table: top.s.table,
          broadTarget: top.s.broad.target ?? "",
          broadPosition: top.s.broad.position,
          shadowedPosition: top.s.narrow.position,
          shadowedRules: findings.length,
          traffic: top.kind,
          baseline: top.baseline,
          ports,
        },
      },
    ];
  },
};
