import type { Rule, RulesetRecord } from "@/lib/schemas/records";
import { describeBox } from "./describe";
import { analyzeTable, shadowers, Universe, type RuleRef, type ShadowStatus, type TableModel, type VerdictClass } from "./model";
import { renderRule } from "@/lib/server/parsers/iptables/rule";
import { BoxPool, boxIntersect, quickDisjoint, sameSet, union, type Box } from "./sets";
import { chainsOf, isBuiltinChain, ruleUids } from "@/lib/server/parsers/iptables/values";

/**
 * Dump-to-dump diff on the packet-class model: what a change between two captures of one host
 * did to traffic, not to text.
 *
 *   before ──model──▶ classes × verdicts ─┐
 *                                          ├─ intersect classes whose verdicts differ ─▶ "tcp to :15001,15006,
 *   after  ──model──▶ classes × verdicts ─┘                                                destination not local:
 *                                                                                          ACCEPT → REJECT"
 *   rules present in both: shadow status live → partly/fully            ─▶ newly shadowed
 *   counters of both captures: a rule that stopped counting under one that grew ─▶ counter evidence
 */

export interface VerdictChange {
  table: string;
  /** Entry chain whose traffic changed (PREROUTING, INPUT, …). */
  chain: string;
  before: string;
  after: string;
  /** The first rule that decided this traffic before (see beforeRules). */
  beforeBy: RuleRef | null;
  /** Every rule that decided part of this traffic before (one per port, …). */
  beforeRules: RuleRef[];
  afterBy: RuleRef | null;
  boxes: Box[];
  /** "tcp to :15001,15006, destination not local: ACCEPT → REJECT" */
  words: string;
  /**
   * Every class of the change depends on a mark rewritten by a MARK rule, which the model treats
   * as unknown on each side separately: the change may be an artefact. (Other unknown matches —
   * an ipset, an owner — are named in the words: "unless -m owner --uid-owner 1337".)
   */
  uncertain: boolean;
}
export interface ShadowChange {
  table: string;
  chain: string;
  uid: string;
  status: "fully" | "partly";
  /** Status in the earlier dump; "absent" for a rule the later dump added. */
  was: ShadowStatus | "absent";
  before: Rule | null;
  after: Rule;
  /** Earlier rules of the later dump that take its traffic. */
  blockers: RuleRef[];
}
export interface CounterEvidence {
  table: string;
  chain: string;
  stopped: { before: Rule; after: Rule; delta: number };
  grew: { before: Rule | null; after: Rule; delta: number };
  words: string;
}
export interface RulesetDiff {
  changes: VerdictChange[];
  shadowed: ShadowChange[];
  counters: CounterEvidence[];
  /** Some table hit the work bound: its changes are not claimed. */
  approximate: boolean;
  /** Same rules in the same order everywhere (counters aside). */
  identical: boolean;
  /** Both dumps carry rule counters. */
  countersCompared: boolean;
  models: { before: TableModel[]; after: TableModel[] };
}

/** Suffixes of each dump's mark unknowns (see analyzeTable). */
export const MARK_TAG = { before: "~before", after: "~after" } as const;
const RANK: Record<string, number> = { live: 0, partly: 1, fully: 2 };
const MAX_PAIR_OPS = 400_000;
const QUICK = 0.1;
/** Merging is quadratic: past this many pieces a change is described piece by piece. */
const MAX_MERGE = 200;

function signature(t: RulesetRecord["tables"][number]): string {
  const parts: string[] = [];
  for (const [c, list] of [...chainsOf(t).entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const pol = t.chains.find((x) => x.name === c)?.policy ?? "-";
    parts.push(`${c}:${pol}:${ruleUids(t.name, list).join(",")}`);
  }
  return parts.join("\n");
}

/** Boxes that differ in one dimension only are one box (the per-port pieces of a multiport rule). */
function merge(boxes: Box[]): Box[] {
  let out = [...boxes];
  let changed = true;
  while (changed && out.length > 1) {
    changed = false;
    outer: for (let i = 0; i < out.length; i++)
      for (let j = i + 1; j < out.length; j++) {
        const a = out[i]!;
        const b = out[j]!;
        if (a.opaque.size !== b.opaque.size || [...a.opaque].some(([k, v]) => b.opaque.get(k) !== v)) continue;
        const diff = a.dims.map((d, k) => (sameSet(d, b.dims[k]!) ? -1 : k)).filter((k) => k >= 0);
        if (diff.length > 1) continue;
        const dims = [...a.dims];
        if (diff.length === 1) dims[diff[0]!] = union(a.dims[diff[0]!]!, b.dims[diff[0]!]!);
        out = [...out.slice(0, i), { dims, opaque: a.opaque }, ...out.slice(i + 1, j), ...out.slice(j + 1)];
        changed = true;
        break outer;
      }
  }
  return out;
}

function rootClasses(m: TableModel | undefined, chain: string, u: Universe): VerdictClass[] | null {
  const r = m?.roots.find((x) => x.chain === chain);
  if (r) return r.approximate ? null : r.classes;
  // A chain that does not exist lets everything through (built-in) or is never entered.
  return [{ box: u.fullBox(), verdict: isBuiltinChain(m?.table ?? "", chain) ? "ACCEPT" : "RETURN", by: null }];
}

export function diffRulesets(before: RulesetRecord, after: RulesetRecord): RulesetDiff {
  const u = new Universe([before, after]);
  const names = [...new Set([...before.tables.map((t) => t.name), ...after.tables.map((t) => t.name)])];
  const empty = (name: string) => ({ name, chains: [], rules: [] });
  const mb: TableModel[] = [];
  const ma: TableModel[] = [];
  const out: RulesetDiff = { changes: [], shadowed: [], counters: [], approximate: false, identical: true, countersCompared: false, models: { before: mb, after: ma } };
  const hasCounters = (rs: RulesetRecord) => rs.tables.some((t) => t.rules.some((r) => r.counters));
  out.countersCompared = hasCounters(before) && hasCounters(after);
  for (const name of names) {
    const tb = before.tables.find((t) => t.name === name) ?? empty(name);
    const ta = after.tables.find((t) => t.name === name) ?? empty(name);
    const same = signature(tb) === signature(ta);
    const A = analyzeTable(tb, u, undefined, MARK_TAG.before);
    const B = analyzeTable(ta, u, undefined, MARK_TAG.after);
    mb.push(A);
    ma.push(B);
    if (!same) out.identical = false;
    if (A.approximate || B.approximate) out.approximate = true;
    if (!same && !A.approximate && !B.approximate) {
      const v = verdictChanges(A, B, u);
      out.changes.push(...v.changes);
      if (v.approximate) out.approximate = true;
      out.shadowed.push(...shadowChanges(A, B));
    }
    if (out.countersCompared) out.counters.push(...counterEvidence(tb, ta, B));
  }
  return out;
}

function verdictChanges(A: TableModel, B: TableModel, u: Universe): { changes: VerdictChange[]; approximate: boolean } {
  const chains = [...new Set([...A.roots.map((r) => r.chain), ...B.roots.map((r) => r.chain)])];
  const groups = new Map<string, VerdictChange>();
  let ops = 0;
  for (const chain of chains) {
    const ca = rootClasses(A, chain, u);
    const cb = rootClasses(B, chain, u);
    if (!ca || !cb) continue;
    const index = new BoxPool(cb);
    for (const x of ca)
      for (const y of index.candidates(x.box)) {
        if (x.verdict === y.verdict) continue;
        ops += QUICK;
        if (ops > MAX_PAIR_OPS) return { changes: [], approximate: true };
        if (quickDisjoint(x.box, y.box)) continue;
        if (++ops > MAX_PAIR_OPS) return { changes: [], approximate: true };
        const i = boxIntersect(x.box, y.box);
        if (!i) continue;
        // One change per new decider and verdict pair: the REJECT that now takes 15001 and 15006
        // from two ACCEPT rules is one change, "tcp to :15001,15006 …: ACCEPT → REJECT".
        const key = `${chain}|${x.verdict}|${y.verdict}|${y.by?.uid ?? ""}`;
        const g = groups.get(key);
        if (g) {
          g.boxes.push(i);
          if (x.by && !g.beforeRules.some((r) => r.uid === x.by!.uid)) g.beforeRules.push(x.by);
        } else groups.set(key, { table: A.table, chain, before: x.verdict, after: y.verdict, beforeBy: x.by, beforeRules: x.by ? [x.by] : [], afterBy: y.by, boxes: [i], words: "", uncertain: false });
      }
  }
  const list = [...groups.values()];
  for (const g of list) {
    if (g.boxes.length <= MAX_MERGE) g.boxes = merge(g.boxes);
    g.uncertain = g.boxes.every((b) => [...b.opaque.keys()].some((k) => k.endsWith(MARK_TAG.before) || k.endsWith(MARK_TAG.after)));
    const shown = g.boxes.slice(0, 3).map((b) => describeBox(b, u));
    g.words = `${shown.join("; ")}${g.boxes.length > 3 ? `; and ${g.boxes.length - 3} more classes` : ""}: ${g.before} → ${g.after}`;
  }
  return { changes: list, approximate: false };
}

function shadowChanges(A: TableModel, B: TableModel): ShadowChange[] {
  const out: ShadowChange[] = [];
  for (const [uid, st] of B.rules) {
    if (st.status !== "fully" && st.status !== "partly") continue;
    const prev = A.rules.get(uid);
    const now = shadowers(st);
    // Newly: not shadowed before, less shadowed before, or shadowed now by a rule that did not shadow it.
    if (prev && (prev.status === "unknown" || prev.status === "unreached")) continue;
    if (prev && RANK[prev.status]! >= RANK[st.status]! && now.every((b) => shadowers(prev).includes(b))) continue;
    out.push({
      table: B.table,
      chain: st.ref.chain,
      uid,
      status: st.status,
      was: prev?.status ?? "absent",
      before: prev?.ref.rule ?? null,
      after: st.ref.rule,
      blockers: now.map((b) => B.rules.get(b)?.ref).filter((r): r is RuleRef => !!r).sort((x, y) => x.rule.position - y.rule.position),
    });
  }
  return out;
}

const fmt = (n: number) => n.toLocaleString("en-US");
/** A rule named briefly: its target and comment, else its matches ("REJECT \"default/unmatched\""). */
const short = (r: Rule) => {
  if (r.comment) return `${r.target ?? "rule"} "${r.comment.length > 60 ? `${r.comment.slice(0, 57)}…` : r.comment}"`;
  const t = renderRule({ ...r, counters: undefined }).replace(/^-A \S+ /, "");
  return t.length > 90 ? `${t.slice(0, 87)}…` : t;
};

/**
 * A rule that counted nothing between the captures (it had counted before) under a rule of the
 * same chain, above it in the later dump, whose traffic overlaps it and which grew.
 */
function counterEvidence(tb: RulesetRecord["tables"][number], ta: RulesetRecord["tables"][number], B: TableModel): CounterEvidence[] {
  const out: CounterEvidence[] = [];
  const ca = chainsOf(ta);
  const cb = chainsOf(tb);
  for (const [chain, after] of ca) {
    const beforeList = cb.get(chain) ?? [];
    const ub = ruleUids(tb.name, beforeList);
    const prevOf = new Map(ub.map((u, i) => [u, beforeList[i]!]));
    const ua = ruleUids(ta.name, after);
    const delta = (i: number) => {
      const r = after[i]!;
      const p = prevOf.get(ua[i]!);
      if (!r.counters) return null;
      if (!p) return { before: null, delta: r.counters.packets };
      if (!p.counters || r.counters.packets < p.counters.packets) return null; // reset: not growth
      return { before: p, delta: r.counters.packets - p.counters.packets };
    };
    for (let i = 0; i < after.length; i++) {
      const d = delta(i);
      if (!d || !d.before || d.delta !== 0 || !(d.before.counters!.packets > 0)) continue;
      const rb = B.compiledBox(ua[i]!);
      if (!rb) continue;
      const st = B.rules.get(ua[i]!);
      for (let j = 0; j < i; j++) {
        const q = delta(j);
        if (!q || q.delta <= 0) continue;
        const qb = B.compiledBox(ua[j]!);
        if (!qb || !boxIntersect(qb, rb)) continue;
        if (st && st.blockers.size && !st.blockers.has(ua[j]!)) continue;
        const r = after[i]!;
        const g = after[j]!;
        out.push({
          table: ta.name,
          chain,
          stopped: { before: d.before, after: r, delta: 0 },
          grew: { before: q.before, after: g, delta: q.delta },
          words: `${chain} #${g.position} ${short(g)} counted ${q.before ? `${fmt(q.before.counters!.packets)} → ${fmt(g.counters!.packets)}` : `${fmt(g.counters!.packets)} (new)`} packets (+${fmt(q.delta)}) between the captures, while #${r.position} ${short(r)} below it stayed at ${fmt(r.counters!.packets)} (it had counted ${fmt(d.before.counters!.packets)} before and nothing since)`,
        });
        break;
      }
    }
  }
  return out;
}

