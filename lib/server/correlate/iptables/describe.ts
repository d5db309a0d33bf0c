import type { Box, Intervals } from "./sets";
import { complement, isFull, size } from "./sets";
import type { Universe } from "./model";
import { ADDRTYPES, CTSTATES, PROTOCOLS } from "@/lib/server/parsers/iptables/values";

/**
 * A packet class in words: "tcp to :15001,15006, destination not local". Each dimension that is
 * not "anything" says its set, or "not …" when the complement is shorter to say.
 */

const PROTO_NAME = new Map<number, string>(Object.entries(PROTOCOLS).filter(([k]) => k !== "ipv6-icmp").map(([k, v]) => [v, k]));
const MAX_ITEMS = 4;

function ipText(v: bigint, v6: boolean): string {
  if (!v6) return [24n, 16n, 8n, 0n].map((s) => ((v >> s) & 255n).toString()).join(".");
  const groups = [...Array(8).keys()].map((i) => ((v >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  // Compress the longest run of zero groups (RFC 5952).
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > bestLen && j - i > 1) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return groups.join(":");
  return `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLen).join(":")}`;
}

/** An address interval as CIDR blocks. */
function cidrs(lo: bigint, hi: bigint, bits: number): { lo: bigint; len: number }[] {
  const out: { lo: bigint; len: number }[] = [];
  let cur = lo;
  while (cur <= hi && out.length <= MAX_ITEMS) {
    let len = bits;
    while (len > 0) {
      const size = 1n << BigInt(bits - len + 1);
      if (cur % size !== 0n || cur + size - 1n > hi) break;
      len--;
    }
    out.push({ lo: cur, len });
    cur += 1n << BigInt(bits - len);
  }
  return out;
}

function addrList(set: Intervals, bits: number): string[] {
  const out: string[] = [];
  for (const [a, b] of set) for (const c of cidrs(a, b, bits)) out.push(c.len === bits ? ipText(c.lo, bits === 128) : `${ipText(c.lo, bits === 128)}/${c.len}`);
  return out;
}

const list = (xs: string[]) => (xs.length > MAX_ITEMS ? `${xs.slice(0, MAX_ITEMS).join(",")},…` : xs.join(","));

/** The set or its complement, whichever is shorter, through `items`. */
function either(set: Intervals, max: bigint, items: (s: Intervals) => string[]): { text: string; negated: boolean } {
  const direct = items(set);
  const comp = complement(set, max);
  const other = items(comp);
  // "(other)" names every interface the rules do not mention: "not lo" reads better than "(other)".
  const vague = (xs: string[]) => xs.some((x) => x.includes("(other)"));
  if (other.length < direct.length || (other.length === direct.length && (vague(direct) && !vague(other) || size(comp) < size(set)))) return { text: list(other), negated: true };
  return { text: list(direct), negated: false };
}

const ports = (s: Intervals) => s.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`));
const indices = (s: Intervals) => s.flatMap(([a, b]) => Array.from({ length: Number(b - a + 1n) }, (_, i) => Number(a) + i));

export function describeBox(box: Box, u: Universe): string {
  const [proto, src, dst, sport, dport, iif, oif, mark, ctstate, srctype, dsttype] = box.dims as Intervals[];
  const m = u.maxes;
  const bits = u.family === "ipv6" ? 128 : 32;
  const head: string[] = [];
  const extra: string[] = [];
  if (!isFull(proto!, m[0]!)) {
    const p = either(proto!, m[0]!, (s) => indices(s).map((n) => PROTO_NAME.get(n) ?? `proto ${n}`));
    head.push(p.negated ? `not ${p.text}` : p.text);
  }
  const endpoint = (word: string, addr: Intervals, port: Intervals, ai: number, pi: number) => {
    if (isFull(addr, m[ai]!) && isFull(port, m[pi]!)) return;
    let a = "";
    if (!isFull(addr, m[ai]!)) {
      const x = either(addr, m[ai]!, (s) => addrList(s, bits));
      a = x.negated ? `not ${x.text}` : x.text;
    }
    let p = "";
    if (!isFull(port, m[pi]!)) {
      const x = either(port, m[pi]!, ports);
      p = x.negated ? ` port not ${x.text}` : `:${x.text}`;
    }
    head.push(`${word} ${a}${p}`.replace(/ {2}/, " ").trimEnd());
  };
  endpoint("from", src!, sport!, 1, 3);
  endpoint("to", dst!, dport!, 2, 4);
  const ifaceName = (i: number) => {
    const r = u.ifaceReps[i] ?? "";
    return r === "\u0000" ? "(other)" : r.endsWith("\u0000") ? `${r.slice(0, -1)}+ (other)` : r;
  };
  if (!isFull(iif!, m[5]!)) {
    const x = either(iif!, m[5]!, (s) => indices(s).map(ifaceName));
    extra.push(`in via ${x.negated ? "not " : ""}${x.text}`);
  }
  if (!isFull(oif!, m[6]!)) {
    const x = either(oif!, m[6]!, (s) => indices(s).map(ifaceName));
    extra.push(`out via ${x.negated ? "not " : ""}${x.text}`);
  }
  if (!isFull(mark!, m[7]!)) extra.push(u.markWords(indices(mark!)));
  if (!isFull(ctstate!, m[8]!)) {
    const x = either(ctstate!, m[8]!, (s) => indices(s).map((i) => CTSTATES[i]!));
    extra.push(`state ${x.negated ? "not " : ""}${x.text}`);
  }
  const typeWords = (word: string, set: Intervals, max: bigint) => {
    if (isFull(set, max)) return;
    const x = either(set, max, (s) => indices(s).map((i) => ADDRTYPES[i]!.toLowerCase()));
    extra.push(`${word} ${x.negated ? "not " : ""}${x.text}`);
  };
  typeWords("source", srctype!, m[9]!);
  typeWords("destination", dsttype!, m[10]!);
  for (const [id, v] of box.opaque) {
    const t = u.opaqueText.get(id) ?? "an unknown match";
    extra.push(`${v ? "when" : "unless"} ${t}`);
  }
  // "packets" alone when only extras constrain the class ("packets, out via lo"); "all packets" when nothing does.
  const first = head.length ? head.join(" ") : extra.length ? "packets" : "all packets";
  return [head[0]?.startsWith("from") || head[0]?.startsWith("to") ? `packets ${first}` : first, ...extra].join(", ");
}
