/**
 * key=value tokeniser shared by the ztunnel, nginx (main_ext, upstream-time tail) and klog parsers.
 *
 *   src.addr=10.0.0.1:80 src.workload="sleep-1 x" error="connection failed: \"x\""  [time_local=…],
 *   └─key──┘ └─bare────┘ └──key─────┘ └quoted──┘ └─key┘ └────quoted, escapes────┘  (comma-separated ok)
 *
 * Index-based and single pass (every character is visited once, no regex), so hostile lines stay linear.
 * `KvScanner` reuses one cursor object per parser instead of allocating a pair per token: the ztunnel hot
 * path calls it millions of times.
 */

// Character codes (plain consts rather than a const enum: isolatedModules/esbuild friendly).
const Ch = { Tab: 9, Space: 32, Quote: 34, Comma: 44, Eq: 61, Backslash: 92, BracketOpen: 91 } as const;

/** Key characters: letters, digits, `_`, `.`, `-`, `@` (ztunnel dotted keys, nginx variable names). Lookup table: hot loop. */
const KEY_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  KEY_CHAR[c] = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 45 || c === 64 ? 1 : 0;
}
function isKeyChar(c: number): boolean {
  return c < 128 && KEY_CHAR[c] === 1;
}

function isSep(c: number, commas: boolean): boolean {
  return c === Ch.Space || c === Ch.Tab || (commas && c === Ch.Comma);
}

/** Undo Rust Debug / nginx escaping inside a quoted value. Only called when the value contains a backslash. */
export function unescapeQuoted(s: string): string {
  let out = "";
  let i = 0;
  while (i < s.length) {
    const bs = s.indexOf("\\", i);
    if (bs === -1 || bs === s.length - 1) {
      out += s.slice(i);
      break;
    }
    out += s.slice(i, bs);
    const n = s.charCodeAt(bs + 1);
    if (n === 110) out += "\n";
    else if (n === 116) out += "\t";
    else if (n === 114) out += "\r";
    else out += s[bs + 1];
    i = bs + 2;
  }
  return out;
}

export interface KvOptions {
  /** Treat `,` as a pair separator (nginx main_ext writes `key="v", key2=v2,`). */
  commas?: boolean;
}

/**
 * Cursor over key=value pairs. Words without `=` (free text such as `connection complete`) are skipped and
 * counted in `skippedWords`. A `[key=value with spaces]` group (nginx main_ext `[time_local=…]`) yields the
 * inner pair with the value running to `]`.
 */
export class KvScanner {
  text = "";
  pos = 0;
  end = 0;
  key = "";
  value = "";
  quoted = false;
  skippedWords = 0;
  private commas = false;
  /** Position of the next backslash at or after the last lookup; -1 = none left in the line. */
  private bsPos = -2;

  reset(text: string, start = 0, opts?: KvOptions): this {
    this.text = text;
    this.pos = start;
    this.end = text.length;
    this.commas = opts?.commas ?? false;
    this.skippedWords = 0;
    this.bsPos = -2;
    return this;
  }

  /** Advances to the next pair; false at end of text. */
  next(): boolean {
    const t = this.text;
    const end = this.end;
    const commas = this.commas;
    let i = this.pos;
    for (;;) {
      while (i < end && isSep(t.charCodeAt(i), commas)) i++;
      if (i >= end) {
        this.pos = end;
        return false;
      }
      let bracketed = false;
      if (t.charCodeAt(i) === Ch.BracketOpen) {
        bracketed = true;
        i++;
      }
      const keyStart = i;
      while (i < end && isKeyChar(t.charCodeAt(i))) i++;
      if (i > keyStart && i < end && t.charCodeAt(i) === Ch.Eq) {
        this.key = t.slice(keyStart, i);
        i++;
        if (bracketed) {
          let close = t.indexOf("]", i);
          if (close === -1) close = end;
          this.value = t.slice(i, close);
          this.quoted = false;
          this.pos = close + 1;
          return true;
        }
        if (i < end && t.charCodeAt(i) === Ch.Quote) {
          i++;
          const vStart = i;
          // Native indexOf finds the closing quote; only values containing a backslash take the slow walk.
          let q = t.indexOf('"', i);
          if (q === -1 || q > end) q = end;
          // Next backslash, cached per line so a line with many quoted values stays linear.
          if (this.bsPos !== -1 && this.bsPos < i) this.bsPos = t.indexOf("\\", i);
          const bs = this.bsPos;
          const hasEscape = bs !== -1 && bs < q;
          if (hasEscape) {
            i = bs;
            while (i < end) {
              const c = t.charCodeAt(i);
              if (c === Ch.Backslash) {
                i += 2;
                continue;
              }
              if (c === Ch.Quote) break;
              i++;
            }
          } else i = q;
          const vEnd = Math.min(i, end);
          const raw = t.slice(vStart, vEnd);
          this.value = hasEscape ? unescapeQuoted(raw) : raw;
          this.quoted = true;
          this.pos = vEnd + 1;
          return true;
        }
        const vStart = i;
        if (commas) while (i < end && !isSep(t.charCodeAt(i), true)) i++;
        else
          for (; i < end; i++) {
            const c = t.charCodeAt(i);
            if (c === Ch.Space || c === Ch.Tab) break;
          }
        this.value = t.slice(vStart, i);
        this.quoted = false;
        this.pos = i;
        return true;
      }
      // Not a pair: skip the word (a quoted run counts as one word so `"a b=c"` is not split).
      this.skippedWords++;
      if (i < end && t.charCodeAt(i) === Ch.Quote) {
        const close = t.indexOf('"', i + 1);
        i = close === -1 ? end : close + 1;
      }
      while (i < end && !isSep(t.charCodeAt(i), commas)) i++;
    }
  }
}

/** Convenience: all pairs of `text` from `start` (later duplicates win). */
export function parseKv(text: string, start = 0, opts?: KvOptions): Map<string, string> {
  const out = new Map<string, string>();
  const s = new KvScanner().reset(text, start, opts);
  while (s.next()) out.set(s.key, s.value);
  return out;
}

/** Index of the first `key=` token at or after `start` (start of free text before pairs ends there), or -1. */
export function indexOfFirstPair(text: string, start = 0): number {
  let i = start;
  const end = text.length;
  while (i < end) {
    while (i < end && isSep(text.charCodeAt(i), false)) i++;
    const ws = i;
    while (i < end && isKeyChar(text.charCodeAt(i))) i++;
    if (i > ws && i < end && text.charCodeAt(i) === Ch.Eq) return ws;
    while (i < end && !isSep(text.charCodeAt(i), false)) i++;
  }
  return -1;
}

/**
 * Splits `10.0.0.1:8080`, `[fd00::1]:8080`, `10.0.0.1` or a bare IPv6 address into ip and port.
 * Returns null for `-`/empty. Unix sockets (`unix:/run/x.sock`) come back as ip with no port.
 */
export function splitHostPort(s: string | null | undefined): { ip: string; port?: number } | null {
  if (!s || s === "-") return null;
  if (s.charCodeAt(0) === 91 /* [ */) {
    const close = s.indexOf("]");
    if (close === -1) return { ip: s };
    const ip = s.slice(1, close);
    if (s.charCodeAt(close + 1) === 58) {
      const port = toPort(s, close + 2);
      return port === undefined ? { ip } : { ip, port };
    }
    return { ip };
  }
  const colon = s.lastIndexOf(":");
  if (colon === -1 || s.startsWith("unix:")) return { ip: s };
  // More than one colon without brackets: a bare IPv6 address, no port.
  if (s.indexOf(":") !== colon) return { ip: s };
  const port = toPort(s, colon + 1);
  return port === undefined ? { ip: s.slice(0, colon) } : { ip: s.slice(0, colon), port };
}

function toPort(s: string, from: number): number | undefined {
  if (from >= s.length || s.length - from > 5) return undefined;
  let n = 0;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    n = n * 10 + (c - 48);
  }
  return n <= 65535 ? n : undefined;
}

/** Non-negative integer from a decimal string (`-`/empty/garbage → null). Index-based, no regex. */
export function toUint(s: string | null | undefined): number | null {
  if (!s || s.length > 15) return null;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return null;
    n = n * 10 + (c - 48);
  }
  return n;
}
