import { readFileSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { SpanRecord } from "@/lib/schemas/records";
import { sniff } from "@/lib/server/parsers/registry";
import type { ParseItem, SkippedItem, WarningItem } from "@/lib/server/parsers/types";
import { xrayParser } from "@/lib/server/parsers/xray";

const PUB = path.resolve(__dirname, "../../fixtures/public/xray");
const OWN = path.resolve(__dirname, "../../fixtures/own/xray");
const read = (dir: string, f: string) => readFileSync(path.join(dir, f));

async function parse(content: Buffer | string, chunk = 1 << 16) {
  const buf = typeof content === "string" ? Buffer.from(content) : content;
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunk) chunks.push(buf.subarray(i, i + chunk));
  const items: ParseItem[] = [];
  for await (const x of xrayParser.parse(Readable.from(chunks), { path: "x" })) items.push(x);
  return {
    items,
    spans: items.filter((x): x is SpanRecord => x.kind === "span"),
    skipped: items.filter((x): x is SkippedItem => x.kind === "skipped"),
    warnings: items.filter((x): x is WarningItem => x.kind === "warning"),
  };
}
const byId = (spans: SpanRecord[]) => new Map(spans.map((s) => [s.spanId, s]));

describe("xray parser: public samples", () => {
  it("sniffs every public sample as xray", () => {
    for (const f of ["awscli-example-batch-get-traces.json", "awsdocs-batch-get-traces-scorekeep-lambda.json", "awsdocs-segment-embedded-subsegment.json", "awsdocs-segment-in-progress.json", "awsdocs-independent-subsegment-INVALID-JSON.json", "otelcontrib-rawsegment-ddbSample.txt", "otelcontrib-rawsegment-minCauseIsExceptionId.txt", "otelcontrib-rawsegment-serverSample.txt"]) {
      expect(sniff(read(PUB, f).toString("utf8"), `xray/${f}`).parser?.id, f).toBe("xray");
    }
  });

  it("batch-get-traces (aws-cli): decodes Document strings, scientific-notation times, inferred segment", async () => {
    const { spans, skipped } = await parse(read(PUB, "awscli-example-batch-get-traces.json"));
    expect(skipped).toEqual([]);
    expect(spans.map((s) => s.spanId).sort()).toEqual(["0f278b6334c34e6b", "2d6900034ccfe558", "54aff5735b12dd28"]);
    const m = byId(spans);
    const root = m.get("54aff5735b12dd28")!;
    expect(root).toMatchObject({ traceId: "1-5d82881a-0a9126e92a73e971eed891b9", parentSpanId: null, service: "Scorekeep", spanKind: "server", httpStatus: 200, status: "unset" });
    expect(root.ts).toBeCloseTo(1568835610432, 3);
    expect(root.durationMs).toBeCloseTo(232, 3);
    expect(root.attrs["http.method"]).toBe("POST");
    expect(root.attrs["http.url"]).toBe("http://scorekeep-env-1.m4fg2pfzpv.us-east-2.elasticbeanstalk.com/api/user");
    expect(root.prov.pointer).toBe("/Traces/0/Segments/0/Document");
    const ddbCall = m.get("2d6900034ccfe558")!;
    expect(ddbCall).toMatchObject({ parentSpanId: "54aff5735b12dd28", service: "Scorekeep", name: "DynamoDB", spanKind: "client", peer: "DynamoDB" });
    expect(ddbCall.attrs["aws.operation"]).toBe("UpdateItem");
    expect(ddbCall.attrs["aws.table_name"]).toBe("scorekeep-user");
    expect(ddbCall.durationMs).toBeCloseTo(6, 3);
    // the inferred segment points to the client subsegment it duplicates
    expect(m.get("0f278b6334c34e6b")).toMatchObject({ parentSpanId: "2d6900034ccfe558", service: "DynamoDB", spanKind: "server", attrs: expect.objectContaining({ "xray.inferred": true, "xray.origin": "AWS::DynamoDB::Table" }) });
  });

  it("batch-get-traces (scorekeep lambda): 5 unordered segments, nested subsegments, annotations", async () => {
    const { spans, skipped } = await parse(read(PUB, "awsdocs-batch-get-traces-scorekeep-lambda.json"));
    expect(skipped).toEqual([]);
    // 5 segments + 2 (Scorekeep) + 1 nested DynamoDB + 3 (Lambda::Function)
    expect(spans).toHaveLength(11);
    const m = byId(spans);
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set(["1-59602603-23fc5b688855d396af79b496"]));
    expect(m.get("4cd3f10b76c624b4")).toMatchObject({ parentSpanId: "071684f2e555e571", service: "Scorekeep", spanKind: "client", httpStatus: 200 });
    expect(m.get("071684f2e555e571")).toMatchObject({ parentSpanId: "194fcc8747581230", spanKind: "internal", name: "## UserModel.saveUser" });
    expect(m.get("e6d2fe619f827804")!.attrs).toMatchObject({ "annotation.UserID": "5M388M1E", "annotation.Name": "Ola" });
    expect(m.get("b29b548af4d54a0f")!.attrs).toMatchObject({ "aws.operation": "Publish", "aws.retries": 0 });
    expect(m.get("00f91aa01f4984fd")).toMatchObject({ parentSpanId: "1fb07842d944e714", service: "random-name", spanKind: "server" });
    // 1.49947341283E9 → ms
    expect(m.get("00f91aa01f4984fd")!.ts).toBeCloseTo(1499473412830, 3);
    // every parent id resolves inside the trace
    for (const s of spans) if (s.parentSpanId) expect(m.has(s.parentSpanId), s.spanId).toBe(true);
  });

  it("segment with embedded remote subsegment: client kind, peer host, http status", async () => {
    const { spans } = await parse(read(PUB, "awsdocs-segment-embedded-subsegment.json"));
    expect(spans).toHaveLength(2);
    const [seg, sub] = spans as [SpanRecord, SpanRecord];
    expect(seg).toMatchObject({ spanId: "defdfd9912dc5a56", service: "www.example.com", spanKind: "server", httpStatus: 200 });
    expect(seg.durationMs).toBeCloseTo(29.02, 3);
    expect(sub).toMatchObject({ spanId: "53995c3f42cd8ad8", parentSpanId: "defdfd9912dc5a56", service: "www.example.com", name: "api.example.com", spanKind: "client", peer: "api.example.com", httpStatus: 200 });
    expect(sub.attrs["peer.host"]).toBe("api.example.com");
    expect(sub.ts - seg.ts).toBeCloseTo(2.51, 3);
  });

  it("in-progress segment: duration null with a record warning and a file warning", async () => {
    const { spans, warnings } = await parse(read(PUB, "awsdocs-segment-in-progress.json"));
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({ spanId: "70de5b6f19ff9a0b", durationMs: null, service: "example.com" });
    expect(spans[0]!.ts).toBeCloseTo(1478293361271, 3);
    expect(spans[0]!.warnings?.[0]).toMatch(/in progress/);
    expect(warnings.map((w) => w.message)).toContainEqual(expect.stringMatching(/1 in-progress segment/));
  });

  it("invalid JSON sample: one clear per-file skipped item naming the position, no throw", async () => {
    const { spans, skipped } = await parse(read(PUB, "awsdocs-independent-subsegment-INVALID-JSON.json"));
    expect(spans).toEqual([]);
    expect(skipped).toHaveLength(1);
    // the missing comma after "trace_id": the next property starts at line 8, col 3
    expect(skipped[0]!.reason).toMatch(/^invalid JSON at byte \d+ \(line 8, col 3\): expected ',' or '}' after property value$/);
    expect(skipped[0]!.line).toBe(8);
  });

  it("independent subsegment in valid form: parent and service from the segment seen earlier", async () => {
    const seg = `{"trace_id":"1-581cf771-a006649127e371903a2de979","id":"defdfd9912dc5a56","name":"www.example.com","start_time":1.478293361271E9,"end_time":1.478293361449E9}`;
    const fixed = read(PUB, "awsdocs-independent-subsegment-INVALID-JSON.json").toString().replace(`"1-581cf771-a006649127e371903a2de979"\n`, `"1-581cf771-a006649127e371903a2de979",\n`);
    const { spans, skipped } = await parse(`${seg}\n${fixed}`);
    expect(skipped).toEqual([]);
    expect(spans[1]).toMatchObject({ spanId: "53995c3f42cd8ad8", parentSpanId: "defdfd9912dc5a56", service: "www.example.com", spanKind: "client", peer: "api.example.com", httpStatus: 200 });
    const alone = await parse(fixed);
    expect(alone.spans[0]).toMatchObject({ service: "unknown_service", parentSpanId: "defdfd9912dc5a56" });
    expect(alone.spans[0]!.warnings?.join()).toMatch(/parent defdfd9912dc5a56 not seen/);
  });

  it("daemon frame with DynamoDB fault: 18 spans over 5 levels, cause exceptions, HTTP 400", async () => {
    const { spans, skipped } = await parse(read(PUB, "otelcontrib-rawsegment-ddbSample.txt"), 777);
    expect(skipped).toEqual([]);
    expect(spans).toHaveLength(18);
    const m = byId(spans);
    const root = m.get("88ad1df59cd7a7be")!;
    expect(root).toMatchObject({ service: "DDB", spanKind: "server", status: "error", fault: true, statusMessage: "dynamodb.ResourceNotFoundException: ResourceNotFoundException: Requested resource not found" });
    expect(root.attrs["xray.exception.remote"]).toBe(true);
    const put = m.get("71631df3f58bdfc5")!;
    expect(put).toMatchObject({ name: "dynamodb", service: "DDB", spanKind: "client", httpStatus: 400, status: "error", parentSpanId: "7df694142c905d8d" });
    expect(put.attrs["aws.operation"]).toBe("PutItem");
    // 5 levels: DDB → DDB.Describe… → dynamodb → attempt → connect → dns
    const chain: string[] = [];
    for (let s: SpanRecord | undefined = m.get("0cab02b318413eb1"); s; s = s.parentSpanId ? m.get(s.parentSpanId) : undefined) chain.push(s.name);
    expect(chain).toEqual(["dns", "connect", "attempt", "dynamodb", "DDB.DescribeExistingTableAndPutToMissingTable", "DDB"]);
    expect(m.get("0cab02b318413eb1")!.spanKind).toBe("internal");
  });

  it("string cause (exception id) and the daemon header are handled", async () => {
    const { spans, skipped } = await parse(read(PUB, "otelcontrib-rawsegment-minCauseIsExceptionId.txt"));
    expect(skipped).toEqual([]);
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({ status: "error", fault: true, statusMessage: "exception abcdefghijklmnop", attrs: { "xray.cause.exception_id": "abcdefghijklmnop" } });
    expect(spans[0]!.durationMs).toBeCloseTo(517.295, 3);
  });

  it("minimal server segment: http attrs", async () => {
    const { spans } = await parse(read(PUB, "otelcontrib-rawsegment-serverSample.txt"), 1);
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({ service: "SampleServer", spanKind: "server", httpStatus: 200, attrs: expect.objectContaining({ "http.method": "GET", "http.url": "http://localhost:8000/", "http.client_ip": "127.0.0.1" }) });
    expect(spans[0]!.durationMs).toBeCloseTo(0.1943, 3);
  });
});

describe("xray parser: own fixtures and edge cases", () => {
  it("seed 003 shape: the upstream service starts exactly 1 s / 3 s after the gateway's call left", async () => {
    const { spans, skipped } = await parse(read(OWN, "seed003-snat-race-batch-get-traces.json"));
    expect(skipped).toEqual([]);
    expect(spans).toHaveLength(8);
    const gaps: number[] = [];
    for (const call of spans.filter((s) => s.service === "smartgateway" && s.spanKind === "client")) {
      expect(call.peer).toBe("presentationservice.default.svc.cluster.local");
      const upstream = spans.find((s) => s.parentSpanId === call.spanId)!;
      expect(upstream).toMatchObject({ service: "presentationservice", spanKind: "server", traceId: call.traceId });
      expect(upstream.durationMs).toBeCloseTo(12.8, 3);
      gaps.push(upstream.ts - call.ts);
    }
    expect(gaps.map((g) => Math.round(g))).toEqual([1003, 3003]);
  });

  it("array of segments is walked element by element", async () => {
    const a = `[{"trace_id":"1-5f2aebcc-b475d14618c51eaa28753d37","id":"a","name":"s","start_time":"1596648396.5","end_time":1596648396.75,"throttle":true,"error":true,"http":{"response":{"status":429}}},7]`;
    const { spans, skipped } = await parse(a, 3);
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({ throttle: true, fault: false, httpStatus: 429, durationMs: 250, status: "unset", attrs: { "xray.error": true }, prov: { pointer: "/0" } });
    expect(skipped).toMatchObject([{ pointer: "/1", reason: expect.stringMatching(/not an X-Ray segment/) }]);
  });

  it("a bad Document string is skipped with its pointer, the others parse", async () => {
    const doc = { Traces: [{ Id: "t", Segments: [{ Id: "x", Document: "{not json" }, { Id: "y", Document: JSON.stringify({ trace_id: "1-00000000-000000000000000000000000", id: "y", name: "ok", start_time: 1, end_time: 2 }) }] }] };
    const { spans, skipped } = await parse(JSON.stringify(doc));
    expect(spans.map((s) => s.spanId)).toEqual(["y"]);
    expect(skipped[0]).toMatchObject({ pointer: "/Traces/0/Segments/0/Document", reason: expect.stringMatching(/not valid JSON/) });
  });

  it("deeply nested subsegments do not overflow the stack", async () => {
    let sub = `{"id":"leaf","name":"leaf","start_time":1,"end_time":2}`;
    for (let i = 0; i < 3000; i++) sub = `{"id":"s${i}","name":"n","start_time":1,"end_time":2,"subsegments":[${sub}]}`;
    const { spans } = await parse(`{"trace_id":"1-00000000-000000000000000000000000","id":"root","name":"r","start_time":1,"end_time":2,"subsegments":[${sub}]}`);
    expect(spans).toHaveLength(3002);
  });

  it("does not claim HTML, binary, OTLP, Jaeger, Prometheus or k8s JSON", () => {
    const heads = [
      `<!DOCTYPE html><html><body>{"trace_id":"1-5f2aebcc-b475d14618c51eaa28753d37"}</body></html>`,
      "\u0000\u0001\ufffd\ufffdPK\u0003\u0004",
      `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"00","spanId":"01","startTimeUnixNano":"1"}]}]}]}`,
      `{"data":[{"traceID":"ab","spans":[{"traceID":"ab","spanID":"cd","operationName":"x"}]}]}`,
      `{"status":"success","data":{"resultType":"matrix","result":[]}}`,
      `{"apiVersion":"v1","kind":"List","items":[{"kind":"Event","metadata":{"name":"x"}}]}`,
    ];
    for (const h of heads) expect(xrayParser.sniff(h, "trace.json"), h).toBeLessThan(0.5);
  });
});
