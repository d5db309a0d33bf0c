import type { Attrs, Severity } from "@/lib/schemas/records";
import { type AppLine, AppLogMachine, type HeadClass, type HeadLine, type LineTime, crashStart, headLines, levelFromWord, normaliseSpanId, normaliseTraceId, readTimestamp, sniffScore } from "./app-log";
import { driveLines, flattenBatches } from "./line-machine";
import type { ParseContext, Parser } from "./types";
import type { UnwrappedLine } from "./wrappers";

/**
 * Plain-text application logs: a line starts with a timestamp and carries a level near it, or
 * starts with the level, in the shapes the common logging libraries print by default:
 *
 *   2014-03-05 10:57:51.112  INFO 45469 --- [           main] o.a.c.c.StandardEngine   : Starting…   Spring Boot (logback)
 *   16:34:10.123 [main] ERROR com.example.Checkout - charge failed                             logback / log4j2 default
 *   2022-08-22 05:18:20,847 - checkout - ERROR - charge failed                                  Python logging %(asctime)s - %(name)s - …
 *   ERROR:checkout:charge failed                                                                Python basicConfig
 *   2022-08-22T05:18:20.847Z\tERROR\tcheckout/pay.go:42\tcharge failed\t{"order": 7}             Go zap console
 *   INFO[0003] charge failed   order=7                                                          Go logrus (terminal)
 *   [2022-08-22 05:18:20.847 +0000] ERROR (41 on checkout-7d9f): charge failed                  Node pino-pretty
 *   [2022-08-22T05:18:20.847Z]  INFO: checkout/41 on checkout-7d9f: charge failed               Node bunyan CLI
 *   [2022-08-22T05:18:20Z ERROR checkout::pay] charge failed                                    Rust env_logger
 *   2022/08/22 05:18:20 [error] 31#31: *7 connect() failed …                                    nginx error log
 *
 * Lines inside a container wrapper that have neither (a bare `println`) are records too, timed by
 * the wrapper. Stack traces after a line are kept with it (app-log.ts). See docs/parsers/app-text.md.
 */

const BUNYAN_ORIGIN = /^([\w.-]{1,100})\/\d{1,10} on [^\s:]{1,253}:/;
const LOGRUS = /^(INFO|WARN|ERRO|DEBU|TRAC|FATA|PANI)\[([^\]]{1,40})\] ?/;
const PY_BASIC = /^([A-Z]{4,8}):([^:\s]{0,200}):/;
const LEVEL_COLON = /^([A-Za-z]{3,11}):\s+/;
const DOTNET_CATEGORY = /^([\w.+`<>-]{1,256})\[(\d{1,10})\]\s*$/;
const TITLE_LEVELS = new Set(["Trace", "Debug", "Verbose", "Info", "Information", "Notice", "Warn", "Warning", "Error", "Fatal", "Critical"]);

/** A level token as printed: upper or lower case, Title case only in brackets (`[Warning]`); `<ERROR>`, `ERROR:` ok. */
function levelToken(tok: string, bracketed: boolean): { severity: Severity; raw: string } | null {
  let w = tok;
  if (w.endsWith(":") || w.endsWith(",")) w = w.slice(0, -1);
  if (w.length < 3 || w.length > 13 || !/^[A-Za-z]+$/.test(w)) return null;
  const upper = w === w.toUpperCase();
  const lower = w === w.toLowerCase();
  if (!upper && !lower && !(bracketed && TITLE_LEVELS.has(w))) return null;
  const severity = levelFromWord(w);
  return severity ? { severity, raw: w } : null;
}

function skipWs(s: string, i: number): number {
  while (i < s.length && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
  return i;
}
function wordEnd(s: string, i: number): number {
  while (i < s.length && s.charCodeAt(i) !== 32 && s.charCodeAt(i) !== 9) i++;
  return i;
}

interface FoundLevel {
  severity: Severity;
  raw: string;
  end: number;
  /** A plain word before the level (Python's logger name). */
  word?: string;
  thread?: string;
}

/**
 * The level among the first tokens after `i`: bracket groups (thread, pid), separators (`-`, `|`,
 * `---`), numbers and at most one plain word may come before it. Bounded to 160 characters.
 */
function findLevel(s: string, i: number): FoundLevel | null {
  let j = i;
  let word: string | undefined;
  let thread: string | undefined;
  const limit = Math.min(s.length, i + 160);
  for (let k = 0; k < 6; k++) {
    j = skipWs(s, j);
    if (j >= limit) return null;
    const c = s.charCodeAt(j);
    if (c === 91 /* [ */ || c === 60 /* < */) {
      const close = s.indexOf(c === 91 ? "]" : ">", j + 1);
      if (close === -1 || close - j > 120) return null;
      const inner = s.slice(j + 1, close).trim();
      const lv = levelToken(inner, true);
      if (lv) return { ...lv, end: close + 1, ...(word ? { word } : {}), ...(thread ? { thread } : {}) };
      if (inner !== "" && thread === undefined && !/^\d+$/.test(inner)) thread = inner;
      j = close + 1;
      continue;
    }
    if (c === 40 /* ( */) {
      const close = s.indexOf(")", j + 1);
      if (close === -1 || close - j > 120) return null;
      j = close + 1;
      continue;
    }
    const e = wordEnd(s, j);
    const tok = s.slice(j, e);
    const lv = levelToken(tok, false);
    if (lv) return { ...lv, end: e, ...(word ? { word } : {}), ...(thread ? { thread } : {}) };
    if (/^(?:-{1,3}|\||:|\d{1,10}(?:#\d{1,10})?:?)$/.test(tok)) {
      j = e;
      continue;
    }
    if (word === undefined && /^[\w.$/@-]{1,120}$/.test(tok)) {
      word = tok;
      j = e;
      continue;
    }
    return null;
  }
  return null;
}

/**
 * After the level: skips the pid, `---`, `[thread]`, `(pid on host)` groups and one logger name that
 * a separator (` - `, ` : `, `: `, ` | `) follows; returns where the message starts.
 */
function splitAfterLevel(s: string, i: number): { logger?: string; thread?: string; msgStart: number } {
  let j = i;
  let logger: string | undefined;
  let thread: string | undefined;
  for (let k = 0; k < 8; k++) {
    j = skipWs(s, j);
    if (j >= s.length) return { ...(logger ? { logger } : {}), ...(thread ? { thread } : {}), msgStart: j };
    const c = s.charCodeAt(j);
    if (c === 91 /* [ */) {
      const close = s.indexOf("]", j + 1);
      if (close === -1 || close - j > 120) break;
      const inner = s.slice(j + 1, close).trim();
      if (thread === undefined && inner !== "") thread = inner;
      j = close + 1;
      continue;
    }
    if (c === 40 /* ( */) {
      const close = s.indexOf(")", j + 1);
      if (close === -1 || close - j > 120) break;
      j = close + 1;
      if (s.charCodeAt(j) === 58 /* : */) return { ...(logger ? { logger } : {}), ...(thread ? { thread } : {}), msgStart: skipWs(s, j + 1) };
      continue;
    }
    const e = wordEnd(s, j);
    const tok = s.slice(j, e);
    if (tok === "-" || tok === ":" || tok === "|") return { ...(logger ? { logger } : {}), ...(thread ? { thread } : {}), msgStart: skipWs(s, e) };
    if (tok === "---") {
      j = e;
      continue;
    }
    if (/^\d{1,10}(?:#\d{1,10})?:?$/.test(tok)) {
      j = e;
      if (tok.endsWith(":")) return { ...(logger ? { logger } : {}), ...(thread ? { thread } : {}), msgStart: skipWs(s, e) };
      continue;
    }
    if (logger === undefined && k === 0) {
      // bunyan CLI: `INFO: <name>/<pid> on <host>: msg`
      const b = BUNYAN_ORIGIN.exec(s.slice(j, j + 400));
      if (b) return { logger: b[1]!, ...(thread ? { thread } : {}), msgStart: skipWs(s, j + b[0].length) };
    }
    if (logger === undefined && tok === "in" && k === 0) {
      j = e; // Flask: `ERROR in app: …`
      continue;
    }
    if (logger === undefined && /^[A-Za-z_$<][\w$.:/<>@\-[\]]{0,200}$/.test(tok)) {
      if (tok.endsWith(":") && tok.length > 1) return { logger: tok.slice(0, -1), ...(thread ? { thread } : {}), msgStart: skipWs(s, e) };
      const n = skipWs(s, e);
      const nc = s.charCodeAt(n);
      if ((nc === 45 || nc === 58 || nc === 124) && (n + 1 >= s.length || s.charCodeAt(n + 1) === 32)) {
        logger = tok;
        j = n;
        continue;
      }
      if (nc === 91 /* [ */ && k === 0) {
        logger = tok;
        j = n;
        continue;
      }
    }
    break;
  }
  return { ...(logger ? { logger } : {}), ...(thread ? { thread } : {}), msgStart: j };
}

/** zap console: `<ts>\t<LEVEL>\t[logger\t][caller\t]<msg>[\t{fields}]`. */
function zapFields(s: string, i: number): { logger?: string; caller?: string; msg: string; fields?: Record<string, unknown> } {
  const parts = s.slice(i).split("\t", 64);
  let fields: Record<string, unknown> | undefined;
  const last = parts[parts.length - 1];
  if (parts.length > 1 && last !== undefined && last.startsWith("{") && last.endsWith("}")) {
    try {
      const o = JSON.parse(last) as unknown;
      if (o !== null && typeof o === "object" && !Array.isArray(o)) {
        fields = o as Record<string, unknown>;
        parts.pop();
      }
    } catch {
      /* keep it in the message */
    }
  }
  const isCaller = (p: string) => /^[\w.\-/]+\.\w+:\d+$/.test(p);
  let logger: string | undefined;
  let caller: string | undefined;
  if (parts.length >= 3) {
    if (isCaller(parts[0]!)) caller = parts.shift();
    else {
      logger = parts.shift();
      if (parts.length >= 2 && isCaller(parts[0]!)) caller = parts.shift();
    }
  } else if (parts.length === 2) {
    if (isCaller(parts[0]!)) caller = parts.shift();
    else logger = parts.shift();
  }
  return { ...(logger ? { logger } : {}), ...(caller ? { caller } : {}), msg: parts.join("\t"), ...(fields ? { fields } : {}) };
}

function fieldsToLine(line: AppLine, fields: Record<string, unknown>): void {
  const attrs: Attrs = line.attrs ?? (line.attrs = {});
  let n = 0;
  for (const [k, v] of Object.entries(fields)) {
    if (n++ >= 24) break;
    const lk = k.toLowerCase();
    if (lk === "trace_id" || lk === "traceid" || lk === "trace.id" || lk === "dd.trace_id") {
      const id = normaliseTraceId(v);
      if (id) {
        line.traceId = id;
        continue;
      }
    }
    if (lk === "span_id" || lk === "spanid" || lk === "span.id" || lk === "dd.span_id") {
      const id = normaliseSpanId(v);
      if (id) {
        line.spanId = id;
        continue;
      }
    }
    if (lk === "stacktrace" && typeof v === "string") {
      line.stack = v;
      continue;
    }
    if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") attrs[k] = typeof v === "string" && v.length > 512 ? `${v.slice(0, 512)}…` : typeof v === "number" && !Number.isFinite(v) ? String(v) : v;
    else attrs[k] = JSON.stringify(v).slice(0, 512);
  }
}

/** The rest of a line after its level: logger, thread and message. */
function finish(s: string, lvEnd: number, base: { time?: LineTime; severity: Severity; level: string; word?: string; thread?: string }): AppLine {
  const line: AppLine = { severity: base.severity, level: base.level, text: "" };
  if (base.time) line.time = base.time;
  if (s.charCodeAt(lvEnd) === 9 /* \t */) {
    const z = zapFields(s, lvEnd + 1);
    line.text = z.msg;
    if (z.logger) line.logger = z.logger;
    if (z.caller) line.attrs = { caller: z.caller };
    if (z.fields) fieldsToLine(line, z.fields);
    return line;
  }
  const sp = splitAfterLevel(s, lvEnd);
  line.text = s.slice(sp.msgStart).trimEnd();
  const logger = sp.logger ?? base.word;
  if (logger) line.logger = logger;
  const thread = base.thread ?? sp.thread;
  if (thread) line.attrs = { thread: thread.length > 128 ? thread.slice(0, 128) : thread };
  return line;
}

/** A record-starting text line, or null. */
export function recogniseTextLine(s: string): AppLine | null {
  const c0 = s.charCodeAt(0);
  if (c0 === 32 || c0 === 9 || c0 === 123 /* { */) return null;
  if (crashStart(s)) return null; // `panic: …` is a crash with its stack (app-log.ts), not a `level: msg` line
  const bracket = c0 === 91;
  const start = bracket ? 1 : 0;
  const ts = readTimestamp(s, start);
  if (ts) {
    let i = ts.end;
    if (bracket) {
      if (s.charCodeAt(i) === 93 /* ] */) i++;
      else {
        // Rust env_logger: `[<ts> LEVEL target] msg`
        const lv = findLevel(s, i);
        const close = s.indexOf("]", i);
        if (!lv || close === -1 || lv.end > close) return null;
        const target = s.slice(lv.end, close).trim();
        const line: AppLine = { time: ts.time, severity: lv.severity, level: lv.raw, text: s.slice(skipWs(s, close + 1)).trimEnd() };
        if (target) line.logger = target;
        return line;
      }
    }
    const lv = findLevel(s, i);
    if (lv) return finish(s, lv.end, { time: ts.time, severity: lv.severity, level: lv.raw, ...(lv.word ? { word: lv.word } : {}), ...(lv.thread ? { thread: lv.thread } : {}) });
    // A time without a level (Go's log package, a bare println with a time): an info-less record.
    return { time: ts.time, severity: null, text: s.slice(skipWs(s, i)).trimEnd() };
  }
  let m = LOGRUS.exec(s);
  if (m) {
    const t = readTimestamp(m[2]!, 0);
    const line: AppLine = { severity: levelFromWord(m[1]!)!, level: m[1]!, text: s.slice(m[0].length).trimEnd() };
    if (t && t.end === m[2]!.length && (t.time.kind === "instant" || t.time.date !== null)) line.time = t.time;
    else line.attrs = { uptime: m[2]! };
    return line;
  }
  if (bracket) {
    // `[ERROR] msg`, `[ERROR] 2022-… msg`
    const close = s.indexOf("]");
    if (close > 1 && close < 16) {
      const lv = levelToken(s.slice(1, close).trim(), true);
      if (lv) {
        const after = skipWs(s, close + 1);
        const t = readTimestamp(s, after);
        return finish(s, t ? t.end : close + 1, { ...(t ? { time: t.time } : {}), severity: lv.severity, level: lv.raw });
      }
    }
    return null;
  }
  if ((m = PY_BASIC.exec(s))) {
    const lv = levelToken(m[1]!, false);
    if (lv) {
      const line: AppLine = { severity: lv.severity, level: lv.raw, text: s.slice(m[0].length).trimEnd() };
      if (m[2]) line.logger = m[2];
      return line;
    }
  }
  if ((m = LEVEL_COLON.exec(s))) {
    const lv = levelToken(m[1]!, false);
    if (lv) {
      const rest = s.slice(m[0].length).trimEnd();
      const dn = DOTNET_CATEGORY.exec(rest);
      if (dn) return { severity: lv.severity, level: lv.raw, text: "", logger: dn[1]!, attrs: { eventId: Number(dn[2]) }, messageOnNextLine: true };
      return { severity: lv.severity, level: lv.raw, text: rest };
    }
  }
  // `ERROR 2022-08-22 05:18:20,847 [main] c.e.Checkout - …` (log4j `%-5p %d …`) and `ERROR c.e.Checkout - …`
  const e = wordEnd(s, 0);
  const lv = e < s.length ? levelToken(s.slice(0, e), false) : null;
  if (lv && lv.raw === lv.raw.toUpperCase()) {
    const after = skipWs(s, e);
    const t = readTimestamp(s, after);
    if (t) return finish(s, t.end, { time: t.time, severity: lv.severity, level: lv.raw });
    const sp = splitAfterLevel(s, e);
    if (sp.logger || sp.thread) return finish(s, e, { severity: lv.severity, level: lv.raw });
  }
  return null;
}

// ---------------------------------------------------------------------------------------------- sniff

/** Lines that are some other structured shape (JSON, logfmt): not plain text for this parser. */
function looksStructured(t: string): boolean {
  if (t.charCodeAt(0) === 123) return true;
  return /^[A-Za-z_@][\w.@-]{0,63}=\S/.test(t) && /\s[A-Za-z_@][\w.@-]{0,63}=/.test(t.slice(0, 400));
}

function classify(l: HeadLine): HeadClass {
  const t = l.text.length > 2000 ? l.text.slice(0, 2000) : l.text;
  const c0 = t.charCodeAt(0);
  if (c0 === 32 || c0 === 9) return "continuation";
  if (/^(?:Caused by: |Traceback \(most recent call last\):|goroutine \d+ \[|\.\.\. \d+ more|(?:[a-zA-Z_$][\w$]*\.)+[A-Za-z_$][\w$]*(?:Exception|Error)(?::|$))/.test(t)) return "continuation";
  if (looksStructured(t)) return "none";
  const r = recogniseTextLine(t);
  if (r && r.severity !== null) return "strong";
  if (r || crashStart(t)) return "weak";
  return l.wrapped ? "weak" : "none";
}

function sniffText(head: string, name: string): number {
  return sniffScore(headLines(head, 60), classify, name);
}

// ---------------------------------------------------------------------------------------------- parser

const LABEL = "application log";

function machine(ctx: ParseContext): AppLogMachine {
  return new AppLogMachine(ctx, {
    label: LABEL,
    recognise: (u: UnwrappedLine) => (looksStructured(u.text) && (u.wrappers?.length ?? 0) > 0 ? null : recogniseTextLine(u.text)),
    notMine: "not an application log line (no timestamp or level in a known shape)",
    wrappedPlainLines: true,
  });
}

const SPRING = `2022-08-22 05:18:20.112  INFO 1 --- [           main] o.s.b.w.embedded.tomcat.TomcatWebServer  : Tomcat started on port(s): 8080 (http) with context path ''
2022-08-22 05:18:24.301 ERROR 1 --- [nio-8080-exec-3] o.a.c.c.C.[.[.[/].[dispatcherServlet]    : Servlet.service() for servlet [dispatcherServlet] threw exception [Request processing failed] with root cause
java.lang.IllegalStateException: inventory service unavailable
	at com.example.shop.InventoryClient.reserve(InventoryClient.java:57)
	at com.example.shop.CheckoutController.checkout(CheckoutController.java:31)
	... 48 common frames omitted
Caused by: java.net.ConnectException: Connection refused
	at java.base/sun.nio.ch.Net.pollConnect(Native Method)
	... 52 more
2022-08-22 05:18:24.305  WARN 1 --- [nio-8080-exec-3] c.e.shop.CheckoutController              : retrying checkout [traceId=4bf92f3577b34da6a3ce929d0e0e4736 spanId=00f067aa0ba902b7]
`;

const LOGBACK_DOCKER = `{"log":"05:18:20.847 INFO  - TraceID: c96151c7def6c87ff7d693ee5cef4b47 SpanID: f78b0c6da96a979c Received ad request (context_words=[gardening])\\n","stream":"stdout","time":"2022-08-22T05:18:20.847757258Z"}
{"log":"05:18:21.002 ERROR - TraceID: 9fe026f6d041bfe0f7e9eb24c8ed5545 SpanID: f424eeef31437fbc Get Ads by Category failed\\n","stream":"stdout","time":"2022-08-22T05:18:21.002391274Z"}
{"log":"GetCartAsync called with userId=fbd160cc\\n","stream":"stdout","time":"2022-08-22T05:18:21.511000000Z"}
`;

const PYTHON = `2022-08-22 05:18:20,847 - recommendationservice - INFO - ListRecommendations product_ids=['9SIQT8TOJO']
2022-08-22 05:18:21,003 - recommendationservice - ERROR - ListRecommendations failed
Traceback (most recent call last):
  File "/app/recommendation_server.py", line 74, in ListRecommendations
    cat_response = product_catalog_stub.ListProducts(demo_pb2.Empty())
grpc.RpcError: <_InactiveRpcError of RPC that terminated with: status = StatusCode.UNAVAILABLE>
WARNING:root:falling back to cached recommendations
`;

const GO_CONSOLE = `2022-08-22T05:18:20.123Z\tINFO\tshipping/quote.go:41\treceived request\t{"trace_id": "2bbb4d7b7d41b8652c4c5b23a10cd5f7", "span_id": "ec9efc5b00b2d37a"}
2022-08-22T05:18:20.981Z\tERROR\tshipping/quote.go:57\tquote failed\t{"error": "context deadline exceeded"}
INFO[0003] cache warmed   entries=412
panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a1f2c]

goroutine 1 [running]:
main.(*Quoter).Quote(0x0, 0xc000012345)
	/src/shipping/quote.go:60 +0x2c
main.main()
	/src/shipping/main.go:22 +0x85
exit status 2
`;

const NODE_PRETTY = `[2022-08-22 05:18:20.847 +0000] INFO (41 on paymentservice-9cdb6588f-554sm): charge request received
[2022-08-22T05:18:21.120Z]  WARN: paymentservice/41 on paymentservice-9cdb6588f-554sm: card number rejected by validator
[2022-08-22T05:18:21.300Z ERROR payment::charge] transaction failed: insufficient funds
`;

export const appTextParser: Parser = {
  id: "app-text",
  title: "Application log, plain text (logback/log4j, Spring Boot, Python logging, zap/logrus console, pino/bunyan pretty)",
  emits: ["event"],
  sniff(head, name) {
    try {
      return sniffText(head, name);
    } catch {
      return 0;
    }
  },
  parse: (input, ctx) => flattenBatches(driveLines(input, machine(ctx))),
  parseBatches: (input, ctx) => driveLines(input, machine(ctx)),
  samples: [
    {
      name: "pods/checkout-5d8f7c9b6-q2x7z.log",
      content: SPRING,
      expect: {
        records: 3,
        skipped: 0,
        fields: { 0: { ts: Date.parse("2022-08-22T05:18:20.112Z"), severity: "info", logger: "o.s.b.w.embedded.tomcat.TomcatWebServer", text: "Tomcat started on port(s): 8080 (http) with context path ''", subject: { name: "checkout-5d8f7c9b6-q2x7z", service: "checkout" } }, 1: { ts: Date.parse("2022-08-22T05:18:24.301Z"), severity: "error", prov: { line: 2, endLine: 9 }, stack: /^java\.lang\.IllegalStateException: inventory service unavailable\n\tat com\.example[\s\S]*\.\.\. 52 more$/ }, 2: { severity: "warning", logger: "c.e.shop.CheckoutController", traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7" } },
      },
    },
    {
      name: "ob-20220822-0518/pods/adservice-5f6585d649-fnmft.log",
      content: LOGBACK_DOCKER,
      expect: {
        records: 3,
        skipped: 0,
        fields: { 0: { ts: Date.parse("2022-08-22T05:18:20.847Z"), severity: "info", text: "TraceID: c96151c7def6c87ff7d693ee5cef4b47 SpanID: f78b0c6da96a979c Received ad request (context_words=[gardening])", traceId: "c96151c7def6c87ff7d693ee5cef4b47", spanId: "f78b0c6da96a979c", subject: { kind: "Pod", name: "adservice-5f6585d649-fnmft", service: "adservice" } }, 1: { ts: Date.parse("2022-08-22T05:18:21.002Z"), severity: "error", traceId: "9fe026f6d041bfe0f7e9eb24c8ed5545" }, 2: { ts: Date.parse("2022-08-22T05:18:21.511Z"), severity: "info", text: "GetCartAsync called with userId=fbd160cc", attrs: { timeFrom: "wrapper", stream: "stdout" } } },
      },
    },
    {
      name: "logs/recommendationservice.log",
      content: PYTHON,
      expect: {
        records: 3,
        skipped: 0,
        fields: { 0: { ts: Date.parse("2022-08-22T05:18:20.847Z"), severity: "info", logger: "recommendationservice", text: "ListRecommendations product_ids=['9SIQT8TOJO']" }, 1: { severity: "error", text: "ListRecommendations failed", prov: { line: 2, endLine: 6 }, stack: /^Traceback \(most recent call last\):[\s\S]*\ngrpc\.RpcError: <_InactiveRpcError/ }, 2: { ts: null, severity: "warning", logger: "root", text: "falling back to cached recommendations" } },
      },
    },
    {
      name: "shippingservice.log",
      content: GO_CONSOLE,
      expect: {
        records: 4,
        skipped: 0,
        fields: { 0: { ts: Date.parse("2022-08-22T05:18:20.123Z"), severity: "info", text: "received request", traceId: "2bbb4d7b7d41b8652c4c5b23a10cd5f7", spanId: "ec9efc5b00b2d37a", attrs: { caller: "shipping/quote.go:41" } }, 1: { severity: "error", text: "quote failed", attrs: { error: "context deadline exceeded" } }, 2: { ts: null, severity: "info", text: "cache warmed   entries=412", attrs: { uptime: "0003" } }, 3: { severity: "critical", text: "panic: runtime error: invalid memory address or nil pointer dereference", prov: { line: 4, endLine: 12 } } },
      },
    },
    {
      name: "paymentservice.log",
      content: NODE_PRETTY,
      expect: {
        records: 3,
        skipped: 0,
        fields: { 0: { ts: Date.parse("2022-08-22T05:18:20.847Z"), severity: "info", text: "charge request received" }, 1: { ts: Date.parse("2022-08-22T05:18:21.120Z"), severity: "warning", logger: "paymentservice", text: "card number rejected by validator" }, 2: { ts: Date.parse("2022-08-22T05:18:21.300Z"), severity: "error", logger: "payment::charge", text: "transaction failed: insufficient funds" } },
      },
    },
  ],
};

