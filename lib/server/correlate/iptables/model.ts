import type { Rule, RulesetRecord } from "@/lib/schemas/records";
import { BoxPool, boxIntersect, boxSubtract, quickDisjoint, EMPTY, complement, fromRanges, full, intersect, point, type Box, type Intervals } from "./sets";
import type { Packet } from "./interpreter";
import {
  ADDRTYPES,
  CONTINUE_TARGETS,
  CTSTATES,
  MARK_WRITERS,
  TERMINAL_TARGETS,
  addrMax,
  chainsOf,
  childPath,
  classifyMatch,
  ifaceMatches,
  isBuiltinChain,
  opaqueId,
  rootPath,
  ruleUids,
  verdictOf,
  type Family,
} from "@/lib/server/parsers/iptables/values";

/**
 * Packet-class model of an iptables table: which classes of packets reach each rule, which rule
 * decides each class and with which verdict.
 *
 *   entry: every packet ──▶ rule 1 ──match──▶ verdict / jump ──returns──┐
 *                              │ no match                              │
 *                              ▼                                       ▼
 *                           rule 2 ◀───────────────────────────────────┘  …  policy
 *
 * A class is a box (sets.ts); the set still walking down a chain is a union of disjoint boxes.
 * A rule removes what it decides; what a jump's chain does not decide comes back. For each rule
 * we keep the boxes that reached and matched it and the earlier rules that took part of its
 * traffic ("blockers"): none matched + a blocker = fully shadowed, both = partly shadowed.
 *
 * Interfaces and marks are not intervals: the names/values the rules mention split them into
 * finitely many classes (all names starting with `veth` but not `veth0`, …) and the dimension
 * counts classes. A mark match after a MARK target in the same table, an unknown match module, an
 * ipset or an unknown target is opaque: a fresh yes/no per rule and call path, so it can narrow
 * a rule but never covers another. Work is bounded (MAX_OPS box operations); past it a table is
 * "approximate" and no shadowing or verdict change is claimed for it.
 */

export const DIMS = ["proto", "src", "dst", "sport", "dport", "iif", "oif", "mark", "ctstate", "srctype", "dsttype"] as const;
export type Dim = (typeof DIMS)[number];
const D: Record<Dim, number> = Object.fromEntries(DIMS.map((d, i) => [d, i])) as Record<Dim, number>;
const MAX_OPS = 400_000;
/** What a bounds-only comparison costs against MAX_OPS. */
const QUICK = 0.05;
const MAX_DEPTH = 32;
const MAX_MARK_BITS = 12;

/** Classes of interface names and marks over the rulesets compared; one universe per comparison. */
export class Universe {
  readonly family: Family;
  readonly maxes: bigint[];
  /** Interface patterns mentioned; a class is the set of patterns a name matches. */
  private readonly ifacePatterns: string[];
  readonly ifaceReps: string[] = [];
  private readonly ifaceIndex = new Map<string, number>();
  private readonly markSpecs: { value: number; mask: number }[];
  readonly markReps: number[] = [];
  private readonly markIndex = new Map<string, number>();
  /** Tables whose marks are modelled exactly (no mark writer; few mask bits). */
  readonly preciseMark = new Set<string>();
  /** Words for opaque ids (the match text), for descriptions. */
  readonly opaqueText = new Map<string, string>();

  constructor(rulesets: readonly Pick<RulesetRecord, "tables" | "family">[]) {
    this.family = rulesets[0]?.family ?? "ipv4";
    const patterns = new Set<string>();
    const marks = new Map<string, { value: number; mask: number }>();
    const writers = new Set<string>();
    for (const rs of rulesets)
      for (const t of rs.tables)
        for (const r of t.rules) {
          if (r.target && MARK_WRITERS.has(r.target)) writers.add(t.name);
          for (const m of r.matches) {
            const k = classifyMatch(m, this.family);
            if (k.kind === "iface") patterns.add(k.pattern);
            if (k.kind === "mark") marks.set(`${k.value}/${k.mask}`, { value: k.value, mask: k.mask });
          }
        }
    this.ifacePatterns = [...patterns].sort();
    const reps = new Set<string>(["\u0000"]);
    for (const p of this.ifacePatterns) reps.add(p.endsWith("+") ? `${p.slice(0, -1)}\u0000` : p);
    for (const r of reps) {
      const sig = this.ifaceSig(r);
      if (!this.ifaceIndex.has(sig)) {
        this.ifaceIndex.set(sig, this.ifaceReps.length);
        this.ifaceReps.push(r);
      }
    }
    this.markSpecs = [...marks.values()];
    const bits = this.markSpecs.reduce((n, s) => (n | s.mask) >>> 0, 0);
    const bitList = [...Array(32).keys()].filter((b) => (bits >>> b) & 1);
    if (bitList.length <= MAX_MARK_BITS) {
      for (let k = 0; k < 1 << bitList.length; k++) {
        let v = 0;
        bitList.forEach((b, i) => {
          if ((k >> i) & 1) v |= 1 << b;
        });
        v >>>= 0;
        const sig = this.markSig(v);
        if (!this.markIndex.has(sig)) {
          this.markIndex.set(sig, this.markReps.length);
          this.markReps.push(v);
        }
      }
      for (const rs of rulesets) for (const t of rs.tables) if (!writers.has(t.name)) this.preciseMark.add(t.name);
    } else this.markReps.push(0);
    const am = addrMax(this.family);
    this.maxes = [255n, am, am, 65535n, 65535n, BigInt(this.ifaceReps.length - 1), BigInt(this.ifaceReps.length - 1), BigInt(this.markReps.length - 1), BigInt(CTSTATES.length - 1), BigInt(ADDRTYPES.length - 1), BigInt(ADDRTYPES.length - 1)];
  }

  private ifaceSig(name: string): string {
    return this.ifacePatterns.map((p) => (ifaceMatches(p, name) ? "1" : "0")).join("");
  }
  private markSig(v: number): string {
    return this.markSpecs.map((s) => (((v & s.mask) >>> 0) === s.value ? "1" : "0")).join("");
  }
  ifaceClass(name: string): number {
    return this.ifaceIndex.get(this.ifaceSig(name)) ?? 0;
  }
  markClass(v: number): number {
    return this.markIndex.get(this.markSig(v)) ?? 0;
  }
  /** A set of mark classes in the words of the rules: "mark not 0x4000/0x4000". */
  markWords(classes: readonly number[]): string {
    const parts: string[] = [];
    for (const sp of this.markSpecs) {
      const hits = classes.map((i) => ((this.markReps[i]! & sp.mask) >>> 0) === sp.value);
      const text = `0x${sp.value.toString(16)}${sp.mask === 0xffffffff ? "" : `/0x${sp.mask.toString(16)}`}`;
      if (hits.every(Boolean)) parts.push(`mark ${text}`);
      else if (!hits.some(Boolean)) parts.push(`mark not ${text}`);
    }
    return parts.join(", ") || "some marks";
  }
  ifaceSet(pattern: string): Intervals {
    return fromRanges(this.ifaceReps.flatMap((r, i) => (ifaceMatches(pattern, r) ? [[BigInt(i), BigInt(i)] as const] : [])));
  }
  markSet(value: number, mask: number): Intervals {
    return fromRanges(this.markReps.flatMap((r, i) => (((r & mask) >>> 0) === value ? [[BigInt(i), BigInt(i)] as const] : [])));
  }
  fullBox(): Box {
    return { dims: this.maxes.map((m) => full(m)), opaque: new Map() };
  }
  /** A concrete packet as values per dimension (for membership tests). */
  pointOf(p: Packet): bigint[] {
    return [BigInt(p.proto), p.src, p.dst, BigInt(p.sport), BigInt(p.dport), BigInt(this.ifaceClass(p.iif)), BigInt(this.ifaceClass(p.oif)), BigInt(this.markClass(p.mark)), BigInt(Math.max(0, CTSTATES.indexOf(p.ctstate as (typeof CTSTATES)[number]))), BigInt(Math.max(0, ADDRTYPES.indexOf(p.srcType as (typeof ADDRTYPES)[number]))), BigInt(Math.max(0, ADDRTYPES.indexOf(p.dstType as (typeof ADDRTYPES)[number])))];
  }
}

/** One rule compiled: its fixed-dimension constraints and which opaque parts it has. */
interface Compiled {
  rule: Rule;
  uid: string;
  dims: Intervals[];
  /** Texts of matches the model does not understand (one unknown per rule and call path). */
  opaque: string[];
  /** Mark matches treated as an unknown (the table writes marks). */
  markOpaque: string[];
  kind: "continue" | "terminal" | "jump" | "goto" | "return" | "unknown";
  verdict: string;
  /** Position-independent effect, to tell shadowing (different effect) from redundancy. */
  effect: string;
}

function compile(u: Universe, table: string, rule: Rule, uid: string, chains: Map<string, Rule[]>): Compiled {
  const dims = u.maxes.map((m) => full(m));
  const opaque: string[] = [];
  const markOpaque: string[] = [];
  const restrict = (d: Dim, set: Intervals, negated: boolean) => {
    const i = D[d];
    dims[i] = intersect(dims[i]!, negated ? complement(set, u.maxes[i]!) : set);
  };
  for (const m of rule.matches) {
    const k = classifyMatch(m, u.family);
    switch (k.kind) {
      case "ignore":
        break;
      case "opaque":
        opaque.push(k.text);
        break;
      case "addr":
        restrict(k.dim, fromRanges(k.ranges), m.negated);
        break;
      case "proto":
        if (k.proto !== null) restrict("proto", point(BigInt(k.proto)), m.negated);
        else if (m.negated) restrict("proto", EMPTY, false);
        break;
      case "iface":
        restrict(k.dim, u.ifaceSet(k.pattern), m.negated);
        break;
      case "ports":
        restrict("proto", fromRanges(k.protos.map((p) => [BigInt(p), BigInt(p)] as const)), false);
        restrict(k.dim, fromRanges(k.ranges.map(([a, b]) => [BigInt(a), BigInt(b)] as const)), m.negated);
        break;
      case "addrtype":
        restrict(k.dim, fromRanges(k.types.map((t) => BigInt(ADDRTYPES.indexOf(t as (typeof ADDRTYPES)[number]))).map((i) => [i, i] as const)), m.negated);
        break;
      case "ctstate":
        restrict("ctstate", fromRanges(k.states.map((t) => BigInt(CTSTATES.indexOf(t as (typeof CTSTATES)[number]))).map((i) => [i, i] as const)), m.negated);
        break;
      case "mark":
        if (u.preciseMark.has(table)) restrict("mark", u.markSet(k.value, k.mask), m.negated);
        else markOpaque.push(`${m.negated ? "! " : ""}--mark ${m.value}`);
        break;
    }
  }
  const t = rule.target;
  let kind: Compiled["kind"];
  if (t === undefined) kind = "continue";
  else if (t === "RETURN") kind = "return";
  else if (chains.has(t) && !TERMINAL_TARGETS.has(t)) kind = rule.goto ? "goto" : "jump";
  else if (TERMINAL_TARGETS.has(t)) kind = "terminal";
  else if (CONTINUE_TARGETS.has(t)) kind = "continue";
  else kind = "unknown";
  const verdict = kind === "terminal" ? verdictOf(rule) : kind === "unknown" ? `?${t}` : (t ?? "");
  return { rule, uid, dims, opaque, markOpaque, kind, verdict, effect: `${kind}:${verdict}` };
}

export interface RuleRef {
  table: string;
  chain: string;
  uid: string;
  rule: Rule;
}
export interface VerdictClass {
  box: Box;
  verdict: string;
  /** The deciding rule; null for the chain policy / end of a directly-entered user chain. */
  by: RuleRef | null;
}
export type ShadowStatus = "live" | "partly" | "fully" | "unreached" | "unknown";
export interface RuleAnalysis {
  ref: RuleRef;
  /** Boxes that reached the rule and matched it (a sample when many). */
  matched: Box[];
  matchedCount: number;
  /** Earlier rules with a different effect that took traffic this rule matches. */
  blockers: Set<string>;
  /**
   * Blockers whose own match lies inside this rule's (`--dport 80 -j ACCEPT` above a catch-all
   * REJECT): a carved-out exception, the usual way to write rules, not a partial shadow.
   */
  exceptions: Set<string>;
  status: ShadowStatus;
}

/** The rules that shadow a rule: all blockers when fully shadowed, else those that are not exceptions. */
export function shadowers(st: RuleAnalysis): string[] {
  if (st.status === "fully") return [...st.blockers];
  if (st.status === "partly") return [...st.blockers].filter((b) => !st.exceptions.has(b));
  return [];
}

function subsetOf(a: Compiled, b: Compiled): boolean {
  if (a.opaque.length || a.markOpaque.length || a.kind === "unknown") return false;
  return a.dims.every((d, i) => {
    const x = intersect(d, b.dims[i]!);
    return x.length === d.length && x.every(([lo, hi], k) => lo === d[k]![0] && hi === d[k]![1]);
  });
}
export interface TableModel {
  table: string;
  /** Entry chains: built-ins present, and user chains nothing jumps to (excerpts). */
  roots: { chain: string; classes: VerdictClass[]; approximate: boolean }[];
  rules: Map<string, RuleAnalysis>;
  /** True when the work bound was reached: no shadowing or verdict claims for this table. */
  approximate: boolean;
  universe: Universe;
  compiledBox(uid: string): Box | null;
}

class Budget extends Error {}

/** Analyses every table of a ruleset. Pass the universe shared with the ruleset it is compared with. */
export function analyzeRuleset(rs: Pick<RulesetRecord, "tables" | "family">, universe = new Universe([rs]), maxOps = MAX_OPS): TableModel[] {
  return rs.tables.map((t) => analyzeTable(t, universe, maxOps));
}

/**
 * `markTag` is appended to the ids of mark unknowns: a mark written by a MARK rule can differ
 * between two dumps even where the mark-matching rule did not move, so a diff gives each dump
 * its own (the interpreter records them untagged).
 */
export function analyzeTable(t: RulesetRecord["tables"][number], u: Universe, maxOps = MAX_OPS, markTag = ""): TableModel {
  const table = t.name;
  const chains = chainsOf(t);
  const compiled = new Map<string, Compiled[]>();
  const byUid = new Map<string, Compiled>();
  const targets = new Set<string>();
  for (const [c, list] of chains) {
    const uids = ruleUids(table, list);
    const cl = list.map((r, i) => compile(u, table, r, uids[i]!, chains));
    compiled.set(c, cl);
    for (const x of cl) {
      byUid.set(x.uid, x);
      if ((x.kind === "jump" || x.kind === "goto") && x.rule.target !== c) targets.add(x.rule.target!);
    }
  }
  const policy = (c: string) => {
    const p = t.chains.find((x) => x.name === c)?.policy;
    return p && p !== "-" ? p : "ACCEPT";
  };
  const stats = new Map<string, RuleAnalysis>();
  for (const [c, cl] of compiled) for (const x of cl) stats.set(x.uid, { ref: { table, chain: c, uid: x.uid, rule: x.rule }, matched: [], matchedCount: 0, blockers: new Set(), exceptions: new Set(), status: "unreached" });
  const reachedChains = new Set<string>();
  let ops = 0;
  const tick = (n = 1) => {
    ops += n;
    if (ops > maxOps) throw new Budget();
  };

  const boxOf = (x: Compiled, path: string): Box => {
    if (!x.opaque.length && !x.markOpaque.length) return { dims: x.dims, opaque: new Map() };
    const o = new Map<string, boolean>();
    if (x.opaque.length) {
      const id = opaqueId(path, x.uid, "opaque");
      o.set(id, true);
      u.opaqueText.set(id, x.opaque.join(" "));
    }
    if (x.markOpaque.length) {
      const id = opaqueId(path, x.uid, "mark") + markTag;
      o.set(id, true);
      u.opaqueText.set(id, `mark ${x.markOpaque.join(" ")}`);
    }
    return { dims: x.dims, opaque: o };
  };
  const withOpaque = (b: Box, id: string, v: boolean): Box => {
    const o = new Map(b.opaque);
    o.set(id, v);
    return { dims: b.dims, opaque: o };
  };

  interface Walk { returned: Box[]; decided: Box[] }
  const walk = (chain: string, entering: Box[], path: string, depth: number, classes: VerdictClass[]): Walk => {
    const decided: Box[] = [];
    const returned: Box[] = [];
    if (!entering.length) return { returned, decided };
    if (depth > MAX_DEPTH) return { returned: entering, decided };
    reachedChains.add(chain);
    type Item = { box: Box };
    const pool = new BoxPool<Item>(entering.map((box) => ({ box })));
    const removed = new BoxPool<{ box: Box; by: Compiled }>();
    for (const x of compiled.get(chain) ?? []) {
      // Rules below the point where nothing is left still learn who took their traffic.
      const st = stats.get(x.uid)!;
      if (st.status === "unreached") st.status = "live";
      const rb = boxOf(x, path);
      for (const e of removed.candidates(rb)) {
        if (e.by.effect === x.effect || st.blockers.has(e.by.uid)) continue;
        tick(QUICK);
        if (quickDisjoint(e.box, rb)) continue;
        tick();
        if (boxIntersect(e.box, rb)) {
          st.blockers.add(e.by.uid);
          if (subsetOf(e.by, x)) st.exceptions.add(e.by.uid);
        }
      }
      const hits: { item: Item; i: Box }[] = [];
      for (const item of pool.candidates(rb)) {
        tick(QUICK);
        if (quickDisjoint(item.box, rb)) continue;
        tick();
        const i = boxIntersect(item.box, rb);
        if (i) hits.push({ item, i });
      }
      if (!hits.length) continue;
      const M = hits.map((h) => h.i);
      st.matchedCount += M.length;
      if (st.matched.length < 64) st.matched.push(...M.slice(0, 64 - st.matched.length));
      // The matched part leaves the chain's flow (except for continuing targets).
      const split = () => {
        for (const { item } of hits) {
          pool.delete(item);
          const parts = boxSubtract(item.box, rb, u.maxes);
          tick(parts.length);
          for (const p of parts) pool.add({ box: p });
        }
      };
      const ref: RuleRef = { table, chain, uid: x.uid, rule: x.rule };
      switch (x.kind) {
        case "continue":
          continue; // the packets go on unchanged
        case "terminal":
          split();
          for (const b of M) classes.push({ box: b, verdict: x.verdict, by: ref });
          decided.push(...M);
          for (const b of M) removed.add({ box: b, by: x });
          break;
        case "return":
          split();
          returned.push(...M);
          for (const b of M) removed.add({ box: b, by: x });
          break;
        case "jump": {
          split();
          const w = walk(x.rule.target!, M, childPath(path, x.uid), depth + 1, classes);
          decided.push(...w.decided);
          for (const b of w.decided) removed.add({ box: b, by: x });
          for (const b of w.returned) pool.add({ box: b });
          break;
        }
        case "goto": {
          split();
          const w = walk(x.rule.target!, M, childPath(path, x.uid), depth + 1, classes);
          decided.push(...w.decided);
          returned.push(...w.returned);
          for (const b of M) removed.add({ box: b, by: x });
          break;
        }
        case "unknown": {
          split();
          const id = opaqueId(path, x.uid, "target");
          u.opaqueText.set(id, `target ${x.rule.target} decides`);
          const yes = M.map((b) => withOpaque(b, id, true));
          for (const b of yes) classes.push({ box: b, verdict: x.verdict, by: ref });
          decided.push(...yes);
          for (const b of yes) removed.add({ box: b, by: x });
          for (const b of M) pool.add({ box: withOpaque(b, id, false) });
          break;
        }
      }
    }
    const cur = pool.all().map((x) => x.box);
    returned.push(...cur);
    return { returned, decided };
  };

  const builtins = [...chains.keys()].filter((c) => isBuiltinChain(table, c));
  const rootChains = [...builtins, ...[...chains.keys()].filter((c) => !isBuiltinChain(table, c) && !targets.has(c))];
  const roots: TableModel["roots"] = [];
  let approximate = false;
  for (const c of rootChains) {
    const classes: VerdictClass[] = [];
    try {
      const w = walk(c, [u.fullBox()], rootPath(table, c), 0, classes);
      const builtin = isBuiltinChain(table, c);
      for (const b of w.returned) classes.push({ box: b, verdict: builtin ? policy(c) : "RETURN", by: null });
      roots.push({ chain: c, classes, approximate: false });
    } catch (e) {
      if (!(e instanceof Budget)) throw e;
      approximate = true;
      roots.push({ chain: c, classes: [], approximate: true });
      ops = 0;
    }
  }
  for (const st of stats.values()) {
    if (approximate) st.status = "unknown";
    else if (st.status === "live") st.status = st.matchedCount === 0 ? (st.blockers.size ? "fully" : "unreached") : [...st.blockers].some((b) => !st.exceptions.has(b)) ? "partly" : "live";
  }
  void reachedChains;
  return {
    table,
    roots,
    rules: stats,
    approximate,
    universe: u,
    compiledBox: (uid) => {
      const x = byUid.get(uid);
      return x ? { dims: x.dims, opaque: new Map() } : null;
    },
  };
}
