import type { Attrs, Endpoint, EventRecord, RequestRecord, Severity } from "@/lib/schemas/records";
import { durationMs, epochMs, type EpochMs } from "@/lib/schemas/time";
import { KvScanner, indexOfFirstPair, splitHostPort, toUint } from "../kv";
import { excerpt, jsonObjectLine } from "../lines";
import type { ParseContext, ParseItem } from "../types";
import { parseRfc3339, unwrapHeadLines } from "../wrappers";

/**
 * Istio ambient ztunnel logs → `request` records (one per connection) and `event` records (warn/error
 * lines that are not access lines). Formats, all in one file possibly mixed:
 *
 *   current   2024-05-04T09:59:05.028709Z\tinfo\taccess\tconnection complete\tsrc.addr=… duration="1ms"
 *   fmt       2024-04-11T15:38:42.182974Z  INFO access: connection complete src.addr=…   (may wrap:
 *                 src.addr=…                                                           indented key=
 *                 direction="outbound" … duration="13ms"                               lines are joined)
 *   json      {"time":"…","level":"info","scope":"access","message":"connection complete","src.addr":…}
 *   legacy    2023-…Z  INFO outbound{id=7d34…}: ztunnel::proxy::outbound: proxying to 10.240.2.10:80 …
 *             2023-…Z  INFO outbound{id=7d34…}: ztunnel::proxy::outbound: complete dur=269.272µs
 *             (Istio 1.18–1.21; lines sharing id= are grouped into one connection)
 *
 * Time: ztunnel writes the access line when the connection ENDS.
 *
 *   start ────────── duration ──────────▶ log line written (logTime)
 *   ts = logTime − duration                attrs.logTime = logTime
 *
 * so records line up with Envoy START_TIME and nginx request starts. Status is null (TCP); the
 * synthetic attrs.outcome is "error" when the line has error= or is logged at warn/error.
 *
 * Mixed data-plane dumps interleave ztunnel and Envoy (istio-proxy) lines in one file: the mesh line
 * router (router.ts) owns CRI unwrapping and hands each line to this parser or to Envoy's
 * (envoy-lines.ts), so whichever parser claims the file keeps every record.
 */

const SOURCE = "ztunnel";
/** Legacy spans waiting for their `complete` line; beyond this the oldest is evicted (skipped, with reason). */
export const MAX_OPEN_LEGACY_SPANS = 10_000;

const LEVELS: Record<string, Severity> = {
  trace: "debug",
  debug: "debug",
  info: "info",
  warn: "warning",
  warning: "warning",
  error: "error",
  TRACE: "debug",
  DEBUG: "debug",
  INFO: "info",
  WARN: "warning",
  WARNING: "warning",
  ERROR: "error",
};

/** `13ms`, `1.5s`, `269.272µs` (also mojibake `Âµs`/`Â¬µs`), `12ns`, `2m` → ms; null when not a duration. */
export function parseDurationText(s: string): number | null {
  let i = 0;
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if ((c >= 48 && c <= 57) || c === 46) i++;
    else break;
  }
  if (i === 0 || i > 30) return null;
  const v = Number(s.slice(0, i));
  if (!Number.isFinite(v)) return null;
  const unit = s.slice(i);
  if (unit === "ms") return v;
  if (unit === "s") return v * 1000;
  if (unit === "ns") return v / 1e6;
  if (unit === "m") return v * 60_000;
  if (unit === "") return v;
  // µs: U+00B5 micro sign, U+03BC Greek mu, `us`, or UTF-8 read as Latin-1 (`Âµs`, `Â¬µs`).
  if (unit.length <= 6 && unit.endsWith("s") && (unit === "us" || unit.indexOf("\u00b5") !== -1 || unit.indexOf("\u03bc") !== -1)) return v / 1000;
  return null;
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const isWs = (c: number) => c === 32 || c === 9;

function skipWs(s: string, i: number): number {
  while (i < s.length && isWs(s.charCodeAt(i))) i++;
  return i;
}
function wordEnd(s: string, i: number): number {
  while (i < s.length && !isWs(s.charCodeAt(i))) i++;
  return i;
}

/** Builder for one access record: filled key by key from text (KvScanner) or JSON. */
class AccessFields {
  client: Endpoint = {};
  dest: Endpoint = {};
  destAddrPort: number | undefined;
  hbonePort: number | undefined;
  direction: "inbound" | "outbound" | "unknown" | undefined;
  bytesSent: number | undefined;
  bytesRecv: number | undefined;
  duration: number | null = null;
  error: string | undefined;
  attrs: Attrs = {};
  /** Unknown keys kept in attrs; capped so a hostile line of 100k pairs does not build a 100k-key object. */
  private extraKeys = 0;
  warnings: string[] | undefined;

  set(key: string, value: string): void {
    switch (key) {
      case "src.addr": {
        const hp = splitHostPort(value);
        if (hp) {
          this.client.ip = hp.ip;
          if (hp.port !== undefined) this.client.port = hp.port;
        }
        break;
      }
      case "src.workload":
        this.client.workload = value;
        break;
      case "src.namespace":
        this.client.namespace = value;
        break;
      case "src.identity":
        this.client.identity = value;
        break;
      case "dst.addr": {
        const hp = splitHostPort(value);
        if (hp) {
          this.dest.ip = hp.ip;
          this.destAddrPort = hp.port;
        }
        break;
      }
      case "dst.hbone_addr": {
        // The port the application asked for; dst.addr's port is 15008 (HBONE) on outbound lines.
        this.attrs["dst.hbone_addr"] = value;
        const hp = splitHostPort(value);
        if (hp?.port !== undefined) this.hbonePort = hp.port;
        break;
      }
      case "dst.service":
        this.dest.service = value;
        break;
      case "dst.workload":
        this.dest.workload = value;
        break;
      case "dst.namespace":
        this.dest.namespace = value;
        break;
      case "dst.identity":
        this.dest.identity = value;
        break;
      case "direction":
        this.direction = value === "inbound" || value === "outbound" ? value : "unknown";
        break;
      case "bytes_sent": {
        const v = toUint(value);
        if (v !== null) this.bytesSent = v;
        break;
      }
      case "bytes_recv": {
        const v = toUint(value);
        if (v !== null) this.bytesRecv = v;
        break;
      }
      case "duration": {
        const d = parseDurationText(value);
        if (d === null) (this.warnings ??= []).push(`unparsable duration ${JSON.stringify(excerpt(value, 40))}`);
        else this.duration = d;
        break;
      }
      case "error":
        this.error = value;
        break;
      default:
        if (this.extraKeys < 32) {
          this.extraKeys++;
          this.attrs[key] = value.length > 500 ? excerpt(value, 500) : value;
        }
    }
  }

  toRecord(logTime: EpochMs | null, level: string, message: string, prov: RequestRecord["prov"]): RequestRecord {
    const port = this.hbonePort ?? this.destAddrPort;
    if (port !== undefined) this.dest.port = port;
    const severity = LEVELS[level] ?? "info";
    const failed = this.error !== undefined || severity === "warning" || severity === "error";
    const attrs = this.attrs;
    attrs.outcome = failed ? "error" : "ok";
    attrs.level = level.toLowerCase();
    if (message) attrs.message = message;
    if (logTime !== null) attrs.logTime = logTime;
    if (this.destAddrPort !== undefined && this.destAddrPort !== port) attrs["dst.addr.port"] = this.destAddrPort;
    const rec: RequestRecord = {
      kind: "request",
      ts: logTime === null ? null : epochMs(logTime - (this.duration ?? 0)),
      durationMs: this.duration === null ? null : durationMs(this.duration),
      source: SOURCE,
      direction: this.direction ?? "unknown",
      client: this.client,
      dest: this.dest,
      protocol: "tcp",
      status: null,
      attrs,
      prov,
    };
    if (this.error !== undefined) rec.error = this.error;
    else if (failed && message) rec.error = message;
    if (this.bytesSent !== undefined) rec.bytesSent = this.bytesSent;
    if (this.bytesRecv !== undefined) rec.bytesRecv = this.bytesRecv;
    const warnings = this.warnings ?? [];
    if (logTime === null) warnings.push("no parsable log time");
    if (this.duration === null && logTime !== null) warnings.push("no duration: ts is the log (end) time");
    if (warnings.length) rec.warnings = warnings;
    return rec;
  }
}

interface LegacySpan {
  id: string;
  direction: "inbound" | "outbound" | "unknown";
  firstTs: EpochMs | null;
  line: number;
  offset: number;
  lastLine: number;
  client: Endpoint;
  dest: Endpoint;
  error?: string;
  level: string;
  attrs: Attrs;
}

interface Pending {
  text: string;
  ts: EpochMs;
  level: string;
  /** Index just after the `access` target (positions stay valid: continuation lines are only appended). */
  bodyStart: number;
  line: number;
  offset: number;
  endLine: number;
  joined: number;
}

/** Max continuation lines joined to one access line (a wrapped line has 3–4; beyond that it is something else). */
const MAX_JOINED = 16;

/** True for an indented line or one starting with `key=` (continuation of a wrapped access line). */
function isContinuation(s: string): boolean {
  const c = s.charCodeAt(0);
  if (isWs(c)) return true;
  if (!((c >= 97 && c <= 122) || c === 95)) return false;
  return indexOfFirstPair(s.length > 200 ? s.slice(0, 200) : s, 0) === 0;
}

/**
 * True when an unwrapped line is a ztunnel line an Envoy-led router should hand over: a text access line
 * (`<ts> <level> access…`), a legacy span line (`<ts> <level> outbound{id=…}: ztunnel::…`) or a JSON
 * access line. Cheap: checks a few characters before anything is split.
 */
export function isZtunnelAccessLine(text: string): boolean {
  const c0 = text.charCodeAt(0);
  if (c0 === 123 /* { */) {
    return (text.includes('"scope":"access"') || text.includes('"target":"access"')) && (text.includes('"src.addr"') || text.includes('"dst.addr"'));
  }
  if (!isDigit(c0)) return false;
  const tsEnd = wordEnd(text, 0);
  if (tsEnd < 20 || tsEnd > 40) return false;
  const lvStart = skipWs(text, tsEnd);
  const lvEnd = wordEnd(text, lvStart);
  if (LEVELS[text.slice(lvStart, lvEnd)] === undefined) return false;
  const tg = skipWs(text, lvEnd);
  if (text.startsWith("access", tg)) {
    const after = text.charCodeAt(tg + 6);
    return isWs(after) || after === 58 || Number.isNaN(after);
  }
  return (text.startsWith("outbound{", tg) || text.startsWith("inbound{", tg)) && text.includes("ztunnel::", tg);
}

/**
 * Line-level ztunnel parser (state across lines: pending wrapped line, open legacy spans), fed lines
 * already unwrapped and CRI-joined by the mesh line router (router.ts). Items go to `out`, which the
 * router shares with Envoy's parser so records stay in line order.
 */
export class ZtunnelLineParser {
  private pending: Pending | null = null;
  private readonly spans = new Map<string, LegacySpan>();
  private readonly kv = new KvScanner();
  /** Physical line number of the line being handled (differs from `no` for CRI-joined lines). */
  private physicalEnd = 0;

  constructor(
    private readonly ctx: ParseContext,
    readonly out: ParseItem[] = [],
  ) {}

  /** True while a wrapped access line waits for its continuation lines. */
  get hasPending(): boolean {
    return this.pending !== null;
  }

  /**
   * Whether a fresh parser could take over before an (unwrapped, CRI-joined) line `text`: no legacy
   * span is open, and a pending wrapped line is surely ended by it — `text` starts a new record
   * (digit, `[`, `{`). Empty lines and anything that might be a continuation say no.
   */
  quiescentBefore(text: string): boolean {
    if (this.spans.size > 0) return false;
    if (this.pending === null) return true;
    const c = text.charCodeAt(0);
    return isDigit(c) || c === 91 || c === 123;
  }

  /** A line already unwrapped and CRI-joined. `physicalEnd` is the last physical line it came from. */
  unwrapped(no: number, offset: number, text: string, physicalEnd: number): void {
    this.physicalEnd = physicalEnd;
    if (this.pending !== null && isContinuation(text) && this.pending.joined < MAX_JOINED) {
      this.pending.text += ` ${text.trim()}`;
      this.pending.endLine = this.physicalEnd;
      this.pending.joined++;
      return;
    }
    this.flushPending();

    const t0 = text.charCodeAt(0);
    if (isDigit(t0)) this.textLine(no, offset, text);
    else if (t0 === 123 /* { */) this.jsonLine(no, offset, text);
    else if (isContinuation(text)) this.out.push({ kind: "skipped", line: no, reason: "continuation line without a preceding ztunnel access line", excerpt: excerpt(text) });
    else this.out.push({ kind: "skipped", line: no, reason: "not a ztunnel log line (no leading timestamp)", excerpt: excerpt(text) });
  }

  /** End of input: the pending wrapped line, then every legacy span still open. */
  end(): void {
    this.flushPending();
    for (const span of this.spans.values()) this.emitSpan(span, null, null);
    this.spans.clear();
  }

  /** Emits a pending wrapped access line (before a line of another format, to keep line order). */
  flushPending(): void {
    const p = this.pending;
    if (p === null) return;
    this.pending = null;
    this.accessLine(p);
  }

  /** `<ts> <level> <target> …` — decides between current access, legacy span and other log lines. */
  private textLine(no: number, offset: number, text: string): void {
    const tsEnd = wordEnd(text, 0);
    const ts = parseRfc3339(text, 0, tsEnd);
    if (ts === null) {
      this.out.push({ kind: "skipped", line: no, reason: "not a ztunnel log line (bad timestamp)", excerpt: excerpt(text) });
      return;
    }
    const lvStart = skipWs(text, tsEnd);
    const lvEnd = wordEnd(text, lvStart);
    const level = text.slice(lvStart, lvEnd);
    if (LEVELS[level] === undefined) {
      this.out.push({ kind: "skipped", line: no, reason: "not a ztunnel log line (no level after the timestamp)", excerpt: excerpt(text) });
      return;
    }
    const tgStart = skipWs(text, lvEnd);
    // Access lines: target `access` (current, tab-separated) or `access:` (tracing fmt).
    if (text.startsWith("access", tgStart)) {
      const after = text.charCodeAt(tgStart + 6);
      if (isWs(after) || after === 58 /* : */ || Number.isNaN(after)) {
        // Kept pending one line: the next lines may continue it (wrapped README style).
        this.pending = { text, ts, level, bodyStart: tgStart + 6, line: no, offset, endLine: this.physicalEnd, joined: 0 };
        return;
      }
    }
    const brace = text.indexOf("{", tgStart);
    const tgEnd = wordEnd(text, tgStart);
    if (brace !== -1 && brace < tgEnd && brace - tgStart <= 32) {
      this.legacyLine(no, offset, text, ts, level, tgStart, brace);
      return;
    }
    this.otherLine(no, text, ts, level, tgStart);
  }

  /** Parses a complete (possibly joined) current/fmt access line. */
  private accessLine(p: Pending): void {
    const { text, ts, level, line, offset, endLine } = p;
    let i = p.bodyStart;
    if (text.charCodeAt(i) === 58) i++;
    const pairs = indexOfFirstPair(text, i);
    const message = (pairs === -1 ? text.slice(i) : text.slice(i, pairs)).trim();
    if (pairs === -1) {
      this.out.push({ kind: "skipped", line, reason: "ztunnel access line without key=value fields", excerpt: excerpt(text) });
      return;
    }
    const f = new AccessFields();
    const kv = this.kv.reset(text, pairs);
    while (kv.next()) f.set(kv.key, kv.value);
    const prov: RequestRecord["prov"] = { line, offset };
    if (endLine !== line) prov.endLine = endLine;
    this.out.push(f.toRecord(ts, level, message, prov));
  }

  private jsonLine(no: number, offset: number, text: string): void {
    const line = jsonObjectLine(no, text);
    if ("skipped" in line) {
      this.out.push(line.skipped);
      return;
    }
    const o = line.obj;
    // tracing-subscriber's JSON layer nests the key/values under "fields"; ztunnel's own writer is flat.
    const fields = o.fields && typeof o.fields === "object" && !Array.isArray(o.fields) ? { ...o, ...(o.fields as Record<string, unknown>) } : o;
    const str = (v: unknown) => (typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : undefined);
    const timeText = str(fields.time) ?? str(fields.timestamp) ?? str(fields.ts);
    const ts = timeText ? parseRfc3339(timeText) : null;
    const level = str(fields.level) ?? "info";
    const scope = str(fields.scope) ?? str(fields.target);
    const message = str(fields.message) ?? str(fields.msg) ?? "";
    const isAccess = scope === "access" || ((message === "connection complete" || message === "connection failed") && ("src.addr" in fields || "dst.addr" in fields));
    if (!isAccess) {
      this.otherEvent(no, ts, level, scope ?? "ztunnel", message || excerpt(text));
      return;
    }
    const f = new AccessFields();
    for (const [k, v] of Object.entries(fields)) {
      if (k === "time" || k === "timestamp" || k === "ts" || k === "level" || k === "scope" || k === "target" || k === "message" || k === "msg" || k === "fields") continue;
      const s = str(v);
      if (s !== undefined) f.set(k, s);
    }
    this.out.push(f.toRecord(ts, level, message, { line: no, offset }));
  }

  /** Non-access ztunnel lines: warn/error become events (xds disconnects, cert errors); the rest is skipped. */
  private otherLine(no: number, text: string, ts: EpochMs, level: string, tgStart: number): void {
    const tgEnd = wordEnd(text, tgStart);
    let target = text.slice(tgStart, tgEnd);
    if (target.endsWith(":")) target = target.slice(0, -1);
    const msg = text.slice(skipWs(text, tgEnd)).trim();
    this.otherEvent(no, ts, level, target, msg || text);
  }

  private otherEvent(no: number, ts: EpochMs | null, level: string, target: string, text: string): void {
    const severity = LEVELS[level] ?? "info";
    if (severity !== "warning" && severity !== "error") {
      this.out.push({ kind: "skipped", line: no, reason: `ztunnel ${level.toLowerCase()} log line that is not an access record`, excerpt: excerpt(text) });
      return;
    }
    const ev: EventRecord = {
      kind: "event",
      ts,
      source: SOURCE,
      severity,
      reason: excerpt(target, 80),
      text: excerpt(text, 2000),
      prov: { line: no },
    };
    if (this.ctx.node) ev.subject = { node: this.ctx.node, workload: "ztunnel" };
    this.out.push(ev);
  }

  /**
   * Legacy span lines. Lines of one connection share `id=`:
   *
   *   t0  outbound{id=A}: proxying to 10.0.0.1:80 …   ← span opened (dest)
   *   t1  outbound{id=A}: complete dur=46.9ms          ← span closed: record ts = t1 − dur
   *
   * Open spans live in an insertion-ordered Map bounded by MAX_OPEN_LEGACY_SPANS.
   */
  private legacyLine(no: number, offset: number, text: string, ts: EpochMs, level: string, spanStart: number, brace: number): void {
    const close = text.indexOf("}", brace);
    if (close === -1) {
      this.out.push({ kind: "skipped", line: no, reason: "legacy ztunnel span without closing brace", excerpt: excerpt(text) });
      return;
    }
    const spanName = text.slice(spanStart, brace);
    const kv = this.kv.reset(text.slice(brace + 1, close), 0);
    let id: string | undefined;
    let peerIp: string | undefined;
    let peerId: string | undefined;
    while (kv.next()) {
      if (kv.key === "id") id = kv.value;
      else if (kv.key === "peer_ip") peerIp = kv.value;
      else if (kv.key === "peer_id") peerId = kv.value;
    }
    // `}: ztunnel::proxy::outbound: message`
    let i = skipWs(text, close + 1 + (text.charCodeAt(close + 1) === 58 ? 1 : 0));
    const modEnd = wordEnd(text, i);
    const moduleName = text.slice(i, modEnd).replace(/:$/, "");
    i = skipWs(text, modEnd);
    const msg = text.slice(i);
    if (id === undefined) {
      this.otherEvent(no, ts, level, moduleName || spanName, msg);
      return;
    }
    let span = this.spans.get(id);
    if (!span) {
      if (this.spans.size >= MAX_OPEN_LEGACY_SPANS) {
        const oldest = this.spans.values().next().value as LegacySpan;
        this.spans.delete(oldest.id);
        this.out.push({
          kind: "skipped",
          line: oldest.line,
          reason: `legacy ztunnel connection id=${oldest.id} evicted: still open when ${MAX_OPEN_LEGACY_SPANS} other connections were open`,
        });
      }
      span = {
        id,
        direction: spanName === "inbound" || spanName === "outbound" ? spanName : "unknown",
        firstTs: ts,
        line: no,
        offset,
        lastLine: no,
        client: {},
        dest: {},
        level: "info",
        attrs: { spanId: id, span: spanName },
      };
      if (peerIp) span.client.ip = peerIp;
      if (peerId) span.client.identity = peerId;
      this.spans.set(id, span);
    }
    span.lastLine = no;
    const sev = LEVELS[level] ?? "info";
    if (sev === "warning" || sev === "error") {
      span.level = level;
      span.error ??= msg;
    }

    let dur: number | null = null;
    let done = false;
    if (msg.startsWith("proxying to ") || msg.startsWith("proxy to ") || msg.startsWith("got CONNECT request to ")) {
      const addrStart = msg.startsWith("got") ? 23 : msg.startsWith("proxying") ? 12 : 9;
      const hp = splitHostPort(msg.slice(addrStart, wordEnd(msg, addrStart)));
      if (hp) {
        span.dest.ip = hp.ip;
        if (hp.port !== undefined) span.dest.port = hp.port;
      }
      const via = msg.indexOf(" via ");
      if (via !== -1) span.attrs.via = msg.slice(via + 5, wordEnd(msg, via + 5));
      const using = msg.indexOf(" using ");
      if (using !== -1) span.attrs.mode = msg.slice(using + 7, via === -1 ? msg.length : via);
    } else if (msg.startsWith("RBAC rejected")) {
      // `RBAC rejected conn=10.240.2.2(spiffe://…)->10.240.1.2:80`
      span.error = msg;
      const arrow = msg.indexOf("->");
      if (arrow !== -1) {
        const hp = splitHostPort(msg.slice(arrow + 2, wordEnd(msg, arrow + 2)));
        if (hp) {
          span.dest.ip = hp.ip;
          if (hp.port !== undefined) span.dest.port = hp.port;
        }
      }
      done = true;
    }
    const d = msg.indexOf("dur=");
    if (d !== -1 && (d === 0 || isWs(msg.charCodeAt(d - 1)))) {
      dur = parseDurationText(msg.slice(d + 4, wordEnd(msg, d + 4)));
      done = true;
    }
    if (msg.startsWith("complete")) done = true;
    if (done) {
      this.spans.delete(id);
      this.emitSpan(span, ts, dur);
    }
  }

  private emitSpan(span: LegacySpan, endTs: EpochMs | null, dur: number | null): void {
    const attrs = span.attrs;
    attrs.outcome = span.error !== undefined ? "error" : "ok";
    if (endTs !== null) attrs.logTime = endTs;
    const rec: RequestRecord = {
      kind: "request",
      ts: endTs !== null && dur !== null ? epochMs(endTs - dur) : span.firstTs,
      durationMs: dur === null ? null : durationMs(dur),
      source: SOURCE,
      direction: span.direction,
      client: span.client,
      dest: span.dest,
      protocol: "tcp",
      status: null,
      attrs,
      prov: span.lastLine !== span.line ? { line: span.line, offset: span.offset, endLine: span.lastLine } : { line: span.line, offset: span.offset },
    };
    if (span.error !== undefined) rec.error = span.error;
    if (endTs === null) rec.warnings = ["legacy ztunnel connection without a completion line in this file"];
    this.out.push(rec);
  }
}

// ---------------------------------------------------------------------------------------------- sniff

/** 0..1: how ztunnel-like the head is (ztunnel-access's sniff). Looks for access markers, legacy span prefixes or JSON access keys. */
export function sniffZtunnel(head: string, name: string): number {
  const lines = unwrapHeadLines(head, 60);
  if (lines.length === 0) return 0;
  let strong = 0;
  let weak = 0;
  for (const l of lines) {
    const c0 = l.charCodeAt(0);
    if (c0 === 123) {
      if ((l.includes('"scope":"access"') || l.includes('"target":"access"') || l.includes('"connection complete"') || l.includes('"connection failed"')) && (l.includes('"src.addr"') || l.includes('"dst.addr"'))) strong++;
      continue;
    }
    if (isDigit(c0)) {
      const tsEnd = wordEnd(l, 0);
      if (parseRfc3339(l, 0, tsEnd) === null) continue;
      const lvStart = skipWs(l, tsEnd);
      const lvEnd = wordEnd(l, lvStart);
      if (LEVELS[l.slice(lvStart, lvEnd)] === undefined) continue;
      const rest = l.slice(skipWs(l, lvEnd), skipWs(l, lvEnd) + 400);
      if (rest.startsWith("access") && (rest.includes("connection complete") || rest.includes("connection failed") || rest.includes("src.addr=") || rest.includes("dst.addr="))) strong++;
      else if ((rest.startsWith("outbound{") || rest.startsWith("inbound{")) && rest.includes("ztunnel::")) strong++;
      else if (rest.includes("ztunnel::") || rest.startsWith("xds") || rest.startsWith("proxy")) weak++;
      continue;
    }
    if (isContinuation(l) && (l.includes("src.addr=") || l.includes("dst.addr=") || l.includes("bytes_sent=") || l.includes("direction="))) weak++;
  }
  if (strong === 0) return 0;
  const ratio = (strong + weak) / lines.length;
  const base = 0.6 + 0.35 * Math.min(1, ratio * 1.5);
  return Math.min(0.98, base + (/ztunnel/i.test(name) ? 0.02 : 0));
}
