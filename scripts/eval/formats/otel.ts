/**
 * Trace writers: OTLP/JSON (ExportTraceServiceRequest as the Collector's file exporter and the OTLP
 * HTTP/JSON encoding write it) and the Jaeger query API's JSON. What lib/server/parsers/otlp-json.ts
 * and jaeger-json.ts read; real samples in ../shared/fixtures/real/{otlp,jaeger}.
 */

/** One span as the generator models it; times are UTC epoch ms with sub-ms fractions. */
export interface GenSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  service: string;
  pod: string;
  name: string;
  kind: "server" | "client" | "internal";
  startMs: number;
  endMs: number;
  /** The instrumentation marked it failed (written only when the status axis is "present"). */
  error: boolean;
  errorMessage?: string;
  attrs: Record<string, string | number | boolean>;
}

export interface TraceStyle {
  /** present: ERROR status (code 2) on failing spans, `{}` on the others; absent: no `status` key at all. */
  status: "present" | "absent";
  /** Resource attribute `k8s.pod.name` (and namespace) on every resource. */
  podAttr: boolean;
  /** OTLP enums as integers (the spec's JSON encoding) or as names (protojson's default). */
  enums: "int" | "string";
  namespace: string;
  /** service.version per pod, when the instrumentation sets it. */
  versionOf?: (pod: string) => string | undefined;
  /** SDK language per service (telemetry.sdk.language). */
  languageOf?: (service: string) => string;
}

/** `ms` (fractional) → integer nanoseconds as a decimal string, exact to the microsecond. */
export function nanos(ms: number): string {
  return (BigInt(Math.round(ms * 1000)) * 1000n).toString();
}

const KIND_INT = { server: 2, client: 3, internal: 1 } as const;
const KIND_NAME = { server: "SPAN_KIND_SERVER", client: "SPAN_KIND_CLIENT", internal: "SPAN_KIND_INTERNAL" } as const;

function anyValue(v: string | number | boolean): Record<string, unknown> {
  if (typeof v === "boolean") return { boolValue: v };
  if (typeof v === "number") return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  return { stringValue: v };
}
const kv = (attrs: Record<string, string | number | boolean>) => Object.entries(attrs).map(([key, value]) => ({ key, value: anyValue(value) }));

function otlpSpan(s: GenSpan, style: TraceStyle): Record<string, unknown> {
  const o: Record<string, unknown> = {
    traceId: s.traceId,
    spanId: s.spanId,
    ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : { parentSpanId: "" }),
    name: s.name,
    kind: style.enums === "int" ? KIND_INT[s.kind] : KIND_NAME[s.kind],
    startTimeUnixNano: nanos(s.startMs),
    endTimeUnixNano: nanos(s.endMs),
    attributes: kv(s.attrs),
  };
  if (style.status === "present") o.status = s.error ? (style.enums === "int" ? { code: 2, message: s.errorMessage ?? "" } : { code: "STATUS_CODE_ERROR", message: s.errorMessage ?? "" }) : {};
  return o;
}

function resourceOf(pod: string, service: string, style: TraceStyle): Record<string, unknown> {
  const attrs: Record<string, string | number | boolean> = { "service.name": service };
  if (style.podAttr) Object.assign(attrs, { "k8s.pod.name": pod, "k8s.namespace.name": style.namespace });
  const version = style.versionOf?.(pod);
  if (version) attrs["service.version"] = version;
  const lang = style.languageOf?.(service);
  if (lang) Object.assign(attrs, { "telemetry.sdk.language": lang, "telemetry.sdk.name": "opentelemetry" });
  return { attributes: kv(attrs) };
}

const SCOPE: Record<string, string> = { java: "io.opentelemetry.spring-webmvc-6.0", go: "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp", python: "opentelemetry.instrumentation.flask", nodejs: "@opentelemetry/instrumentation-http" };

/** One ExportTraceServiceRequest: a resourceSpans element per pod (resource = the pod's SDK). */
export function otlpRequest(spans: readonly GenSpan[], style: TraceStyle): Record<string, unknown> {
  const byPod = new Map<string, GenSpan[]>();
  for (const s of spans) (byPod.get(s.pod) ?? byPod.set(s.pod, []).get(s.pod)!).push(s);
  return {
    resourceSpans: [...byPod].map(([pod, ss]) => {
      const lang = style.languageOf?.(ss[0]!.service);
      return {
        resource: resourceOf(pod, ss[0]!.service, style),
        scopeSpans: [{ scope: { name: SCOPE[lang ?? ""] ?? "manual" }, spans: ss.map((s) => otlpSpan(s, style)) }],
      };
    }),
  };
}

/** One OTLP/JSON document. */
export function otlpJson(spans: readonly GenSpan[], style: TraceStyle, pretty = false): string {
  return `${JSON.stringify(otlpRequest(spans, style), null, pretty ? 2 : undefined)}\n`;
}

/**
 * The Collector's file exporter: one ExportTraceServiceRequest per line, each the batch the batch
 * processor sent (spans grouped by the time they ended, `batchMs` apart).
 */
export function otlpJsonLines(spans: readonly GenSpan[], style: TraceStyle, batchMs: number): string {
  const batches = new Map<number, GenSpan[]>();
  for (const s of spans) {
    const k = Math.floor(s.endMs / batchMs);
    (batches.get(k) ?? batches.set(k, []).get(k)!).push(s);
  }
  return [...batches.keys()]
    .sort((a, b) => a - b)
    .map((k) => `${JSON.stringify(otlpRequest(batches.get(k)!, style))}\n`)
    .join("");
}

type JTag = { key: string; type: string; value: string | number | boolean };
const jtag = (key: string, value: string | number | boolean): JTag => ({ key, type: typeof value === "boolean" ? "bool" : typeof value === "number" ? (Number.isInteger(value) ? "int64" : "float64") : "string", value });

/**
 * Jaeger query API (`GET /api/traces?service=…`): `{"data":[{traceID, spans, processes}]}`, times in
 * µs, the parent as a CHILD_OF reference, span kind and errors as tags.
 */
export function jaegerJson(spans: readonly GenSpan[], style: TraceStyle): string {
  const byTrace = new Map<string, GenSpan[]>();
  for (const s of spans) (byTrace.get(s.traceId) ?? byTrace.set(s.traceId, []).get(s.traceId)!).push(s);
  const data = [...byTrace].map(([traceId, ss]) => {
    const procs = new Map<string, string>();
    const processes: Record<string, unknown> = {};
    for (const s of ss) {
      if (procs.has(s.pod)) continue;
      const id = `p${procs.size + 1}`;
      procs.set(s.pod, id);
      const tags: JTag[] = [jtag("hostname", s.pod)];
      if (style.podAttr) tags.push(jtag("k8s.pod.name", s.pod), jtag("k8s.namespace.name", style.namespace));
      const version = style.versionOf?.(s.pod);
      if (version) tags.push(jtag("service.version", version));
      processes[id] = { serviceName: s.service, tags };
    }
    return {
      traceID: traceId,
      spans: ss.map((s) => {
        const tags: JTag[] = [jtag("span.kind", s.kind), ...Object.entries(s.attrs).map(([k, v]) => jtag(k, v))];
        if (style.status === "present" && s.error) tags.push(jtag("error", true), jtag("otel.status_code", "ERROR"), ...(s.errorMessage ? [jtag("otel.status_description", s.errorMessage)] : []));
        return {
          traceID: traceId,
          spanID: s.spanId,
          operationName: s.name,
          references: s.parentSpanId ? [{ refType: "CHILD_OF", traceID: traceId, spanID: s.parentSpanId }] : [],
          startTime: Math.round(s.startMs * 1000),
          duration: Math.max(0, Math.round((s.endMs - s.startMs) * 1000)),
          tags,
          logs: [],
          processID: procs.get(s.pod)!,
          warnings: null,
        };
      }),
      processes,
      warnings: null,
    };
  });
  return `${JSON.stringify({ data, total: 0, limit: 0, offset: 0, errors: null })}\n`;
}
