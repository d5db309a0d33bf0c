import type { Attrs, EventRecord, Severity, Subject } from "@/lib/schemas/records";
import { type EpochMs, epochMs } from "@/lib/schemas/time";
import { excerpt } from "./lines";
import { UTC_ZONE, type Zone, parseDateOnly, resolveZone, wallClockToUtc } from "./tz";
import type { ParseContext, ParseItem } from "./types";
import { CriJoiner, headTextLines, parseRfc3339, unwrapLogLine, type UnwrappedLine } from "./wrappers";

/**
 * What the three application-log parsers share (app-json, app-logfmt, app-text; this file is not a
 * parser): level names, trace/span id forms, times with a missing zone or date, the pod a file
 * belongs to, and the line machine that keeps stack traces with the line that logged them.
 *
 *   line 12  2022-08-22 05:18:20.847 ERROR [main] c.e.Checkout - charge failed     ← record (prov.line 12)
 *   line 13  java.lang.IllegalStateException: card declined                         ┐
 *   line 14  \tat com.example.Checkout.charge(Checkout.java:42)                       │ stack (endLine 15)
 *   line 15  \t... 12 more                                                            ┘
 *   line 16  2022-08-22 05:18:20.901 INFO  [main] c.e.Checkout - retrying           ← next record
 *
 * Lines pass the container wrappers first (wrappers.ts: docker json-file, CRI, kubectl --prefix,
 * compose, --timestamps). The wrapper's time is when the runtime wrote the line: a record takes it
 * only when its own line has no time (attrs.timeFrom = "wrapper"), and uses it to date a time of
 * day and to infer the zone of a zone-less time.
 */

export const APP_SOURCE = "app";
/** Continuation lines kept per record; the rest are counted (record + file warning), still cited by endLine. */
export const MAX_STACK_LINES = 200;
export const MAX_STACK_CHARS = 32 * 1024;
export const MAX_TEXT_CHARS = 8 * 1024;
/** Extra structured fields kept in attrs per record (JSON / logfmt), and the length of each value. */
const MAX_EXTRA_ATTRS = 24;
const MAX_ATTR_CHARS = 512;

// ---------------------------------------------------------------------------------------------- levels

const LEVEL_WORDS: Record<string, Severity> = {
  trace: "debug",
  trc: "debug",
  trac: "debug",
  finest: "debug",
  finer: "debug",
  fine: "debug",
  verbose: "debug",
  vrb: "debug",
  debug: "debug",
  debu: "debug",
  dbug: "debug",
  dbg: "debug",
  info: "info",
  inf: "info",
  information: "info",
  informational: "info",
  config: "info",
  notice: "notice",
  warn: "warning",
  warning: "warning",
  wrn: "warning",
  error: "error",
  err: "error",
  erro: "error",
  eror: "error",
  fail: "error",
  severe: "error",
  fatal: "critical",
  fata: "critical",
  crit: "critical",
  critical: "critical",
  panic: "critical",
  pani: "critical",
  dpanic: "critical",
  emerg: "critical",
  emergency: "critical",
  alert: "critical",
};
const LEVEL_LETTERS: Record<string, Severity> = { T: "debug", V: "debug", D: "debug", I: "info", N: "notice", W: "warning", E: "error", F: "critical", C: "critical" };

/**
 * A level word as loggers print it (`INFO`, `warn`, `Warning`, `ERRO`, `dpanic`, slog's `ERROR+2`).
 * `letters`: also single letters (`E`, `W`), only for a value that is known to be a level (a JSON
 * `level` field), never for a word found in text.
 */
export function levelFromWord(raw: string, letters = false): Severity | null {
  if (raw.length === 0 || raw.length > 16) return null;
  if (raw.length === 1) return letters ? (LEVEL_LETTERS[raw.toUpperCase()] ?? null) : null;
  let w = raw;
  const plus = w.search(/[+-]\d+$/); // slog: ERROR+2, INFO-4
  if (plus > 0) w = w.slice(0, plus);
  return LEVEL_WORDS[w.toLowerCase()] ?? null;
}

/**
 * Numeric levels. pino/bunyan: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal; syslog/GELF:
 * 0–7 (0 emerg … 7 debug); OpenTelemetry SeverityNumber 1–24 (`otel`).
 */
export function levelFromNumber(n: number, scale: "auto" | "otel" = "auto"): Severity | null {
  if (!Number.isFinite(n)) return null;
  if (scale === "otel") {
    if (n < 1 || n > 24) return null;
    return n <= 8 ? "debug" : n <= 12 ? "info" : n <= 16 ? "warning" : n <= 20 ? "error" : "critical";
  }
  if (Number.isInteger(n) && n >= 0 && n <= 7) return n <= 2 ? "critical" : n === 3 ? "error" : n === 4 ? "warning" : n === 5 ? "notice" : n === 6 ? "info" : "debug";
  if (n < 10) return null;
  return n <= 20 ? "debug" : n <= 30 ? "info" : n <= 40 ? "warning" : n <= 50 ? "error" : "critical";
}

// ---------------------------------------------------------------------------------------------- ids

const HEX_RE = /^[0-9a-fA-F]+$/;
const DEC_RE = /^\d{1,20}$/;

/** An id as written: a positive safe integer (Datadog's decimal ids) or a trimmed string; else null. */
function idText(v: unknown): string | null {
  if (typeof v === "number") return Number.isSafeInteger(v) && v > 0 ? String(v) : null;
  return typeof v === "string" ? v.trim() : null;
}

/**
 * A trace id as the span records carry it: lowercase hex, 32 digits (a 64-bit id is zero-padded,
 * as the Jaeger parser does). Datadog's decimal 64-bit ids become hex; GCP's
 * `projects/<p>/traces/<id>` loses its prefix; X-Ray ids (`1-5759e988-bd86…`) are kept as written.
 * Null for anything else, and for the all-zero id (no trace).
 */
export function normaliseTraceId(v: unknown): string | null {
  let s = idText(v);
  if (s === null) return null;
  if (s.length === 0 || s.length > 128) return null;
  const gcp = s.lastIndexOf("/traces/");
  if (gcp !== -1) s = s.slice(gcp + 8);
  if (/^1-[0-9a-f]{8}-[0-9a-f]{24}$/.test(s)) return s;
  let hex: string | null = null;
  if ((s.length === 32 || s.length === 16) && HEX_RE.test(s)) hex = s.toLowerCase();
  else if (DEC_RE.test(s)) hex = decimalToHex(s);
  if (hex === null) return null;
  hex = hex.padStart(32, "0");
  return /^0+$/.test(hex) ? null : hex;
}

/** A span id as span records carry it: 16 lowercase hex digits (decimal Datadog ids converted). */
export function normaliseSpanId(v: unknown): string | null {
  const s = idText(v);
  if (s === null) return null;
  let hex: string | null = null;
  if (s.length === 16 && HEX_RE.test(s)) hex = s.toLowerCase();
  else if (DEC_RE.test(s)) hex = decimalToHex(s);
  if (hex === null || hex.length > 16) return null;
  hex = hex.padStart(16, "0");
  return /^0+$/.test(hex) ? null : hex;
}

function decimalToHex(s: string): string | null {
  const n = BigInt(s);
  if (n <= 0n || n >= 1n << 64n) return null;
  return n.toString(16);
}

// Ids written into the message: `TraceID: 4bf9… SpanID: 00f0…`, `trace_id=…`, `"traceId":"…"`,
// `dd.trace_id=…`, Spring Sleuth `[app,traceId,spanId]`, Spring Boot 3 `[traceId-spanId]`.
const TEXT_TRACE = /\b(?:trace[_.-]?id|dd\.trace_id|otel[_.]?trace[_.]?id)["']?\s{0,3}[:=]\s{0,3}["']?([0-9a-fA-F]{32}|[0-9a-fA-F]{16}|\d{1,20})(?![0-9a-zA-Z])/i;
const TEXT_SPAN = /\b(?:span[_.-]?id|dd\.span_id|otel[_.]?span[_.]?id)["']?\s{0,3}[:=]\s{0,3}["']?([0-9a-fA-F]{16}|\d{1,20})(?![0-9a-zA-Z])/i;
const SLEUTH = /\[[\w.-]{0,64},([0-9a-f]{16}|[0-9a-f]{32}),([0-9a-f]{16})(?:,(?:true|false))?\]/;
const BOOT3 = /\[([0-9a-f]{32})-([0-9a-f]{16})\]/;

/** Trace and span ids named in a message (first 4 KiB); fills only what `into` does not have yet. */
export function idsFromText(text: string, into: { traceId?: string; spanId?: string }): void {
  if (into.traceId && into.spanId) return;
  const t = text.length > 4096 ? text.slice(0, 4096) : text;
  if (!/trace|span|\[[\w.-]{0,64},[0-9a-f]|-[0-9a-f]{16}\]/i.test(t)) return;
  let m = TEXT_TRACE.exec(t);
  if (m && !into.traceId) {
    const id = normaliseTraceId(m[1]);
    if (id) into.traceId = id;
  }
  m = TEXT_SPAN.exec(t);
  if (m && !into.spanId) {
    const id = normaliseSpanId(m[1]);
    if (id) into.spanId = id;
  }
  if (!into.traceId) {
    m = SLEUTH.exec(t) ?? BOOT3.exec(t);
    if (m) {
      const tr = normaliseTraceId(m[1]);
      const sp = normaliseSpanId(m[2]);
      if (tr) into.traceId = tr;
      if (sp && !into.spanId) into.spanId = sp;
    }
  }
}

// ---------------------------------------------------------------------------------------------- time

/** A time as a line wrote it: an instant (zone given) or wall-clock parts (zone and maybe date missing). */
export type LineTime =
  | { kind: "instant"; ms: EpochMs }
  | { kind: "wall"; date: { year: number; month: number; day: number } | null; hour: number; minute: number; second: number; ms: number };

const MONTHS: Record<string, number> = { Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12 };

// Sticky patterns for the timestamp shapes at the start of a log line (after an optional `[`):
//   2022-08-22T05:18:20.847Z   2022-08-22 05:18:20,847   2022-08-22 05:18:20.847 +0000   … UTC
const ISO_AT = /(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|z|[+-]\d{2}:?\d{2}(?![\d:])| ?[+-]\d{4}(?![\d:])| UTC\b| GMT\b)?/y;
//   2022/08/22 05:18:20(.123)          Go's log package, nginx error log
const SLASH_AT = /(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?/y;
//   22-Aug-2022 05:18:20.847            Tomcat / JUL
const DMY_AT = /(\d{2})-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-(\d{4}) (\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?/y;
//   05:18:20.847                        logback's default %d{HH:mm:ss.SSS}: a time of day
const TIME_AT = /(\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(?![\d:])/y;
//   1587706801902]                      pino-pretty without -t: epoch ms in brackets
const EPOCH_MS_AT = /(1\d{12})(?=\])/y;

function frac(f: string | undefined): number {
  if (!f) return 0;
  return Number(`0.${f}`) * 1000;
}

function wallOrInstant(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number, zone: string | undefined): LineTime | null {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return null;
  if (zone === undefined) return { kind: "wall", date: { year: y, month: mo, day: d }, hour: h, minute: mi, second: s, ms };
  const z = zone.trim();
  let offMin = 0;
  if (z !== "Z" && z !== "z" && z !== "UTC" && z !== "GMT") {
    const sign = z.charCodeAt(0) === 45 ? -1 : 1;
    const digits = z.slice(1).replace(":", "");
    offMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
    if (Math.abs(offMin) > 14 * 60) return null;
  }
  const base = Date.UTC(y, mo - 1, d, h, mi, Math.min(s, 59));
  const check = new Date(base);
  if (check.getUTCDate() !== d) return null;
  return { kind: "instant", ms: epochMs(base + ms + (s === 60 ? 1000 : 0) - offMin * 60_000) };
}

/** A timestamp at `i` in one of the shapes above; `end` is the index after it. */
export function readTimestamp(s: string, i: number): { time: LineTime; end: number } | null {
  const c = s.charCodeAt(i);
  if (c < 48 || c > 57) return null;
  let m: RegExpExecArray | null;
  ISO_AT.lastIndex = i;
  if ((m = ISO_AT.exec(s))) {
    const t = wallOrInstant(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!, frac(m[7]), m[8]);
    return t ? { time: t, end: ISO_AT.lastIndex } : null;
  }
  SLASH_AT.lastIndex = i;
  if ((m = SLASH_AT.exec(s))) {
    const t = wallOrInstant(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!, frac(m[7]), undefined);
    return t ? { time: t, end: SLASH_AT.lastIndex } : null;
  }
  DMY_AT.lastIndex = i;
  if ((m = DMY_AT.exec(s))) {
    const t = wallOrInstant(+m[3]!, MONTHS[m[2]!]!, +m[1]!, +m[4]!, +m[5]!, +m[6]!, frac(m[7]), undefined);
    return t ? { time: t, end: DMY_AT.lastIndex } : null;
  }
  TIME_AT.lastIndex = i;
  if ((m = TIME_AT.exec(s))) {
    const h = +m[1]!;
    const mi = +m[2]!;
    const sec = +m[3]!;
    if (h > 23 || mi > 59 || sec > 60) return null;
    return { time: { kind: "wall", date: null, hour: h, minute: mi, second: sec, ms: frac(m[4]) }, end: TIME_AT.lastIndex };
  }
  EPOCH_MS_AT.lastIndex = i;
  if ((m = EPOCH_MS_AT.exec(s))) return { time: { kind: "instant", ms: epochMs(Number(m[1])) }, end: EPOCH_MS_AT.lastIndex };
  return null;
}

/** A time field's value (JSON / logfmt): RFC 3339 or the text shapes above, or epoch s / ms / µs / ns by magnitude. */
export function timeFromValue(v: unknown): LineTime | null {
  if (typeof v === "number") return epochByMagnitude(v);
  if (typeof v !== "string") {
    // log4j2 JsonLayout: "instant": {"epochSecond": 1660000000, "nanoOfSecond": 123000000}
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if (typeof o.epochSecond === "number" && Number.isFinite(o.epochSecond)) {
        const ns = typeof o.nanoOfSecond === "number" && Number.isFinite(o.nanoOfSecond) ? o.nanoOfSecond : 0;
        return { kind: "instant", ms: epochMs(o.epochSecond * 1000 + ns / 1e6) };
      }
    }
    return null;
  }
  const s = v.trim();
  if (s.length === 0 || s.length > 64) return null;
  const fast = parseRfc3339(s);
  if (fast !== null) return { kind: "instant", ms: fast };
  if (/^\d+(?:\.\d+)?$/.test(s)) return epochByMagnitude(Number(s));
  const t = readTimestamp(s, 0);
  if (t && t.end === s.length) return t.time;
  return null;
}

function epochByMagnitude(n: number): LineTime | null {
  if (!Number.isFinite(n) || n <= 0) return null;
  // 1e11 s is the year 5138; 1e14 ms is 5138 too: each unit has its own band.
  const ms = n < 1e11 ? n * 1000 : n < 1e14 ? n : n < 1e17 ? n / 1000 : n / 1e6;
  return { kind: "instant", ms: epochMs(ms) };
}

/**
 * Turns a LineTime into an instant with what the file knows, warning once per assumption:
 *
 *   zone-less  ctx.timezone, else the offset between the line and its wrapper's write time
 *              (rounded to 15 min, as klog does), else UTC (warned)
 *   no date    the wrapper's date (the day that puts the line nearest its write time), else
 *              ctx.referenceDate, else the capture time's date (warned), else none (ts null, warned)
 */
export class TimeResolver {
  private readonly zone: Zone | null;
  private readonly ref: { year: number; month: number; day: number } | null;
  private readonly warned = new Set<string>();
  constructor(
    private readonly ctx: ParseContext,
    private readonly out: ParseItem[],
    private readonly label: string,
  ) {
    this.zone = resolveZone(ctx.timezone);
    this.ref = parseDateOnly(ctx.referenceDate);
    if (ctx.timezone && !this.zone) this.warnOnce("badzone", `unknown timezone ${JSON.stringify(ctx.timezone)}: zone-less ${label} times read as UTC`);
  }

  private warnOnce(key: string, message: string, line?: number): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.out.push(line === undefined ? { kind: "warning", message } : { kind: "warning", message, line });
  }

  resolve(t: LineTime, writtenAt: EpochMs | undefined, line: number, warnings: string[]): EpochMs | null {
    if (t.kind === "instant") return t.ms;
    const wall = { hour: t.hour, minute: t.minute, second: t.second, ms: t.ms };
    if (t.date) return this.inZone({ ...t.date, ...wall }, writtenAt, line, warnings);
    if (writtenAt !== undefined) {
      // The day (wrapper's day ± 1) that puts the time of day nearest the write time.
      let best: EpochMs | null = null;
      for (const dd of [-1, 0, 1]) {
        const d = new Date(writtenAt + dd * 86_400_000);
        const cand = this.inZone({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), ...wall }, writtenAt, line, warnings, true);
        if (cand !== null && (best === null || Math.abs(cand - writtenAt) < Math.abs(best - writtenAt))) best = cand;
      }
      return best;
    }
    let date = this.ref;
    let from = "reference date";
    if (!date && this.ctx.captureTime !== undefined && Number.isFinite(this.ctx.captureTime)) {
      const d = new Date(this.ctx.captureTime);
      date = { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
      from = "capture time";
    }
    if (!date) {
      warnings.push("time of day without a date: ts left empty");
      this.warnOnce("nodate", `${this.label} lines give a time of day without a date and neither a reference date nor a capture time is known: timestamps left empty`, line);
      return null;
    }
    const day = `${date.year}-${String(date.month).padStart(2, "0")}-${String(date.day).padStart(2, "0")}`;
    warnings.push(`date ${day} assumed from the ${from}`);
    this.warnOnce("date", `${this.label} lines give a time of day only: date ${day} assumed from the ${from}`, line);
    return this.inZone({ ...date, ...wall }, undefined, line, warnings);
  }

  /** Wall clock → instant: ctx zone, else the wrapper's offset, else UTC (warned). `quiet`: a probe, no warnings. */
  private inZone(w: { year: number; month: number; day: number; hour: number; minute: number; second: number; ms: number }, writtenAt: EpochMs | undefined, line: number, warnings: string[], quiet = false): EpochMs | null {
    if (this.zone) return wallClockToUtc(w, this.zone);
    const naive = wallClockToUtc(w, UTC_ZONE);
    if (naive === null) return null;
    if (writtenAt !== undefined) {
      const offsetMin = Math.round((naive - writtenAt) / 900_000) * 15;
      return Math.abs(offsetMin) <= 14 * 60 ? epochMs(naive - offsetMin * 60_000) : naive;
    }
    if (!quiet) {
      warnings.push("timezone UTC assumed");
      this.warnOnce("utc", `${this.label} times have no zone: UTC assumed (set timezone in the manifest if the service logs local time)`, line);
    }
    return naive;
  }
}

// ---------------------------------------------------------------------------------------------- files → pods

/**
 * The pod (and workload) a log file belongs to, from its path:
 *
 *   …/var/log/pods/<ns>_<pod>_<uid>/<container>/0.log
 *   …/var/log/containers/<pod>_<ns>_<container>-<64 hex>.log
 *   …/pods/<pod>.log, …/pods/<pod>/<container>.log, …/logs/<pod>.log   (a pod-shaped name)
 */
export interface FilePod {
  pod?: string;
  namespace?: string;
  container?: string;
  service?: string;
}

export function podFromPath(filePath: string): FilePod {
  const parts = filePath.split("/").filter(Boolean);
  const out: FilePod = {};
  const podsAt = parts.lastIndexOf("pods");
  const base = (parts[parts.length - 1] ?? "").replace(/\.(?:log|txt|json|jsonl|ndjson)(?:\.\d+)?$/i, "");
  let m: RegExpExecArray | null;
  if (parts.length >= 3 && podsAt !== -1 && podsAt <= parts.length - 3 && (m = /^([a-z0-9-]{1,63})_([a-z0-9.-]{1,253})_[0-9a-f-]{8,64}$/.exec(parts[podsAt + 1]!))) {
    out.namespace = m[1];
    out.pod = m[2];
    out.container = parts[podsAt + 2];
  } else if ((m = /^([a-z0-9.-]{1,253})_([a-z0-9-]{1,63})_([a-z0-9-]{1,63})-[0-9a-f]{64}$/.exec(base))) {
    out.pod = m[1];
    out.namespace = m[2];
    out.container = m[3];
  } else if (podsAt !== -1 && podsAt === parts.length - 2 && /^[a-z0-9][a-z0-9.-]{0,252}$/.test(base)) {
    out.pod = base;
  } else if (podsAt !== -1 && podsAt === parts.length - 3 && /^[a-z0-9][a-z0-9.-]{0,252}$/.test(parts[podsAt + 1]!)) {
    out.pod = parts[podsAt + 1];
    out.container = base;
  } else if (/^[a-z0-9][a-z0-9-]{0,240}$/.test(base) && workloadOfPod(base) !== base && /-(?=[a-z]*\d)[a-z0-9]{5}$|-\d{1,3}$/.test(base)) {
    // A pod-shaped file name anywhere: a generated suffix with a digit, or a StatefulSet ordinal
    // (`app-2022.log`, `api-https.log` are not pods).
    out.pod = base;
  }
  if (out.pod) out.service = workloadOfPod(out.pod);
  return out;
}

/**
 * `currencyservice-cf787dd48-vpjrd` → `currencyservice` (Deployment: ReplicaSet hash + suffix),
 * `ztunnel-4xk2p` / `redis-0` → `ztunnel` / `redis` (DaemonSet, StatefulSet ordinal); else the name.
 * (Same rule as the endpoint-removal-race detector's; parsers do not import detectors.)
 */
export function workloadOfPod(pod: string): string {
  const parts = pod.split("-");
  const hash = (seg: string) => /^(?=[a-z]*\d)[a-z0-9]{4,10}$/.test(seg) || /^[bcdfghjklmnpqrstvwxz2456789]{6,10}$/.test(seg);
  if (parts.length >= 3 && /^[a-z0-9]{5}$/.test(parts[parts.length - 1]!) && hash(parts[parts.length - 2]!)) return parts.slice(0, -2).join("-");
  if (parts.length >= 2 && /^(?:[bcdfghjklmnpqrstvwxz2456789]{5}|\d+)$/.test(parts[parts.length - 1]!)) return parts.slice(0, -1).join("-");
  return pod;
}

// ---------------------------------------------------------------------------------------------- other formats

const KLOG_HEAD = /^[IWEF]\d{4} \d{2}:\d{2}:\d{2}(?:\.\d{1,9})? +\d+ [^\s:\]]+:\d+\] /;
const NGINX_COMBINED = /^\S{1,64} \S{1,64} \S{1,256} \[\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] "/;
const ENVOY_APP = /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\]\[/;

/**
 * The format of a line that belongs to another parser (Envoy / ztunnel / nginx access logs, Envoy's
 * own log, klog): the application-log sniffs stay below those parsers when such lines are in the
 * head. A cheap look at markers only (the owning parser decides for real).
 */
export function foreignFormat(t: string): string | null {
  const c0 = t.charCodeAt(0);
  if (c0 === 91 /* [ */) {
    if (ENVOY_APP.test(t)) return "envoy";
    const close = t.indexOf("] ");
    if (close >= 20 && close <= 40 && t.charCodeAt(close + 2) === 34 && parseRfc3339(t, 1, close) !== null) return "envoy-access";
    return null;
  }
  if (c0 === 123 /* { */) {
    const head = t.length > 4096 ? t.slice(0, 4096) : t;
    if (head.includes('"start_time"') && (head.includes('"response_code"') || head.includes('"upstream_cluster"') || head.includes('"response_flags"'))) return "envoy-access";
    if (/"(?:scope|target)"\s*:\s*"(?:access|ztunnel)/.test(head)) return "ztunnel-access";
    if (head.includes('"remote_addr"') && (head.includes('"request"') || head.includes('"status"'))) return "nginx-access";
    if (/^\{\s*"(?:resourceSpans|resourceLogs|resourceMetrics|resource_spans)"/.test(head)) return "otlp";
    if (head.includes('"involvedObject"') || (head.includes('"apiVersion"') && head.includes('"kind"'))) return "k8s";
    return null;
  }
  if (c0 >= 48 && c0 <= 57) {
    if (t.includes("ztunnel::") || (/^\S{20,40}\s+(?:info|warn|error|debug|INFO|WARN|ERROR|DEBUG)\s+access[:\s]/.test(t.slice(0, 120)) && (t.includes("src.addr=") || t.includes("connection complete") || t.includes("connection failed")))) return "ztunnel-access";
    if (NGINX_COMBINED.test(t.length > 500 ? t.slice(0, 500) : t)) return "nginx-access";
    return null;
  }
  if (c0 >= 65 && c0 <= 90 && KLOG_HEAD.test(t.length > 300 ? t.slice(0, 300) : t)) return "klog";
  if (t.startsWith("remote_addr=") && t.includes("[time_local=")) return "nginx-access";
  if (t.startsWith("ACCESS [")) return "envoy-access";
  if (NGINX_COMBINED.test(t.length > 500 ? t.slice(0, 500) : t)) return "nginx-access";
  return null;
}

export interface HeadLine {
  text: string;
  /** The line came out of a container wrapper (docker json-file, CRI, kubectl, compose, --timestamps). */
  wrapped: boolean;
}

/** Non-empty lines of a sniff head, unwrapped (≤ maxLines). */
export function headLines(head: string, maxLines = 60): HeadLine[] {
  const out: HeadLine[] = [];
  for (const line of headTextLines(head)) {
    if (out.length >= maxLines) break;
    const u = unwrapLogLine(line.length > 65536 ? line.slice(0, 65536) : line);
    if (u.text.trim() === "") continue;
    out.push({ text: u.text, wrapped: (u.wrappers?.length ?? 0) > 0 });
  }
  return out;
}

export type HeadClass = "strong" | "weak" | "continuation" | "none";

/**
 * Mesh proxies whose files mix their own log with access lines that may come only after the sniff head
 * (an istio-proxy's startup lines fill the first 64 KiB): their parsers own these files, so an
 * application-log sniff stays below 0.5 for such names whatever the head holds.
 */
const PROXY_FILE = /(?:^|[/_.-])(?:ztunnel|istio-proxy|envoy|waypoint|sidecar)/i;

/**
 * Shared sniff arithmetic: `strong` lines are the format's own shape with a level, `weak` lines are
 * plausible (a wrapped line, a time without a level), continuation lines (stack traces) count with
 * them. Lines of other parsers' formats cap the score below those parsers' (≤ 0.45), and at 0.2 when
 * they are a fair share of the head; so does a mesh proxy's file name (PROXY_FILE).
 */
export function sniffScore(lines: HeadLine[], classify: (l: HeadLine) => HeadClass, name = ""): number {
  if (lines.length === 0) return 0;
  let strong = 0;
  let weak = 0;
  let cont = 0;
  let foreign = 0;
  for (const l of lines) {
    if (foreignFormat(l.text) !== null) {
      foreign++;
      continue;
    }
    const c = classify(l);
    if (c === "strong") strong++;
    else if (c === "weak") weak++;
    else if (c === "continuation") cont++;
  }
  const own = strong + weak;
  if (own === 0) return 0;
  if (foreign > 0 && foreign * 4 >= own) return 0.2;
  const ratio = (own + cont) / lines.length;
  let score = 0;
  if (strong >= 2 || (strong === 1 && lines.length <= 3)) {
    if (ratio >= 0.5) score = 0.6 + 0.3 * Math.min(1, (ratio - 0.5) * 2) * Math.min(1, strong / own + 0.5);
    else if (strong >= 5 && ratio >= 0.3) score = 0.52;
  } else if (ratio >= 0.8) score = 0.52;
  if (foreign > 0 || PROXY_FILE.test(name)) score = Math.min(score, 0.45);
  return Math.round(score * 1000) / 1000;
}

// ---------------------------------------------------------------------------------------------- records

/** What a parser reads from one record-starting line. */
export interface AppLine {
  time?: LineTime;
  severity: Severity | null;
  /** The level as written (`WARN`, `40`, `Warning`). */
  level?: string;
  text: string;
  logger?: string;
  traceId?: string;
  spanId?: string;
  /** Stack trace carried by the line itself (JSON `stack_trace`, logfmt `stack=`). */
  stack?: string;
  service?: string;
  pod?: string;
  namespace?: string;
  attrs?: Attrs;
  /** The message comes on the next (indented) line (.NET console: `info: Category[0]`). */
  messageOnNextLine?: boolean;
}

/** Keeps an extra structured field (bounded count and length). */
export function addExtraAttr(attrs: Attrs, key: string, v: unknown): void {
  if (Object.keys(attrs).length >= MAX_EXTRA_ATTRS || key in attrs) return;
  if (v === null || typeof v === "boolean") attrs[key] = v;
  else if (typeof v === "number") attrs[key] = Number.isFinite(v) ? v : String(v);
  else if (typeof v === "string") attrs[key] = v.length > MAX_ATTR_CHARS ? `${v.slice(0, MAX_ATTR_CHARS)}…` : v;
  else if (v !== undefined) {
    const s = JSON.stringify(v);
    if (s !== undefined) attrs[key] = s.length > MAX_ATTR_CHARS ? `${s.slice(0, MAX_ATTR_CHARS)}…` : s;
  }
}

// ---------------------------------------------------------------------------------------------- stack traces

type StackState = "none" | "java" | "python" | "go" | "other";

const JAVA_FRAMEWORK = /^(?:Caused by: |Suppressed: |\.\.\. \d+ (?:more|common frames omitted))/;
const QUALIFIED_THROWABLE = /^(?:[a-zA-Z_$][\w$]*\.)+[A-Za-z_$][\w$]*(?:Exception|Error|Throwable|Fault)(?::|$)/;
const SIMPLE_ERROR = /^(?:[A-Z][A-Za-z0-9_]{0,80})?(?:Error|Exception)(?:: |$)/;
const PY_CHAIN = /^(?:During handling of the above exception, another exception occurred:|The above exception was the direct cause of the following exception:)$/;
const PY_FINAL = /^[A-Za-z_][\w.]{0,200}(?:: .*)?$/;
const GO_FRAME = /^(?:[\w.\-/]+\/)?[\w.\-]+(?:\.\(\*?[\w.\-]+\))?\.[\w.\-[\]]+\(.*\)$|^created by /;

/** A line that starts a record on its own though it has no time or level (an unhandled crash). */
export function crashStart(t: string): Severity | null {
  if (t.startsWith("panic: ") || t.startsWith("fatal error: ")) return "critical";
  if (t.startsWith('Exception in thread "')) return "error";
  if (t.startsWith("Unhandled exception. ") || t.startsWith("Unhandled Exception: ")) return "critical";
  return null;
}

/**
 * Drives the application-log formats: unwraps, joins CRI partial lines, asks the format for a
 * record at each line, keeps continuation lines (stack traces, indented lines) with the open record,
 * and counts everything else as skipped. One record is open at a time; its stack is capped.
 */
export class AppLogMachine {
  readonly out: ParseItem[] = [];
  private readonly cri = new CriJoiner();
  private readonly times: TimeResolver;
  private readonly filePod: FilePod;
  private pending: EventRecord | null = null;
  private stack: string[] = [];
  private stackChars = 0;
  private stackDropped = 0;
  private stackState: StackState = "none";
  private awaitingMessage = false;
  private lastTs: EpochMs | null = null;
  private lastPod = "";
  private lastWorkload = "";

  constructor(
    private readonly ctx: ParseContext,
    private readonly format: {
      /** Short name used in warnings (`JSON log`). */
      label: string;
      /** The record a line starts, a skip reason, or null when the line is not this format. */
      recognise(u: UnwrappedLine): AppLine | string | null;
      /** Skip reason for a line that is neither a record nor a continuation. */
      notMine: string;
      /** Lines from a container wrapper that the format does not recognise still become records (text logs). */
      wrappedPlainLines: boolean;
    },
  ) {
    this.times = new TimeResolver(ctx, this.out, format.label);
    this.filePod = podFromPath(ctx.path);
  }

  line(no: number, offset: number, raw: string, truncated: boolean): void {
    if (truncated) {
      this.flush();
      this.out.push({ kind: "skipped", line: no, reason: `line longer than 1 MiB (truncated); not read as a ${this.format.label} line`, excerpt: excerpt(raw) });
      return;
    }
    const physical = no;
    const u = this.cri.push(unwrapLogLine(raw), no, offset);
    if (u === null) return;
    if (u.joinedFrom) {
      no = u.joinedFrom.line;
      offset = u.joinedFrom.offset;
    }
    const text = u.text;
    if (text.trim() === "") return; // blank lines: nothing to keep (also inside stack traces)

    const c0 = text.charCodeAt(0);
    const indented = c0 === 32 || c0 === 9;
    if (!indented) {
      const rec = this.format.recognise(u);
      if (rec !== null && typeof rec !== "string") {
        this.start(rec, u, no, offset, physical);
        return;
      }
      if (this.pending && this.continues(text)) {
        this.append(text, physical);
        return;
      }
      const crash = crashStart(text);
      if (crash) {
        this.start({ severity: crash, text }, u, no, offset, physical);
        this.stackState = text.startsWith("panic: ") || text.startsWith("fatal error: ") ? "go" : "java";
        return;
      }
      if (rec === null && this.format.wrappedPlainLines && (u.wrappers?.length ?? 0) > 0 && c0 !== 123) {
        this.start({ severity: null, text }, u, no, offset, physical);
        return;
      }
      this.flush();
      this.out.push({ kind: "skipped", line: no, reason: typeof rec === "string" ? rec : this.format.notMine, excerpt: excerpt(raw) });
      return;
    }
    if (this.pending) {
      this.append(text, physical);
      return;
    }
    this.out.push({ kind: "skipped", line: no, reason: `continuation line without a ${this.format.label} line before it`, excerpt: excerpt(raw) });
  }

  /** True when `t` (not indented) continues the open record's stack trace. */
  private continues(t: string): boolean {
    if (JAVA_FRAMEWORK.test(t)) {
      this.stackState = "java";
      return true;
    }
    if (t.startsWith("Traceback (most recent call last):")) {
      this.stackState = "python";
      return true;
    }
    if (/^goroutine \d+ \[/.test(t)) {
      this.stackState = "go";
      return true;
    }
    if (PY_CHAIN.test(t)) {
      this.stackState = "python";
      return true;
    }
    const head = t.length > 300 ? t.slice(0, 300) : t;
    if (QUALIFIED_THROWABLE.test(head)) {
      this.stackState = "java";
      return true;
    }
    if (this.stackState === "python" && PY_FINAL.test(head)) {
      this.stackState = "other"; // the exception line ends a traceback (a chained one starts again)
      return true;
    }
    if (this.stackState === "go" && (GO_FRAME.test(head) || /^(?:exit status \d+|\[signal [^\]]{0,200}\])$/.test(t))) return true;
    if (SIMPLE_ERROR.test(head) && (this.stackState !== "none" || this.stack.length === 0)) {
      this.stackState = "other";
      return true;
    }
    return false;
  }

  private append(text: string, physical: number): void {
    const rec = this.pending!;
    rec.prov.endLine = physical;
    if (this.awaitingMessage && rec.text === "") {
      this.awaitingMessage = false;
      rec.text = text.trim().slice(0, MAX_TEXT_CHARS);
      const ids: { traceId?: string; spanId?: string } = { ...(rec.traceId ? { traceId: rec.traceId } : {}), ...(rec.spanId ? { spanId: rec.spanId } : {}) };
      idsFromText(rec.text, ids);
      if (ids.traceId) rec.traceId = ids.traceId;
      if (ids.spanId) rec.spanId = ids.spanId;
      return;
    }
    this.pushStack(text);
  }

  /** Keeps a continuation line within the caps (the rest are counted). */
  private pushStack(text: string): void {
    if (this.stack.length >= MAX_STACK_LINES || this.stackChars + text.length > MAX_STACK_CHARS) {
      this.stackDropped++;
      return;
    }
    this.stack.push(text);
    this.stackChars += text.length + 1;
  }

  private start(a: AppLine, u: UnwrappedLine, no: number, offset: number, physical: number): void {
    this.flush();
    const warnings: string[] = [];
    const attrs: Attrs = { ...(a.attrs ?? {}) };
    let ts: EpochMs | null = null;
    if (a.time) ts = this.times.resolve(a.time, u.writtenAt, no, warnings);
    else if (u.writtenAt !== undefined) {
      ts = u.writtenAt;
      attrs.timeFrom = "wrapper";
    } else if (crashStart(a.text) && this.lastTs !== null) {
      ts = this.lastTs;
      attrs.timeFrom = "previous line";
      warnings.push("the line has no time: the previous line's time was taken");
    }
    if (u.writtenAt !== undefined && a.time) attrs.writtenAt = u.writtenAt;
    if (a.level !== undefined) attrs.level = a.level;
    if (u.stream) attrs.stream = u.stream;
    const container = u.container ?? this.filePod.container;
    if (container) attrs.container = container;
    let text = a.text;
    if (text.length > MAX_TEXT_CHARS) {
      text = `${text.slice(0, MAX_TEXT_CHARS)}…`;
      warnings.push(`message cut at ${MAX_TEXT_CHARS} characters`);
    }
    const rec: EventRecord = { kind: "event", ts, source: APP_SOURCE, severity: a.severity ?? "info", text, prov: { line: no, offset } };
    if (physical !== no) rec.prov.endLine = physical;
    const ids: { traceId?: string; spanId?: string } = {};
    if (a.traceId) ids.traceId = a.traceId;
    if (a.spanId) ids.spanId = a.spanId;
    idsFromText(text, ids);
    if (ids.traceId) rec.traceId = ids.traceId;
    if (ids.spanId) rec.spanId = ids.spanId;
    if (a.logger) rec.logger = a.logger.slice(0, 256);
    const subject = this.subjectFor(a, u);
    if (subject) rec.subject = subject;
    if (Object.keys(attrs).length > 0) rec.attrs = attrs;
    if (warnings.length > 0) rec.warnings = warnings;
    this.pending = rec;
    if (ts !== null) this.lastTs = ts;
    this.awaitingMessage = a.messageOnNextLine === true;
    if (a.stack) {
      // A stack the line carries (JSON / logfmt field): its lines, bounded like continuation lines.
      let from = 0;
      while (from <= a.stack.length && this.stackDropped === 0) {
        let nl = a.stack.indexOf("\n", from);
        if (nl === -1) nl = a.stack.length;
        const l = a.stack.slice(from, nl).replace(/\r$/, "");
        if (l.trim() !== "") this.pushStack(l);
        from = nl + 1;
      }
      if (this.stackDropped > 0) this.stackDropped = Math.max(1, a.stack.split("\n", MAX_STACK_LINES * 50).length - this.stack.length);
      this.stackState = "other";
    }
  }

  private subjectFor(a: AppLine, u: UnwrappedLine): Subject | null {
    const pod = u.pod ?? this.filePod.pod ?? a.pod;
    const namespace = this.filePod.namespace ?? a.namespace;
    let service = a.service;
    if (service === undefined && pod) {
      if (pod !== this.lastPod) {
        this.lastPod = pod;
        this.lastWorkload = workloadOfPod(pod);
      }
      service = this.lastWorkload;
    }
    if (!pod && !service && !this.ctx.node) return null;
    const s: Subject = {};
    if (pod) {
      s.kind = "Pod";
      s.name = pod;
    }
    if (namespace) s.namespace = namespace;
    if (service) s.service = service;
    if (this.ctx.node) s.node = this.ctx.node;
    return s;
  }

  private flush(): void {
    const rec = this.pending;
    if (!rec) return;
    if (this.stack.length > 0) rec.stack = this.stack.join("\n");
    if (this.stackDropped > 0) {
      const msg = `stack trace cut at ${this.stack.length} lines: ${this.stackDropped} more continuation lines dropped (still cited by the line range)`;
      (rec.warnings ??= []).push(msg);
      this.out.push({ kind: "warning", line: rec.prov.line, message: msg });
    }
    this.out.push(rec);
    this.pending = null;
    this.stack = [];
    this.stackChars = 0;
    this.stackDropped = 0;
    this.stackState = "none";
    this.awaitingMessage = false;
  }

  end(): void {
    this.flush();
    if (this.cri.flush() !== null) this.out.push({ kind: "warning", message: "file ends inside a CRI partial line; the fragment was dropped" });
  }
}
