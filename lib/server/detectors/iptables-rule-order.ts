import type { EvidenceRef } from "@/lib/schemas/hypothesis";
import type { Rule, RulesetRecord } from "@/lib/schemas/records";
import { isFailedRequest, type Located } from "@/lib/server/correlate";
import { diffRulesets, type CounterEvidence, type RulesetDiff, type ShadowChange, type VerdictChange } from "@/lib/server/correlate/iptables/diff";
import { describeBox } from "@/lib/server/correlate/iptables/describe";
import { analyzeRuleset, shadowers, type RuleRef, type TableModel } from "@/lib/server/correlate/iptables/model";
import { intersect } from "@/lib/server/correlate/iptables/sets";
import { CAPTURE, changeTraffic, meshPortsOf, refTraffic, type Traffic } from "@/lib/server/correlate/iptables/traffic";
import { renderRule } from "@/lib/server/parsers/iptables/rule";
import { ruleUids } from "@/lib/server/parsers/iptables/values";
import { Confidence } from "./confidence";
import type { Detector, DetectorContext } from "./types";
import { iso } from "./util";

/**
 * iptables-rule-order: a change between two captures of one host makes mesh or service traffic
 * get a different verdict — found on the packet-class model (correlate/iptables/model.ts), not on
 * the text of the rules.
 *
 *   09:05 capture (before)                               10:25 capture (after)
 *   KUBE-SERVICES                                        KUBE-SERVICES
 *   #3 -p tcp --dport 15001 -j ACCEPT       [5 310]      #2 -p tcp -m addrtype ! --dst-type LOCAL
 *   #4 -p tcp --dport 15006 -j ACCEPT       [4 870]         -m multiport --dports 15001,15006,15008 -j REJECT [2 431]
 *   #5 -p tcp -m addrtype ! --dst-type LOCAL             #3 -p tcp --dport 15001 -j ACCEPT    [5 310]  ◀ stopped
 *      -m multiport --dports 15001,… -j REJECT [1 204]   #4 -p tcp --dport 15006 -j ACCEPT    [4 870]  ◀ stopped
 *                     │
 *                     ▼  model: "tcp to :15001,15006, destination not local: ACCEPT → REJECT"
 *
 * The REJECT's matches (addrtype, multiport) are not a subset of the ACCEPT's, so a syntactic
 * "covers" test misses it; the model intersects packet classes instead. Fires on verdict changes
 * that hurt mesh/service traffic: now DROP/REJECT, mesh capture (REDIRECT/TPROXY to 150xx) lost,
 * or service DNAT lost. Benign moves (same verdicts), endpoint churn (DNAT → other DNAT), added
 * rules for unrelated traffic, identical dumps and counter-only changes do not fire.
 * Counters (both dumps): a rule that stopped counting under a rule above it that grew on
 * overlapping traffic is independent evidence. One dump only: a mesh rule shadowed by a
 * REJECT/DROP above it fires below 50 % (no capture shows it was ever different).
 */
const BLOCKING = /^(DROP|REJECT|\?KUBE-MARK-DROP)$/;

type Loc = Located<RulesetRecord>;
interface Finding {
  node: string;
  before: Loc;
  after: Loc;
  baseline: "same-node" | "cross-node";
  diff: RulesetDiff;
  changes: { c: VerdictChange; traffic: Traffic; harm: string }[];
  shadowed: ShadowChange[];
  counters: CounterEvidence[];
}

/**
 * What a change does to the traffic, or null when it is not harmful (opening, endpoint churn) or
 * is a service's own state (kube-proxy REJECTs a service that has no endpoints: the endpoints
 * went away, the rules did not reorder).
 */
function harmOf(c: VerdictChange): string | null {
  if (c.afterBy?.rule.comment && /has no endpoints/.test(c.afterBy.rule.comment)) return null;
  if (BLOCKING.test(c.after) && !BLOCKING.test(c.before)) return `now ${c.after === "REJECT" ? "rejected" : "dropped"}`;
  if (CAPTURE.test(c.before) && !CAPTURE.test(c.after) && !BLOCKING.test(c.before)) return "no longer captured by the mesh proxy";
  if (/^DNAT/.test(c.before) && !/^DNAT/.test(c.after)) return "no longer sent to a service endpoint";
  return null;
}

type Order = (d: Loc) => [number, number, string];
function orderKey(ctx: DetectorContext): Order {
  return (d) => [d.rec.role === "before" ? 0 : d.rec.role === "after" ? 2 : 1, d.rec.capturedAt ?? 0, ctx.files.get(d.fileId)?.path ?? d.fileId];
}
const cmp = (a: [number, number, string], b: [number, number, string]) => a[0] - b[0] || a[1] - b[1] || a[2].localeCompare(b[2], undefined, { numeric: true });

/** Sorted rule identities of a dump: equal for two dumps that hold the same rules in any order. */
function ruleSet(rs: RulesetRecord): string {
  const out: string[] = [];
  for (const t of rs.tables) {
    const byChain = new Map<string, Rule[]>();
    for (const r of t.rules) (byChain.get(r.chain) ?? byChain.set(r.chain, []).get(r.chain)!).push(r);
    for (const list of byChain.values()) out.push(...ruleUids(t.name, list).map((u) => u.replace(/#\d+$/, "")));
  }
  return out.sort().join("\n");
}

interface Analysis {
  findings: Finding[];
  /** Pairs compared (same node, or a node against another with the same rules). */
  compared: number;
  approximate: number;
  dumps: number;
  nodes: number;
  singles: { node: string; dump: Loc; models: TableModel[] }[];
}
const cache = new WeakMap<object, Analysis>();

/**
 * A host for a dump whose node is unknown: its folder and file name without the parts that tell
 * captures apart (before/after, HHMM, HH-MM-SS, dates, epoch seconds), so `iptables-0905.txt` and
 * `iptables-1025.txt` of one folder are one host and `node-a.txt` / `node-b.txt` are two.
 */
export function hostOfPath(path: string): string {
  const i = path.lastIndexOf("/");
  const base = path.slice(i + 1).replace(/\.[a-z0-9]+$/i, "");
  const stripped = base
    .replace(/\d{4}-\d{2}-\d{2}(?:[T_ ]\d{2}[:-]?\d{2}(?:[:-]?\d{2})?(?:\.\d+)?Z?)?/g, "")
    .replace(/(^|[^a-z0-9])(before|after|pre|post|old|new|\d{10}|\d{6}|\d{4}|\d{2}-\d{2}-\d{2})(?=$|[^a-z0-9])/gi, "$1")
    .replace(/[-_.]+$/, "");
  return `${path.slice(0, i + 1)}${stripped || base}`;
}

function analyse(ctx: DetectorContext): Analysis {
  const hit = cache.get(ctx.rulesets);
  if (hit) return hit;
  const nodeOf = (d: Loc) => d.rec.node ?? ctx.files.get(d.fileId)?.node ?? hostOfPath(ctx.files.get(d.fileId)?.path ?? d.fileId);
  const groups = new Map<string, Loc[]>();
  for (const d of ctx.rulesets) {
    const k = `${nodeOf(d)}\u0000${d.rec.family}`;
    (groups.get(k) ?? groups.set(k, []).get(k)!).push(d);
  }
  const key = orderKey(ctx);
  const out: Analysis = { findings: [], compared: 0, approximate: 0, dumps: ctx.rulesets.length, nodes: new Set(ctx.rulesets.map(nodeOf)).size, singles: [] };
  const consider = (node: string, before: Loc, after: Loc, baseline: Finding["baseline"]) => {
    const diff = diffRulesets(before.rec, after.rec);
    out.compared++;
    if (diff.approximate) out.approximate++;
    const changes = diff.changes
      .filter((c) => !c.uncertain)
      .map((c) => ({ c, traffic: changeTraffic(c), harm: harmOf(c) }))
      .filter((x): x is { c: VerdictChange; traffic: Traffic; harm: string } => x.traffic !== null && x.harm !== null)
      .filter(({ c, traffic }) => {
        // Service churn is not a regression: a service deleted (its DNAT rules gone) or a new
        // service's own rules (a loadBalancerSourceRanges DROP). Mesh traffic has no such churn.
        const afterIsNew = !!c.afterBy && !findRule(before.rec, c.table, c.afterBy.uid);
        const beforeGone = c.beforeRules.length > 0 && c.beforeRules.every((r) => !findRule(after.rec, c.table, r.uid));
        if (/^DNAT/.test(c.before) && beforeGone) return false;
        return !(traffic === "service" && afterIsNew);
      });
    if (!changes.length) return;
    // Mesh first, then the plainest description (OUTPUT's class before FORWARD's with its mark and state).
    changes.sort((a, b) => (a.traffic === b.traffic ? 0 : a.traffic === "mesh" ? -1 : 1) || a.c.words.length - b.c.words.length);
    const involved = new Set(changes.flatMap((x) => [x.c.afterBy?.uid, x.c.beforeBy?.uid]).filter(Boolean));
    out.findings.push({
      node,
      before,
      after,
      baseline,
      diff,
      changes,
      shadowed: diff.shadowed.filter((s) => involved.has(s.uid) || s.blockers.some((b) => involved.has(b.uid))),
      counters: diff.counters.filter((e) => involved.has(uidIn(e.stopped.after, e.table, after.rec)) || involved.has(uidIn(e.grew.after, e.table, after.rec))),
    });
  };
  const latest: { node: string; family: string; d: Loc; n: number }[] = [];
  for (const [k, list] of [...groups.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const [node, family] = k.split("\u0000") as [string, string];
    const sorted = [...list].sort((a, b) => cmp(key(a), key(b)));
    for (let i = 1; i < sorted.length; i++) consider(node, sorted[i - 1]!, sorted[i]!, "same-node");
    latest.push({ node, family, d: sorted[sorted.length - 1]!, n: sorted.length });
  }
  // A node with one dump against another node holding the same rules in another order.
  const flagged = new Set(out.findings.map((f) => f.node));
  for (const x of latest) {
    if (x.n > 1 || flagged.has(x.node)) continue;
    const mine = ruleSet(x.d.rec);
    const peers = latest.filter((y) => y.node !== x.node && y.family === x.family && ruleSet(y.d.rec) === mine);
    let found = false;
    for (const y of peers) {
      const before = out.findings.length;
      consider(x.node, y.d, x.d, "cross-node");
      // Only the harmful direction makes a finding (the healthy node against the regressed one
      // sees REJECT → ACCEPT), so a finding is on the node whose order hurts; one peer is enough.
      if (out.findings.length > before) {
        found = true;
        break;
      }
    }
    if (!found && !peers.length) out.singles.push({ node: x.node, dump: x.d, models: analyzeRuleset(x.d.rec) });
  }
  cache.set(ctx.rulesets, out);
  return out;
}

function uidIn(rule: Rule, table: string, rs: RulesetRecord): string | undefined {
  const t = rs.tables.find((x) => x.name === table);
  if (!t) return undefined;
  const list = t.rules.filter((r) => r.chain === rule.chain).sort((a, b) => a.position - b.position);
  return ruleUids(table, list)[list.indexOf(rule)];
}
function findRule(rs: RulesetRecord, table: string, uid: string): Rule | undefined {
  const t = rs.tables.find((x) => x.name === table);
  if (!t) return undefined;
  const chain = uid.split("|")[1];
  const list = t.rules.filter((r) => r.chain === chain).sort((a, b) => a.position - b.position);
  const i = ruleUids(table, list).indexOf(uid);
  return i >= 0 ? list[i] : undefined;
}
const ruleText = (r: Rule) => renderRule({ ...r, counters: undefined });
const counted = (r: Rule | undefined) => (r?.counters ? ` [${r.counters.packets.toLocaleString("en-US")} packets]` : "");

/** Single dumps: a mesh rule that a REJECT/DROP above it takes mesh traffic from. */
function singleShadows(s: Analysis["singles"][number]) {
  const out: { model: TableModel; shadowed: RuleRef; blocker: RuleRef; status: string; words: string }[] = [];
  for (const m of s.models) {
    if (m.approximate) continue;
    for (const st of m.rules.values()) {
      if ((st.status !== "fully" && st.status !== "partly") || refTraffic(st.ref) !== "mesh" || BLOCKING.test(st.ref.rule.target ?? "")) continue;
      for (const b of shadowers(st)) {
        const blocker = m.rules.get(b)?.ref;
        const bb = m.compiledBox(b);
        const sb = m.compiledBox(st.ref.uid);
        if (!blocker || !bb || !sb || !BLOCKING.test(blocker.rule.target ?? "")) continue;
        // The blocker must be sure to match (no opaque part) and take mesh-port traffic.
        if (m.rules.get(b)!.matched.some((x) => x.opaque.size) || !meshPortsOf([bb]).length) continue;
        const both = { dims: bb.dims.map((d, i) => intersect(d, sb.dims[i]!)), opaque: new Map() };
        if (both.dims.some((d) => !d.length)) continue;
        out.push({ model: m, shadowed: st.ref, blocker, status: st.status, words: `${describeBox(both, m.universe)}: ${verdictWord(st.ref.rule)} → ${blocker.rule.target}` });
      }
    }
  }
  return out;
}
const verdictWord = (r: Rule) => r.target ?? "continue";

export const iptablesRuleOrder: Detector = {
  id: "iptables-rule-order",
  title: "iptables change gives mesh/service traffic a different verdict",
  requires: ["iptables-save"],
  specificity: "specific",
  coverage(ctx) {
    if (!ctx.rulesets.length) return { checked: false, detail: "no iptables-save dump in the bundle" };
    const a = analyse(ctx);
    if (a.compared === 0) return { checked: false, detail: `needs two iptables dumps of the same host (before and after the change); ${a.dumps} dump${a.dumps === 1 ? "" : "s"} of ${a.nodes} node${a.nodes === 1 ? "" : "s"}, none comparable — only rules shadowed within a dump were looked for` };
    if (a.approximate === a.compared) return { checked: false, detail: `${a.compared} pair${a.compared === 1 ? "" : "s"} of iptables dumps too large to compare exactly within the work bound` };
    return { checked: true, detail: `${a.compared} pair${a.compared === 1 ? "" : "s"} of iptables dumps (${a.nodes} node${a.nodes === 1 ? "" : "s"}) compared packet class by packet class: no mesh or service traffic gets a different verdict${a.approximate ? ` (${a.approximate} pair${a.approximate === 1 ? "" : "s"} too large to compare exactly)` : ""}` };
  },
  detect(ctx: DetectorContext) {
    const a = analyse(ctx);
    const pathOf = (d: Loc) => ctx.files.get(d.fileId)?.path ?? d.fileId;
    const cite = (d: Loc, r: Rule, table: string, label: string, why: string): EvidenceRef => ({
      file: pathOf(d),
      fileId: d.fileId,
      line: r.line,
      ts: iso(d.rec.capturedAt),
      excerpt: `${label} -t ${table} ${r.chain} #${r.position}: ${ruleText(r)}${counted(r)}`.slice(0, 2000),
      why: why.slice(0, 1000),
    });
    const failures = ctx.requests.filter((r) => isFailedRequest(r.rec));

    if (!a.findings.length) {
      const single = a.singles.flatMap((s) => singleShadows(s).map((x) => ({ s, x })));
      if (!single.length) return [];
      const { s, x } = single[0]!;
      const c = new Confidence(0.3, `in the only dump of ${s.node}, a ${x.blocker.rule.target} rule sits above a mesh rule and takes traffic it matches`);
      c.when(x.status === "fully", 0.05, "the mesh rule is fully shadowed: no packet can reach it");
      c.when((x.blocker.rule.counters?.packets ?? 0) > 0, 0.05, `the ${x.blocker.rule.target} rule counted ${x.blocker.rule.counters?.packets.toLocaleString("en-US")} packets`, "independence");
      c.cap(0.45, "one dump cannot show that the order changed: no earlier capture to compare with");
      return [
        {
          detector: "iptables-rule-order",
          title: `${s.node}: ${x.blocker.rule.target} in ${x.model.table}/${x.blocker.chain} shadows a mesh rule (${x.words})`.slice(0, 300),
          ...c.result(),
          summary: `In the only iptables dump of ${s.node}, ${x.model.table}/${x.blocker.chain} #${x.blocker.rule.position} (${x.blocker.rule.target}) takes traffic that the mesh rule #${x.shadowed.rule.position} in ${x.shadowed.chain} would handle — ${x.status} shadowed: ${x.words}. Without an earlier capture of the node it is not known whether this order is new.`,
          evidence: [
            cite(s.dump, x.blocker.rule, x.model.table, s.node, `The ${x.blocker.rule.target} rule comes first for this traffic.`),
            cite(s.dump, x.shadowed.rule, x.model.table, s.node, `This mesh rule is ${x.status} shadowed by #${x.blocker.rule.position}.`),
          ],
          counterEvidence: [],
          checks: [`Capture iptables-save -c on ${s.node} twice a minute apart and see which of the two rules counts the mesh traffic.`, "Compare with the same dump from a node that is working."],
          remediation: { immediate: [], longTerm: ["Keep iptables-save -c captures from before and after node changes so a reorder can be proven."] },
          explains: [],
          facts: { nodes: [s.node], chain: x.blocker.chain, table: x.model.table, baseline: "single-dump", traffic: "mesh", shadowedRules: 1 },
        },
      ];
    }

    const top = a.findings.find((f) => f.changes.some((x) => x.traffic === "mesh")) ?? a.findings[0]!;
    const first = top.changes[0]!;
    const nodes = [...new Set(a.findings.map((f) => f.node))];
    const ch = first.c;
    const table = ch.table;
    const afterRule = ch.afterBy?.rule;
    const beforeRule = ch.beforeBy?.rule;
    const afterRuleBefore = ch.afterBy ? findRule(top.before.rec, table, ch.afterBy.uid) : undefined;
    const beforeRuleAfter = ch.beforeBy ? findRule(top.after.rec, table, ch.beforeBy.uid) : undefined;
    const ports = [...new Set(a.findings.flatMap((f) => f.changes.flatMap((x) => meshPortsOf(x.c.boxes))))];
    const moved = afterRule && afterRuleBefore && afterRuleBefore.position !== afterRule.position;

    const c = new Confidence(0.6, `between two captures of ${top.baseline === "same-node" ? "the same node" : "two nodes with the same rules"}, ${first.traffic} traffic changed verdict: ${ch.before} → ${ch.after}`);
    c.when(first.traffic === "mesh", 0.08, "the traffic is the mesh's own (proxy capture ports or ISTIO chains), which a reorder should never touch", "specificity");
    c.when(top.baseline === "same-node", 0.06, "the node's earlier dump gave this traffic the other verdict", "independence");
    c.when(top.baseline === "cross-node", -0.1, "compared with another node, not with an earlier capture of the same node");
    c.when(moved, 0.04, `the deciding ${afterRule?.target} rule moved from #${afterRuleBefore?.position} to #${afterRule?.position}`);
    c.when(afterRule && !afterRuleBefore, -0.08, `the deciding ${afterRule?.target} rule is new in the later dump, not moved`);
    const ev = top.counters[0];
    if (ev) c.add(0.1, ev.words, "independence");
    else if (top.diff.countersCompared && afterRule?.counters && afterRuleBefore?.counters && afterRule.counters.packets === afterRuleBefore.counters.packets)
      c.add(-0.15, `the ${afterRule.target} rule now deciding counted no packets between the captures`, "counter");
    if (failures.length >= 5 && first.harm !== "no longer captured by the mesh proxy") c.add(0.06, `${failures.length} failed requests in the access logs fit traffic being ${first.harm.replace(/^now /, "")}`, "impact");
    else if (ctx.requests.length >= 50 && !failures.length) c.add(-0.1, "the access logs show no failed requests", "counter");
    c.cap(0.95, "a rule diff shows what the node would do, not that this traffic was sent");

    const evidence: EvidenceRef[] = [];
    const seen = new Set<string>();
    for (const f of a.findings)
      for (const x of f.changes.slice(0, 3)) {
        const k = `${f.node}|${x.c.afterBy?.uid}|${x.c.beforeBy?.uid}`;
        if (seen.has(k) || evidence.length >= 16) continue;
        seen.add(k);
        const aR = x.c.afterBy?.rule;
        const aRb = x.c.afterBy ? findRule(f.before.rec, x.c.table, x.c.afterBy.uid) : undefined;
        const labelB = f.baseline === "same-node" ? `${f.node} (before)` : `${nodeName(f.before, ctx)} (healthy node)`;
        const labelA = `${f.node} (${f.baseline === "same-node" ? "after" : "regressed"})`;
        if (aR) evidence.push(cite(f.after, aR, x.c.table, labelA, `Now decides ${x.c.words}${aRb ? ` (was #${aRb.position})` : " (new rule)"}.`));
        if (aRb) evidence.push(cite(f.before, aRb, x.c.table, labelB, `The same ${aRb.target} rule before the change, at #${aRb.position}: it did not decide this traffic.`));
        for (const b of x.c.beforeRules.slice(0, 3)) {
          const bRa = findRule(f.after.rec, x.c.table, b.uid);
          evidence.push(cite(f.before, b.rule, x.c.table, labelB, `Decided this traffic before the change: ${x.c.before}.`));
          if (bRa) evidence.push(cite(f.after, bRa, x.c.table, labelA, `The same rule after the change, at #${bRa.position}: ${shadowWord(f, b.uid)}.`));
        }
      }
    const counterEvidence: EvidenceRef[] = [];
    const grewCited = new Set<Rule>();
    for (const e of top.counters.slice(0, 3)) {
      if (!grewCited.has(e.grew.after)) evidence.push(cite(top.after, e.grew.after, e.table, `${top.node} (after)`, `Counter grew by ${e.grew.delta.toLocaleString("en-US")} packets between the captures.`));
      grewCited.add(e.grew.after);
      evidence.push(cite(top.after, e.stopped.after, e.table, `${top.node} (after)`, `Counter did not grow between the captures (it had counted ${e.stopped.before.counters?.packets.toLocaleString("en-US")} before).`));
    }
    if (!ev && top.diff.countersCompared && afterRule?.counters && afterRuleBefore?.counters && afterRule.counters.packets === afterRuleBefore.counters.packets)
      counterEvidence.push(cite(top.after, afterRule, table, `${top.node} (after)`, "This rule counted no packets between the captures: no traffic hit the new verdict."));

    const shadowedRules = a.findings.reduce((n, f) => n + f.shadowed.length, 0);
    const changeWords = [...new Set(a.findings.flatMap((f) => f.changes.map((x) => x.c.words)))];
    const shadowText = top.shadowed.length
      ? ` ${top.shadowed.slice(0, 3).map((s) => `${s.chain} #${s.after.position} (${s.after.target ?? "no target"}) is now ${s.status} shadowed${s.blockers.length ? ` by #${s.blockers.map((b) => b.rule.position).join(", #")}` : ""}`).join("; ")}.`
      : "";
    const when = (d: Loc) => (d.rec.capturedAt ? iso(d.rec.capturedAt)!.slice(11, 16) : pathOf(d));
    return [
      {
        detector: "iptables-rule-order",
        title: `iptables change on ${nodes.join(", ")}: ${ch.words}`.slice(0, 300),
        ...c.result(),
        summary: `${top.baseline === "same-node" ? `Between the captures of ${top.node} (${when(top.before)} → ${when(top.after)})` : `Compared with ${nodeName(top.before, ctx)}, which has the same rules in another order, on ${top.node}`}, ${table}/${afterRule?.chain ?? ch.chain} now gives ${first.traffic === "mesh" ? "service-mesh" : "service"} traffic a different verdict: ${changeWords.slice(0, 3).join("; ")}${changeWords.length > 3 ? `; and ${changeWords.length - 3} more` : ""}. ${afterRule ? `The ${afterRule.target} rule${moved ? ` moved from #${afterRuleBefore!.position} to #${afterRule.position}` : ` at #${afterRule.position}`}${beforeRule ? ` and now comes before the ${beforeRule.target} rule (#${beforeRuleAfter?.position ?? "?"})` : ""}.` : ""}${shadowText}${ev ? ` Counters: ${ev.words}.` : ""}`.slice(0, 2000),
        evidence,
        counterEvidence,
        checks: [
          `Run iptables-save -c on ${top.node} twice and confirm the ${afterRule?.target ?? "new"} rule in ${afterRule?.chain ?? ch.chain} grows while the ${beforeRule?.target ?? "earlier"} rule stays still.`,
          "Compare kube-proxy / CNI / mesh versions between affected and unaffected nodes.",
          "Reproduce one east-west call on an affected node and look for ICMP port-unreachable / RST in tcpdump.",
        ],
        remediation: {
          immediate: ["Roll back kube-proxy / the node version on the affected nodes, or cordon and drain them.", `Reinsert the ${beforeRule?.target ?? "mesh"} rule above the ${afterRule?.target ?? "new"} rule (iptables -I ${afterRule?.chain ?? ch.chain} …) as a stop-gap.`],
          longTerm: ["Pin mesh interception rules with explicit priority (or use the Istio CNI plugin) so a reorder cannot shadow them.", "Add an iptables semantic diff (this model) to node upgrade canaries."],
        },
        explains: ["latency-regression", "error-burst-after-change", "retry-latency-amplification"],
        facts: {
          nodes,
          chain: afterRule?.chain ?? ch.chain,
          table,
          verdictBefore: ch.before,
          verdictAfter: ch.after,
          verdictChanges: changeWords.slice(0, 10),
          broadPosition: afterRule?.position ?? 0,
          shadowedPosition: beforeRuleAfter?.position ?? 0,
          shadowedRules,
          traffic: first.traffic,
          baseline: top.baseline,
          ports: ports.map(String),
          counterEvidence: top.counters.length > 0,
        },
      },
    ];
  },
};

function nodeName(d: Loc, ctx: DetectorContext): string {
  return d.rec.node ?? ctx.files.get(d.fileId)?.node ?? ctx.files.get(d.fileId)?.path ?? d.fileId;
}
function shadowWord(f: Finding, uid: string): string {
  const s = f.diff.shadowed.find((x) => x.uid === uid);
  if (s) return `now ${s.status} shadowed by #${s.blockers.map((b) => b.rule.position).join(", #") || "?"}`;
  const st = f.diff.models.after.flatMap((m) => [...m.rules.values()]).find((x) => x.ref.uid === uid);
  return st && st.status !== "live" ? `now ${st.status}` : "this traffic no longer reaches it";
}

