import type { Readable } from "node:stream";
import type { Attrs, SpanRecord } from "@/lib/schemas/records";
import { durationMs, fromEpochMicros, type EpochMs } from "@/lib/schemas/time";
import { attrValue, int, isObject, problemToSkipped, str } from "./json/common";
import { scanJsonStream, type RecordEvent, type RouteSpec } from "./json/scanner";
import type { ParseItem, Parser, SkippedItem } from "./types";

/**
 * Jaeger UI / query API JSON (`{"data":[{traceID, spans:[…], processes:{p1:{serviceName,tags}}}]}`),
 * also a bare trace object or an array of traces. Times are microseconds.
 *
 * `processes` usually follows `spans`, so a trace's spans are held back until its processes are seen
 * or the trace ends:
 *
 *   {"traceID":…, "spans":[s1, s2, …], "processes":{p1:{serviceName:"api"}}}
 *                         ^ held back ^             ^ flush: s1.processID p1 → service "api"
 *
 * Hold-back is capped at HOLD_BACK_BYTES of span JSON; beyond it spans are emitted with the service
 * from an embedded `process` object or `unknown_service`, with a warning.
 */

const HOLD_BACK_BYTES = 16 * 1024 * 1024;
const MAX_EVENTS = 64;

export const JAEGER_ROUTES: RouteSpec[] = ["data[*]", "[*]", ""].flatMap((prefix) => {
  const p = prefix === "" ? "" : `${prefix}.`;
  return [
    ...(prefix === "" ? [] : [{ path: prefix, kind: "boundary" as const, tag: "trace" }]),
    { path: `${p}spans[*]`, kind: "record" as const, tag: "span" },
    { path: `${p}processes`, kind: "record" as const, tag: "processes" },
  ];
});

const KINDS: Record<string, SpanRecord["spanKind"]> = {
  server: "server",
  client: "client",
  producer: "producer",
  consumer: "consumer",
  internal: "internal",
};

const PROCESS_ATTR = /^(?:k8s\.|host\.name$|hostname$|ip$|service\.(?:namespace|version|instance\.id)$|container\.(?:name|id)$)/;

interface ProcessInfo {
  service: string;
  attrs: Attrs;
}

function tagValue(t: Record<string, unknown>): string | number | boolean | null {
  const v = t.value;
  if ((t.type === "int64" || t.type === "float64") && typeof v === "string" && v.trim() !== "") {
    const n = Number(v);
    if (Number.isFinite(n) && (t.type === "float64" || Number.isSafeInteger(n))) return n;
  }
  if (t.type === "bool" && typeof v === "string") return v === "true";
  return attrValue(v);
}

export function tagsToAttrs(tags: unknown, into: Attrs = {}): Attrs {
  if (!Array.isArray(tags)) return into;
  for (const t of tags) if (isObject(t) && typeof t.key === "string") into[t.key] = tagValue(t);
  return into;
}

function readProcess(p: unknown): ProcessInfo | null {
  if (!isObject(p)) return null;
  const tags = tagsToAttrs(p.tags);
  const attrs: Attrs = {};
  for (const k in tags) if (PROCESS_ATTR.test(k)) attrs[k] = tags[k]!;
  return { service: str(p.serviceName) || "unknown_service", attrs };
}

function readProcesses(v: unknown): Map<string, ProcessInfo> {
  const m = new Map<string, ProcessInfo>();
  if (isObject(v)) for (const k in v) {
    const p = readProcess(v[k]);
    if (p) m.set(k, p);
  }
  return m;
}

/** Jaeger ids are hex without fixed width: 64-bit trace ids are left-padded to 128 bits like OTel does. */
function hexId(v: unknown, width: 16 | 32): string | null {
  if (typeof v !== "string" || v === "" || v.length > width || !/^[0-9a-fA-F]+$/.test(v)) return null;
  return v.toLowerCase().padStart(width, "0");
}

export function mapJaegerSpan(raw: unknown, processes: Map<string, ProcessInfo> | null, ev: Pick<RecordEvent, "pointer" | "line" | "offset">): SpanRecord | SkippedItem {
  const skip = (reason: string): SkippedItem => ({ kind: "skipped", pointer: ev.pointer, line: ev.line, reason, excerpt: JSON.stringify(raw)?.slice(0, 200) });
  if (!isObject(raw)) return skip("span is not an object");
  const traceId = hexId(raw.traceID, 32);
  const spanId = hexId(raw.spanID, 16);
  if (!traceId || !spanId) return skip(`span without a valid traceID/spanID (${JSON.stringify(raw.traceID)}/${JSON.stringify(raw.spanID)})`);
  const startUs = typeof raw.startTime === "number" ? raw.startTime : Number(raw.startTime);
  if (!Number.isFinite(startUs) || startUs <= 0) return skip(`span ${spanId} has no valid startTime (µs)`);
  const warnings: string[] = [];

  let parentSpanId: string | null = null;
  const attrs: Attrs = {};
  if (Array.isArray(raw.references)) {
    const refs = raw.references.filter(isObject);
    const ref = refs.find((r) => String(r.refType).toUpperCase() === "CHILD_OF") ?? refs.find((r) => String(r.refType).toUpperCase() === "FOLLOWS_FROM");
    if (ref) {
      parentSpanId = hexId(ref.spanID, 16);
      if (String(ref.refType).toUpperCase() === "FOLLOWS_FROM") attrs["jaeger.ref_type"] = "follows_from";
    }
  }
  if (parentSpanId === null && raw.parentSpanID !== undefined) parentSpanId = hexId(raw.parentSpanID, 16);
  if (parentSpanId !== null && /^0+$/.test(parentSpanId)) parentSpanId = null;

  const processID = str(raw.processID);
  let proc = processID !== undefined ? processes?.get(processID) : undefined;
  if (!proc && isObject(raw.process)) proc = readProcess(raw.process) ?? undefined;
  if (proc) Object.assign(attrs, proc.attrs);
  else warnings.push(`process ${JSON.stringify(processID ?? null)} not found: service unknown`);
  tagsToAttrs(raw.tags, attrs);

  let status: SpanRecord["status"] = "unset";
  const otelStatus = attrs["otel.status_code"];
  if (attrs.error === true || attrs.error === "true" || otelStatus === "ERROR") status = "error";
  else if (otelStatus === "OK") status = "ok";
  const durUs = typeof raw.duration === "number" ? raw.duration : Number(raw.duration);
  const rec: SpanRecord = {
    kind: "span",
    traceId,
    spanId,
    parentSpanId,
    service: proc?.service ?? "unknown_service",
    name: str(raw.operationName) ?? "",
    spanKind: KINDS[String(attrs["span.kind"] ?? "").toLowerCase()] ?? "unspecified",
    ts: fromEpochMicros(startUs),
    durationMs: Number.isFinite(durUs) ? durationMs(durUs / 1000) : null,
    status,
    attrs,
    prov: { pointer: ev.pointer, line: ev.line, offset: ev.offset },
  };
  if (rec.durationMs === null) warnings.push("no duration");
  const msg = str(attrs["otel.status_description"]) ?? str(attrs["error.message"]);
  if (msg) rec.statusMessage = msg;
  const http = int(attrs["http.response.status_code"] ?? attrs["http.status_code"]);
  if (http !== undefined) rec.httpStatus = http;
  const peer = attrs["peer.service"] ?? attrs["server.address"] ?? attrs["net.peer.name"] ?? attrs["peer.hostname"];
  if (typeof peer === "string" && peer !== "") rec.peer = peer;
  if (Array.isArray(raw.logs) && raw.logs.length > 0) {
    const events: NonNullable<SpanRecord["events"]> = [];
    for (const l of raw.logs) {
      if (events.length >= MAX_EVENTS) {
        warnings.push(`${raw.logs.length - MAX_EVENTS} span logs dropped`);
        break;
      }
      if (!isObject(l)) continue;
      const t = typeof l.timestamp === "number" ? l.timestamp : Number(l.timestamp);
      if (!Number.isFinite(t)) continue;
      const fa = tagsToAttrs(l.fields);
      const name = str(fa.event) ?? str(fa.message) ?? "log";
      events.push({ ts: fromEpochMicros(t) as EpochMs, name, attrs: fa });
    }
    if (events.length > 0) rec.events = events;
  }
  if (Array.isArray(raw.warnings)) for (const w of raw.warnings) if (typeof w === "string") warnings.push(`jaeger: ${w}`);
  if (warnings.length > 0) rec.warnings = warnings;
  return rec;
}

function sniffJaeger(head: string): number {
  let i = 0;
  while (i < head.length && i < 4096 && /[\s\uFEFF]/.test(head[i]!)) i++;
  const c = head[i];
  if (c !== "{" && c !== "[") return 0;
  const ids = head.includes('"traceID"') && head.includes('"spanID"');
  if (ids && (head.includes('"operationName"') || head.includes('"processID"') || head.includes('"references"'))) return 0.9;
  if (head.includes('"data"') && head.includes('"traceID"') && head.includes('"spans"')) return 0.8;
  return 0;
}

interface Held {
  ev: RecordEvent;
}

async function* parseJaeger(input: Readable): AsyncGenerator<ParseItem> {
  let processes: Map<string, ProcessInfo> | null = null;
  let held: Held[] = [];
  let heldBytes = 0;
  let overflowWarned = false;
  let spans = 0;

  function* flush(): Generator<ParseItem> {
    for (const h of held) {
      const r = mapJaegerSpan(h.ev.value, processes, h.ev);
      if (r.kind === "span") spans++;
      yield r;
    }
    held = [];
    heldBytes = 0;
  }

  for await (const batch of scanJsonStream(input as AsyncIterable<Buffer>, JAEGER_ROUTES)) {
    for (const ev of batch) {
      switch (ev.type) {
        case "record":
          if (ev.tag === "span") {
            if (processes) {
              const r = mapJaegerSpan(ev.value, processes, ev);
              if (r.kind === "span") spans++;
              yield r;
            } else {
              held.push({ ev });
              heldBytes += ev.bytes;
              if (heldBytes > HOLD_BACK_BYTES) {
                if (!overflowWarned) yield { kind: "warning", message: `processes not found within the first ${HOLD_BACK_BYTES} bytes of spans at ${ev.pointer}: services taken from embedded process objects or unknown_service` };
                overflowWarned = true;
                yield* flush();
              }
            }
          } else if (ev.tag === "processes") {
            processes = readProcesses(ev.value);
            yield* flush();
          }
          break;
        case "close":
        case "docEnd":
          yield* flush();
          processes = null;
          break;
        case "problem":
          yield problemToSkipped(ev);
          break;
      }
    }
  }
  yield* flush();
  if (spans === 0) yield { kind: "warning", message: "no Jaeger spans found (expected data[].spans[])" };
}

export const jaegerJsonParser: Parser = {
  id: "jaeger-json",
  title: "Jaeger UI/API JSON traces",
  emits: ["span"],
  sniff: (head) => sniffJaeger(head),
  parse: (input) => parseJaeger(input),
  samples: [
    {
      // jaegertracing/jaeger otlp2jaeger-out.json, compacted, second (duplicate) span dropped
      name: "traces/otlp2jaeger-out.json",
      content: `{"data":[{"traceID":"83a9efd15c1c98a977e0711cc93ee28b","spans":[{"traceID":"83a9efd15c1c98a977e0711cc93ee28b","spanID":"e127af99e3b3e074","operationName":"okey-dokey-0","references":[{"refType":"CHILD_OF","traceID":"83a9efd15c1c98a977e0711cc93ee28b","spanID":"909541b92cf05311"}],"startTime":1706678909209712,"duration":123,"tags":[{"key":"otel.scope.name","type":"string","value":"telemetrygen"},{"key":"net.peer.ip","type":"string","value":"1.2.3.4"},{"key":"peer.service","type":"string","value":"telemetrygen-client"},{"key":"span.kind","type":"string","value":"server"}],"logs":[],"processID":"p1","warnings":null}],"processes":{"p1":{"serviceName":"telemetrygen","tags":[]}},"warnings":null}],"total":0,"limit":0,"offset":0,"errors":null}`,
      expect: {
        records: 1, skipped: 0, kinds: { span: 1 },
        fields: {
          // startTime and duration in µs; parent from the CHILD_OF reference; service from process p1
          0: {
            traceId: "83a9efd15c1c98a977e0711cc93ee28b", spanId: "e127af99e3b3e074", parentSpanId: "909541b92cf05311", service: "telemetrygen", name: "okey-dokey-0", spanKind: "server",
            ts: "2024-01-31T05:28:29.209712Z", durationMs: 0.123, peer: "telemetrygen-client", prov: { pointer: "/data/0/spans/0" },
          },
        },
      },
    },
    {
      // two traces; the second has a span without spanID (skipped) and an error tag
      name: "jaeger/export.json",
      content: `{"data":[{"traceID":"0af7651916cd43dd","spans":[{"traceID":"0af7651916cd43dd","spanID":"b7ad6b7169203331","operationName":"GET /cart","references":[],"startTime":1700000000000000,"duration":1012345,"tags":[{"key":"span.kind","type":"string","value":"server"},{"key":"http.status_code","type":"int64","value":504},{"key":"error","type":"bool","value":true}],"processID":"p1"}],"processes":{"p1":{"serviceName":"gateway","tags":[{"key":"hostname","type":"string","value":"gw-0"}]}}},{"traceID":"1","spans":[{"traceID":"1","operationName":"broken","startTime":1700000000000000,"duration":5,"processID":"p1"}],"processes":{"p1":{"serviceName":"x"}}}]}`,
      expect: {
        records: 1, skipped: 1, kinds: { span: 1 },
        fields: {
          // a 64-bit trace id, zero-padded to 128 bits
          0: {
            traceId: "00000000000000000af7651916cd43dd", spanId: "b7ad6b7169203331", parentSpanId: null, service: "gateway", name: "GET /cart", spanKind: "server",
            ts: "2023-11-14T22:13:20Z", durationMs: 1012.345, status: "error", httpStatus: 504,
          },
        },
      },
    },
  ],
};
