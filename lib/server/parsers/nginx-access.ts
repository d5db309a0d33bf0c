import type { Attrs, RequestRecord } from "@/lib/schemas/records";
import { durationMs, epochMs, type EpochMs } from "@/lib/schemas/time";
import { KvScanner, splitHostPort, toUint } from "./kv";
import { excerpt } from "./lines";
import type { ParseContext, ParseItem, Parser } from "./types";
import { CriJoiner, parseRfc3339, unwrapHeadLines, unwrapLogLine, type UnwrappedLine } from "./wrappers";
import { driveLines, flattenBatches } from "./line-machine";

/**
 * nginx access logs with upstream timings → `request` records. Accepted layouts (mixed per line):
 *
 *   combined   1.2.3.4 - user [14/Aug/2019:04:12:10 +0300] "GET / HTTP/1.1" 200 612 "ref" "UA"
 *              + optional "XFF" + key=value tail (NGINX blog: rt=0.052 uct="0.000" uht="0.050" urt="0.050")
 *              + or the ingress-nginx upstreaminfo tail: len rt [upstream] [alt] addr len urt status req_id
 *   main_ext   remote_addr="…", [time_local=…], request="…", status="200", … upstream_connect_time="0.000", …
 *   json       {"remote_addr":"…","time_local":"…","request":"…","status":"200",…}   (log_format escape=json)
 *
 * Units: $request_time and every $upstream_*_time are SECONDS (ms resolution) → ms. Retried upstreams give
 * lists, `, ` between servers and ` : ` between upstream groups (internal redirect):
 *
 *   upstream_connect_time="1.003, 0.001"  → attempts=2, connectMs=1004 (total), attrs.upstreamConnectMs="1003,1"
 *
 * `-` means "no upstream contacted" (cache hit, nginx-generated 4xx, 499). Time: $time_local is written at
 * the END of the request, with a local offset → UTC; ts = logTime − request_time (attrs.logTime keeps
 * the written time) so it lines up with Envoy START_TIME.
 */

const SOURCE = "nginx";

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

/** `14/Aug/2019:04:12:10 +0300` → UTC epoch ms (null when malformed). */
export function parseTimeLocal(s: string): EpochMs | null {
  const t = s.trim();
  if (t.length < 26 || t.charCodeAt(2) !== 47 || t.charCodeAt(6) !== 47 || t.charCodeAt(11) !== 58 || t.charCodeAt(20) !== 32) return null;
  const month = MONTHS[t.slice(3, 6)];
  const day = toUint(t.slice(0, 2));
  const year = toUint(t.slice(7, 11));
  const hh = toUint(t.slice(12, 14));
  const mm = toUint(t.slice(15, 17));
  const ss = toUint(t.slice(18, 20));
  const sign = t.charCodeAt(21);
  const oh = toUint(t.slice(22, 24));
  const om = toUint(t.slice(24, 26));
  if (month === undefined || day === null || year === null || hh === null || mm === null || ss === null || oh === null || om === null) return null;
  if ((sign !== 43 && sign !== 45) || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60) return null;
  const off = (oh * 60 + om) * (sign === 45 ? -1 : 1);
  return epochMs(Date.UTC(year, month, day, hh, mm, ss) - off * 60_000);
}

/**
 * `"0.000, 0.052 : 0.010"` → [0, 52, 10] ms per attempt (`-` → null). Groups and servers are flattened in
 * order: each entry is one upstream attempt.
 */
export function parseSecondsList(v: string | undefined): (number | null)[] | null {
  if (v === undefined || v === "") return null;
  const out: (number | null)[] = [];
  let start = 0;
  const n = v.length;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? v.charCodeAt(i) : 44;
    if (c === 44 /* , */ || c === 58 /* : */) {
      const part = v.slice(start, i).trim();
      start = i + 1;
      if (part === "" ) continue;
      if (part === "-") out.push(null);
      else {
        const x = Number(part);
        out.push(Number.isFinite(x) && x >= 0 ? Math.round(x * 1e6) / 1e3 : null);
      }
      if (out.length > 1000) break;
    }
  }
  return out.length ? out : null;
}

function splitList(v: string | undefined): string[] {
  if (!v) return [];
  const out: string[] = [];
  for (const group of v.split(" : ")) for (const p of group.split(",")) {
    const t = p.trim();
    if (t) out.push(t);
  }
  return out;
}

/** Canonical nginx variable names for aliases used by popular log formats. */
const ALIASES: Record<string, string> = {
  rt: "request_time",
  uct: "upstream_connect_time",
  uht: "upstream_header_time",
  urt: "upstream_response_time",
  ua: "upstream_addr",
  us: "upstream_status",
  upstream_address: "upstream_addr",
  sn: "server_name",
  Host: "host",
  http_host: "host",
  req_id: "request_id",
  http_x_request_id: "request_id",
  x_request_id: "request_id",
  cs: "upstream_cache_status",
  bytes_sent: "bytes_sent",
};

type Vars = Map<string, string>;

function setVar(vars: Vars, key: string, value: string): void {
  vars.set(ALIASES[key] ?? key, value);
}

const sum = (xs: (number | null)[]) => {
  let s = 0;
  let any = false;
  for (const x of xs) if (x !== null) {
    s += x;
    any = true;
  }
  return any ? Math.round(s * 1000) / 1000 : null;
};

/** Vars (nginx variable names) → RequestRecord. */
function buildRecord(vars: Vars, prov: RequestRecord["prov"], writtenAt: EpochMs | undefined): RequestRecord | string {
  const warnings: string[] = [];
  const timeLocal = vars.get("time_local");
  const iso = vars.get("time_iso8601");
  const msec = vars.get("msec");
  let logTime: EpochMs | null = null;
  if (timeLocal) logTime = parseTimeLocal(timeLocal);
  else if (iso) logTime = parseRfc3339(iso);
  else if (msec && Number.isFinite(Number(msec))) logTime = epochMs(Number(msec) * 1000);
  if (logTime === null) {
    if (timeLocal || iso) warnings.push(`unparsable time ${JSON.stringify(excerpt(timeLocal ?? iso ?? "", 40))}`);
    else warnings.push("no time field");
  }
  const rtList = parseSecondsList(vars.get("request_time"));
  const rt = rtList?.[0] ?? null;
  const statusText = vars.get("status");
  const status = statusText === undefined ? null : toUint(statusText);
  if (status === null && vars.get("request") === undefined) return "no status and no request: not an nginx access record";

  const rec: RequestRecord = {
    kind: "request",
    ts: logTime === null ? null : epochMs(logTime - (rt ?? 0)),
    durationMs: rt === null ? null : durationMs(rt),
    source: SOURCE,
    status: status ?? 0,
    prov,
  };
  if (status === null) warnings.push(`unparsable status ${JSON.stringify(excerpt(statusText ?? "", 20))}`);
  const attrs: Attrs = {};
  if (logTime !== null) attrs.logTime = logTime;
  if (writtenAt !== undefined) attrs.writtenAt = writtenAt;

  const request = vars.get("request");
  if (request !== undefined && request !== "-" && request !== "") {
    const a = request.indexOf(" ");
    const b = request.lastIndexOf(" ");
    if (a > 0 && b > a && request.slice(b + 1).startsWith("HTTP/")) {
      rec.method = request.slice(0, a);
      rec.path = request.slice(a + 1, b);
      rec.protocol = request.slice(b + 1);
    } else {
      // Binary TLS bytes on a plain port (`\x16\x03…`), scanners, HTTP/0.9: keep the raw line.
      attrs.request = excerpt(request, 300);
      warnings.push("request line is not METHOD URI PROTOCOL");
    }
  }
  const host = vars.get("host") ?? vars.get("server_name");
  if (host && host !== "-") rec.authority = host;
  const remote = splitHostPort(vars.get("remote_addr"));
  if (remote) {
    const port = toUint(vars.get("remote_port"));
    rec.client = port === null ? { ip: remote.ip } : { ip: remote.ip, port };
  }

  const addrs = splitList(vars.get("upstream_addr"));
  const uct = parseSecondsList(vars.get("upstream_connect_time"));
  const uht = parseSecondsList(vars.get("upstream_header_time"));
  const urt = parseSecondsList(vars.get("upstream_response_time"));
  const ustatus = splitList(vars.get("upstream_status"));
  const attempts = Math.max(addrs.filter((a) => a !== "-").length, uct?.length ?? 0, urt?.length ?? 0, ustatus.filter((s) => s !== "-").length);
  const contacted = (uct ?? []).concat(urt ?? []).some((x) => x !== null) || addrs.some((a) => a !== "-");
  if (contacted && attempts > 0) rec.attempts = attempts;
  if (uct) {
    rec.connectMs = sum(uct) === null ? null : durationMs(sum(uct)!);
    attrs.upstreamConnectMs = uct.map((x) => (x === null ? "-" : String(x))).join(",");
  }
  if (uht) attrs.upstreamHeaderMs = uht.map((x) => (x === null ? "-" : String(x))).join(",");
  if (urt) {
    rec.upstreamMs = sum(urt) === null ? null : durationMs(sum(urt)!);
    attrs.upstreamResponseMs = urt.map((x) => (x === null ? "-" : String(x))).join(",");
  }
  const lastAddr = [...addrs].reverse().find((a) => a !== "-");
  const proxyName = vars.get("proxy_upstream_name") ?? vars.get("proxy_host") ?? vars.get("upstream_name");
  if (lastAddr || (proxyName && proxyName !== "-")) {
    rec.dest = {};
    const hp = lastAddr ? splitHostPort(lastAddr) : null;
    if (hp) {
      rec.dest.ip = hp.ip;
      if (hp.port !== undefined) rec.dest.port = hp.port;
    }
    if (proxyName && proxyName !== "-") rec.dest.cluster = proxyName;
  }
  if (vars.get("upstream_addr")) attrs.upstreamAddr = excerpt(vars.get("upstream_addr")!, 500);
  if (vars.get("upstream_status")) attrs.upstreamStatus = excerpt(vars.get("upstream_status")!, 200);

  const failedUpstream = ustatus.some((s) => {
    const n = toUint(s);
    return n !== null && n >= 500;
  });
  if (status === 499) {
    attrs.clientClosed = true;
    rec.error = "client closed the connection before the response (499)";
  } else if (failedUpstream || (ustatus.length > 1 && attempts > 1)) {
    rec.error = `upstream status ${ustatus.join(", ")}`;
  }
  const reqId = vars.get("request_id");
  if (reqId && reqId !== "-") rec.requestId = reqId;
  const traceId = vars.get("trace_id") ?? vars.get("otel_trace_id");
  if (traceId && traceId !== "-") rec.traceId = traceId;
  const sent = toUint(vars.get("body_bytes_sent") ?? vars.get("bytes_sent"));
  if (sent !== null) rec.bytesSent = sent;
  const recv = toUint(vars.get("request_length"));
  if (recv !== null) rec.bytesRecv = recv;
  const ua = vars.get("http_user_agent");
  if (ua && ua !== "-") attrs.userAgent = excerpt(ua, 300);
  const xff = vars.get("http_x_forwarded_for");
  if (xff && xff !== "-") attrs.xForwardedFor = excerpt(xff, 300);
  const cache = vars.get("upstream_cache_status");
  if (cache && cache !== "-") attrs.cacheStatus = cache;
  rec.attrs = attrs;
  if (warnings.length) rec.warnings = warnings;
  return rec;
}

// ---------------------------------------------------------------------------------------------- line layouts

/** Reads a `"…"` field at `i` (nginx escapes `"` as `\x22` in text logs; `\"` tolerated). Returns [value, next]. */
function quoted(s: string, i: number): [string, number] | null {
  if (s.charCodeAt(i) !== 34) return null;
  let j = i + 1;
  for (;;) {
    const q = s.indexOf('"', j);
    if (q === -1) return [s.slice(i + 1), s.length];
    if (s.charCodeAt(q - 1) === 92 /* \ */ && q - 1 > i) {
      j = q + 1;
      continue;
    }
    return [s.slice(i + 1, q), q + 1];
  }
}

function skipSp(s: string, i: number): number {
  while (i < s.length && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
  return i;
}
function word(s: string, i: number): [string, number] {
  let j = i;
  while (j < s.length && s.charCodeAt(j) !== 32 && s.charCodeAt(j) !== 9) j++;
  return [s.slice(i, j), j];
}

/** combined (+ tails). Returns null when the line is not that shape. */
function parseCombined(s: string, kv: KvScanner): Vars | null {
  const vars: Vars = new Map();
  let [w, i] = word(s, 0);
  if (!w) return null;
  vars.set("remote_addr", w);
  i = skipSp(s, i);
  [, i] = word(s, i); // ident `-`
  i = skipSp(s, i);
  [w, i] = word(s, i);
  vars.set("remote_user", w);
  i = skipSp(s, i);
  if (s.charCodeAt(i) !== 91) return null;
  const close = s.indexOf("]", i);
  if (close === -1 || close - i > 40) return null;
  vars.set("time_local", s.slice(i + 1, close));
  i = skipSp(s, close + 1);
  const req = quoted(s, i);
  if (!req) return null;
  vars.set("request", req[0]);
  i = skipSp(s, req[1]);
  [w, i] = word(s, i);
  vars.set("status", w);
  i = skipSp(s, i);
  [w, i] = word(s, i);
  vars.set("body_bytes_sent", w);
  i = skipSp(s, i);
  const ref = quoted(s, i);
  if (ref) {
    vars.set("http_referer", ref[0]);
    i = skipSp(s, ref[1]);
    const ua = quoted(s, i);
    if (ua) {
      vars.set("http_user_agent", ua[0]);
      i = skipSp(s, ua[1]);
      const xff = quoted(s, i);
      if (xff) {
        vars.set("http_x_forwarded_for", xff[0]);
        i = skipSp(s, xff[1]);
      }
    }
  }
  if (i >= s.length) return vars;
  // key=value tail (NGINX blog upstream-time format; a missing space before rt= is tolerated by the scanner).
  kv.reset(s, i);
  let pairs = 0;
  while (kv.next()) {
    setVar(vars, kv.key, kv.value);
    pairs++;
  }
  if (pairs === 0) parseUpstreamInfoTail(s.slice(i), vars);
  return vars;
}

/**
 * ingress-nginx upstreaminfo tail: `$request_length $request_time [$proxy_upstream_name]
 * [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time
 * $upstream_status $req_id`. The upstream fields may be `a, b` or `a : b` lists containing spaces, so
 * tokens are re-joined across `,` / `:` before being assigned.
 */
function parseUpstreamInfoTail(tail: string, vars: Vars): void {
  const raw = tail.trim().split(/[ \t]+/, 4096);
  const toks: string[] = [];
  for (const t of raw) {
    const prev = toks[toks.length - 1];
    if (prev !== undefined && (prev.endsWith(",") || t === ":" || prev.endsWith(" :"))) toks[toks.length - 1] = `${prev} ${t}`;
    else toks.push(t);
  }
  if (toks.length < 4 || !toks[2]?.startsWith("[") || !toks[3]?.startsWith("[")) return;
  vars.set("request_length", toks[0]!);
  vars.set("request_time", toks[1]!);
  vars.set("proxy_upstream_name", toks[2]!.slice(1, -1));
  vars.set("proxy_alternative_upstream_name", toks[3]!.slice(1, -1));
  const names = ["upstream_addr", "upstream_response_length", "upstream_response_time", "upstream_status", "request_id"];
  for (let k = 0; k < names.length && 4 + k < toks.length; k++) vars.set(names[k]!, toks[4 + k]!);
}

function parseMainExt(s: string, kv: KvScanner): Vars {
  const vars: Vars = new Map();
  kv.reset(s, 0, { commas: true });
  while (kv.next()) setVar(vars, kv.key, kv.value);
  return vars;
}

function parseJson(s: string): Vars | string {
  let obj: unknown;
  try {
    obj = JSON.parse(s);
  } catch {
    return "invalid JSON";
  }
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) return "JSON line is not an object";
  const vars: Vars = new Map();
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    if (v === null || v === undefined || v === "") continue;
    setVar(vars, k, typeof v === "string" ? v : typeof v === "object" ? JSON.stringify(v) : String(v));
  }
  if (!vars.has("status") && !vars.has("request")) return "JSON line without nginx keys (status, request)";
  return vars;
}

class NginxState {
  readonly out: ParseItem[] = [];
  private readonly kv = new KvScanner();
  private readonly cri = new CriJoiner();
  constructor(readonly ctx: ParseContext) {}

  line(no: number, offset: number, raw: string, truncated: boolean): void {
    if (truncated) {
      this.out.push({ kind: "skipped", line: no, reason: "line longer than 1 MiB (truncated); not an nginx access line", excerpt: excerpt(raw) });
      return;
    }
    const u = this.cri.push(unwrapLogLine(raw), no, offset);
    if (u === null) return;
    const mark = this.out.length;
    const endNo = no;
    if (u.joinedFrom) {
      no = u.joinedFrom.line;
      offset = u.joinedFrom.offset;
    }
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

  /** SegmentableMachine: lines are independent but for CRI partial lines. */
  canCutBefore(): boolean {
    return !this.cri.hasPending;
  }

  private dispatch(no: number, offset: number, u: UnwrappedLine): void {
    const s = u.text.trim();
    if (s === "") return;
    let vars: Vars | string | null;
    if (s.charCodeAt(0) === 123) vars = parseJson(s);
    else if (s.startsWith("remote_addr=") || (s.includes("=") && s.includes("[time_local="))) vars = parseMainExt(s, this.kv);
    else vars = parseCombined(s, this.kv);
    if (vars === null) {
      this.out.push({ kind: "skipped", line: no, reason: "not an nginx access log line (combined, main_ext or JSON)", excerpt: excerpt(s) });
      return;
    }
    if (typeof vars === "string") {
      this.out.push({ kind: "skipped", line: no, reason: vars, excerpt: excerpt(s) });
      return;
    }
    const rec = buildRecord(vars, { line: no, offset }, u.writtenAt);
    if (typeof rec === "string") this.out.push({ kind: "skipped", line: no, reason: rec, excerpt: excerpt(s) });
    else this.out.push(rec);
  }

  end(): void {
    if (this.cri.flush() !== null) this.out.push({ kind: "warning", message: "file ends inside a CRI partial line; the fragment was dropped" });
  }
}

// ---------------------------------------------------------------------------------------------- sniff

/** Bounded pattern for the combined/common prefix: `host ident user [dd/Mon/yyyy:hh:mm:ss ±zzzz] "`. */
const COMBINED_HEAD = /^\S{1,64} \S{1,64} \S{1,256} \[\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] "/;

function sniffNginx(head: string, name: string): number {
  const lines = unwrapHeadLines(head, 60);
  if (lines.length === 0) return 0;
  let strong = 0;
  for (const l0 of lines) {
    const l = l0.trim();
    if (l.charCodeAt(0) === 123) {
      if (l.includes('"remote_addr"') && (l.includes('"time_local"') || l.includes('"time_iso8601"') || l.includes('"msec"')) && (l.includes('"request"') || l.includes('"status"'))) strong++;
    } else if (l.startsWith("remote_addr=") && l.includes("[time_local=")) strong++;
    else if (COMBINED_HEAD.test(l.length > 500 ? l.slice(0, 500) : l)) strong++;
  }
  if (strong === 0) return 0;
  const ratio = strong / lines.length;
  return Math.min(0.97, 0.55 + 0.4 * Math.min(1, ratio * 1.5) + (/nginx|ingress/i.test(name) ? 0.02 : 0));
}

// ---------------------------------------------------------------------------------------------- parser

export const nginxAccessParser: Parser = {
  id: "nginx-access",
  title: "nginx access log (combined, main_ext, JSON)",
  emits: ["request"],
  sniff(head, name) {
    try {
      return sniffNginx(head, name);
    } catch {
      return 0;
    }
  },
  parse: (input, ctx) => flattenBatches(driveLines(input, new NginxState(ctx))),
  parseBatches: (input, ctx) => driveLines(input, new NginxState(ctx)),
  segments: (ctx) => new NginxState(ctx),
  samples: [
    {
      name: "nginx/access.log",
      content:
        'remote_addr="192.168.65.1", [time_local=19/Feb/2024:19:14:32 +0000], request="GET / HTTP/1.1", status="200", http_referer="-", body_bytes_sent="651", Host="cafe.example.com", sn="cafe.example.com", request_time=0.001, http_user_agent="Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36", http_x_forwarded_for="-", request_length="471", upstream_address="172.18.0.3:80", upstream_status="200", upstream_connect_time="0.000", upstream_header_time="0.000", upstream_response_time="0.000", upstream_response_length="651",\n',
      expect: {
        records: 1, skipped: 0, kinds: { request: 1 },
        fields: {
          // logged when the response ended: time_local 19:14:32 − request_time 0.001 s
          0: {
            ts: "2024-02-19T19:14:31.999Z", durationMs: 1, method: "GET", path: "/", protocol: "HTTP/1.1", status: 200, authority: "cafe.example.com",
            client: { ip: "192.168.65.1" }, dest: { ip: "172.18.0.3", port: 80 }, connectMs: 0, upstreamMs: 0, bytesSent: 651, bytesRecv: 471,
          },
        },
      },
    },
    {
      name: "gateway-access.log",
      content:
        '10.0.4.12 - - [14/Aug/2019:04:12:10 +0300] "GET /api/presentations/42 HTTP/1.1" 200 5120 "-" "Go-http-client/1.1" "-" rt=1.016 uct="1.003" uht="1.015" urt="1.015"\n' +
        '10.0.4.12 - - [14/Aug/2019:04:12:11 +0300] "POST /api/upload HTTP/1.1" 502 157 "-" "curl/8.4.0" "-" rt=3.021 uct="3.001, 0.004" uht="-, 0.015" urt="3.001, 0.016"\n',
      expect: {
        records: 2, skipped: 0, kinds: { request: 2 },
        fields: {
          // 04:12:10 +0300 − rt 1.016 s; the 502 tried two upstreams: their times add up
          0: { ts: "2019-08-14T01:12:08.984Z", durationMs: 1016, method: "GET", path: "/api/presentations/42", status: 200, client: { ip: "10.0.4.12" }, attempts: 1, connectMs: 1003, upstreamMs: 1015, bytesSent: 5120 },
          1: { ts: "2019-08-14T01:12:07.979Z", durationMs: 3021, method: "POST", path: "/api/upload", status: 502, attempts: 2, connectMs: 3005, upstreamMs: 3017, bytesSent: 157, prov: { line: 2 } },
        },
      },
    },
    {
      name: "nginx-json.log",
      content:
        '{"proxy_protocol_addr": "","remote_user": "","remote_addr": "10.1.1.9","time_local": "30/Jun/2020:03:38:20 +0000","request" : "GET / HTTP/1.1","status": "200","body_bytes_sent": "7221","http_referer": "","http_user_agent": "Mozilla/5.0","http_x_forwarded_for": "","proxy_add_x_forwarded_for": "10.1.1.9","host": "host","server_name": "www2.example.com","request_length" : "548","request_time" : "0.001","proxy_host": "nginx_hello","upstream_addr": "10.1.1.6:80","upstream_response_length": "7221","upstream_response_time": "0.000","upstream_status": "200"}\n',
      expect: {
        records: 1, skipped: 0, kinds: { request: 1 },
        fields: {
          0: {
            ts: "2020-06-30T03:38:19.999Z", durationMs: 1, method: "GET", path: "/", status: 200, authority: "host", client: { ip: "10.1.1.9" },
            dest: { ip: "10.1.1.6", port: 80, cluster: "nginx_hello" }, upstreamMs: 0, bytesSent: 7221, bytesRecv: 548,
          },
        },
      },
    },
  ],
};
