import type { Attrs, Severity } from "@/lib/schemas/records";
import { type AppLine, AppLogMachine, type HeadClass, type HeadLine, addExtraAttr, headLines, levelFromWord, normaliseSpanId, normaliseTraceId, sniffScore, timeFromValue } from "./app-log";
import { KvScanner } from "./kv";
import { driveLines, flattenBatches } from "./line-machine";
import type { ParseContext, Parser } from "./types";
import { parseRfc3339, type UnwrappedLine } from "./wrappers";

/**
 * logfmt application logs: `key=value` pairs, values quoted when they hold spaces.
 *
 *   time="2022-08-22T05:18:20Z" level=error msg="charge failed" order=7           logrus text (no terminal)
 *   level=warn ts=2022-08-22T05:18:20.123Z caller=main.go:42 msg="slow query"     go-kit / Prometheus / Loki
 *   time=2022-08-22T05:18:20.123Z level=ERROR msg="charge failed" trace_id=…      Go log/slog TextHandler
 *   at=error method=GET path=/ code=H12 desc="Request timeout"                    Heroku router
 *
 * A line is logfmt when it starts with a pair, has two or more and a level or message key; an
 * RFC 3339 timestamp before the pairs (a shipper's prefix) is read as the time. See docs/parsers/app-logfmt.md.
 */

const TIME_KEYS = new Set(["time", "ts", "t", "timestamp", "@timestamp", "date", "datetime"]);
const LEVEL_KEYS = new Set(["level", "lvl", "severity", "loglevel", "log.level", "at"]);
const MESSAGE_KEYS = new Set(["msg", "message", "m", "desc", "event"]);
const LOGGER_KEYS = new Set(["logger", "component", "module", "source", "name", "logger_name"]);
const TRACE_KEYS = new Set(["trace_id", "traceid", "traceID", "traceId", "trace.id", "dd.trace_id", "otel.trace_id", "otelTraceID"]);
const SPAN_KEYS = new Set(["span_id", "spanid", "spanID", "spanId", "span.id", "dd.span_id", "otel.span_id", "otelSpanID"]);
const STACK_KEYS = new Set(["stack", "stacktrace", "stack_trace", "exception"]);
const SERVICE_KEYS = new Set(["service", "service.name", "app", "dd.service"]);

/** A pair token at `i`: `key=` with a key of letters, digits, `_ . - @ /`. */
const PAIR_START = /^[A-Za-z_@][\w.@/-]{0,63}=/;

interface Pairs {
  pairs: [string, string][];
  prefixTime?: string;
}

/** The pairs of a logfmt line (null when it does not start with a pair, after an optional RFC 3339 prefix). */
function readPairs(t: string, kv: KvScanner): Pairs | null {
  let start = 0;
  let prefixTime: string | undefined;
  const c0 = t.charCodeAt(0);
  if (c0 >= 48 && c0 <= 57) {
    const sp = t.indexOf(" ");
    if (sp < 20 || sp > 40 || parseRfc3339(t, 0, sp) === null) return null;
    prefixTime = t.slice(0, sp);
    start = sp + 1;
  }
  if (!PAIR_START.test(t.length - start > 70 ? t.slice(start, start + 70) : t.slice(start))) return null;
  kv.reset(t, start);
  const pairs: [string, string][] = [];
  while (kv.next() && pairs.length < 256) pairs.push([kv.key, kv.value]);
  return { pairs, ...(prefixTime ? { prefixTime } : {}) };
}

function toLine(p: Pairs): AppLine | null {
  let severity: Severity | null = null;
  let level: string | undefined;
  let msg: string | undefined;
  let time = p.prefixTime !== undefined ? timeFromValue(p.prefixTime) : null;
  const line: AppLine = { severity: null, text: "" };
  const attrs: Attrs = {};
  let err: string | undefined;
  for (const [k, v] of p.pairs) {
    if (severity === null && LEVEL_KEYS.has(k)) {
      const s = levelFromWord(v, k !== "at");
      if (s) {
        severity = s;
        level = v;
        continue;
      }
    }
    if (msg === undefined && MESSAGE_KEYS.has(k)) {
      msg = v;
      continue;
    }
    if (time === null && TIME_KEYS.has(k)) {
      const t = timeFromValue(v);
      if (t) {
        time = t;
        continue;
      }
    }
    if (!line.traceId && TRACE_KEYS.has(k)) {
      const id = normaliseTraceId(v);
      if (id) {
        line.traceId = id;
        continue;
      }
    }
    if (!line.spanId && SPAN_KEYS.has(k)) {
      const id = normaliseSpanId(v);
      if (id) {
        line.spanId = id;
        continue;
      }
    }
    if (!line.logger && LOGGER_KEYS.has(k) && v !== "") {
      line.logger = v;
      continue;
    }
    if (!line.stack && STACK_KEYS.has(k) && v.includes("\n")) {
      line.stack = v;
      continue;
    }
    if (!line.service && SERVICE_KEYS.has(k) && v !== "") {
      line.service = v;
      continue;
    }
    if (err === undefined && (k === "err" || k === "error")) err = v;
    addExtraAttr(attrs, k, v);
  }
  if (severity === null && msg === undefined) return null;
  line.severity = severity;
  if (level !== undefined) line.level = level;
  line.text = msg ?? err ?? "";
  if (time) line.time = time;
  if (Object.keys(attrs).length > 0) line.attrs = attrs;
  return line;
}

// ---------------------------------------------------------------------------------------------- sniff

function classifyWith(kv: KvScanner) {
  return (l: HeadLine): HeadClass => {
    const t = l.text;
    const c0 = t.charCodeAt(0);
    if (c0 === 32 || c0 === 9) return "continuation";
    if (t.startsWith("remote_addr=")) return "none"; // nginx main_ext
    const p = readPairs(t.length > 4000 ? t.slice(0, 4000) : t, kv);
    if (!p || p.pairs.length < 2) return "none";
    const keys = new Set(p.pairs.map(([k]) => k));
    const hasLevel = [...LEVEL_KEYS].some((k) => keys.has(k) && k !== "at");
    const hasMsg = [...MESSAGE_KEYS].some((k) => keys.has(k));
    const hasTime = p.prefixTime !== undefined || [...TIME_KEYS].some((k) => keys.has(k));
    if (p.pairs.length >= 3 && ((hasLevel && (hasMsg || hasTime)) || (hasMsg && hasTime))) return "strong";
    return hasLevel || hasMsg || keys.has("at") ? "weak" : "none";
  };
}

function sniffLogfmt(head: string, name: string): number {
  return sniffScore(headLines(head, 60), classifyWith(new KvScanner()), name);
}

// ---------------------------------------------------------------------------------------------- parser

const LABEL = "logfmt log";

function machine(ctx: ParseContext): AppLogMachine {
  const kv = new KvScanner();
  return new AppLogMachine(ctx, {
    label: LABEL,
    recognise(u: UnwrappedLine) {
      const p = readPairs(u.text, kv);
      if (!p) return null;
      if (p.pairs.length < 2) return "logfmt line with fewer than two key=value pairs";
      return toLine(p) ?? "logfmt line without a level or message key";
    },
    notMine: "not a logfmt line (key=value pairs with a level or message)",
    wrappedPlainLines: false,
  });
}

const LOGRUS = `time="2022-08-22T05:18:20Z" level=info msg="Started observing beach" animal=walrus number=8
time="2022-08-22T05:18:21Z" level=warning msg="The group's number increased tremendously!" number=122 omg=true
time="2022-08-22T05:18:22Z" level=error msg="charge failed" err="rpc error: code = Unavailable desc = connection refused" trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7
`;

const GOKIT_CRI = `2022-08-22T05:18:20.500000000Z stderr F level=info ts=2022-08-22T05:18:20.123Z caller=main.go:512 component=web msg="Start listening for connections" address=0.0.0.0:9090
2022-08-22T05:18:21.500000000Z stderr F level=error ts=2022-08-22T05:18:21.456Z caller=scrape.go:1311 component="scrape manager" msg="Scrape failed" err="context deadline exceeded"
2022-08-22T05:18:22.500000000Z stdout F time=2022-08-22T05:18:22.789+02:00 level=WARN msg="slow downstream" service.name=checkout trace_id=0af7651916cd43dd8448eb211c80319c
`;

export const appLogfmtParser: Parser = {
  id: "app-logfmt",
  title: "Application log, logfmt (logrus text, go-kit, slog TextHandler, Prometheus/Loki/Grafana)",
  emits: ["event"],
  sniff(head, name) {
    try {
      return sniffLogfmt(head, name);
    } catch {
      return 0;
    }
  },
  parse: (input, ctx) => flattenBatches(driveLines(input, machine(ctx))),
  parseBatches: (input, ctx) => driveLines(input, machine(ctx)),
  samples: [
    {
      name: "beach.log",
      content: LOGRUS,
      expect: {
        records: 3,
        skipped: 0,
        fields: { 0: { ts: Date.parse("2022-08-22T05:18:20Z"), severity: "info", text: "Started observing beach", attrs: { level: "info", animal: "walrus", number: "8" } }, 1: { severity: "warning", text: "The group's number increased tremendously!" }, 2: { ts: Date.parse("2022-08-22T05:18:22Z"), severity: "error", text: "charge failed", traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", attrs: { err: "rpc error: code = Unavailable desc = connection refused" } } },
      },
    },
    {
      name: "var/log/pods/monitoring_prometheus-k8s-0_5f0c6b2e-1a2b-4c3d-9e8f-0a1b2c3d4e5f/prometheus/0.log",
      content: GOKIT_CRI,
      expect: {
        records: 3,
        skipped: 0,
        fields: { 0: { ts: Date.parse("2022-08-22T05:18:20.123Z"), severity: "info", logger: "web", text: "Start listening for connections", subject: { kind: "Pod", name: "prometheus-k8s-0", namespace: "monitoring", service: "prometheus-k8s" }, attrs: { container: "prometheus", stream: "stderr", caller: "main.go:512" } }, 1: { ts: Date.parse("2022-08-22T05:18:21.456Z"), severity: "error", logger: "scrape manager", text: "Scrape failed" }, 2: { ts: Date.parse("2022-08-22T03:18:22.789Z"), severity: "warning", text: "slow downstream", traceId: "0af7651916cd43dd8448eb211c80319c", subject: { service: "checkout" } } },
      },
    },
  ],
};
