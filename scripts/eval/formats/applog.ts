import { iso } from "./time";

/**
 * Application log writers: the shapes services print to stdout (what lib/server/parsers/app-json.ts,
 * app-logfmt.ts and app-text.ts read, their samples show each): JSON from logstash-logback-encoder,
 * zap, pino and python-json-logger; logfmt (logrus / go-kit); Spring Boot's logback pattern with
 * the ids from the MDC at the end, or Spring Boot 2 + Sleuth's `[app,traceId,spanId]` after the level;
 * Python logging's basic format (no ids) and the OpenTelemetry logging instrumentation's default.
 * Multi-line stack traces stay multi-line in the text formats and go into a field in the JSON ones.
 */

export type AppFormat = "json-logstash" | "json-zap" | "json-pino" | "json-python" | "logfmt" | "logback" | "logback-sleuth" | "python" | "python-otel";
export type AppLevel = "DEBUG" | "INFO" | "WARN" | "ERROR";

export interface AppRecord {
  ts: number;
  level: AppLevel;
  /** Logger / class / module that wrote it. */
  logger: string;
  msg: string;
  service: string;
  pod: string;
  traceId?: string;
  spanId?: string;
  /** Exception text: first line the exception, then the frames (Java `\tat …`, Python `  File …`). */
  stack?: string[];
  /** Extra structured fields (written in the structured formats, appended as k=v in the text ones). */
  fields?: Record<string, string | number>;
}

export interface AppStyle {
  format: AppFormat;
  /** The structured formats name the service in a field. */
  serviceField: boolean;
}

/** Formats each language's usual loggers write. */
export const FORMATS_BY_LANG: Record<"java" | "go" | "python" | "nodejs", readonly AppFormat[]> = {
  java: ["json-logstash", "logback", "logback-sleuth"],
  go: ["json-zap", "logfmt"],
  python: ["python", "python-otel", "json-python"],
  nodejs: ["json-pino"],
};

const p2 = (n: number) => String(n).padStart(2, "0");
/** `2025-03-12 09:05:00.123` (zone-less: the container's UTC), `sep` before the milliseconds. */
function wall(ms: number, sep: "." | ","): string {
  const d = new Date(Math.floor(ms));
  return `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}${sep}${String(d.getUTCMilliseconds()).padStart(3, "0")}`;
}

const q = (v: string) => (/[\s"=]/.test(v) || v === "" ? JSON.stringify(v) : v);
const kvText = (f: Record<string, string | number> | undefined) => (f ? Object.entries(f).map(([k, v]) => `${k}=${q(String(v))}`).join(" ") : "");

/** Abbreviated logger as logback prints it (`c.a.l.LedgerController`). */
function shortLogger(l: string): string {
  const parts = l.split(".");
  return parts.length < 3 ? l : [...parts.slice(0, -1).map((p) => p[0]), parts.at(-1)].join(".");
}

/** One record in a format: one physical line, or several (text formats with a stack trace). */
export function appLines(r: AppRecord, style: AppStyle): string[] {
  const extra = kvText(r.fields);
  switch (style.format) {
    case "json-logstash":
      return [
        JSON.stringify({
          "@timestamp": iso(r.ts).replace("Z", "+00:00"),
          "@version": "1",
          message: r.msg,
          logger_name: r.logger,
          thread_name: "http-nio-8080-exec-" + (1 + (Math.floor(r.ts) % 10)),
          level: r.level,
          level_value: { DEBUG: 10000, INFO: 20000, WARN: 30000, ERROR: 40000 }[r.level],
          ...(style.serviceField ? { "service.name": r.service } : {}),
          ...(r.traceId ? { traceId: r.traceId, spanId: r.spanId } : {}),
          ...(r.fields ?? {}),
          ...(r.stack ? { stack_trace: r.stack.join("\n") } : {}),
        }),
      ];
    case "json-zap":
      return [
        JSON.stringify({
          level: r.level.toLowerCase(),
          ts: Math.round(r.ts * 1000) / 1e6,
          caller: `${r.service}/${r.logger}.go:${40 + (r.msg.length % 80)}`,
          msg: r.msg,
          ...(style.serviceField ? { service: r.service } : {}),
          ...(r.traceId ? { trace_id: r.traceId, span_id: r.spanId } : {}),
          ...(r.fields ?? {}),
          ...(r.stack ? { error: r.stack[0], stacktrace: r.stack.slice(1).join("\n") } : {}),
        }),
      ];
    case "json-pino":
      return [
        JSON.stringify({
          level: { DEBUG: 20, INFO: 30, WARN: 40, ERROR: 50 }[r.level],
          time: Math.floor(r.ts),
          pid: 1,
          hostname: r.pod,
          ...(style.serviceField ? { service: r.service } : { name: r.service }),
          ...(r.traceId ? { trace_id: r.traceId, span_id: r.spanId, trace_flags: "01" } : {}),
          ...(r.fields ?? {}),
          ...(r.stack ? { err: { type: r.stack[0]!.split(":")[0], message: r.stack[0]!.split(": ").slice(1).join(": "), stack: r.stack.join("\n") } } : {}),
          msg: r.msg,
        }),
      ];
    case "json-python":
      return [
        JSON.stringify({
          asctime: wall(r.ts, ","),
          levelname: r.level === "WARN" ? "WARNING" : r.level,
          name: r.logger,
          message: r.msg,
          ...(style.serviceField ? { service: r.service } : {}),
          ...(r.traceId ? { otelTraceID: r.traceId, otelSpanID: r.spanId } : {}),
          ...(r.fields ?? {}),
          ...(r.stack ? { exc_info: r.stack.join("\n") } : {}),
        }),
      ];
    case "logfmt": {
      const head = `time="${iso(r.ts)}" level=${r.level === "WARN" ? "warning" : r.level.toLowerCase()} msg=${JSON.stringify(r.msg)}`;
      const ids = r.traceId ? ` trace_id=${r.traceId} span_id=${r.spanId}` : "";
      const svc = style.serviceField ? ` service=${r.service}` : "";
      const err = r.stack ? ` error=${JSON.stringify(r.stack[0])}` : "";
      return [`${head}${svc}${ids}${extra ? ` ${extra}` : ""}${err}`];
    }
    case "logback": {
      // Spring Boot's default pattern, the MDC's trace ids appended by the app's logback.xml.
      const ids = r.traceId ? ` [traceId=${r.traceId} spanId=${r.spanId}]` : "";
      const line = `${wall(r.ts, ".")} ${r.level.padStart(5)} 1 --- [nio-8080-exec-${1 + (Math.floor(r.ts) % 10)}] ${shortLogger(r.logger).padEnd(40)} : ${r.msg}${extra ? ` ${extra}` : ""}${ids}`;
      return r.stack ? [line, ...r.stack] : [line];
    }
    case "logback-sleuth": {
      // Spring Boot 2 + Sleuth: `[app,traceId,spanId]` after the level.
      const sleuth = `[${r.service},${r.traceId ?? ""},${r.traceId ? r.spanId : ""}]`;
      const line = `${wall(r.ts, ".")} ${r.level.padStart(5)} ${sleuth} 1 --- [nio-8080-exec-${1 + (Math.floor(r.ts) % 10)}] ${shortLogger(r.logger).padEnd(40)} : ${r.msg}${extra ? ` ${extra}` : ""}`;
      return r.stack ? [line, ...r.stack] : [line];
    }
    case "python": {
      // logging.basicConfig(format="%(asctime)s - %(name)s - %(levelname)s - %(message)s")
      const line = `${wall(r.ts, ",")} - ${r.logger} - ${r.level === "WARN" ? "WARNING" : r.level} - ${r.msg}${extra ? ` ${extra}` : ""}`;
      return r.stack ? [line, ...r.stack] : [line];
    }
    case "python-otel": {
      // opentelemetry-instrumentation-logging's default format.
      const ids = `[trace_id=${r.traceId ?? "0"} span_id=${r.spanId ?? "0"} resource.service.name=${r.service} trace_sampled=${r.traceId ? "True" : "False"}]`;
      const line = `${wall(r.ts, ",")} ${r.level === "WARN" ? "WARNING" : r.level} [${r.logger}] [app.py:${40 + (r.msg.length % 90)}] ${ids} - ${r.msg}${extra ? ` ${extra}` : ""}`;
      return r.stack ? [line, ...r.stack] : [line];
    }
  }
}
