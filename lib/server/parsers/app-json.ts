import type { Attrs, Severity } from "@/lib/schemas/records";
import { type AppLine, AppLogMachine, type HeadClass, type HeadLine, type LineTime, addExtraAttr, headLines, levelFromNumber, levelFromWord, normaliseSpanId, normaliseTraceId, sniffScore, timeFromValue } from "./app-log";
import { driveLines, flattenBatches } from "./line-machine";
import type { ParseContext, Parser } from "./types";
import type { UnwrappedLine } from "./wrappers";

/**
 * JSON application logs, one object per line (plain, or inside docker json-file / CRI wrappers):
 * the field names of the common libraries and shippers are read, first one present wins.
 *
 *   time      time, timestamp, ts, @timestamp, @t, Timestamp, datetime, asctime, date, timeMillis, instant
 *             (RFC 3339 / `2022-08-22 05:18:20,847` / epoch s, ms, µs or ns by magnitude)
 *   level     level, severity, lvl, loglevel, log.level, levelname, level_name, @l, SeverityText,
 *             severity_text, status (when it is a level word); numbers: pino/bunyan 10–60, syslog 0–7,
 *             SeverityNumber/severity_number (OpenTelemetry 1–24)
 *   message   msg, message, @m, @mt, body, Body, event (structlog), short_message (GELF), text, log
 *   logger    logger, logger_name, loggerName, log.logger, name (bunyan/pino/python), SourceContext, category, component
 *   trace     trace_id, traceId, traceID, TraceId, traceid, trace.id, dd.trace_id, otelTraceID, @tr,
 *             logging.googleapis.com/trace, and nested {dd:{trace_id}}, {trace:{id}}
 *   span      span_id, spanId, spanID, SpanId, spanid, span.id, dd.span_id, otelSpanID, @sp,
 *             logging.googleapis.com/spanId, and nested {dd:{span_id}}, {span:{id}}
 *   stack     stack_trace, stacktrace, stack, exception, exc_info, error.stack_trace, error.stack,
 *             err.stack, exception.stacktrace, and nested {err|error:{stack|stack_trace}}
 *   service   service, service.name, serviceName, service_name, dd.service, app, application, {service:{name}}
 *   pod       kubernetes.pod_name, k8s.pod.name, pod, pod_name, {kubernetes:{pod_name, namespace_name}}
 *
 * See docs/parsers/app-json.md.
 */

type Obj = Record<string, unknown>;

const TIME_KEYS = ["time", "timestamp", "ts", "@timestamp", "@t", "Timestamp", "datetime", "asctime", "date", "timeMillis", "instant", "t"];
const LEVEL_KEYS = ["level", "severity", "lvl", "loglevel", "log.level", "levelname", "level_name", "log_level", "@l", "SeverityText", "severity_text", "severityText", "status"];
const LEVEL_NUMBER_KEYS = ["SeverityNumber", "severity_number", "severityNumber"];
const MESSAGE_KEYS = ["msg", "message", "@m", "@mt", "body", "Body", "event", "short_message", "text", "log", "full_message"];
const LOGGER_KEYS = ["logger", "logger_name", "loggerName", "log.logger", "name", "SourceContext", "category", "component"];
const TRACE_KEYS = ["trace_id", "traceId", "traceID", "TraceId", "traceid", "trace.id", "dd.trace_id", "otelTraceID", "@tr", "logging.googleapis.com/trace"];
const SPAN_KEYS = ["span_id", "spanId", "spanID", "SpanId", "spanid", "span.id", "dd.span_id", "otelSpanID", "@sp", "logging.googleapis.com/spanId"];
const STACK_KEYS = ["stack_trace", "stacktrace", "stack", "exception", "exc_info", "error.stack_trace", "error.stack", "err.stack", "exception.stacktrace", "exc_text"];
const SERVICE_KEYS = ["service", "service.name", "serviceName", "service_name", "dd.service", "app", "application"];
const POD_KEYS = ["kubernetes.pod_name", "k8s.pod.name", "pod", "pod_name"];
const NAMESPACE_KEYS = ["kubernetes.namespace_name", "k8s.namespace.name", "namespace"];
const ERROR_KEYS = ["err", "error", "error.message", "exception.message"];

const CONSUMED = new Set([...TIME_KEYS, ...LEVEL_KEYS, ...LEVEL_NUMBER_KEYS, ...MESSAGE_KEYS, ...LOGGER_KEYS, ...TRACE_KEYS, ...SPAN_KEYS, ...STACK_KEYS, ...SERVICE_KEYS, ...POD_KEYS, ...NAMESPACE_KEYS, ...ERROR_KEYS, "v", "@version", "ecs.version", "hostname", "pid"]);

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** A field name and, for a dotted one, its nested path (`log.level` → `{"log":{"level":…}}`). */
interface Key {
  key: string;
  path: readonly string[] | null;
}
const keyCache = new Map<string, Key>();
function keyOf(key: string): Key {
  let k = keyCache.get(key);
  if (!k) {
    k = { key, path: key.includes(".") && !key.startsWith("logging.googleapis.com") ? key.split(".") : null };
    keyCache.set(key, k);
  }
  return k;
}

/** `a.b` read flat (`{"a.b":…}`) or nested (`{"a":{"b":…}}`). */
function get(o: Obj, key: string): unknown {
  const v = o[key];
  if (v !== undefined) return v;
  const path = keyOf(key).path;
  if (path === null) return undefined;
  let cur: unknown = o;
  for (const part of path) {
    if (!isObj(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

function first(o: Obj, keys: readonly string[], accept: (v: unknown) => boolean): { key: string; value: unknown } | null {
  for (const k of keys) {
    const v = get(o, k);
    if (v !== undefined && v !== null && accept(v)) return { key: k, value: v };
  }
  return null;
}

const isText = (v: unknown) => typeof v === "string";
const nonEmptyText = (v: unknown) => typeof v === "string" && v.trim() !== "";

function severityOf(o: Obj): { severity: Severity; raw: string } | null {
  for (const k of LEVEL_KEYS) {
    const v = get(o, k);
    if (typeof v === "string") {
      const s = levelFromWord(v.trim(), true);
      if (s) return { severity: s, raw: v.trim() };
    } else if (typeof v === "number" && k !== "status") {
      const s = levelFromNumber(v);
      if (s) return { severity: s, raw: String(v) };
    }
  }
  for (const k of LEVEL_NUMBER_KEYS) {
    const v = get(o, k);
    const n = typeof v === "number" ? v : typeof v === "string" && /^\d{1,2}$/.test(v) ? Number(v) : NaN;
    const s = levelFromNumber(n, "otel");
    if (s) return { severity: s, raw: String(v) };
  }
  return null;
}

function stackOf(o: Obj): string | undefined {
  const s = first(o, STACK_KEYS, nonEmptyText);
  if (s) return s.value as string;
  for (const k of ["err", "error", "exception"]) {
    const e = o[k];
    if (isObj(e)) {
      const st = e.stack ?? e.stack_trace ?? e.stacktrace;
      if (typeof st === "string" && st.trim() !== "") return st;
    }
  }
  return undefined;
}

function errorText(o: Obj): string | undefined {
  for (const k of ERROR_KEYS) {
    const v = get(o, k);
    if (typeof v === "string" && v.trim() !== "") return v;
    if (isObj(v) && typeof v.message === "string") return v.message;
  }
  return undefined;
}

/** The log fields of one JSON object (null when it has neither a level nor a message). */
export function readJsonLog(o: Obj): AppLine | null {
  const sev = severityOf(o);
  const msg = first(o, MESSAGE_KEYS, isText);
  if (!sev && !msg) return null;
  const err = errorText(o);
  const line: AppLine = { severity: sev?.severity ?? null, text: msg ? (msg.value as string) : (err ?? "") };
  // Serilog compact JSON (CLEF) omits @l for Information.
  if (!sev && ("@mt" in o || "@m" in o)) line.severity = "info";
  if (sev) line.level = sev.raw;
  const t = first(o, TIME_KEYS, (v) => timeFromValue(v) !== null);
  if (t) line.time = timeFromValue(t.value) as LineTime;
  const logger = first(o, LOGGER_KEYS, nonEmptyText);
  if (logger) line.logger = logger.value as string;
  const tr = first(o, TRACE_KEYS, (v) => normaliseTraceId(v) !== null);
  if (tr) line.traceId = normaliseTraceId(tr.value)!;
  const sp = first(o, SPAN_KEYS, (v) => normaliseSpanId(v) !== null);
  if (sp) line.spanId = normaliseSpanId(sp.value)!;
  const stack = stackOf(o);
  if (stack) line.stack = stack;
  const svc = first(o, SERVICE_KEYS, nonEmptyText) ?? (isObj(o.service) && typeof o.service.name === "string" ? { key: "service", value: o.service.name } : null);
  if (svc) line.service = svc.value as string;
  const pod = first(o, POD_KEYS, nonEmptyText);
  if (pod) line.pod = pod.value as string;
  const ns = first(o, NAMESPACE_KEYS, nonEmptyText);
  if (ns) line.namespace = ns.value as string;
  const attrs: Attrs = {};
  if (err && msg) addExtraAttr(attrs, "error", err);
  if (typeof o.hostname === "string") addExtraAttr(attrs, "hostname", o.hostname);
  for (const [k, v] of Object.entries(o)) {
    if (CONSUMED.has(k) || k.startsWith("logging.googleapis.com/")) continue;
    if (k === "dd" || k === "trace" || k === "span" || k === "kubernetes" || k === "k8s" || k === "log") continue;
    addExtraAttr(attrs, k, v);
  }
  if (Object.keys(attrs).length > 0) line.attrs = attrs;
  return line;
}

function parseObject(text: string): Obj | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return "invalid JSON";
  }
  return isObj(v) ? v : "JSON line is not an object";
}

function recognise(u: UnwrappedLine): AppLine | string | null {
  const t = u.text.trim();
  if (t.charCodeAt(0) !== 123) return null;
  const o = parseObject(t);
  if (typeof o === "string") return o;
  return readJsonLog(o) ?? "JSON line without log fields (level, message)";
}

// ---------------------------------------------------------------------------------------------- sniff

function classify(l: HeadLine): HeadClass {
  const t = l.text.trim();
  const c0 = t.charCodeAt(0);
  if (c0 === 32 || c0 === 9) return "continuation";
  if (c0 !== 123) return "none";
  const o = parseObject(t);
  if (typeof o === "string") return "none";
  const sev = severityOf(o);
  const msg = first(o, MESSAGE_KEYS, isText);
  const time = first(o, TIME_KEYS, (v) => timeFromValue(v) !== null);
  if ((sev && (msg || time)) || (msg && time)) return "strong";
  return sev || msg ? "weak" : "none";
}

function sniffJson(head: string, name: string): number {
  return sniffScore(headLines(head, 60), classify, name);
}

// ---------------------------------------------------------------------------------------------- parser

const LABEL = "JSON log";

function machine(ctx: ParseContext): AppLogMachine {
  return new AppLogMachine(ctx, { label: LABEL, recognise, notMine: "not a JSON log line", wrappedPlainLines: false });
}

// Nezha-style Online Boutique services behind docker json-file: Go logrus JSON, Node pino (severity
// renamed), Python json-logger; the trace context is in the message.
const DOCKER_MIXED = `{"log":"{\\"message\\":\\"TraceID: 54de0079cdcd169c7af8fb78ec5bc3dc SpanID: c23d802f686d1db0 Start PlaceOrder\\",\\"severity\\":\\"info\\",\\"timestamp\\":\\"2022-08-22T05:18:23.842388995Z\\"}\\n","stream":"stdout","time":"2022-08-22T05:18:23.842686441Z"}
{"log":"{\\"severity\\":\\"error\\",\\"pid\\":1,\\"hostname\\":\\"currencyservice-cf787dd48-vpjrd\\",\\"name\\":\\"currencyservice-server\\",\\"message\\":\\"conversion request failed\\",\\"v\\":1}\\n","stream":"stdout","time":"2022-08-22T05:18:24.000000000Z"}
{"log":"{\\"timestamp\\": \\"2022-08-22T05:18:24.336557Z\\", \\"severity\\": \\"WARNING\\", \\"name\\": \\"emailservice-server\\", \\"message\\": \\"template cache miss\\"}\\n","stream":"stderr","time":"2022-08-22T05:18:24.336803066Z"}
`;

const LIBRARIES = `{"level":"error","ts":1661145504.123,"caller":"checkout/main.go:212","msg":"failed to charge card","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","error":"rpc error: code = Unavailable"}
{"level":50,"time":1661145504456,"pid":41,"hostname":"payment-7d9f8c6b5-x2x4q","msg":"charge declined","err":{"type":"Error","message":"card declined","stack":"Error: card declined\\n    at charge (/app/charge.js:12:11)\\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)"}}
{"name":"cart","hostname":"cart-6b7f9d8c4-abcde","pid":7,"level":30,"msg":"cart loaded","time":"2022-08-22T05:18:24.500Z","v":0}
{"@timestamp":"2022-08-22T05:18:24.600+00:00","@version":"1","message":"order query slow","logger_name":"com.example.orders.OrderRepository","thread_name":"http-nio-8080-exec-4","level":"WARN","level_value":30000,"dd.trace_id":"1311069612853937410","dd.span_id":"9208312290124574423"}
{"timestamp":"2022-08-22T05:18:24.700Z","level":"INFO","message":"GET /health 200","logging.googleapis.com/trace":"projects/demo/traces/0af7651916cd43dd8448eb211c80319c","logging.googleapis.com/spanId":"b7ad6b7169203331"}
{"Timestamp":"2022-08-22T05:18:24.800000000Z","SeverityText":"Error","SeverityNumber":17,"Body":"db connection reset","TraceId":"5b8efff798038103d269b633813fc60c","SpanId":"eee19b7ec3c1b174"}
`;

const ECS_STACK = `{"@timestamp":"2022-08-22T05:18:25.000Z","log.level":"error","message":"request failed","ecs.version":"1.6.0","service.name":"orders","trace.id":"0af7651916cd43dd8448eb211c80319c","span.id":"b9c7c989f97918e1","error.type":"java.lang.NullPointerException","error.stack_trace":"java.lang.NullPointerException: order is null\\n\\tat com.example.orders.OrderService.place(OrderService.java:88)\\n\\tat com.example.orders.OrderController.post(OrderController.java:40)"}
not json at all
`;

export const appJsonParser: Parser = {
  id: "app-json",
  title: "Application log, JSON lines (zap, logrus, slog, pino, bunyan, logstash/ECS, structlog, OpenTelemetry)",
  emits: ["event"],
  sniff(head, name) {
    try {
      return sniffJson(head, name);
    } catch {
      return 0;
    }
  },
  parse: (input, ctx) => flattenBatches(driveLines(input, machine(ctx))),
  parseBatches: (input, ctx) => driveLines(input, machine(ctx)),
  samples: [
    {
      name: "ob-20220822-0518/pods/checkoutservice-578fcf4766-9csqn.log",
      content: DOCKER_MIXED,
      expect: {
        records: 3,
        skipped: 0,
        fields: { 0: { ts: Date.parse("2022-08-22T05:18:23.842Z") + 0.388995, severity: "info", text: "TraceID: 54de0079cdcd169c7af8fb78ec5bc3dc SpanID: c23d802f686d1db0 Start PlaceOrder", traceId: "54de0079cdcd169c7af8fb78ec5bc3dc", spanId: "c23d802f686d1db0", subject: { kind: "Pod", name: "checkoutservice-578fcf4766-9csqn", service: "checkoutservice" } }, 1: { ts: Date.parse("2022-08-22T05:18:24.000Z"), severity: "error", logger: "currencyservice-server", text: "conversion request failed", attrs: { timeFrom: "wrapper", hostname: "currencyservice-cf787dd48-vpjrd" } }, 2: { ts: Date.parse("2022-08-22T05:18:24.336Z") + 0.557, severity: "warning", logger: "emailservice-server", attrs: { stream: "stderr" } } },
      },
    },
    {
      name: "app.jsonl",
      content: LIBRARIES,
      expect: {
        records: 6,
        skipped: 0,
        fields: { 0: { ts: 1661145504123, severity: "error", text: "failed to charge card", traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", attrs: { caller: "checkout/main.go:212", error: "rpc error: code = Unavailable" } }, 1: { ts: 1661145504456, severity: "error", text: "charge declined", stack: /^Error: card declined\n {4}at charge/, attrs: { error: "card declined" } }, 2: { ts: Date.parse("2022-08-22T05:18:24.500Z"), severity: "info", logger: "cart", text: "cart loaded" }, 3: { ts: Date.parse("2022-08-22T05:18:24.600Z"), severity: "warning", logger: "com.example.orders.OrderRepository", traceId: "00000000000000001231daddd5f7c502", spanId: "7fca7f3d79bd2ed7" }, 4: { severity: "info", traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331" }, 5: { ts: Date.parse("2022-08-22T05:18:24.800Z"), severity: "error", text: "db connection reset", traceId: "5b8efff798038103d269b633813fc60c", spanId: "eee19b7ec3c1b174" } },
      },
    },
    {
      name: "pods/orders-7c9d8b6f5-k2j4m/orders.log",
      content: ECS_STACK,
      expect: {
        records: 1,
        skipped: 1,
        fields: { 0: { severity: "error", text: "request failed", traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b9c7c989f97918e1", subject: { service: "orders", name: "orders-7c9d8b6f5-k2j4m" }, stack: /^java\.lang\.NullPointerException: order is null\n\tat com\.example/ } },
      },
    },
  ],
};
