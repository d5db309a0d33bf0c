import type { Readable } from "node:stream";
import type { Attrs, SpanRecord } from "@/lib/schemas/records";
import { durationMs, epochMs } from "@/lib/schemas/time";
import { attrValue, isObject, problemToSkipped, roundMs, str } from "./json/common";
import { scanJsonStream, type RouteSpec } from "./json/scanner";
import type { ParseItem, Parser, SkippedItem } from "./types";

/**
 * AWS X-Ray segment documents: a segment object, an array of segments, the daemon's UDP framing
 * (`{"format":"json","version":1}` header then segments), and `aws xray batch-get-traces` output whose
 * `Traces[].Segments[].Document` is JSON inside a string (decoded a second time).
 *
 * Every segment and every (nested) subsegment becomes one span; a subsegment's parent is the
 * segment/subsegment that encloses it, its service the segment's name:
 *
 *   segment "smartgateway" (server) ─┬─ subsegment "presentationservice" (remote → client)
 *                                    │     ··· 1000 ms gap ···
 *   segment "presentationservice" (server, parent_id = that subsegment)
 *
 * Each top-level value is captured whole (a segment is ≤ 64 KB by the daemon protocol, one
 * batch-get-traces page holds ≤ 5 traces); root arrays are walked so a big array of segments streams.
 */

const MAX_VALUE_BYTES = 64 * 1024 * 1024;
/** Bounds the id→service/exception maps that resolve independent subsegments and string causes. */
const MAX_REMEMBERED = 200_000;

const XRAY_ROUTES: RouteSpec[] = [
  { path: "", kind: "record", tag: "doc", objectOnly: true },
  { path: "[*]", kind: "record", tag: "doc" },
];

const num = (v: unknown): number | undefined => {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "string" && v.trim() !== "") {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
};

interface FileState {
  serviceById: Map<string, string>;
  exceptionById: Map<string, string>;
  inProgress: number;
  spans: number;
}

function remember(m: Map<string, string>, k: string, v: string): void {
  if (m.size >= MAX_REMEMBERED) m.clear();
  m.set(k, v);
}

function describeCause(cause: unknown, state: FileState, attrs: Attrs): string | undefined {
  if (typeof cause === "string") {
    attrs["xray.cause.exception_id"] = cause;
    const known = state.exceptionById.get(cause);
    return known ?? `exception ${cause}`;
  }
  if (!isObject(cause) || !Array.isArray(cause.exceptions)) return undefined;
  const texts: string[] = [];
  for (const e of cause.exceptions) {
    if (!isObject(e)) continue;
    const t = [str(e.type), str(e.message)].filter(Boolean).join(": ");
    if (typeof e.id === "string" && t) remember(state.exceptionById, e.id, t);
    if (e.remote === true) attrs["xray.exception.remote"] = true;
    if (t && texts.length < 3) texts.push(t);
  }
  return texts.length > 0 ? texts.join("; ") : undefined;
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname || undefined;
  } catch {
    return undefined;
  }
}

interface Pending {
  node: Record<string, unknown>;
  parentId: string | null;
  traceId: string;
  service: string;
  pointer: string;
  root: boolean;
}

/**
 * Flattens one segment (or independent subsegment) document into spans. Iterative, so a hostile
 * document nested thousands of levels deep cannot overflow the stack.
 */
function* segmentSpans(doc: Record<string, unknown>, pointer: string, line: number, offset: number, state: FileState): Generator<ParseItem> {
  const traceId = str(doc.trace_id);
  if (!traceId) {
    yield { kind: "skipped", pointer: pointer || "/", line, reason: "X-Ray segment without trace_id", excerpt: JSON.stringify(doc).slice(0, 200) };
    return;
  }
  const independent = doc.type === "subsegment";
  const parentId = str(doc.parent_id) ?? null;
  let service = str(doc.name) ?? "unknown_service";
  if (independent) service = (parentId && state.serviceById.get(parentId)) || "unknown_service";
  const stack: Pending[] = [{ node: doc, parentId, traceId, service, pointer, root: !independent }];
  while (stack.length > 0) {
    const p = stack.pop()!;
    const r = toSpan(p, line, offset, state, independent && p.node === doc);
    yield r;
    if (r.kind !== "span") continue;
    const subs = p.node.subsegments;
    if (Array.isArray(subs)) {
      for (let i = subs.length - 1; i >= 0; i--) {
        const s = subs[i];
        const ptr = `${p.pointer}/subsegments/${i}`;
        if (isObject(s)) stack.push({ node: s, parentId: r.spanId, traceId: p.traceId, service: p.service, pointer: ptr, root: false });
        else yield { kind: "skipped", pointer: ptr, line, reason: "subsegment is not an object" };
      }
    }
  }
}

function toSpan(p: Pending, line: number, offset: number, state: FileState, independentWithoutParent: boolean): SpanRecord | SkippedItem {
  const n = p.node;
  const id = str(n.id);
  const start = num(n.start_time);
  const skip = (reason: string): SkippedItem => ({ kind: "skipped", pointer: p.pointer || "/", line, reason, excerpt: JSON.stringify(n).slice(0, 200) });
  if (!id) return skip("X-Ray segment/subsegment without id");
  if (start === undefined) return skip(`X-Ray ${p.root ? "segment" : "subsegment"} ${id} without a numeric start_time`);
  const warnings: string[] = [];
  const end = num(n.end_time);
  let dur: number | null = null;
  if (end !== undefined) {
    dur = roundMs((end - start) * 1000);
    if (dur < 0) warnings.push("end_time before start_time");
  } else {
    state.inProgress++;
    warnings.push(n.in_progress === true ? "in progress: no end_time, duration unknown" : "no end_time: duration unknown");
  }
  const attrs: Attrs = {};
  const http = isObject(n.http) ? n.http : {};
  const req = isObject(http.request) ? http.request : undefined;
  const resp = isObject(http.response) ? http.response : undefined;
  if (req) {
    for (const k of ["method", "url", "client_ip", "user_agent", "x_forwarded_for", "traced"] as const) if (req[k] !== undefined) attrs[`http.${k}`] = attrValue(req[k]);
  }
  if (resp?.content_length !== undefined) attrs["http.content_length"] = attrValue(resp.content_length);
  if (isObject(n.aws)) {
    for (const [k, v] of Object.entries(n.aws)) {
      if (v === null || typeof v !== "object") attrs[`aws.${k}`] = attrValue(v);
      else if (Array.isArray(v) && k === "resource_names") attrs["aws.resource_names"] = attrValue(v);
    }
  }
  for (const k of ["namespace", "origin", "inferred", "user", "resource_arn"] as const) if (n[k] !== undefined) attrs[`xray.${k}`] = attrValue(n[k]);
  if (n.error === true) attrs["xray.error"] = true;
  if (isObject(n.annotations)) for (const [k, v] of Object.entries(n.annotations)) attrs[`annotation.${k}`] = attrValue(v);
  if (isObject(n.sql)) for (const k of ["url", "database_type", "sanitized_query"] as const) if (n.sql[k] !== undefined) attrs[`sql.${k}`] = attrValue(n.sql[k]);

  const name = str(n.name) ?? "";
  const ns = str(n.namespace);
  const spanKind: SpanRecord["spanKind"] = p.root ? "server" : ns === "remote" || ns === "aws" || req !== undefined ? "client" : "internal";
  const rec: SpanRecord = {
    kind: "span",
    traceId: p.traceId,
    spanId: id,
    parentSpanId: p.parentId,
    service: p.root ? name || "unknown_service" : p.service,
    name,
    spanKind,
    ts: epochMs(roundMs(start * 1000)),
    durationMs: dur === null ? null : durationMs(dur),
    status: n.fault === true ? "error" : "unset",
    attrs,
    prov: { pointer: p.pointer || "/", line, offset },
  };
  if (n.fault === true || n.error === true || n.throttle === true) rec.fault = n.fault === true;
  if (n.throttle === true) rec.throttle = true;
  const status = num(resp?.status);
  if (status !== undefined && Number.isInteger(status)) rec.httpStatus = status;
  const msg = describeCause(n.cause, state, attrs);
  if (msg) rec.statusMessage = msg;
  if (spanKind === "client") {
    const url = str(req?.url);
    const host = url ? hostOf(url) : undefined;
    if (host) attrs["peer.host"] = host;
    rec.peer = host ?? name;
  }
  if (independentWithoutParent && rec.service === "unknown_service") warnings.push(`independent subsegment: parent ${p.parentId ?? "?"} not seen earlier in this file, service unknown`);
  remember(state.serviceById, id, rec.service);
  if (warnings.length > 0) rec.warnings = warnings;
  return rec;
}

function* handleDocument(v: unknown, pointer: string, line: number, offset: number, state: FileState): Generator<ParseItem> {
  if (!isObject(v)) {
    yield { kind: "skipped", pointer: pointer || "/", line, reason: "not an X-Ray segment (expected an object)", excerpt: JSON.stringify(v)?.slice(0, 200) };
    return;
  }
  // daemon UDP header: {"format":"json","version":1}
  if (v.format === "json" && "version" in v && !("id" in v)) return;
  if (Array.isArray(v.Traces)) {
    for (const [ti, t] of v.Traces.entries()) {
      if (!isObject(t) || !Array.isArray(t.Segments)) continue;
      for (const [si, s] of t.Segments.entries()) {
        const ptr = `${pointer}/Traces/${ti}/Segments/${si}/Document`;
        const d = isObject(s) ? s.Document : undefined;
        let doc: unknown = d;
        if (typeof d === "string") {
          try {
            doc = JSON.parse(d);
          } catch (e) {
            yield { kind: "skipped", pointer: ptr, line, reason: `segment Document is not valid JSON: ${e instanceof Error ? e.message : String(e)}`, excerpt: d.slice(0, 200) };
            continue;
          }
        }
        if (isObject(doc)) yield* segmentSpans(doc, ptr, line, offset, state);
        else yield { kind: "skipped", pointer: ptr, line, reason: "segment without a Document object" };
      }
    }
    if (Array.isArray(v.UnprocessedTraceIds) && v.UnprocessedTraceIds.length > 0) {
      yield { kind: "warning", message: `${v.UnprocessedTraceIds.length} trace ids were not returned by batch-get-traces (UnprocessedTraceIds)`, line };
    }
    return;
  }
  if ("id" in v || "trace_id" in v || "start_time" in v) {
    yield* segmentSpans(v, pointer, line, offset, state);
    return;
  }
  yield { kind: "skipped", pointer: pointer || "/", line, reason: "not an X-Ray segment: no id, trace_id or start_time", excerpt: JSON.stringify(v).slice(0, 200) };
}

const DAEMON_HEADER = /^\s*\{\s*"format"\s*:\s*"json"/;
const TRACE_ID = /"trace_id"\s{0,20}:\s{0,20}"1-[0-9a-fA-F]{8}-/;

function sniffXray(head: string): number {
  let i = 0;
  while (i < head.length && i < 4096 && /[\s\uFEFF]/.test(head[i]!)) i++;
  const c = head[i];
  if (c !== "{" && c !== "[") return 0;
  if (DAEMON_HEADER.test(head.slice(i, i + 200))) return 0.95;
  if (head.includes('"Traces"') && head.includes('"Segments"') && head.includes('"Document"')) return 0.95;
  if (TRACE_ID.test(head)) return 0.9;
  if (head.includes('"start_time"') && head.includes('"id"') && (head.includes('"subsegments"') || head.includes('"in_progress"') || head.includes('"parent_id"'))) return 0.7;
  return 0;
}

async function* parseXray(input: Readable): AsyncGenerator<ParseItem> {
  const state: FileState = { serviceById: new Map(), exceptionById: new Map(), inProgress: 0, spans: 0 };
  for await (const batch of scanJsonStream(input as AsyncIterable<Buffer>, XRAY_ROUTES, { maxRecordBytes: MAX_VALUE_BYTES })) {
    for (const ev of batch) {
      if (ev.type === "record") {
        for (const item of handleDocument(ev.value, ev.pointer, ev.line, ev.offset, state)) {
          if (item.kind === "span") state.spans++;
          yield item;
        }
      } else if (ev.type === "problem") yield problemToSkipped(ev);
    }
  }
  if (state.inProgress > 0) yield { kind: "warning", message: `${state.inProgress} in-progress segment(s) without end_time: their duration is unknown` };
  if (state.spans === 0) yield { kind: "warning", message: "no X-Ray segments found" };
}

export const xrayParser: Parser = {
  id: "xray",
  title: "AWS X-Ray segments and batch-get-traces output",
  emits: ["span"],
  sniff: (head) => sniffXray(head),
  parse: (input) => parseXray(input),
  samples: [
    {
      // awsdocs segment with an embedded `namespace: remote` subsegment (aws-xray-developer-guide)
      name: "xray/segment.json",
      content: `{"trace_id":"1-5759e988-bd862e3fe1be46a994272793","id":"defdfd9912dc5a56","start_time":1461096053.37518,"end_time":1461096053.4042,"name":"www.example.com","http":{"request":{"url":"https://www.example.com/health","method":"GET","user_agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_6) AppleWebKit/601.7.7","client_ip":"11.0.3.111"},"response":{"status":200,"content_length":86}},"subsegments":[{"id":"53995c3f42cd8ad8","name":"api.example.com","start_time":1461096053.37769,"end_time":1461096053.40379,"namespace":"remote","http":{"request":{"url":"https://api.example.com/health","method":"POST","traced":true},"response":{"status":200,"content_length":861}}}]}`,
      expect: {
        records: 2, skipped: 0, kinds: { span: 2 },
        fields: {
          // the segment, then its remote subsegment as a client span
          0: {
            traceId: "1-5759e988-bd862e3fe1be46a994272793", spanId: "defdfd9912dc5a56", parentSpanId: null, name: "www.example.com", spanKind: "server", ts: "2016-04-19T20:00:53.37518Z", httpStatus: 200,
            attrs: { "http.method": "GET", "http.url": "https://www.example.com/health", "http.client_ip": "11.0.3.111" },
          },
          1: { spanId: "53995c3f42cd8ad8", parentSpanId: "defdfd9912dc5a56", name: "api.example.com", spanKind: "client", ts: "2016-04-19T20:00:53.37769Z", httpStatus: 200, peer: "api.example.com", attrs: { "http.method": "POST", "xray.namespace": "remote" } },
        },
      },
    },
    {
      // daemon framing: header line, an in-progress segment, a string cause, then a broken segment
      name: "xray/daemon.txt",
      content: [
        `{"format": "json", "version": 1}`,
        `{"trace_id":"1-581cf771-a006649127e371903a2de979","id":"70de5b6f19ff9a0b","name":"example.com","start_time":1.478293361271E9,"in_progress":true}`,
        `{"trace_id":"1-5f187253-6a106696d56b1f4ef9eba2ed","id":"5cc4a447f5d4d696","name":"CauseIsExceptionID","start_time":1595437651.680097,"end_time":1595437652.197392,"fault":true,"cause":"abcdefghijklmnop","Dummy":false}`,
        `{"trace_id":"1-5f187253-6a106696d56b1f4ef9eba2ed","id":"x" "name":"broken"}`,
      ].join("\n"),
      expect: {
        records: 2, skipped: 1, kinds: { span: 2 },
        fields: {
          // in progress: no end_time, no duration
          0: { traceId: "1-581cf771-a006649127e371903a2de979", spanId: "70de5b6f19ff9a0b", name: "example.com", ts: "2016-11-04T21:02:41.271Z", durationMs: null, prov: { line: 2 } },
          1: { spanId: "5cc4a447f5d4d696", name: "CauseIsExceptionID", ts: "2020-07-22T17:07:31.680097Z", fault: true, status: "error", attrs: { "xray.cause.exception_id": "abcdefghijklmnop" }, prov: { line: 3 } },
        },
      },
    },
  ],
};
