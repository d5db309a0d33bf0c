import { Readable } from "node:stream";
import type { Attrs, SpanFacts, SpanRecord } from "@/lib/schemas/records";
import { durationMs, fromEpochNanos, type DurationMs, type EpochMs } from "@/lib/schemas/time";
import { attrValue, int, isObject, normaliseId, problemToSkipped, str } from "./json/common";
import { describeParseError, scanJsonStream, type RecordEvent, type RouteSpec } from "./json/scanner";
import type { ParseItem, Parser, SkippedItem, SpanBatch, SpanBatchContext, SpanBatchReader, WarningItem } from "./types";

/**
 * OTLP/JSON traces: ExportTraceServiceRequest documents (`resourceSpans`, legacy
 * `instrumentationLibrarySpans`, Tempo's `batches` wrapper), one document or JSON Lines (Collector file
 * exporter). Streams with bounded memory: only spans, resources and scopes are materialised.
 *
 * Key order is not guaranteed, so `resource` may follow `scopeSpans`:
 *
 *   {"scopeSpans":[{"spans":[s1,s2,…]}], "resource":{service.name=x}}
 *                           ^ held back ^             ^ flush with service x
 *
 * Spans of a resourceSpans element are held back until its resource is seen (or the element ends),
 * up to HOLD_BACK_BYTES of span JSON; past that they are emitted with service `unknown_service` and a
 * warning rather than growing memory without bound.
 */

const HOLD_BACK_BYTES = 16 * 1024 * 1024;
const MAX_EVENTS = 64;

const CONTAINERS = ["resourceSpans", "batches"] as const;
const SCOPE_LISTS = [
  ["scopeSpans", "scope"],
  ["instrumentationLibrarySpans", "instrumentationLibrary"],
] as const;

export const OTLP_ROUTES: RouteSpec[] = CONTAINERS.flatMap((c) => [
  { path: `${c}[*]`, kind: "boundary" as const, tag: "rs" },
  { path: `${c}[*].resource`, kind: "record" as const, tag: "resource" },
  ...SCOPE_LISTS.flatMap(([list, scope]) => [
    { path: `${c}[*].${list}[*]`, kind: "boundary" as const, tag: "scopeEnd" },
    { path: `${c}[*].${list}[*].${scope}`, kind: "record" as const, tag: "scope" },
    { path: `${c}[*].${list}[*].spans[*]`, kind: "record" as const, tag: "span" },
  ]),
]);

const KINDS: Record<string, SpanRecord["spanKind"]> = {
  "0": "unspecified",
  "1": "internal",
  "2": "server",
  "3": "client",
  "4": "producer",
  "5": "consumer",
  SPAN_KIND_UNSPECIFIED: "unspecified",
  SPAN_KIND_INTERNAL: "internal",
  SPAN_KIND_SERVER: "server",
  SPAN_KIND_CLIENT: "client",
  SPAN_KIND_PRODUCER: "producer",
  SPAN_KIND_CONSUMER: "consumer",
};
const STATUS: Record<string, SpanRecord["status"]> = {
  "0": "unset",
  "1": "ok",
  "2": "error",
  STATUS_CODE_UNSET: "unset",
  STATUS_CODE_OK: "ok",
  STATUS_CODE_ERROR: "error",
};

/** Resource attributes worth copying onto every span (where the pod/node/service live). */
const RESOURCE_ATTR = /^(?:k8s\.|host\.name$|cloud\.(?:region|availability_zone)$|service\.(?:namespace|version|instance\.id)$|container\.(?:name|id)$|deployment\.environment)/;

/** OTLP AnyValue → a flat attribute value (arrays and kvlists as compact JSON). */
export function anyValue(v: unknown): string | number | boolean | null {
  if (!isObject(v)) return null;
  if ("stringValue" in v) return attrValue(v.stringValue);
  if ("boolValue" in v) return attrValue(v.boolValue);
  if ("intValue" in v) {
    const n = Number(v.intValue);
    return Number.isSafeInteger(n) ? n : attrValue(v.intValue);
  }
  if ("doubleValue" in v) {
    const n = Number(v.doubleValue);
    return Number.isFinite(n) ? n : String(v.doubleValue);
  }
  if ("bytesValue" in v) return attrValue(v.bytesValue);
  if (isObject(v.arrayValue)) {
    const vals = Array.isArray(v.arrayValue.values) ? v.arrayValue.values : [];
    return attrValue(vals.map(anyValue));
  }
  if (isObject(v.kvlistValue)) return attrValue(kvList(v.kvlistValue.values));
  return null;
}

export function kvList(list: unknown, into: Attrs = {}): Attrs {
  if (!Array.isArray(list)) return into;
  for (const kv of list) {
    if (isObject(kv) && typeof kv.key === "string") into[kv.key] = anyValue(kv.value);
  }
  return into;
}

interface ResourceInfo {
  service: string | null;
  attrs: Attrs;
}
interface ScopeInfo {
  name?: string;
  version?: string;
}

function readResource(v: unknown): ResourceInfo {
  const all = isObject(v) ? kvList(v.attributes) : {};
  const attrs: Attrs = {};
  for (const k in all) if (RESOURCE_ATTR.test(k)) attrs[k] = all[k]!;
  const svc = all["service.name"];
  return { service: typeof svc === "string" && svc !== "" ? svc : null, attrs };
}

const DIGITS = /^\d{1,20}$/;

function durationFromNanos(start: unknown, end: unknown, startMs: number): DurationMs | null {
  if (end === undefined || end === null || end === "" || end === "0" || end === 0) return null;
  if (typeof start === "string" && typeof end === "string" && DIGITS.test(start) && DIGITS.test(end)) {
    // Exact integer nanoseconds without BigInt on the hot path: when both share all but the last
    // 15 digits, the difference of those 15-digit tails is exact in a double.
    const k = start.length - 15;
    if (k > 0 && end.length === start.length && end.startsWith(start.slice(0, k))) return durationMs((Number(end.slice(k)) - Number(start.slice(k))) / 1e6);
    return durationMs(Number(BigInt(end) - BigInt(start)) / 1e6);
  }
  // JSON numbers near 1.7e18 are only exact to ±256 ns: subtract as numbers, keep µs precision.
  if (typeof start === "number" && typeof end === "number") return Number.isFinite(end - start) ? durationMs(Math.round((end - start) / 1e3) / 1e3) : null;
  const e = fromEpochNanos(typeof end === "number" || typeof end === "string" ? end : NaN);
  return Number.isFinite(e) ? durationMs(e - startMs) : null;
}

/** One OTLP span object → a SpanRecord, or a skipped item saying why not. */
export function mapOtlpSpan(raw: unknown, res: ResourceInfo | null, scope: ScopeInfo | null, ev: Pick<RecordEvent, "pointer" | "line" | "offset">): SpanRecord | SkippedItem {
  const prov = { pointer: ev.pointer, line: ev.line, offset: ev.offset };
  const skip = (reason: string): SkippedItem => ({ kind: "skipped", pointer: ev.pointer, line: ev.line, reason, excerpt: JSON.stringify(raw)?.slice(0, 200) });
  if (!isObject(raw)) return skip("span is not an object");
  const traceId = normaliseId(raw.traceId, 16);
  const spanId = normaliseId(raw.spanId, 8);
  if (!traceId || !spanId) return skip(`span without a valid traceId/spanId (${JSON.stringify(raw.traceId)}/${JSON.stringify(raw.spanId)})`);
  const startRaw = raw.startTimeUnixNano;
  const ts = fromEpochNanos(typeof startRaw === "number" || typeof startRaw === "string" ? startRaw : NaN);
  if (!Number.isFinite(ts) || ts <= 0) return skip(`span ${spanId} has no valid startTimeUnixNano`);
  const warnings: string[] = [];
  const parentRaw = raw.parentSpanId;
  let parentSpanId = normaliseId(parentRaw, 8);
  if (parentSpanId === null && parentRaw !== undefined && parentRaw !== null) warnings.push(`unrecognised parentSpanId ${JSON.stringify(parentRaw)}`);
  if (parentSpanId === "") parentSpanId = null;
  const dur = durationFromNanos(startRaw, raw.endTimeUnixNano, ts);
  if (dur === null) warnings.push("no endTimeUnixNano: duration unknown");
  else if (dur < 0) warnings.push("end time before start time");

  const attrs: Attrs = res ? { ...res.attrs } : {};
  if (scope?.name) attrs["otel.scope.name"] = scope.name;
  if (scope?.version) attrs["otel.scope.version"] = scope.version;
  kvList(raw.attributes, attrs);
  const status = isObject(raw.status) ? raw.status : {};
  const kind = KINDS[String(raw.kind ?? 0)] ?? "unspecified";
  const rec: SpanRecord = {
    kind: "span",
    traceId,
    spanId,
    parentSpanId,
    service: res?.service ?? "unknown_service",
    name: str(raw.name) ?? "",
    spanKind: kind,
    ts: ts as EpochMs,
    durationMs: dur,
    status: STATUS[String(status.code ?? 0)] ?? "unset",
    attrs,
    prov,
  };
  const msg = str(status.message);
  if (msg) rec.statusMessage = msg;
  const http = int(attrs["http.response.status_code"] ?? attrs["http.status_code"]);
  if (http !== undefined) rec.httpStatus = http;
  const peer = attrs["peer.service"] ?? attrs["server.address"] ?? attrs["net.peer.name"];
  if (typeof peer === "string" && peer !== "") rec.peer = peer;
  if (Array.isArray(raw.events) && raw.events.length > 0) {
    const events: NonNullable<SpanRecord["events"]> = [];
    for (const e of raw.events) {
      if (events.length >= MAX_EVENTS) {
        warnings.push(`${raw.events.length - MAX_EVENTS} span events dropped`);
        break;
      }
      if (!isObject(e)) continue;
      const t = fromEpochNanos(typeof e.timeUnixNano === "string" || typeof e.timeUnixNano === "number" ? e.timeUnixNano : NaN);
      if (!Number.isFinite(t)) continue;
      const ea = kvList(e.attributes);
      events.push({ ts: t, name: str(e.name) ?? "", ...(Object.keys(ea).length > 0 ? { attrs: ea } : {}) });
    }
    if (events.length > 0) rec.events = events;
  }
  if (Array.isArray(raw.links) && raw.links.length > 0) attrs["otel.links"] = raw.links.length;
  if (!res?.service) warnings.push("resource has no service.name");
  if (warnings.length > 0) rec.warnings = warnings;
  return rec;
}

function sniffOtlp(head: string): number {
  let i = 0;
  while (i < head.length && i < 4096 && /[\s\uFEFF]/.test(head[i]!)) i++;
  const c = head[i];
  if (c !== "{" && c !== "[") return 0;
  if (head.includes('"resourceSpans"') || head.includes('"scopeSpans"') || head.includes('"instrumentationLibrarySpans"')) return 0.95;
  if (head.includes('"traceId"') && head.includes('"spanId"') && head.includes('"startTimeUnixNano"')) return 0.85;
  return 0;
}

/**
 * Span batches (types.ts SpanBatch): the scanner (any thread) only finds span objects; mapping
 * (JSON.parse + mapOtlpSpan) can run elsewhere — summarised files map batches in parallel threads —
 * and a batch of a stored file is exactly what a block re-parses. Spans per batch (one block):
 */
export const SPAN_BATCH = 2048;

export const OTLP_RAW_ROUTES: RouteSpec[] = OTLP_ROUTES.map((r) => (r.tag === "span" ? { ...r, raw: true } : r));

interface PendingSpan {
  bytes: Buffer;
  pointer: string;
  offset: number;
  line: number;
  scope: string | null;
}

/**
 * Walks OTLP documents and yields span batches (plus skipped items and warnings), holding spans
 * back until their resource is known (see the module doc).
 */
export async function* scanOtlpSpans(input: AsyncIterable<Buffer>, maxBatchBytes = Infinity): AsyncGenerator<Array<SpanBatch | SkippedItem | WarningItem>> {
  const out: Array<SpanBatch | SkippedItem | WarningItem> = [];
  let resource: string | null = null;
  let resourceSeen = false;
  let scope: string | null = null;
  let held: PendingSpan[] = [];
  let heldBytes = 0;
  let overflowed = false;
  let spans = 0;
  let noService = 0;
  let serviceKnown = false;
  // the batch being filled
  let run: PendingSpan[] = [];
  let runBytes = 0;
  let runResource: string | null = null;
  let runScope: string | null = null;
  let runPrefix = "";
  let runIndex = 0;

  const closeRun = () => {
    if (run.length === 0) return;
    const { bytes, starts } = packSpans(run.map((sp) => sp.bytes));
    const last = run[run.length - 1]!;
    out.push({
      context: { resource: runResource, scope: runScope, pointer: runPrefix, index: runIndex },
      bytes,
      starts,
      offsets: run.map((sp) => sp.offset),
      lines: run.map((sp) => sp.line),
      byteStart: run[0]!.offset,
      byteEnd: last.offset + last.bytes.length,
    });
    run = [];
    runBytes = 0;
  };
  const add = (sp: PendingSpan) => {
    spans++;
    if (!serviceKnown) noService++;
    const slash = sp.pointer.lastIndexOf("/");
    const prefix = sp.pointer.slice(0, slash);
    const index = Number(sp.pointer.slice(slash + 1));
    const next =
      run.length > 0 && prefix === runPrefix && index === runIndex + run.length && runResource === resource && runScope === sp.scope && run.length < SPAN_BATCH && runBytes + sp.bytes.length <= maxBatchBytes;
    if (!next) {
      closeRun();
      runResource = resource;
      runScope = sp.scope;
      runPrefix = prefix;
      runIndex = index;
    }
    run.push(sp);
    runBytes += sp.bytes.length;
  };
  const flushHeld = () => {
    for (const h of held) add(h);
    held = [];
    heldBytes = 0;
  };
  const setResource = (text: string | null) => {
    resource = text;
    serviceKnown = false;
    if (text !== null) {
      try {
        serviceKnown = readResource(JSON.parse(text)).service !== null;
      } catch {
        serviceKnown = false;
      }
    }
  };

  for await (const batch of scanJsonStream(input, OTLP_RAW_ROUTES)) {
    for (const ev of batch) {
      switch (ev.type) {
        case "raw": {
          const sp: PendingSpan = { bytes: ev.bytes, pointer: ev.pointer, offset: ev.offset, line: ev.line, scope };
          if (resourceSeen) add(sp);
          else {
            held.push(sp);
            heldBytes += ev.bytes.length;
            if (heldBytes > HOLD_BACK_BYTES) {
              if (!overflowed) out.push({ kind: "warning", message: `resource not found within the first ${HOLD_BACK_BYTES} bytes of spans at ${ev.pointer}: those spans get service unknown_service` });
              overflowed = true;
              flushHeld();
            }
          }
          break;
        }
        case "record":
          if (ev.tag === "resource") {
            setResource(JSON.stringify(ev.value));
            resourceSeen = true;
            flushHeld();
          } else if (ev.tag === "scope") scope = isObject(ev.value) ? JSON.stringify(ev.value) : null;
          break;
        case "close":
          if (ev.tag === "scopeEnd") {
            scope = null;
          } else {
            flushHeld();
            closeRun();
            setResource(null);
            resourceSeen = false;
            scope = null;
          }
          break;
        case "docEnd":
          flushHeld();
          closeRun();
          setResource(null);
          resourceSeen = false;
          scope = null;
          break;
        case "problem":
          out.push(problemToSkipped(ev));
          break;
      }
    }
    if (out.length) yield out.splice(0);
  }
  flushHeld();
  closeRun();
  if (noService > 0) out.push({ kind: "warning", message: `${noService} spans had no resource service.name (service set to unknown_service)` });
  if (spans === 0) out.push({ kind: "warning", message: "no OTLP spans found (expected resourceSpans[].scopeSpans[].spans[])" });
  if (out.length) yield out;
}

/**
 * Span objects as SpanBatch.bytes lays them out: `[` s0 `,` s1 … `]`, a JSON array the mapping side
 * parses in one call, with `starts[k]` the first byte of span k and a last start one past the `]`.
 */
function packSpans(spans: readonly Buffer[]): { bytes: Buffer; starts: number[] } {
  let total = 1;
  for (const sp of spans) total += sp.length + 1;
  const bytes = Buffer.allocUnsafe(total);
  const starts: number[] = [];
  let at = 0;
  for (const sp of spans) {
    bytes[at++] = starts.length === 0 ? 0x5b : 0x2c;
    starts.push(at);
    sp.copy(bytes, at);
    at += sp.length;
  }
  bytes[at++] = 0x5d;
  starts.push(at);
  return { bytes, starts };
}

/** One batch → its span records (or skipped items): JSON.parse + mapOtlpSpan per span. */
export function mapSpanBatch(b: SpanBatch): Array<SpanRecord | SkippedItem> {
  const reader = readSpanBatch(b);
  return Array.from({ length: reader.size }, (_, k) => reader.record(k));
}

/**
 * A batch, parsed: one JSON.parse for the whole run of spans (one per span only when the run is
 * not valid JSON), then per span either its `facts` — the few fields aggregates and row decisions
 * need, without building the record — or the full `record`. Summarised files build records only
 * for the spans they store.
 */
export function readSpanBatch(b: SpanBatch): SpanBatchReader {
  const res = b.context.resource === null ? null : readResource(safeParse(b.context.resource));
  const scopeValue = b.context.scope === null ? null : safeParse(b.context.scope);
  const scope: ScopeInfo | null = isObject(scopeValue) ? { name: str(scopeValue.name), version: str(scopeValue.version) } : null;
  const bytes = Buffer.isBuffer(b.bytes) ? b.bytes : Buffer.from(b.bytes.buffer, b.bytes.byteOffset, b.bytes.byteLength);
  const n = b.offsets.length;
  const pointer = (k: number) => `${b.context.pointer}/${b.context.index + k}`;
  let raws: unknown[] | null = null;
  try {
    // The batch is a JSON array of its spans: JSON.parse once instead of n times.
    raws = JSON.parse(bytes.toString("utf8")) as unknown[];
    if (!Array.isArray(raws) || raws.length !== n) raws = null;
  } catch {
    raws = null;
  }
  const parsed: Array<{ raw: unknown } | SkippedItem> = [];
  for (let k = 0; k < n; k++) {
    if (raws) {
      parsed.push({ raw: raws[k] });
      continue;
    }
    // Span k is bytes[starts[k], starts[k + 1] − 1): the byte before the next start is `,` or `]`.
    const text = bytes.toString("utf8", b.starts[k], b.starts[k + 1]! - 1);
    try {
      parsed.push({ raw: JSON.parse(text) });
    } catch (e) {
      const d = describeParseError(e, text, b.offsets[k]!, b.lines[k]!, b.offsets[k]!);
      parsed.push({ kind: "skipped", pointer: pointer(k), line: d.line, reason: d.reason, excerpt: text.slice(0, 200) });
    }
  }
  return {
    size: n,
    facts(k) {
      const p = parsed[k]!;
      return "kind" in p ? null : spanFacts(p.raw, res);
    },
    record(k) {
      const p = parsed[k]!;
      return "kind" in p ? p : mapOtlpSpan(p.raw, res, scope, { pointer: pointer(k), line: b.lines[k]!, offset: b.offsets[k]! });
    },
  };
}

/** Span attributes spanFacts reads (http status and peer, as mapOtlpSpan does). */
const FACT_KEYS = ["http.response.status_code", "http.status_code", "peer.service", "server.address", "net.peer.name"] as const;

/**
 * The fields of mapOtlpSpan's record that aggregates, digests and row decisions read, built without
 * the record (no attrs object, events or warnings). Null when the span would be skipped. Must agree
 * with mapOtlpSpan field by field (tests/unit/parsers/otlp-json.test.ts checks every sample).
 */
export function spanFacts(raw: unknown, res: ResourceInfo | null): SpanFacts | null {
  if (!isObject(raw)) return null;
  const traceId = normaliseId(raw.traceId, 16);
  const spanId = normaliseId(raw.spanId, 8);
  if (!traceId || !spanId) return null;
  const startRaw = raw.startTimeUnixNano;
  const ts = fromEpochNanos(typeof startRaw === "number" || typeof startRaw === "string" ? startRaw : NaN);
  if (!Number.isFinite(ts) || ts <= 0) return null;
  const status = isObject(raw.status) ? raw.status : {};
  // Only the span's own attributes can hold these keys (resource attributes copied onto spans are
  // k8s./host./cloud./service./container./deployment.* — see RESOURCE_ATTR).
  // Last value per key wins, like kvList; then the same `??` chains as mapOtlpSpan.
  const last: Partial<Record<(typeof FACT_KEYS)[number], string | number | boolean | null>> = {};
  if (Array.isArray(raw.attributes)) {
    for (const kv of raw.attributes) {
      if (isObject(kv) && typeof kv.key === "string" && (FACT_KEYS as readonly string[]).includes(kv.key)) last[kv.key as (typeof FACT_KEYS)[number]] = anyValue(kv.value);
    }
  }
  const http = last["http.response.status_code"] ?? last["http.status_code"];
  const peer = last["peer.service"] ?? last["server.address"] ?? last["net.peer.name"];
  const facts: SpanFacts = {
    kind: "span",
    traceId,
    service: res?.service ?? "unknown_service",
    spanKind: KINDS[String(raw.kind ?? 0)] ?? "unspecified",
    ts: ts as EpochMs,
    durationMs: durationFromNanos(startRaw, raw.endTimeUnixNano, ts),
    status: STATUS[String(status.code ?? 0)] ?? "unset",
  };
  const h = int(http);
  if (h !== undefined) facts.httpStatus = h;
  if (typeof peer === "string" && peer !== "") facts.peer = peer;
  return facts;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * Re-reads one stored batch (a summarised file's block): `bytes` is the file's range
 * [byteStart, byteEnd) — span objects separated by commas and whitespace — scanned as a JSON array
 * so each span gets the offset, line and pointer it had at ingest.
 */
export async function reparseSpanBlock(bytes: Buffer, at: { byteStart: number; lineStart: number; context: SpanBatchContext }): Promise<Array<SpanRecord | SkippedItem>> {
  const spans: Buffer[] = [];
  const offsets: number[] = [];
  const lines: number[] = [];
  for await (const events of scanJsonStream(Readable.from([Buffer.from("["), bytes, Buffer.from("]")]), [{ path: "[*]", kind: "record", tag: "span", raw: true }])) {
    for (const ev of events) {
      if (ev.type !== "raw") continue;
      spans.push(ev.bytes);
      // Offsets: the `[` put in front shifts them by one byte; lines: the scanner counts from 1.
      offsets.push(at.byteStart + ev.offset - 1);
      lines.push(at.lineStart + ev.line - 1);
    }
  }
  return mapSpanBatch({ context: at.context, ...packSpans(spans), offsets, lines, byteStart: at.byteStart, byteEnd: at.byteStart + bytes.length });
}

/** Items in batches (one per scanner batch): the ingest path avoids an async step per span. */
async function* parseOtlpBatches(input: Readable): AsyncGenerator<ParseItem[]> {
  for await (const items of scanOtlpSpans(input as AsyncIterable<Buffer>)) {
    const out: ParseItem[] = [];
    for (const it of items) {
      if ("kind" in it) out.push(it);
      else for (const r of mapSpanBatch(it)) out.push(r);
    }
    if (out.length) yield out;
  }
}

async function* parseOtlp(input: Readable): AsyncGenerator<ParseItem> {
  for await (const batch of parseOtlpBatches(input)) yield* batch;
}

const protoExample = `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"my.service"}}]},"scopeSpans":[{"scope":{"name":"my.library","version":"1.0.0"},"spans":[{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","parentSpanId":"EEE19B7EC3C1B173","name":"I'm a server span","startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000","kind":2,"attributes":[{"key":"my.span.attr","value":{"stringValue":"some value"}}]}]}]}]}`;

export const otlpJsonParser: Parser = {
  id: "otlp-json",
  title: "OpenTelemetry OTLP/JSON traces",
  emits: ["span"],
  sniff: (head) => sniffOtlp(head),
  parse: (input) => parseOtlp(input),
  parseBatches: (input) => parseOtlpBatches(input),
  spanBatches: { scan: (input, maxBatchBytes) => scanOtlpSpans(input, maxBatchBytes), map: mapSpanBatch, read: readSpanBatch, reparse: reparseSpanBlock },
  samples: [
    // opentelemetry-proto examples/trace.json, compacted
    {
      name: "traces/trace.json",
      content: protoExample,
      expect: {
        records: 1, skipped: 0, kinds: { span: 1 },
        fields: {
          // hex ids lower-cased; kind 2 is SERVER
          0: {
            traceId: "5b8efff798038103d269b633813fc60c", spanId: "eee19b7ec3c1b174", parentSpanId: "eee19b7ec3c1b173", service: "my.service", name: "I'm a server span", spanKind: "server",
            ts: "2018-12-13T14:51:00Z", durationMs: 1000, attrs: { "my.span.attr": "some value", "otel.scope.name": "my.library" },
          },
        },
      },
    },
    {
      // Collector file exporter (JSON Lines), base64 ids + string enums, resource after scopeSpans, one broken line
      name: "otel/traces.jsonl",
      content: [
        `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"6Lbf+fjUSyjxsivDvS9naA==","spanId":"kAf+pIRVStc=","name":"GET /","kind":"SPAN_KIND_SERVER","startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000250000000","status":{"code":"STATUS_CODE_ERROR"}}]}],"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"frontend"}}]}}]}`,
        `{"resourceSpans":[{"resource":{},"scopeSpans":[{"spans":[{"traceId":"6Lbf+fjUSyjxsivDvS9naA==" "spanId":"x"}]}]}]}`,
        `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"cart"}}]},"scopeSpans":[{"spans":[{"traceId":"e8b6dff9f8d44b28f1b22bc3bd2f6768","spanId":"1111111111111111","parentSpanId":"9007fea484554ad7","name":"SELECT","kind":3,"startTimeUnixNano":"1700000000010000000","endTimeUnixNano":"1700000000020000000"}]}]}]}`,
      ].join("\n"),
      expect: {
        records: 2, skipped: 1, kinds: { span: 2 },
        fields: {
          // base64 ids: 6Lbf+fjUSyjxsivDvS9naA== is e8b6…6768, kAf+pIRVStc= is 9007fea484554ad7; kind 3 is CLIENT
          0: { traceId: "e8b6dff9f8d44b28f1b22bc3bd2f6768", spanId: "9007fea484554ad7", parentSpanId: null, service: "frontend", name: "GET /", spanKind: "server", status: "error", ts: "2023-11-14T22:13:20Z", durationMs: 250, prov: { line: 1 } },
          1: { traceId: "e8b6dff9f8d44b28f1b22bc3bd2f6768", spanId: "1111111111111111", parentSpanId: "9007fea484554ad7", service: "cart", name: "SELECT", spanKind: "client", ts: "2023-11-14T22:13:20.010Z", durationMs: 10, prov: { line: 3 } },
        },
      },
    },
  ],
};
