import type { Rule, RulesetRecord } from "@/lib/schemas/records";
import { canonicalRuleKey, type RuleMatch } from "./rule";

/**
 * Values of iptables matches, shared by the packet-class model (model.ts) and the one-packet
 * reference interpreter (interpreter.ts): address, port and protocol syntax, which matches the
 * model understands, which are opaque, and the ids both give to a rule and its opaque parts so a
 * property test can put one concrete packet into the model's classes.
 */

export type Family = RulesetRecord["family"];

export const CTSTATES = ["INVALID", "NEW", "ESTABLISHED", "RELATED", "UNTRACKED"] as const;
export const ADDRTYPES = ["UNSPEC", "UNICAST", "LOCAL", "BROADCAST", "ANYCAST", "MULTICAST", "BLACKHOLE", "UNREACHABLE", "PROHIBIT", "THROW", "NAT", "XRESOLVE"] as const;
export const PROTOCOLS: Record<string, number> = { icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, dccp: 33, "ipv6-icmp": 58, icmpv6: 58, sctp: 132, udplite: 136 };
/** Protocols with ports: a port match implies one of them (iptables refuses `--dport` without `-p`). */
export const PORT_PROTOCOLS = [6, 17, 33, 132, 136];
const PORT_MODULES: Record<string, number> = { tcp: 6, udp: 17, dccp: 33, sctp: 132, udplite: 136 };

export const addrMax = (family: Family): bigint => (family === "ipv6" ? (1n << 128n) - 1n : (1n << 32n) - 1n);

function parseIpv4(s: string): bigint | null {
  const p = s.split(".");
  if (p.length !== 4 || !p.every((x) => /^\d{1,3}$/.test(x) && Number(x) <= 255)) return null;
  return p.reduce((n, x) => (n << 8n) | BigInt(Number(x)), 0n);
}
function parseIpv6(s: string): bigint | null {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || (s.match(/::/g) ?? []).length > 1) return null;
  let tail4: bigint | null = null;
  let body = s;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    tail4 = parseIpv4(v4[1]!);
    if (tail4 === null) return null;
    body = s.slice(0, -v4[1]!.length) + "0:0";
  }
  const [head, rest] = body.split("::") as [string, string | undefined];
  const hs = head ? head.split(":") : [];
  const ts = rest !== undefined && rest !== "" ? rest.split(":") : [];
  const missing = 8 - hs.length - ts.length;
  if (rest === undefined ? missing !== 0 : missing < 1) return null;
  const groups = [...hs, ...Array<string>(rest === undefined ? 0 : missing).fill("0"), ...ts];
  if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  let n = groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
  if (tail4 !== null) n = (n & ~0xffffffffn) | tail4;
  return n;
}
export function parseIp(s: string, family: Family): bigint | null {
  return family === "ipv6" ? parseIpv6(s) : parseIpv4(s);
}

/** `10.0.0.0/8`, `10.1.2.3`, `10.0.0.0/255.0.0.0`, `fd00::/8`, comma lists → ranges; null when not an address (a host name). */
export function parseAddressList(value: string, family: Family): [bigint, bigint][] | null {
  const bits = family === "ipv6" ? 128n : 32n;
  const max = addrMax(family);
  const out: [bigint, bigint][] = [];
  for (const item of value.split(",")) {
    const [a, m] = item.trim().split("/") as [string, string | undefined];
    const ip = parseIp(a, family);
    if (ip === null) return null;
    let len = bits;
    if (m !== undefined) {
      if (/^\d{1,3}$/.test(m)) len = BigInt(Number(m));
      else {
        const mask = parseIp(m, family);
        if (mask === null) return null;
        // A dotted mask must be contiguous ones to be one interval.
        const ones = mask.toString(2).replace(/^0+/, "");
        if (mask !== 0n && (ones.length !== Number(bits) || /01/.test(ones))) return null;
        len = BigInt((ones.match(/1/g) ?? []).length);
      }
      if (len > bits) return null;
    }
    const hostMask = len === bits ? 0n : (1n << (bits - len)) - 1n;
    const lo = ip & (max ^ hostMask);
    out.push([lo, lo | hostMask]);
  }
  return out;
}

/** `80`, `1000:2000`, `:1024`, `1024:` → [lo, hi]; service names are not resolved (null). */
export function parsePortRange(s: string): [number, number] | null {
  const t = s.trim();
  const m = /^(\d{0,5})(?::(\d{0,5}))?$/.exec(t);
  if (!m || t === "" || t === ":") return null;
  const lo = m[1] === "" ? 0 : Number(m[1]);
  const hi = m[2] === undefined ? lo : m[2] === "" ? 65535 : Number(m[2]);
  if (lo > 65535 || hi > 65535) return null;
  return lo <= hi ? [lo, hi] : [hi, lo];
}
export function parsePortList(s: string): [number, number][] | null {
  const out: [number, number][] = [];
  for (const p of s.split(",")) {
    const r = parsePortRange(p);
    if (!r) return null;
    out.push(r);
  }
  return out;
}

/** `tcp`, `6`, `all` (null = any protocol); undefined when unknown. */
export function parseProtocol(s: string): number | null | undefined {
  const t = s.trim().toLowerCase();
  if (t === "all" || t === "0") return null;
  if (/^\d{1,3}$/.test(t) && Number(t) <= 255) return Number(t);
  return PROTOCOLS[t];
}

/** Interface patterns: `eth0` exact, `veth+` prefix, `+` anything. */
export function ifaceMatches(pattern: string, name: string): boolean {
  return pattern.endsWith("+") ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

export function parseMarkSpec(s: string): { value: number; mask: number } | null {
  const [a, b] = s.trim().split("/");
  const num = (x: string | undefined) => (x === undefined ? null : /^0x[0-9a-f]+$/i.test(x) ? Number.parseInt(x.slice(2), 16) : /^\d+$/.test(x) ? Number(x) : null);
  const value = num(a);
  const mask = b === undefined ? 0xffffffff : num(b);
  if (value === null || mask === null || value > 0xffffffff || mask > 0xffffffff) return null;
  return { value: value >>> 0, mask: mask >>> 0 };
}

/** What kind of constraint a match is, for model and interpreter alike. */
export type MatchKind =
  | { kind: "ignore" }
  | { kind: "addr"; dim: "src" | "dst"; ranges: [bigint, bigint][] }
  | { kind: "proto"; proto: number | null }
  | { kind: "iface"; dim: "iif" | "oif"; pattern: string }
  | { kind: "ports"; dim: "sport" | "dport"; ranges: [number, number][]; protos: number[] }
  | { kind: "addrtype"; dim: "srctype" | "dsttype"; types: string[] }
  | { kind: "ctstate"; states: string[] }
  | { kind: "mark"; value: number; mask: number }
  /** Not understood: can narrow a rule, never proven to cover anything. */
  | { kind: "opaque"; text: string };

const PORT_OPTIONS: Record<string, "sport" | "dport"> = { dport: "dport", sport: "sport", "destination-port": "dport", "source-port": "sport" };
const MULTIPORT_OPTIONS: Record<string, "sport" | "dport"> = { dports: "dport", sports: "sport", "destination-ports": "dport", "source-ports": "sport" };

function matchText(m: RuleMatch): string {
  const name = m.option.length === 1 ? `-${m.option}` : `--${m.option}`;
  return `${m.module ? `-m ${m.module} ` : ""}${m.negated ? "! " : ""}${name}${m.value ? ` ${m.value}` : ""}`;
}

/** Classifies one match (negation is applied by the caller). */
export function classifyMatch(m: RuleMatch, family: Family): MatchKind {
  const opaque = (): MatchKind => ({ kind: "opaque", text: matchText(m) });
  if (m.option === "m" || m.option === "comment" || m.module === "comment") return { kind: "ignore" };
  const mod = m.module?.toLowerCase();
  if (!mod) {
    switch (m.option) {
      case "s":
      case "d": {
        const ranges = parseAddressList(m.value, family);
        return ranges ? { kind: "addr", dim: m.option === "s" ? "src" : "dst", ranges } : opaque();
      }
      case "p": {
        const p = parseProtocol(m.value);
        return p === undefined ? opaque() : { kind: "proto", proto: p };
      }
      case "i":
      case "o":
        return m.value ? { kind: "iface", dim: m.option === "i" ? "iif" : "oif", pattern: m.value } : opaque();
      default:
        if (PORT_OPTIONS[m.option]) {
          const r = parsePortRange(m.value);
          return r ? { kind: "ports", dim: PORT_OPTIONS[m.option]!, ranges: [r], protos: PORT_PROTOCOLS } : opaque();
        }
        return opaque();
    }
  }
  if (PORT_MODULES[mod] !== undefined && PORT_OPTIONS[m.option]) {
    const r = parsePortRange(m.value);
    return r ? { kind: "ports", dim: PORT_OPTIONS[m.option]!, ranges: [r], protos: [PORT_MODULES[mod]!] } : opaque();
  }
  if (mod === "multiport" && MULTIPORT_OPTIONS[m.option]) {
    const r = parsePortList(m.value);
    return r ? { kind: "ports", dim: MULTIPORT_OPTIONS[m.option]!, ranges: r, protos: PORT_PROTOCOLS } : opaque();
  }
  if (mod === "addrtype" && (m.option === "src-type" || m.option === "dst-type")) {
    const types = m.value.split(",").map((t) => t.trim().toUpperCase());
    return types.every((t) => (ADDRTYPES as readonly string[]).includes(t)) ? { kind: "addrtype", dim: m.option === "src-type" ? "srctype" : "dsttype", types } : opaque();
  }
  if ((mod === "conntrack" && m.option === "ctstate") || (mod === "state" && m.option === "state")) {
    const states = m.value.split(",").map((t) => t.trim().toUpperCase());
    // SNAT/DNAT are virtual states of the connection, not one of the five: left opaque.
    return states.every((t) => (CTSTATES as readonly string[]).includes(t)) ? { kind: "ctstate", states } : opaque();
  }
  if (mod === "mark" && m.option === "mark") {
    const spec = parseMarkSpec(m.value);
    return spec ? { kind: "mark", ...spec } : opaque();
  }
  return opaque();
}

/** Targets that end the packet's walk through the table (nat's NAT targets decide the nat table). */
export const TERMINAL_TARGETS = new Set(["ACCEPT", "DROP", "REJECT", "QUEUE", "NFQUEUE", "DNAT", "SNAT", "MASQUERADE", "REDIRECT", "TPROXY", "NETMAP", "SYNPROXY", "CT_DROP"]);
/** Targets that act and let the packet continue with the next rule. */
export const CONTINUE_TARGETS = new Set(["LOG", "NFLOG", "ULOG", "MARK", "CONNMARK", "CT", "NOTRACK", "TRACE", "TCPMSS", "DSCP", "TOS", "CLASSIFY", "AUDIT", "CHECKSUM", "TTL", "HL", "SET", "NFACCT", "SECMARK", "CONNSECMARK", "IDLETIMER", "LED", "RATEEST", "TEE", "HMARK", "ECN", "IPV4OPTSSTRIP", "TCPOPTSTRIP"]);
/** Targets that change the packet mark: later `-m mark` matches in the table see a new value. */
export const MARK_WRITERS = new Set(["MARK", "CONNMARK", "TPROXY", "HMARK"]);

export const BUILTIN_CHAINS: Record<string, string[]> = {
  filter: ["INPUT", "FORWARD", "OUTPUT"],
  nat: ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
  mangle: ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"],
  raw: ["PREROUTING", "OUTPUT"],
  security: ["INPUT", "FORWARD", "OUTPUT"],
};
export function isBuiltinChain(table: string, chain: string): boolean {
  return (BUILTIN_CHAINS[table] ?? ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"]).includes(chain);
}

/** The verdict a terminal rule gives, in words a reader recognises ("REDIRECT to :15001"). */
export function verdictOf(rule: Pick<Rule, "target" | "targetOptions">): string {
  const t = rule.target ?? "";
  const opt = (name: string) => rule.targetOptions.find((o) => o.option === name)?.value;
  if (t === "DNAT" || t === "SNAT") return opt("to-destination") ?? opt("to-source") ? `${t} to ${opt("to-destination") ?? opt("to-source")}` : t;
  if (t === "REDIRECT" || t === "MASQUERADE") return opt("to-ports") ?? opt("to-port") ? `${t} to :${opt("to-ports") ?? opt("to-port")}` : t;
  if (t === "TPROXY") return opt("on-port") ? `TPROXY to :${opt("on-port")}` : t;
  return t;
}

function fnv(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}

/**
 * A rule's identity that survives moves between two dumps: table, chain, the position-free
 * canonical key and the occurrence number among identical rules of the chain. Opaque ids are
 * built from these, so the same `-m set` rule in the before and after dump shares its unknown.
 */
export function ruleUids(table: string, rules: readonly Rule[]): string[] {
  const seen = new Map<string, number>();
  return rules.map((r) => {
    const k = `${table}|${r.chain}|${fnv(canonicalRuleKey(r, table))}`;
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    return `${k}#${n}`;
  });
}

/**
 * Opaque ids are per call path: the same rule reached through two jumps is two evaluations
 * (`-m statistic` draws again; a mark written in between may differ).
 */
export const opaqueId = (path: string, uid: string, part: "opaque" | "mark" | "target") => `${path}>${uid}@${part}`;
export const childPath = (path: string, jumpUid: string) => `${path}>${jumpUid}`;
export const rootPath = (table: string, chain: string) => `${table}/${chain}`;

/** Rules of each chain of a table in position order. */
export function chainsOf(t: RulesetRecord["tables"][number]): Map<string, Rule[]> {
  const m = new Map<string, Rule[]>();
  for (const c of t.chains) m.set(c.name, []);
  for (const r of t.rules) (m.get(r.chain) ?? m.set(r.chain, []).get(r.chain)!).push(r);
  for (const l of m.values()) l.sort((a, b) => a.position - b.position);
  return m;
}
