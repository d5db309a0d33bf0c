import type { Rule, RulesetRecord } from "@/lib/schemas/records";
import {
  CONTINUE_TARGETS,
  TERMINAL_TARGETS,
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
 * Reference interpreter: walks ONE concrete packet through one table, rule by rule, the way the
 * kernel does — the oracle the packet-class model (model.ts) is tested against. Deliberately
 * simple: no sets, no boxes, just "does this packet match this rule".
 *
 * Matches it cannot evaluate (ipsets, statistic, owner, …) ask `opaque(id)`; the id names the rule
 * and the call path (values.ts), so the test can give the model the same answers. Mark matches are
 * evaluated on the packet's current mark (MARK targets change it) and each rule's outcome is
 * recorded under its id, because the model treats marks as unknown once a MARK target wrote them.
 */
export interface Packet {
  proto: number;
  src: bigint;
  dst: bigint;
  sport: number;
  dport: number;
  iif: string;
  oif: string;
  mark: number;
  ctstate: string;
  srcType: string;
  dstType: string;
}

export interface InterpretResult {
  /** ACCEPT / DROP / REJECT / "DNAT to …" / …; the policy for a built-in chain; "RETURN" when a user chain was entered directly and fell off its end; `?TARGET` for a target whose chain is not in the dump. */
  verdict: string;
  /** The rule that decided, or null when the chain's policy (or its end) did. */
  rule: Rule | null;
  /** Mark-match outcomes by opaque id (see above). */
  marks: Map<string, boolean>;
  /** Every rule the packet reached and matched, in order (a fully shadowed rule is never among them). */
  trace: Rule[];
}

const MAX_DEPTH = 32;

function markWrite(rule: Rule, mark: number): number {
  if (rule.target !== "MARK") return mark;
  for (const o of rule.targetOptions) {
    const [a, b] = o.value.split("/");
    const n = (x: string | undefined) => (x === undefined ? null : /^0x/i.test(x) ? Number.parseInt(x.slice(2), 16) : /^\d+$/.test(x) ? Number(x) : null);
    const v = n(a);
    const m = b === undefined ? 0xffffffff : n(b);
    if (v === null || m === null) continue;
    if (o.option === "set-xmark") return ((mark & ~m) ^ v) >>> 0;
    if (o.option === "set-mark") return ((mark & ~(m | v)) ^ v) >>> 0;
    if (o.option === "or-mark") return (mark | v) >>> 0;
    if (o.option === "and-mark") return (mark & v) >>> 0;
    if (o.option === "xor-mark") return (mark ^ v) >>> 0;
  }
  return mark;
}

export function interpret(rs: Pick<RulesetRecord, "tables" | "family">, table: string, chain: string, pkt: Packet, opaque: (id: string) => boolean): InterpretResult {
  const t = rs.tables.find((x) => x.name === table);
  const marks = new Map<string, boolean>();
  const trace: Rule[] = [];
  if (!t) return { verdict: "ACCEPT", rule: null, marks, trace };
  const family: Family = rs.family;
  const chains = chainsOf(t);
  const uids = new Map<Rule, string>();
  for (const list of chains.values()) ruleUids(table, list).forEach((u, i) => uids.set(list[i]!, u));
  const policy = (c: string) => {
    const p = t.chains.find((x) => x.name === c)?.policy;
    return p && p !== "-" ? p : "ACCEPT";
  };
  let mark = pkt.mark;

  const matches = (r: Rule, path: string): boolean => {
    let ok = true;
    let hasOpaque = false;
    let markOk: boolean | null = null;
    for (const m of r.matches) {
      const k = classifyMatch(m, family);
      let hit: boolean;
      switch (k.kind) {
        case "ignore":
          continue;
        case "opaque":
          hasOpaque = true;
          continue;
        case "addr": {
          const v = k.dim === "src" ? pkt.src : pkt.dst;
          hit = k.ranges.some(([a, b]) => v >= a && v <= b);
          break;
        }
        case "proto":
          hit = k.proto === null || k.proto === pkt.proto;
          break;
        case "iface":
          hit = ifaceMatches(k.pattern, k.dim === "iif" ? pkt.iif : pkt.oif);
          break;
        case "ports": {
          // A port match needs a protocol with ports, negated or not.
          if (!k.protos.includes(pkt.proto)) {
            ok = false;
            continue;
          }
          const v = k.dim === "sport" ? pkt.sport : pkt.dport;
          hit = k.ranges.some(([a, b]) => v >= a && v <= b);
          break;
        }
        case "addrtype":
          hit = k.types.includes(k.dim === "srctype" ? pkt.srcType : pkt.dstType);
          break;
        case "ctstate":
          hit = k.states.includes(pkt.ctstate);
          break;
        case "mark": {
          const h = ((mark & k.mask) >>> 0) === k.value;
          const mine = m.negated ? !h : h;
          markOk = (markOk ?? true) && mine;
          continue;
        }
      }
      if ((m.negated ? !hit : hit) === false) ok = false;
    }
    const uid = uids.get(r)!;
    if (markOk !== null) marks.set(opaqueId(path, uid, "mark"), markOk);
    if (hasOpaque && !opaque(opaqueId(path, uid, "opaque"))) ok = false;
    return ok && (markOk ?? true);
  };

  type Outcome = { kind: "decided"; verdict: string; rule: Rule } | { kind: "returned" };
  const walk = (c: string, path: string, depth: number): Outcome => {
    if (depth > MAX_DEPTH) return { kind: "returned" };
    for (const r of chains.get(c) ?? []) {
      if (!matches(r, path)) continue;
      trace.push(r);
      const target = r.target;
      if (target === undefined) continue;
      if (target === "RETURN") return { kind: "returned" };
      if (chains.has(target) && !TERMINAL_TARGETS.has(target)) {
        const o = walk(target, childPath(path, uids.get(r)!), depth + 1);
        if (o.kind === "decided") return o;
        if (r.goto) return { kind: "returned" };
        continue;
      }
      if (TERMINAL_TARGETS.has(target)) return { kind: "decided", verdict: verdictOf(r), rule: r };
      if (CONTINUE_TARGETS.has(target)) {
        mark = markWrite(r, mark);
        continue;
      }
      // A target we do not know (an extension, or a chain missing from an excerpt).
      if (opaque(opaqueId(path, uids.get(r)!, "target"))) return { kind: "decided", verdict: `?${target}`, rule: r };
    }
    return { kind: "returned" };
  };
  const o = walk(chain, rootPath(table, chain), 0);
  if (o.kind === "decided") return { verdict: o.verdict, rule: o.rule, marks, trace };
  return { verdict: isBuiltinChain(table, chain) ? policy(chain) : "RETURN", rule: null, marks, trace };
}
