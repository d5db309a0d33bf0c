import type { Rule } from "@/lib/schemas/records";

/**
 * The iptables rule model shared by the iptables-save parser, the renderer and the rule-order
 * detector's canonical key.
 *
 * Model (see RuleMatch in records.ts):
 *   - every `-m NAME` is kept as a marker match `{option: "m", value: NAME}` so a module loaded
 *     without options (`-p tcp -m tcp -j ACCEPT`) survives a render → parse round trip;
 *   - options after a `-m NAME` carry `module: NAME`; built-ins (-s -d -p -i -o -f) carry none;
 *   - long built-in spellings (--source, --dst, …) are stored under their short names;
 *   - a value made of several bare tokens (`--tcp-flags SYN,RST SYN`) is joined with one space;
 *   - flag options (`--rcheck`, `--syn`) have value "".
 */

export type RuleMatch = Rule["matches"][number];
export type TargetOption = Rule["targetOptions"][number];

export interface Token {
  text: string;
  /** At least part of the token was inside double quotes: never an option name or `!`. */
  quoted: boolean;
}

/**
 * Splits an iptables-restore line into tokens the way iptables-restore does: whitespace separates,
 * double quotes group, and a backslash inside quotes escapes the next character. Linear time.
 */
export function tokenize(line: string): { tokens: Token[]; unterminatedQuote: boolean } {
  const tokens: Token[] = [];
  const n = line.length;
  let i = 0;
  let unterminatedQuote = false;
  while (i < n) {
    let c = line.charCodeAt(i);
    if (c === 32 || c === 9) {
      i++;
      continue;
    }
    let text = "";
    let quoted = false;
    let inQuote = false;
    while (i < n) {
      c = line.charCodeAt(i);
      if (!inQuote && (c === 32 || c === 9)) break;
      if (c === 34) {
        inQuote = !inQuote;
        quoted = true;
        i++;
        continue;
      }
      if (inQuote && c === 92 && i + 1 < n) {
        text += line[i + 1];
        i += 2;
        continue;
      }
      text += line[i];
      i++;
    }
    if (inQuote) unterminatedQuote = true;
    tokens.push({ text, quoted });
  }
  return { tokens, unterminatedQuote };
}

const LONG_BUILTINS: Record<string, string> = {
  source: "s",
  src: "s",
  destination: "d",
  dst: "d",
  protocol: "p",
  "in-interface": "i",
  "out-interface": "o",
  fragment: "f",
  match: "m",
  jump: "j",
  goto: "g",
  "set-counters": "c",
  ipv4: "4",
  ipv6: "6",
};
/** Built-in options that take exactly one value. */
const BUILTIN_ONE_VALUE = new Set(["s", "d", "p", "i", "o"]);

const OPTION_TOKEN = /^--?[A-Za-z0-9][A-Za-z0-9_-]*$/;
function isOptionToken(t: Token): boolean {
  // "-1" is a value (negative number), "-s"/"--dport" are options.
  return !t.quoted && OPTION_TOKEN.test(t.text) && !/^-\d/.test(t.text);
}
function isBang(t: Token | undefined): boolean {
  return !!t && !t.quoted && t.text === "!";
}

export interface ParsedRuleArgs {
  matches: RuleMatch[];
  target?: string;
  goto?: boolean;
  targetOptions: TargetOption[];
  counters?: { packets: number; bytes: number };
  /** Problems that did not stop parsing (dangling `!`, missing value, …). */
  problems: string[];
}

/**
 * Parses rule-spec tokens (everything after `-A CHAIN` / `-I CHAIN n`). Never throws.
 * Options after the target belong to the target (iptables-save always prints the target last);
 * a `-m` or built-in after the target switches back to matches (restore input may do that).
 */
export function parseRuleTokens(tokens: readonly Token[]): ParsedRuleArgs {
  const out: ParsedRuleArgs = { matches: [], targetOptions: [], problems: [] };
  let module: string | undefined;
  let inTarget = false;
  let negateNext = false;
  let i = 0;
  const takeValues = (): string => {
    const vals: string[] = [];
    // Old syntax `-s ! 10.0.0.0/8`: a bang between option and value negates the option.
    while (i < tokens.length) {
      const t = tokens[i]!;
      if (isBang(t)) {
        const nx = tokens[i + 1];
        if (nx && !isOptionToken(nx) && !isBang(nx)) {
          negateNext = true;
          i++;
          continue;
        }
        break;
      }
      if (isOptionToken(t)) break;
      vals.push(t.text);
      i++;
    }
    return vals.join(" ");
  };
  while (i < tokens.length) {
    const t = tokens[i]!;
    if (isBang(t)) {
      if (negateNext) out.problems.push("double negation '! !'");
      negateNext = true;
      i++;
      continue;
    }
    if (!isOptionToken(t)) {
      out.problems.push(`unexpected value "${t.text.slice(0, 40)}" without an option`);
      i++;
      continue;
    }
    i++;
    let name = t.text.startsWith("--") ? t.text.slice(2) : t.text.slice(1);
    if (t.text.startsWith("--") && LONG_BUILTINS[name]) name = LONG_BUILTINS[name]!;
    const short = name.length === 1 || (!t.text.startsWith("--") && name.length === 1);
    if (short && name === "c") {
      const p = tokens[i]?.text;
      const b = tokens[i + 1]?.text;
      if (p !== undefined && b !== undefined && /^\d+$/.test(p) && /^\d+$/.test(b)) {
        out.counters = { packets: Number(p), bytes: Number(b) };
        i += 2;
      } else out.problems.push("-c without two numeric counters");
      negateNext = false;
      continue;
    }
    if (short && (name === "4" || name === "6")) continue; // restore-only family selector
    if (short && (name === "j" || name === "g")) {
      const v = tokens[i];
      if (!v || isOptionToken(v) || isBang(v)) {
        out.problems.push(`-${name} without a target`);
        continue;
      }
      i++;
      if (out.target !== undefined) out.problems.push(`second target ${v.text} ignored`);
      else {
        out.target = v.text;
        if (name === "g") out.goto = true;
      }
      inTarget = true;
      module = undefined;
      if (negateNext) out.problems.push("negated target ignored");
      negateNext = false;
      continue;
    }
    if (short && name === "m") {
      const v = tokens[i];
      if (!v || isOptionToken(v) || isBang(v)) {
        out.problems.push("-m without a module name");
        continue;
      }
      i++;
      module = v.text;
      inTarget = false;
      out.matches.push({ option: "m", value: v.text, negated: false });
      negateNext = false;
      continue;
    }
    if (short && (BUILTIN_ONE_VALUE.has(name) || name === "f")) {
      inTarget = false;
      let value = "";
      if (name !== "f") {
        if (isBang(tokens[i]) && tokens[i + 1] && !isOptionToken(tokens[i + 1]!)) {
          negateNext = true; // old `-s ! addr`
          i++;
        }
        const v = tokens[i];
        if (!v || isOptionToken(v) || isBang(v)) out.problems.push(`-${name} without a value`);
        else {
          value = v.text;
          i++;
        }
      }
      out.matches.push({ option: name, value, negated: negateNext });
      negateNext = false;
      continue;
    }
    const value = takeValues();
    if (inTarget) {
      if (negateNext) out.problems.push(`negation before target option --${name} ignored`);
      out.targetOptions.push({ option: name, value });
    } else {
      const m: RuleMatch = { option: name, value, negated: negateNext };
      if (module !== undefined) m.module = module;
      out.matches.push(m);
    }
    negateNext = false;
  }
  if (negateNext) out.problems.push("dangling '!' at end of rule");
  return out;
}

/** First comment value among the matches (kube-proxy puts the service identity there). */
export function commentOf(matches: readonly RuleMatch[]): string | undefined {
  for (const m of matches) if (m.option === "comment") return m.value;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Rendering

/** Options whose value is a free string printed through xtables_save_string (always quotable). */
const STRING_OPTIONS = new Set(["comment", "log-prefix", "nflog-prefix", "string", "helper", "name", "nfacct-name", "match-set-name"]);
const SAFE_BARE = /^[A-Za-z0-9_.,:/+*@%=^~[\]-]+$/;
const SAVE_STRING_BARE = /^[A-Za-z0-9_-]+$/;

function quote(value: string): string {
  return `"${value.replace(/["\\']/g, (c) => `\\${c}`)}"`;
}
/** A bare token is safe when re-tokenising gives it back as a value (not an option, not `!`). */
function bareOk(tok: string): boolean {
  return tok.length > 0 && SAFE_BARE.test(tok) && !/^-[A-Za-z]/.test(tok) && !tok.startsWith("--");
}
function renderValue(option: string, value: string): string {
  // xtables_save_string leaves [A-Za-z0-9_-] bare; a leading '-' would re-read as an option, so quote it.
  if (STRING_OPTIONS.has(option)) return SAVE_STRING_BARE.test(value) && !value.startsWith("-") ? value : quote(value);
  if (value === "") return "";
  const parts = value.split(" ");
  return parts.every(bareOk) ? value : quote(value);
}

function renderOption(option: string, value: string, negated: boolean): string {
  const bang = negated ? "! " : "";
  const name = option.length === 1 ? `-${option}` : `--${option}`;
  const v = option === "f" ? "" : renderValue(option, value);
  if (v === "" && !STRING_OPTIONS.has(option)) return `${bang}${name}`;
  return `${bang}${name} ${v}`;
}

/** Renders one rule as an iptables-save line (`[p:b] -A CHAIN … -j TARGET …`). */
export function renderRule(rule: Pick<Rule, "chain" | "matches" | "target" | "goto" | "targetOptions" | "comment" | "counters">): string {
  const parts: string[] = [];
  if (rule.counters) parts.push(`[${rule.counters.packets}:${rule.counters.bytes}]`);
  parts.push("-A", rule.chain);
  let hasComment = false;
  for (const m of rule.matches) {
    if (m.option === "m") parts.push(`-m ${renderValue("m", m.value)}`);
    else {
      if (m.option === "comment") hasComment = true;
      parts.push(renderOption(m.option, m.value, m.negated));
    }
  }
  // A hand-built model may carry the comment only in `comment`: keep it visible.
  if (!hasComment && rule.comment !== undefined) parts.push(`-m comment --comment ${renderValue("comment", rule.comment)}`);
  if (rule.target !== undefined) {
    parts.push(`${rule.goto ? "-g" : "-j"} ${rule.target}`);
    for (const o of rule.targetOptions) parts.push(renderOption(o.option, o.value, false));
  }
  return parts.join(" ");
}

// ---------------------------------------------------------------------------------------------
// Canonical key

/** Options only meaningful with `-p`: the implicit `-p tcp` match and an explicit `-m tcp` are the same. */
const PROTO_OPTIONS = new Set(["dport", "sport", "destination-port", "source-port", "tcp-flags", "syn", "tcp-option", "icmp-type", "icmpv6-type", "mss"]);
const PROTO_MODULES = new Set(["tcp", "udp", "sctp", "udplite", "icmp", "icmpv6", "dccp"]);
const OPTION_ALIASES: Record<string, string> = {
  "destination-port": "dport",
  "source-port": "sport",
  "destination-ports": "dports",
  "source-ports": "sports",
  "to-port": "to-ports",
  to: "to-destination",
};
const MARK_MODULES = new Set(["mark", "connmark"]);
const U32 = 0x1_0000_0000;

function num(s: string): number | null {
  const t = s.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) return Number.parseInt(t.slice(2), 16);
  if (/^\d+$/.test(t)) return Number(t);
  return null;
}
const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;

/** `0x00004000/0x00004000` → `0x4000/0x4000`, `1337` → `0x539`, mask 0xffffffff dropped. */
function canonMarkValue(v: string): string {
  const [a, b] = v.split("/");
  const va = a === undefined ? null : num(a);
  if (va === null) return v.toLowerCase();
  if (b === undefined) return hex(va);
  const vb = num(b);
  if (vb === null) return v.toLowerCase();
  return vb === U32 - 1 ? hex(va) : `${hex(va)}/${hex(vb)}`;
}

/**
 * MARK/CONNMARK target ops reduced to the kernel's (value, mask) pair, as libxt_MARK does:
 *   --set-xmark v/m → (v, m)    --set-mark v/m → (v, m|v)    --or-mark b → (b, b)
 *   --and-mark b → (0, ~b)      --xor-mark b → (b, 0)
 * so `--or-mark 0x4000` ≈ `--set-xmark 0x4000/0x4000` (kube-proxy restore input vs save output).
 */
function canonMarkTarget(opts: readonly TargetOption[]): string[] | null {
  const out: string[] = [];
  let handled = false;
  for (const o of opts) {
    const [a, b] = o.value.split("/");
    const v = a === undefined ? null : num(a);
    const m = b === undefined ? U32 - 1 : num(b);
    let pair: [number, number] | null = null;
    if (v !== null && m !== null) {
      if (o.option === "set-xmark") pair = [v, m];
      else if (o.option === "set-mark") pair = [v, (m | v) >>> 0];
      else if (o.option === "or-mark" && b === undefined) pair = [v, v];
      else if (o.option === "and-mark" && b === undefined) pair = [0, ~v >>> 0];
      else if (o.option === "xor-mark" && b === undefined) pair = [v, 0];
    }
    if (pair) {
      handled = true;
      out.push(`set-xmark=${hex(pair[0])}/${hex(pair[1])}`);
    } else out.push(`${OPTION_ALIASES[o.option] ?? o.option}=${o.value}`);
  }
  return handled ? out : null;
}

function canonMatchValue(option: string, module: string | undefined, value: string): string {
  if (option === "s" || option === "d") return value.toLowerCase().replace(/\/(32|128)$/, "");
  if (option === "p") return value.toLowerCase();
  if (module && MARK_MODULES.has(module) && option === "mark") return canonMarkValue(value);
  if (option === "ctstate" || option === "state") return value.split(",").map((s) => s.trim().toUpperCase()).sort().join(",");
  if (option === "probability") {
    // Versions print 10 or 11 decimals and round differently (0.33332999982 vs 0.33333333349).
    const p = Number(value);
    return Number.isFinite(p) ? p.toFixed(4) : value;
  }
  return value;
}

/**
 * An order-independent identity for a rule, used to match "the same rule" across two dumps
 * (before/after) regardless of position and of iptables-save's canonicalisation:
 *   - matches are an unordered set; `-m X` loads are dropped when implied by options or -p;
 *   - `/32` (`/128`) suffixes are dropped; protocol names lower-cased;
 *   - `-p tcp --dport 80` ≡ `-p tcp -m tcp --dport 80`; `--destination-port` ≡ `--dport`;
 *   - mark values are normalised (hex, leading zeros, default mask); MARK/CONNMARK ops reduced
 *     to `--set-xmark value/mask`;
 *   - target options are sorted; `--to-port` ≡ `--to-ports`.
 * Position, counters, line and raw text are not part of the key. Include the table when known.
 */
export function canonicalRuleKey(rule: Pick<Rule, "chain" | "matches" | "target" | "goto" | "targetOptions">, table?: string): string {
  const withOptions = new Set<string>();
  for (const m of rule.matches) if (m.option !== "m" && m.module) withOptions.add(m.module);
  const items: string[] = [];
  for (const m of rule.matches) {
    if (m.option === "m") {
      if (withOptions.has(m.value) || PROTO_MODULES.has(m.value.toLowerCase())) continue;
      items.push(`m=${m.value}`);
      continue;
    }
    const option = OPTION_ALIASES[m.option] ?? m.option;
    const module = PROTO_OPTIONS.has(m.option) || (m.module && PROTO_MODULES.has(m.module)) ? "" : (m.module ?? "");
    items.push(`${m.negated ? "!" : ""}${module}:${option}=${canonMatchValue(option, m.module, m.value)}`);
  }
  items.sort();
  const target = rule.target ?? "";
  let topts: string[];
  const markish = target === "MARK" || target === "CONNMARK" ? canonMarkTarget(rule.targetOptions) : null;
  if (markish) topts = markish;
  else
    topts = rule.targetOptions.map((o) => {
      const option = OPTION_ALIASES[o.option] ?? o.option;
      const value = option === "set-mark" || option === "tproxy-mark" ? canonMarkValue(o.value) : o.value;
      return `${option}=${value}`;
    });
  topts.sort();
  return JSON.stringify([table ?? "", rule.chain, items, rule.goto ? "goto" : "jump", target, topts]);
}
