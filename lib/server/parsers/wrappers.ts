import { parseIsoUtc, type EpochMs } from "@/lib/schemas/time";
import { stripAnsi } from "./lines";

/**
 * Log-shipping wrappers that sit in front of the application's own line, stripped before a parser
 * looks at the line. Seen in incident bundles:
 *
 *   [pod/ztunnel-x/istio-proxy] <line>                         kubectl logs --prefix
 *   envoy-1         | <line>                                   docker compose logs (optionally coloured)
 *   2024-07-20T07:05:58.670998585Z stdout F <line>             CRI (containerd / CRI-O files under /var/log/pods)
 *   {"log":"<line>\n","stream":"stdout","time":"…"}            docker json-file
 *   2024-07-20T07:05:58.670998585Z <line>                      --timestamps (docker / kubectl / compose -t)
 *
 * They nest (compose prefix, then a docker timestamp), so they are peeled in that order, once each.
 * The wrapper's timestamp is the *write* time, later than the request start an access log carries:
 * it is returned as `writtenAt`, never used as the record time.
 *
 * Everything is index-based: this runs on every line of a GB-sized access log.
 */
export interface UnwrappedLine {
  text: string;
  /** Time the runtime wrote the line (CRI / docker / --timestamps prefix). */
  writtenAt?: EpochMs;
  stream?: "stdout" | "stderr";
  /** Compose service (`envoy-1`) or kubectl container (`istio-proxy`). */
  container?: string;
  /** kubectl --prefix pod name. */
  pod?: string;
  /** CRI `P` tag: the runtime split a long line; the next line continues it. */
  partial?: boolean;
  /** Set by CriJoiner on a line re-joined from CRI `P` fragments: where the first fragment was. */
  joinedFrom?: { line: number; offset: number };
  /** Which wrappers were removed, outermost first (`kubectl`, `compose`, `cri`, `docker-json`, `timestamp`). */
  wrappers?: string[];
}

const isDigit = (c: number) => c >= 48 && c <= 57;

/**
 * Fast RFC 3339 parser for `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` (also a space instead of `T`).
 * Keeps sub-millisecond digits as a fraction (ztunnel µs, CRI ns). Returns null when the text is not
 * exactly such a timestamp; unusual shapes fall back to `parseIsoUtc`.
 */
export function parseRfc3339(s: string, start = 0, end = s.length): EpochMs | null {
  const len = end - start;
  if (len < 20 || len > 40) return null;
  const b = start;
  // Separators first (cheap rejection), then digits; written out without closures: this is the hot path.
  if (s.charCodeAt(b + 4) !== 45 || s.charCodeAt(b + 7) !== 45 || s.charCodeAt(b + 13) !== 58 || s.charCodeAt(b + 16) !== 58) return null;
  const tc = s.charCodeAt(b + 10);
  if (tc !== 84 && tc !== 116 && tc !== 32) return null;
  const year = dd(s, b) * 100 + dd(s, b + 2);
  const month = dd(s, b + 5);
  const day = dd(s, b + 8);
  const hour = dd(s, b + 11);
  const min = dd(s, b + 14);
  const sec = dd(s, b + 17);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || min < 0 || min > 59 || sec < 0 || sec > 60) return null;
  let i = b + 19;
  let fracMs = 0;
  if (i < end && s.charCodeAt(i) === 46) {
    i++;
    let scale = 100;
    const fs = i;
    while (i < end) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      fracMs += (c - 48) * scale;
      scale /= 10;
      i++;
    }
    if (i === fs) return null;
  }
  let offsetMin = 0;
  const zc = s.charCodeAt(i);
  if (i < end && (zc === 90 || zc === 122)) {
    i++;
  } else if (i + 6 === end && (zc === 43 || zc === 45) && s.charCodeAt(i + 3) === 58) {
    const oh = dd(s, i + 1);
    const om = dd(s, i + 4);
    if (oh < 0 || om < 0) return null;
    offsetMin = (oh * 60 + om) * (zc === 45 ? -1 : 1);
    i += 6;
  } else {
    return i === end ? null : parseIsoUtc(s.slice(start, end));
  }
  if (i !== end) return null;
  // Access logs hold long runs of lines from the same hour: reuse that hour's epoch instead of Date.UTC.
  const hourKey = ((year * 100 + month) * 100 + day) * 100 + hour;
  let hourBase: number;
  if (hourKey === cachedHourKey) hourBase = cachedHourBase;
  else {
    hourBase = Date.UTC(year, month - 1, day, hour);
    cachedHourKey = hourKey;
    cachedHourBase = hourBase;
  }
  const ms = hourBase + min * 60_000 + sec * 1000 - offsetMin * 60_000 + fracMs;
  return Number.isFinite(ms) ? (ms as EpochMs) : null;
}
let cachedHourKey = -1;
let cachedHourBase = 0;

/** Two decimal digits at i, or -1000 (keeps every comparison above false) when either is not a digit. */
function dd(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1000;
  return a * 10 + b;
}

/** End index of a timestamp-looking token starting at `i` (digits, `-:.TZ+`), bounded to 40 chars. */
function tokenEnd(s: string, i: number): number {
  const max = Math.min(s.length, i + 40);
  let j = i;
  while (j < max) {
    const c = s.charCodeAt(j);
    if (c === 32 || c === 9) break;
    j++;
  }
  return j;
}

function looksLikeTimestampStart(s: string, i: number): boolean {
  return (
    s.length >= i + 20 &&
    isDigit(s.charCodeAt(i)) &&
    isDigit(s.charCodeAt(i + 3)) &&
    s.charCodeAt(i + 4) === 45 &&
    s.charCodeAt(i + 7) === 45 &&
    (s.charCodeAt(i + 10) === 84 || s.charCodeAt(i + 10) === 32)
  );
}

/**
 * Cheap pre-check for a digit-first line: true when it starts with a timestamp followed by a single space
 * (CRI or --timestamps candidates); ztunnel's `…Z\tinfo` / `…Z  INFO` shapes return false.
 */
function hasTimestampWrapper(s: string): boolean {
  if (!looksLikeTimestampStart(s, 0)) return false;
  const te = tokenEnd(s, 0);
  if (s.charCodeAt(te) !== 32) return false;
  const n = s.charCodeAt(te + 1);
  return n !== 32 && n !== 9 && !(n >= 97 && n <= 122 && !s.startsWith("stdout ", te + 1) && !s.startsWith("stderr ", te + 1)) && !(n >= 65 && n <= 90 && s.charCodeAt(te + 2) >= 65 && s.charCodeAt(te + 2) <= 90);
}

/** Letters, digits, `_ . -` (compose service names). */
function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c === 95 || c === 46 || c === 45;
}

/**
 * `name   | ` compose prefix; returns the index after `| ` or -1. Bounded: names ≤ 128, padding ≤ 64.
 */
function composePrefixEnd(s: string): number {
  let i = 0;
  const max = Math.min(s.length, 128);
  while (i < max && isNameChar(s.charCodeAt(i))) i++;
  if (i === 0) return -1;
  const nameEnd = i;
  const padMax = Math.min(s.length, nameEnd + 64);
  while (i < padMax && s.charCodeAt(i) === 32) i++;
  if (i === nameEnd || s.charCodeAt(i) !== 124) return -1; // needs at least one space then `|`
  i++;
  if (s.charCodeAt(i) === 32) i++;
  return i;
}

/** `[pod/name/container] ` kubectl --prefix; returns [end, pod, container] or null. */
function kubectlPrefix(s: string): [number, string, string] | null {
  if (!s.startsWith("[pod/")) return null;
  const close = s.indexOf("] ", 5);
  if (close === -1 || close > 300) return null;
  const inner = s.slice(5, close);
  const slash = inner.indexOf("/");
  if (slash <= 0 || inner.indexOf(" ") !== -1) return null;
  return [close + 2, inner.slice(0, slash), inner.slice(slash + 1)];
}

/**
 * Strips the wrappers listed above. Returns the inner text and what the wrappers said. A line with no
 * wrapper comes back with the same `text` and no other fields.
 */
export function unwrapLogLine(input: string): UnwrappedLine {
  let s = input;
  const c0 = s.charCodeAt(0);
  // Fast path: a bare Envoy line (`[2024-…Z] "GET`) or ztunnel line (`2024-…Z\tinfo`) has no wrapper.
  if (c0 === 91 ? s.charCodeAt(1) !== 112 /* [pod/ */ : isDigit(c0) && !hasTimestampWrapper(s)) {
    if (s.indexOf("\x1b") === -1) return { text: s };
  }
  if (s.indexOf("\x1b") !== -1) s = stripAnsi(s);
  const out: UnwrappedLine = { text: s };
  const wrappers: string[] = [];
  const note = wrappers;

  if (c0 === 91 /* [ */) {
    const k = kubectlPrefix(s);
    if (k) {
      out.pod = k[1];
      out.container = k[2];
      s = s.slice(k[0]);
      note.push("kubectl");
    }
  } else if (!isDigit(c0) && c0 !== 123 /* { */) {
    const e = composePrefixEnd(s);
    if (e !== -1) {
      out.container = s.slice(0, s.indexOf(" ")).trim();
      s = s.slice(e);
      note.push("compose");
    }
  }

  if (looksLikeTimestampStart(s, 0)) {
    const te = tokenEnd(s, 0);
    // CRI: `<ts> stdout|stderr F|P <msg>`
    if ((s.startsWith(" stdout ", te) || s.startsWith(" stderr ", te)) && (s.charCodeAt(te + 8) === 70 || s.charCodeAt(te + 8) === 80) && (s.length === te + 9 || s.charCodeAt(te + 9) === 32)) {
      const ts = parseRfc3339(s, 0, te);
      if (ts !== null) out.writtenAt = ts;
      out.stream = s.charCodeAt(te + 4) === 111 /* o */ ? "stdout" : "stderr";
      if (s.charCodeAt(te + 8) === 80) out.partial = true;
      s = s.slice(Math.min(s.length, te + 10));
      note.push("cri");
    } else if (s.charCodeAt(te) === 32) {
      // --timestamps: only when what follows is itself a log start we recognise ([…], {…}, another
      // timestamp, or a klog header). A ztunnel line `2024-…Z  INFO access` keeps its own timestamp.
      const n = s.charCodeAt(te + 1);
      const klogHeader = (n === 73 || n === 87 || n === 69 || n === 70) && isDigit(s.charCodeAt(te + 2)) && isDigit(s.charCodeAt(te + 5)) && s.charCodeAt(te + 6) === 32;
      if (n === 91 || n === 123 || looksLikeTimestampStart(s, te + 1) || klogHeader) {
        const ts = parseRfc3339(s, 0, te);
        if (ts !== null) {
          out.writtenAt = ts;
          s = s.slice(te + 1);
          note.push("timestamp");
        }
      }
    }
  }

  if (s.startsWith('{"log":')) {
    try {
      const j = JSON.parse(s) as { log?: unknown; stream?: unknown; time?: unknown };
      if (typeof j.log === "string") {
        s = j.log.endsWith("\n") ? j.log.slice(0, -1) : j.log;
        if (j.stream === "stdout" || j.stream === "stderr") out.stream = j.stream;
        if (typeof j.time === "string") {
          const ts = parseRfc3339(j.time);
          if (ts !== null) out.writtenAt = ts;
        }
        note.push("docker-json");
      }
    } catch {
      // Not JSON after all (truncated line): leave it for the parser to skip with its own reason.
    }
  }

  out.text = s;
  if (wrappers.length) out.wrappers = wrappers;
  return out;
}

/**
 * Joins CRI partial (`P`) lines: the runtime splits lines over 16 KiB into P… P… F. Feed every unwrapped
 * line; returns the completed line or null while a partial is pending. Bounded: a pending line stops
 * growing at `maxChars` (the remainder is dropped and `truncated` set).
 */
export class CriJoiner {
  private pending: string | null = null;
  private pendingFrom: { line: number; offset: number } | undefined;
  truncated = false;
  constructor(private readonly maxChars = 1024 * 1024) {}

  /** True while a partial line waits for its end. */
  get hasPending(): boolean {
    return this.pending !== null;
  }

  /** `line`/`offset` of the physical line, so a joined line can cite where it started (`joinedFrom`). */
  push(u: UnwrappedLine, line?: number, offset?: number): UnwrappedLine | null {
    if (u.partial) {
      if (this.pending === null && line !== undefined) this.pendingFrom = { line, offset: offset ?? 0 };
      const joined = (this.pending ?? "") + u.text;
      if (joined.length > this.maxChars) {
        this.pending = joined.slice(0, this.maxChars);
        this.truncated = true;
      } else this.pending = joined;
      return null;
    }
    if (this.pending !== null) {
      const text = this.pending.length + u.text.length > this.maxChars ? (this.pending + u.text).slice(0, this.maxChars) : this.pending + u.text;
      this.pending = null;
      const joined: UnwrappedLine = { ...u, text };
      if (this.pendingFrom) joined.joinedFrom = this.pendingFrom;
      this.pendingFrom = undefined;
      return joined;
    }
    return u;
  }

  /** Any partial still pending at end of file. */
  flush(): string | null {
    const p = this.pending;
    this.pending = null;
    this.pendingFrom = undefined;
    return p;
  }
}

/** The non-blank lines of a sniff head, CR stripped, in order (lazily: sniffs stop early). */
export function* headTextLines(head: string): Generator<string> {
  let pos = 0;
  while (pos < head.length) {
    let nl = head.indexOf("\n", pos);
    if (nl === -1) nl = head.length;
    let line = head.slice(pos, nl);
    pos = nl + 1;
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line.trim() !== "") yield line;
  }
}

/** Unwraps every line of a sniff head (for parsers' sniff functions); bounded to `maxLines` non-empty lines. */
export function unwrapHeadLines(head: string, maxLines = 60): string[] {
  const out: string[] = [];
  for (const line of headTextLines(head)) {
    if (out.length >= maxLines) break;
    out.push(unwrapLogLine(line).text);
  }
  return out;
}
