import type { Attrs, Endpoint, EventRecord, RequestRecord, Severity } from "@/lib/schemas/records";
import { durationMs, epochMs, type EpochMs } from "@/lib/schemas/time";
import { splitHostPort, toUint } from "../kv";
import { excerpt, jsonObjectLine } from "../lines";
import { parseResponseFlags } from "../response-flags";
import type { ParseContext, ParseItem } from "../types";
import { parseRfc3339, unwrapHeadLines, type UnwrappedLine } from "../wrappers";

/**
 * Envoy / istio-proxy access logs → `request` records; Envoy application log lines → `event` records.
 *
 * Text lines are cut into tokens — `[bracketed]`, `"quoted"` and bare words — in one index scan, then a
 * schema is chosen by token count:
 *
 *   22  Istio ≥ 1.8 default  [START] "REQ" CODE FLAGS DETAILS CONN_TERM "UTFR" RX TX DUR UST "XFF" "UA"
 *                             "REQ_ID" "AUTHORITY" "UPSTREAM_HOST" CLUSTER UP_LOCAL DOWN_LOCAL DOWN_REMOTE SNI ROUTE
 *   19  Istio 1.0–1.5         [START] "REQ" CODE FLAGS "UTFR|mixer" RX TX DUR UST "XFF" "UA" "REQ_ID" "AUTHORITY"
 *                             "UPSTREAM_HOST" CLUSTER UP_LOCAL DOWN_LOCAL DOWN_REMOTE SNI
 *   14  Envoy default + RESPONSE_CODE_DETAILS after FLAGS (renuka-fernando/examples)
 *   13  plain Envoy default    [START] "REQ" CODE FLAGS RX TX DUR UST "XFF" "UA" "REQ_ID" "AUTHORITY" "UPSTREAM_HOST"
 *   other counts: a structural walk (bare words between FLAGS and the first integer are details, quoted ones
 *   the failure reason; then the numeric block, the quoted block, the trailing addresses).
 *
 * JSON lines use Istio's snake_case keys (nulls for missing, upstream_service_time as a string).
 * START_TIME is the request start → ts. DURATION / upstream service time are integer ms.
 *
 * Mixed data-plane dumps: the mesh line router (router.ts) owns CRI unwrapping and hands each line to
 * this parser or to ztunnel's (ztunnel-lines.ts), so neither format is lost whichever parser claims the file.
 */

const SOURCE = "envoy";

/** Token kinds. */
const BARE = 0;
const QUOTED = 1;
const BRACKET = 2;

/** Reusable token buffers: one line's tokens, no per-token objects. */
class Tokens {
  values: string[] = [];
  kinds: number[] = [];
  n = 0;

  /** Tokenises `s` from `start`; returns false when the line has more than `max` tokens (not an access line). */
  scan(s: string, start: number, max = 64): boolean {
    this.n = 0;
    let i = start;
    const len = s.length;
    while (i < len) {
      let c = s.charCodeAt(i);
      while (c === 32 || c === 9) {
        i++;
        c = s.charCodeAt(i);
      }
      if (i >= len) break;
      if (this.n >= max) return false;
      let value: string;
      let kind: number;
      if (c === 34 /* " */) {
        // A quoted field ends at `"` followed by a space or the end of line: user agents may contain `"`.
        let j = i + 1;
        for (;;) {
          const q = s.indexOf('"', j);
          if (q === -1) {
            j = len;
            value = s.slice(i + 1);
            i = len;
            break;
          }
          const after = s.charCodeAt(q + 1);
          if (q + 1 >= len || after === 32 || after === 9) {
            value = s.slice(i + 1, q);
            i = q + 1;
            break;
          }
          j = q + 1;
        }
        kind = QUOTED;
      } else if (c === 91 /* [ */ && this.n === 0) {
        const close = s.indexOf("]", i);
        const e = close === -1 ? len : close;
        value = s.slice(i + 1, e);
        i = e + 1;
        kind = BRACKET;
      } else {
        const st = i;
        while (i < len) {
          const d = s.charCodeAt(i);
          if (d === 32 || d === 9) break;
          i++;
        }
        value = s.slice(st, i);
        kind = BARE;
      }
      this.values[this.n] = value;
      this.kinds[this.n] = kind;
      this.n++;
    }
    return true;
  }
}

/** Field positions in a token list (-1 = absent in this schema). */
interface Schema {
  name: string;
  start: number;
  req: number;
  code: number;
  flags: number;
  details: number;
  connTerm: number;
  utfr: number;
  rx: number;
  tx: number;
  dur: number;
  ust: number;
  xff: number;
  ua: number;
  reqId: number;
  authority: number;
  upHost: number;
  cluster: number;
  upLocal: number;
  downLocal: number;
  downRemote: number;
  sni: number;
  route: number;
}

const NONE = -1;
const S22: Schema = { name: "istio-1.8+", start: 0, req: 1, code: 2, flags: 3, details: 4, connTerm: 5, utfr: 6, rx: 7, tx: 8, dur: 9, ust: 10, xff: 11, ua: 12, reqId: 13, authority: 14, upHost: 15, cluster: 16, upLocal: 17, downLocal: 18, downRemote: 19, sni: 20, route: 21 };
const S19: Schema = { name: "istio-1.0-1.5", start: 0, req: 1, code: 2, flags: 3, details: NONE, connTerm: NONE, utfr: 4, rx: 5, tx: 6, dur: 7, ust: 8, xff: 9, ua: 10, reqId: 11, authority: 12, upHost: 13, cluster: 14, upLocal: 15, downLocal: 16, downRemote: 17, sni: 18, route: NONE };
const S14: Schema = { name: "envoy-default+details", start: 0, req: 1, code: 2, flags: 3, details: 4, connTerm: NONE, utfr: NONE, rx: 5, tx: 6, dur: 7, ust: 8, xff: 9, ua: 10, reqId: 11, authority: 12, upHost: 13, cluster: NONE, upLocal: NONE, downLocal: NONE, downRemote: NONE, sni: NONE, route: NONE };
const S13: Schema = { name: "envoy-default", start: 0, req: 1, code: 2, flags: 3, details: NONE, connTerm: NONE, utfr: NONE, rx: 4, tx: 5, dur: 6, ust: 7, xff: 8, ua: 9, reqId: 10, authority: 11, upHost: 12, cluster: NONE, upLocal: NONE, downLocal: NONE, downRemote: NONE, sni: NONE, route: NONE };

/** Expected token kinds per schema (verified before trusting a count match). */
function kindsMatch(t: Tokens, s: Schema): boolean {
  const k = t.kinds;
  return (
    isKind(k, s.req, QUOTED) && isKind(k, s.code, BARE) && isKind(k, s.flags, BARE) && isKind(k, s.rx, BARE) && isKind(k, s.dur, BARE) &&
    isKind(k, s.xff, QUOTED) && isKind(k, s.ua, QUOTED) && isKind(k, s.reqId, QUOTED) && isKind(k, s.authority, QUOTED) &&
    isKind(k, s.upHost, QUOTED) && isKind(k, s.details, BARE) && isKind(k, s.utfr, QUOTED) && isKind(k, s.cluster, BARE)
  );
}
function isKind(kinds: number[], i: number, kind: number): boolean {
  return i === NONE || kinds[i] === kind;
}
/** Token i of the line, undefined when the schema has no such field. */
function at(values: string[], i: number): string | undefined {
  return i === NONE ? undefined : values[i];
}

function isIntToken(v: string): boolean {
  return toUint(v) !== null;
}

/** Structural walk for custom/unknown token counts (see the module doc). Returns null when the shape is wrong. */
function genericSchema(t: Tokens): Schema | null {
  if (t.n < 6 || t.kinds[1] !== QUOTED || t.kinds[2] !== BARE || t.kinds[3] !== BARE) return null;
  const s: Schema = { ...S13, name: "generic", details: NONE, connTerm: NONE, utfr: NONE, rx: NONE, tx: NONE, dur: NONE, ust: NONE, xff: NONE, ua: NONE, reqId: NONE, authority: NONE, upHost: NONE };
  let i = 4;
  for (; i < t.n; i++) {
    const v = t.values[i]!;
    if (t.kinds[i] === BARE && isIntToken(v) && i + 1 < t.n && t.kinds[i + 1] === BARE) break;
    if (t.kinds[i] === QUOTED) s.utfr = i;
    else if (s.details === NONE) s.details = i;
    else if (s.connTerm === NONE) s.connTerm = i;
  }
  if (i + 2 >= t.n) return null;
  s.rx = i;
  s.tx = i + 1;
  s.dur = i + 2;
  i += 3;
  if (i < t.n && t.kinds[i] === BARE) s.ust = i++;
  const pos = s as unknown as Record<string, number>;
  for (const k of ["xff", "ua", "reqId", "authority", "upHost"]) {
    if (i < t.n && t.kinds[i] === QUOTED) pos[k] = i++;
    else break;
  }
  for (const k of ["cluster", "upLocal", "downLocal", "downRemote", "sni", "route"]) {
    if (i < t.n && t.kinds[i] === BARE) pos[k] = i++;
    else break;
  }
  return s;
}

interface ClusterInfo {
  direction: "inbound" | "outbound" | "unknown";
  service?: string;
  namespace?: string;
}

/** `outbound|8000||httpbin.default.svc.cluster.local` → service + namespace + direction. */
function clusterInfo(cluster: string): ClusterInfo {
  const bar = cluster.indexOf("|");
  if (bar !== -1) {
    const kind = cluster.slice(0, bar);
    const info: ClusterInfo = { direction: kind === "outbound" ? "outbound" : kind === "inbound" ? "inbound" : "unknown" };
    const fqdn = cluster.split("|", 4)[3];
    if (fqdn) {
      info.service = fqdn;
      const dot = fqdn.indexOf(".");
      if (dot !== -1 && fqdn.includes(".svc")) {
        const dot2 = fqdn.indexOf(".", dot + 1);
        info.namespace = fqdn.slice(dot + 1, dot2 === -1 ? undefined : dot2);
      }
    }
    return info;
  }
  if (cluster.startsWith("InboundPassthroughCluster")) return { direction: "inbound" };
  if (cluster === "PassthroughCluster" || cluster === "BlackHoleCluster") return { direction: "outbound" };
  return { direction: "unknown" };
}

/** Clusters repeat on almost every line: memoise their parse (bounded, cleared when full). */
const CLUSTER_CACHE = new Map<string, ClusterInfo>();
function applyCluster(cluster: string, dest: Endpoint): "inbound" | "outbound" | "unknown" {
  let info = CLUSTER_CACHE.get(cluster);
  if (!info) {
    info = clusterInfo(cluster);
    if (CLUSTER_CACHE.size >= 4096) CLUSTER_CACHE.clear();
    CLUSTER_CACHE.set(cluster, info);
  }
  dest.cluster = cluster;
  if (info.service !== undefined) dest.service = info.service;
  if (info.namespace !== undefined) dest.namespace = info.namespace;
  return info.direction;
}

const dash = (v: string | undefined) => (v === undefined || v === "-" || v === "" ? undefined : v);

interface Fields {
  start?: string | undefined;
  method?: string | undefined;
  path?: string | undefined;
  protocol?: string | undefined;
  code?: string | number | undefined;
  flags?: string | undefined;
  details?: string | undefined;
  connTerm?: string | undefined;
  utfr?: string | undefined;
  rx?: string | number | undefined;
  tx?: string | number | undefined;
  dur?: string | number | undefined;
  ust?: string | number | undefined;
  xff?: string | undefined;
  ua?: string | undefined;
  reqId?: string | undefined;
  authority?: string | undefined;
  upHost?: string | undefined;
  cluster?: string | undefined;
  upLocal?: string | undefined;
  downLocal?: string | undefined;
  downRemote?: string | undefined;
  sni?: string | undefined;
  route?: string | undefined;
  attempts?: string | number | undefined;
  traceId?: string | undefined;
}

const num = (v: string | number | undefined): number | null => {
  if (v === undefined) return null;
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (v === "-" || v === "") return null;
  const u = toUint(v);
  if (u !== null) return u;
  const f = Number(v);
  return Number.isFinite(f) ? f : null;
};

/** Common record building for text and JSON lines. */
function buildRecord(f: Fields, prov: RequestRecord["prov"], extraAttrs: Attrs | null, writtenAt: EpochMs | undefined): RequestRecord {
  const warnings: string[] = [];
  const ts = f.start ? parseRfc3339(f.start) : null;
  if (f.start && ts === null) warnings.push(`unparsable START_TIME ${JSON.stringify(excerpt(f.start, 40))}`);
  const isTcp = f.method === undefined && f.path === undefined && f.protocol === undefined;
  const code = num(f.code);
  const dest: Endpoint = {};
  const up = splitHostPort(dash(f.upHost));
  if (up) {
    dest.ip = up.ip;
    if (up.port !== undefined) dest.port = up.port;
  }
  let direction: "inbound" | "outbound" | "unknown" = "unknown";
  const cluster = dash(f.cluster);
  if (cluster) direction = applyCluster(cluster, dest);
  const rec: RequestRecord = {
    kind: "request",
    ts,
    durationMs: num(f.dur) === null ? null : durationMs(num(f.dur)!),
    source: SOURCE,
    direction,
    status: isTcp ? null : code ?? 0,
    prov,
  };
  const client = splitHostPort(dash(f.downRemote));
  if (client) rec.client = client.port === undefined ? { ip: client.ip } : { ip: client.ip, port: client.port };
  if (up || cluster) rec.dest = dest;
  if (isTcp) rec.protocol = "tcp";
  else {
    if (f.method) rec.method = f.method;
    if (f.path) rec.path = f.path;
    if (f.protocol) rec.protocol = f.protocol;
  }
  const authority = dash(f.authority);
  if (authority) rec.authority = authority;
  const flags = parseResponseFlags(f.flags);
  if (flags.length) rec.flags = flags;
  const details = dash(f.details);
  const utfr = dash(f.utfr);
  if (details && details !== "via_upstream") rec.error = utfr ? `${details}; ${utfr}` : details;
  else if (utfr) rec.error = utfr;
  const ust = num(f.ust);
  if (ust !== null) rec.upstreamMs = durationMs(ust);
  const attempts = num(f.attempts);
  if (attempts !== null && attempts >= 1 && Number.isInteger(attempts)) rec.attempts = attempts;
  const reqId = dash(f.reqId);
  if (reqId) rec.requestId = reqId;
  if (f.traceId) rec.traceId = f.traceId;
  const rx = num(f.rx);
  const tx = num(f.tx);
  if (rx !== null) rec.bytesRecv = rx;
  if (tx !== null) rec.bytesSent = tx;
  const attrs: Attrs = extraAttrs ?? {};
  if (details) attrs.responseCodeDetails = details;
  const connTerm = dash(f.connTerm);
  if (connTerm) attrs.connectionTerminationDetails = connTerm;
  if (utfr) attrs.upstreamTransportFailureReason = utfr;
  const xff = dash(f.xff);
  if (xff) attrs.xForwardedFor = xff;
  const ua = dash(f.ua);
  if (ua) attrs.userAgent = excerpt(ua, 300);
  const upLocal = dash(f.upLocal);
  if (upLocal) attrs.upstreamLocalAddress = upLocal;
  const downLocal = dash(f.downLocal);
  if (downLocal) attrs.downstreamLocalAddress = downLocal;
  const sni = dash(f.sni);
  if (sni) attrs.requestedServerName = sni;
  const route = dash(f.route);
  if (route) attrs.routeName = route;
  if (writtenAt !== undefined) attrs.writtenAt = writtenAt;
  // Keep the raw text only when normalising changed it (long names, duplicates).
  if (flags.length && f.flags !== flags.join(",")) attrs.responseFlagsRaw = f.flags ?? null;
  rec.attrs = attrs;
  if (code === null && !isTcp && f.code !== undefined && f.code !== "-") warnings.push(`unparsable response code ${JSON.stringify(String(f.code))}`);
  if (warnings.length) rec.warnings = warnings;
  return rec;
}

/** `"GET /path HTTP/1.1"` → method/path/protocol; `"- - -"` (TCP) → all undefined. */
function splitRequestLine(r: string, f: Fields): void {
  const a = r.indexOf(" ");
  if (a === -1) {
    if (r !== "-") f.method = r;
    return;
  }
  const b = r.lastIndexOf(" ");
  const m = r.slice(0, a);
  const p = b > a ? r.slice(a + 1, b) : r.slice(a + 1);
  const pr = b > a ? r.slice(b + 1) : undefined;
  if (m !== "-") f.method = m;
  if (p !== "-") f.path = p;
  if (pr !== undefined && pr !== "-") f.protocol = pr;
}

const APP_LEVELS: Record<string, Severity> = {
  trace: "debug",
  debug: "debug",
  info: "info",
  warning: "warning",
  warn: "warning",
  error: "error",
  critical: "critical",
};

/** Envoy application log: `[2021-03-12 15:31:30.492][1][warning][runtime] [source/…:31] message`. */
function appLogLine(text: string, no: number, ctx: ParseContext): EventRecord | null {
  const c1 = text.indexOf("][");
  if (c1 === -1 || c1 > 40) return null;
  const ts = parseRfc3339(`${text.slice(1, c1).replace(" ", "T")}Z`);
  if (ts === null) return null;
  const parts: string[] = [];
  let i = c1 + 1;
  while (parts.length < 3 && text.charCodeAt(i) === 91) {
    const close = text.indexOf("]", i);
    if (close === -1 || close - i > 60) break;
    parts.push(text.slice(i + 1, close));
    i = close + 1;
  }
  // [thread][level][logger] (older: [level][logger])
  const levelIdx = parts.findIndex((p) => APP_LEVELS[p] !== undefined);
  if (levelIdx === -1) return null;
  const severity = APP_LEVELS[parts[levelIdx]!]!;
  const logger = parts[levelIdx + 1];
  const msg = text.slice(i).trim();
  const ev: EventRecord = {
    kind: "event",
    ts,
    source: "envoy-app",
    severity,
    text: excerpt(msg, 2000),
    prov: { line: no },
    warnings: ["Envoy application log time has no zone; assumed UTC"],
  };
  if (logger) ev.reason = logger;
  if (ctx.node) ev.subject = { node: ctx.node };
  return ev;
}

/** istio-proxy's pilot-agent lines: `2024-…Z\twarning\tenvoy config\t…` / `…\terror\txdsproxy\t…`. */
function agentLogLine(text: string, no: number): EventRecord | "skip" | null {
  const tab = text.indexOf("\t");
  const sp = text.indexOf(" ");
  const e = tab !== -1 && (sp === -1 || tab < sp) ? tab : sp;
  if (e < 20 || e > 40) return null;
  const ts = parseRfc3339(text, 0, e);
  if (ts === null) return null;
  let i = e;
  while (text.charCodeAt(i) === 9 || text.charCodeAt(i) === 32) i++;
  let j = i;
  while (j < text.length && text.charCodeAt(j) !== 9 && text.charCodeAt(j) !== 32) j++;
  const level = text.slice(i, j);
  const severity = APP_LEVELS[level];
  if (!severity) return null;
  if (severity === "debug" || severity === "info") return "skip";
  const rest = text.slice(j).trim();
  const tab2 = rest.indexOf("\t");
  return {
    kind: "event",
    ts,
    source: "envoy-app",
    severity,
    reason: tab2 > 0 && tab2 < 40 ? rest.slice(0, tab2) : "istio-agent",
    text: excerpt(tab2 > 0 && tab2 < 40 ? rest.slice(tab2 + 1) : rest, 2000),
    prov: { line: no },
  };
}

const JSON_KEYS: Record<string, keyof Fields> = {
  start_time: "start",
  method: "method",
  path: "path",
  protocol: "protocol",
  response_code: "code",
  response_flags: "flags",
  response_code_details: "details",
  connection_termination_details: "connTerm",
  upstream_transport_failure_reason: "utfr",
  bytes_received: "rx",
  bytes_sent: "tx",
  duration: "dur",
  upstream_service_time: "ust",
  x_forwarded_for: "xff",
  user_agent: "ua",
  request_id: "reqId",
  x_request_id: "reqId",
  authority: "authority",
  upstream_host: "upHost",
  upstream_cluster: "cluster",
  upstream_local_address: "upLocal",
  downstream_local_address: "downLocal",
  downstream_remote_address: "downRemote",
  requested_server_name: "sni",
  route_name: "route",
  x_envoy_attempt_count: "attempts",
  attempt_count: "attempts",
  upstream_request_attempt_count: "attempts",
  trace_id: "traceId",
};

/** True for an unwrapped Envoy access line (`[START] "REQ…`) or application log line (`[2021-03-12 15:31:30.492][`). */
export function isEnvoyTextLine(text: string): boolean {
  if (text.startsWith("ACCESS ")) text = text.slice(7);
  if (text.charCodeAt(0) !== 91) return false;
  if (looksLikeEnvoyAccess(text)) return true;
  return text.charCodeAt(1) >= 48 && text.charCodeAt(1) <= 57 && text.charCodeAt(11) === 32 && text.charCodeAt(24) === 93 && text.charCodeAt(25) === 91;
}

/** True for a JSON line with Envoy access-log keys. String checks only (no parse). */
export function isEnvoyJsonLine(text: string): boolean {
  return text.includes('"start_time"') && (text.includes('"response_code"') || text.includes('"upstream_cluster"') || text.includes('"response_flags"'));
}

/**
 * Line-level Envoy parser, fed lines already unwrapped and CRI-joined by the mesh line router
 * (router.ts). Items go to `out`, which the router shares with ztunnel's parser so records stay in
 * line order.
 */
export class EnvoyLineParser {
  private readonly tokens = new Tokens();
  private seenSchemas = new Set<string>();

  constructor(
    private readonly ctx: ParseContext,
    readonly out: ParseItem[] = [],
  ) {}

  /** A line already unwrapped and CRI-joined; `endNo` is the last physical line it came from. */
  unwrapped(no: number, offset: number, u: UnwrappedLine, endNo: number): void {
    const mark = this.out.length;
    this.dispatch(no, offset, u);
    if (u.joinedFrom) this.citeJoined(mark, no, endNo);
  }

  /** Records made from a CRI-joined line cite its first fragment as `line` and the last as `endLine`. */
  private citeJoined(mark: number, first: number, endNo: number): void {
    for (let k = mark; k < this.out.length; k++) {
      const it = this.out[k]!;
      if (it.kind !== "skipped" && it.kind !== "warning" && it.prov.line === first && endNo !== first) it.prov.endLine = endNo;
    }
  }

  private dispatch(no: number, offset: number, u: UnwrappedLine): void {
    let text = u.text;
    if (text.startsWith("ACCESS ")) text = text.slice(7); // Ambassador/Emissary prefix
    if (text.length === 0 || text.trim() === "") return;
    const c0 = text.charCodeAt(0);
    if (c0 === 91 /* [ */) {
      if (text.charCodeAt(1) >= 48 && text.charCodeAt(1) <= 57 && text.charCodeAt(11) === 32) {
        // `[2021-03-12 15:31:30.492][…` application log (space, not T, inside the bracket).
        const ev = appLogLine(text, no, this.ctx);
        if (ev) this.out.push(ev);
        else this.out.push({ kind: "skipped", line: no, reason: "not an Envoy access or application log line", excerpt: excerpt(text) });
        return;
      }
      this.textLine(no, offset, text, u.writtenAt);
      return;
    }
    if (c0 === 123 /* { */) {
      this.jsonLine(no, offset, text, u.writtenAt);
      return;
    }
    const agent = c0 >= 48 && c0 <= 57 ? agentLogLine(text, no) : null;
    if (agent === "skip") this.out.push({ kind: "skipped", line: no, reason: "istio-proxy agent info/debug line (not an access record)", excerpt: excerpt(text) });
    else if (agent) this.out.push(agent);
    else this.out.push({ kind: "skipped", line: no, reason: "not an Envoy access log line", excerpt: excerpt(text) });
  }

  private textLine(no: number, offset: number, text: string, writtenAt: EpochMs | undefined): void {
    const t = this.tokens;
    if (!t.scan(text, 0)) {
      this.out.push({ kind: "skipped", line: no, reason: "more than 64 fields: not an Envoy access log line", excerpt: excerpt(text) });
      return;
    }
    if (t.n < 4 || t.kinds[0] !== BRACKET) {
      this.out.push({ kind: "skipped", line: no, reason: "not an Envoy access log line (no [START_TIME] and request)", excerpt: excerpt(text) });
      return;
    }
    let s: Schema | null = t.n === 22 ? S22 : t.n === 19 ? S19 : t.n === 14 ? S14 : t.n === 13 ? S13 : null;
    if (s && !kindsMatch(t, s)) s = null;
    s ??= genericSchema(t);
    if (!s) {
      this.out.push({ kind: "skipped", line: no, reason: `unrecognised Envoy access log layout (${t.n} fields)`, excerpt: excerpt(text) });
      return;
    }
    if (!this.seenSchemas.has(s.name)) {
      this.seenSchemas.add(s.name);
      if (s.name === "generic") this.out.push({ kind: "warning", line: no, message: `custom Envoy access log format (${t.n} fields): fields mapped by position heuristics` });
    }
    const v = t.values;
    const f: Fields = {
      start: v[0],
      code: at(v, s.code),
      flags: at(v, s.flags),
      details: at(v, s.details),
      connTerm: at(v, s.connTerm),
      utfr: at(v, s.utfr),
      rx: at(v, s.rx),
      tx: at(v, s.tx),
      dur: at(v, s.dur),
      ust: at(v, s.ust),
      xff: at(v, s.xff),
      ua: at(v, s.ua),
      reqId: at(v, s.reqId),
      authority: at(v, s.authority),
      upHost: at(v, s.upHost),
      cluster: at(v, s.cluster),
      upLocal: at(v, s.upLocal),
      downLocal: at(v, s.downLocal),
      downRemote: at(v, s.downRemote),
      sni: at(v, s.sni),
      route: at(v, s.route),
    };
    splitRequestLine(v[1]!, f);
    const rec = buildRecord(f, { line: no, offset }, null, writtenAt);
    if (rec.ts === null) {
      this.out.push({ kind: "skipped", line: no, reason: "Envoy access line with an unparsable START_TIME", excerpt: excerpt(text) });
      return;
    }
    this.out.push(rec);
  }

  private jsonLine(no: number, offset: number, text: string, writtenAt: EpochMs | undefined): void {
    const line = jsonObjectLine(no, text);
    if ("skipped" in line) {
      this.out.push(line.skipped);
      return;
    }
    const o = line.obj;
    if (!("start_time" in o) && !("response_code" in o)) {
      this.out.push({ kind: "skipped", line: no, reason: "JSON line without Envoy access-log keys (start_time, response_code)", excerpt: excerpt(text) });
      return;
    }
    const f: Fields = {};
    const extra: Attrs = {};
    for (const [k, val] of Object.entries(o)) {
      const key = JSON_KEYS[k] ?? JSON_KEYS[k.toLowerCase().replace(/-/g, "_")];
      if (val === null || val === undefined) continue;
      const sv = typeof val === "string" ? val : typeof val === "number" ? val : typeof val === "boolean" ? String(val) : JSON.stringify(val);
      if (key) (f as Record<string, string | number>)[key] = sv;
      else if (Object.keys(extra).length < 32) extra[k] = typeof sv === "string" ? excerpt(sv, 500) : sv;
    }
    for (const k of ["start", "method", "path", "protocol", "flags", "details", "connTerm", "utfr", "xff", "ua", "reqId", "authority", "upHost", "cluster", "upLocal", "downLocal", "downRemote", "sni", "route", "traceId"] as const) {
      if (typeof f[k] === "number") f[k] = String(f[k]);
    }
    const rec = buildRecord(f, { line: no, offset }, extra, writtenAt);
    if (f.start === undefined) (rec.warnings ??= []).push("no start_time: ts unknown");
    this.out.push(rec);
  }
}

// ---------------------------------------------------------------------------------------------- sniff

/** `[2024-…Z] "` at the start: the Envoy access line shape. */
function looksLikeEnvoyAccess(l: string): boolean {
  if (l.charCodeAt(0) !== 91) return false;
  const close = l.indexOf("] ");
  if (close < 20 || close > 40) return false;
  if (parseRfc3339(l, 1, close) === null) return false;
  return l.charCodeAt(close + 2) === 34;
}

/** 0..1: how Envoy-access-like the head of a file is (envoy-access's sniff). */
export function sniffEnvoy(head: string, name: string): number {
  const lines = unwrapHeadLines(head, 60);
  if (lines.length === 0) return 0;
  let strong = 0;
  let weak = 0;
  for (let l of lines) {
    if (l.startsWith("ACCESS ")) l = l.slice(7);
    if (looksLikeEnvoyAccess(l)) strong++;
    else if (l.charCodeAt(0) === 123 && l.includes('"start_time"') && (l.includes('"response_code"') || l.includes('"upstream_cluster"') || l.includes('"response_flags"'))) strong++;
    else if (/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\]\[/.test(l.slice(0, 30))) weak++;
  }
  if (strong === 0) return 0;
  const ratio = (strong + weak) / lines.length;
  return Math.min(0.97, 0.6 + 0.35 * Math.min(1, ratio * 1.5) + (/envoy|istio-proxy|sidecar/i.test(name) ? 0.02 : 0));
}
