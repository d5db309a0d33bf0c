import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { SpanRecord } from "@/lib/schemas/records";
import { mapOtlpSpan, otlpJsonParser, spanFacts } from "@/lib/server/parsers/otlp-json";
import { sniff } from "@/lib/server/parsers/registry";
import type { ParseItem, SkippedItem, WarningItem } from "@/lib/server/parsers/types";

const PUB = path.resolve(__dirname, "../../fixtures/public/otlp");
const OWN = path.resolve(__dirname, "../../fixtures/own/otlp");
const read = (dir: string, f: string) => readFileSync(path.join(dir, f));

async function parseItems(input: Readable) {
  const items: ParseItem[] = [];
  for await (const x of otlpJsonParser.parse(input, { path: "x" })) items.push(x);
  return {
    items,
    spans: items.filter((x): x is SpanRecord => x.kind === "span"),
    skipped: items.filter((x): x is SkippedItem => x.kind === "skipped"),
    warnings: items.filter((x): x is WarningItem => x.kind === "warning"),
  };
}
function parse(content: Buffer | string, chunk = 1 << 16) {
  const buf = typeof content === "string" ? Buffer.from(content) : content;
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunk) chunks.push(buf.subarray(i, i + chunk));
  return parseItems(Readable.from(chunks));
}

describe("otlp-json parser: public samples", () => {
  it("sniffs the OTLP samples as otlp-json and the Jaeger UI one as not", () => {
    for (const f of ["otel-proto-examples-trace.json", "jaeger-memory-fixture-otel_traces_01.otlp.json", "jaeger-fixture-otlp2jaeger-in.otlp.json"]) {
      expect(sniff(read(PUB, f).toString(), `traces/${f}`).parser?.id, f).toBe("otlp-json");
    }
    expect(otlpJsonParser.sniff(read(PUB, "jaeger-fixture-otlp2jaeger-out.jaegerui.json").toString(), "trace.json")).toBeLessThan(0.5);
  });

  it("proto example: uppercase hex ids → lowercase, ns strings → ms, kind 2 → server", async () => {
    const { spans, skipped } = await parse(read(PUB, "otel-proto-examples-trace.json"));
    expect(skipped).toEqual([]);
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({
      traceId: "5b8efff798038103d269b633813fc60c",
      spanId: "eee19b7ec3c1b174",
      parentSpanId: "eee19b7ec3c1b173",
      service: "my.service",
      name: "I'm a server span",
      spanKind: "server",
      ts: 1544712660000,
      durationMs: 1000,
      status: "unset",
      prov: { pointer: "/resourceSpans/0/scopeSpans/0/spans/0", line: 29 },
    });
    expect(spans[0]!.attrs).toMatchObject({ "my.span.attr": "some value", "otel.scope.name": "my.library", "otel.scope.version": "1.0.0" });
  });

  it("jaeger memory fixture: kinds 2–5, status error with message, events, peer.service, typed attributes", async () => {
    const { spans, skipped } = await parse(read(PUB, "jaeger-memory-fixture-otel_traces_01.otlp.json"), 100);
    expect(skipped).toEqual([]);
    expect(spans.map((s) => [s.spanId, s.spanKind, s.status])).toEqual([
      ["0000000000000002", "server", "error"],
      ["0000000000000003", "client", "error"],
      ["0000000000000004", "producer", "error"],
      ["0000000000000005", "consumer", "error"],
    ]);
    const s = spans[0]!;
    expect(s).toMatchObject({ service: "service-x", traceId: "00000000000000010000000000000000", parentSpanId: "0000000000000003", peer: "service-y" });
    expect(s.ts).toBeCloseTo(1485467191639.875, 6);
    expect(s.durationMs).toBeCloseTo(0.005, 9);
    expect(s.attrs).toMatchObject({ "peer.ipv4": 23456, blob: "AAAwOQ==", temperature: 72.5, "otel.links": 2 });
    expect(s.events).toEqual([
      { ts: 1485467191639.875, name: "testing-event", attrs: { "event-x": "event-y" } },
      { ts: 1485467191639.875, name: "", attrs: { x: "y" } },
    ]);
  });

  it("telemetrygen fixture: empty status → unset, duplicate spans both kept, net.peer.ip attr", async () => {
    const { spans } = await parse(read(PUB, "jaeger-fixture-otlp2jaeger-in.otlp.json"));
    expect(spans).toHaveLength(2);
    for (const s of spans) {
      expect(s).toMatchObject({ traceId: "83a9efd15c1c98a977e0711cc93ee28b", spanId: "e127af99e3b3e074", parentSpanId: "909541b92cf05311", service: "telemetrygen", status: "unset", peer: "telemetrygen-client" });
      expect(s.durationMs).toBeCloseTo(0.123, 9);
      expect(s.attrs["net.peer.ip"]).toBe("1.2.3.4");
    }
  });
});

describe("otlp-json parser: variants", () => {
  it("Tempo batches wrapper, base64 ids, string enums, resource and scope after spans", async () => {
    const { spans, skipped } = await parse(read(OWN, "tempo-batches-base64-enums.json"), 64);
    expect(skipped).toEqual([]);
    expect(spans).toHaveLength(2);
    const [server, client] = spans as [SpanRecord, SpanRecord];
    expect(server).toMatchObject({
      traceId: "e8b6dff9f8d44b28f1b22bc3bd2f6768",
      spanId: "9007fea484554ad7",
      parentSpanId: null,
      service: "checkout",
      spanKind: "server",
      status: "error",
      statusMessage: "upstream request timeout",
      httpStatus: 504,
      prov: { pointer: "/batches/0/scopeSpans/0/spans/0" },
    });
    expect(server.ts).toBeCloseTo(1723449600123.4568, 4);
    expect(server.durationMs).toBe(1012);
    expect(server.attrs["k8s.pod.name"]).toBe("checkout-7d9f8-abcde");
    expect(server.attrs["telemetry.sdk.language"]).toBeUndefined();
    expect(client).toMatchObject({ spanId: "0001020304050607", parentSpanId: "9007fea484554ad7", spanKind: "client", status: "unset", httpStatus: 504, peer: "payments.shop.svc.cluster.local" });
  });

  it("legacy instrumentationLibrarySpans, numeric nanos, empty parent", async () => {
    const { spans } = await parse(read(OWN, "legacy-instrumentation-library.json"));
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({ service: "legacy-billing", parentSpanId: null, spanKind: "internal", status: "ok", durationMs: 42, peer: "pdf-renderer", ts: 1600000000000 });
    expect(spans[0]!.attrs).toMatchObject({ "otel.scope.name": "opentelemetry-java-instrumentation", flags: '["a",2]' });
  });

  it("collector file exporter JSONL: the cut line is skipped, the others parse", async () => {
    const { spans, skipped } = await parse(read(OWN, "collector-file-exporter.jsonl"), 50);
    expect(spans.map((s) => [s.service, s.name, s.prov.line])).toEqual([
      ["frontend", "GET /", 1],
      ["cart", "GetCart", 2],
      ["cart", "redis GET", 4],
    ]);
    expect(spans[1]).toMatchObject({ status: "error", statusMessage: "redis: connection refused" });
    expect(spans[1]!.ts - spans[0]!.ts).toBeCloseTo(1005, 6);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]!.reason).toMatch(/^invalid JSON at byte \d+ \(line 3, col \d+\): line ends inside a string/);
  });

  it("gives the same records for 1-byte chunks as for one chunk", async () => {
    for (const f of ["tempo-batches-base64-enums.json", "collector-file-exporter.jsonl"]) {
      const whole = await parse(read(OWN, f), 1 << 20);
      const bytewise = await parse(read(OWN, f), 1);
      expect(bytewise.items).toEqual(whole.items);
    }
  });

  it("skips spans without ids or start time, with pointer and reason", async () => {
    const doc = `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"a"}}]},"scopeSpans":[{"spans":[{"traceId":"zz","spanId":"0000000000000001","startTimeUnixNano":"1"},{"traceId":"00000000000000000000000000000001","spanId":"0000000000000001"}]}]}]}`;
    const { spans, skipped } = await parse(doc);
    expect(spans).toEqual([]);
    expect(skipped.map((s) => s.pointer)).toEqual(["/resourceSpans/0/scopeSpans/0/spans/0", "/resourceSpans/0/scopeSpans/0/spans/1"]);
    expect(skipped[1]!.reason).toMatch(/no valid startTimeUnixNano/);
  });

  it("HTML or binary named trace.json is not claimed and parses to a per-file problem, not a throw", async () => {
    const html = "<!doctype html>\n<html><head><title>502 Bad Gateway</title></head><body>resourceSpans</body></html>\n";
    expect(sniff(html, "trace.json").parser).toBeNull();
    const bin = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0x00, 0x7b, 0x22]);
    expect(sniff(bin.toString("utf8"), "trace.json").parser).toBeNull();
    for (const b of [Buffer.from(html), bin]) {
      const { spans, skipped } = await parse(b);
      expect(spans).toEqual([]);
      expect(skipped[0]!.reason).toMatch(/^invalid JSON at byte 0 \(line 1, col 1\): expected a JSON value/);
    }
  });

  it("does not claim Prometheus or k8s List JSON", () => {
    expect(otlpJsonParser.sniff(`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"traceId":"x"}}]}}`, "q.json")).toBeLessThan(0.5);
    expect(otlpJsonParser.sniff(`{"apiVersion":"v1","kind":"List","items":[]}`, "pods.json")).toBeLessThan(0.5);
  });
});

describe("otlp-json parser: streaming", () => {
  it("parses a ~50 MB single document fed in chunks with bounded heap growth", async () => {
    const SPANS_PER_CHUNK = 100;
    const TARGET = 50 * 1024 * 1024;
    let produced = 0;
    let spansOut = 0;
    function span(i: number): string {
      const start = 1700000000000000000n + BigInt(i) * 1000n;
      return JSON.stringify({
        traceId: (i >>> 4).toString(16).padStart(32, "0"),
        spanId: (i + 1).toString(16).padStart(16, "0"),
        parentSpanId: i % 16 === 0 ? "" : (i - (i % 16) + 1).toString(16).padStart(16, "0"),
        name: `GET /items/${i}`,
        kind: i % 16 === 0 ? 2 : 3,
        startTimeUnixNano: String(start),
        endTimeUnixNano: String(start + 2500000n),
        attributes: [{ key: "http.status_code", value: { intValue: "200" } }, { key: "note", value: { stringValue: 'esc "q" \\ {[' } }],
        status: {},
      });
    }
    // A generator, not a big string: memory must not depend on the document size on either side.
    function* chunks(): Generator<Buffer> {
      yield Buffer.from('{"resourceSpans":[{"scopeSpans":[{"scope":{"name":"gen"},"spans":[');
      let i = 0;
      while (produced < TARGET) {
        const parts: string[] = [];
        for (let k = 0; k < SPANS_PER_CHUNK; k++, i++) parts.push((i === 0 ? "" : ",") + span(i));
        const b = Buffer.from(parts.join(""));
        produced += b.length;
        spansOut = i;
        yield b;
      }
      // resource last: the hold-back cap (16 MiB) is exceeded long before, so spans are not all retained
      yield Buffer.from(']}],"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"late"}}]}}]}');
    }
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    let count = 0;
    let lastTs = 0;
    let monotonic = true;
    let warnings = 0;
    for await (const item of otlpJsonParser.parse(Readable.from(chunks()), { path: "big.json" })) {
      if (item.kind === "span") {
        count++;
        if (item.ts < lastTs) monotonic = false;
        lastTs = item.ts;
        if ((count & 0x3fff) === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
      } else if (item.kind === "warning") warnings++;
      else throw new Error(`unexpected ${JSON.stringify(item)}`);
    }
    expect(produced).toBeGreaterThan(TARGET);
    expect(count).toBe(spansOut);
    expect(monotonic).toBe(true);
    expect(warnings).toBeGreaterThanOrEqual(1); // hold-back overflow + unknown service
    expect(peak - before).toBeLessThan(200 * 1024 * 1024);
  });
});

describe("spanFacts: the fields summarised files read without building the record", () => {
  const FIELDS = ["kind", "traceId", "service", "spanKind", "ts", "durationMs", "status", "httpStatus", "peer", "fault", "throttle"] as const;
  const project = (r: SpanRecord) => Object.fromEntries(FIELDS.filter((f) => r[f] !== undefined).map((f) => [f, r[f]]));
  const res = { service: "svc", attrs: {} };

  it("agree with mapOtlpSpan on every span of the real samples and fixtures", async () => {
    const files = [...readdirSync(PUB).map((f) => path.join(PUB, f)), ...readdirSync(OWN).map((f) => path.join(OWN, f))];
    let spans = 0;
    for (const file of files) {
      for await (const items of otlpJsonParser.spanBatches!.scan(Readable.from([readFileSync(file)]))) {
        for (const it of items) {
          if ("kind" in it) continue;
          const reader = otlpJsonParser.spanBatches!.read(it);
          for (let k = 0; k < reader.size; k++) {
            const rec = reader.record(k);
            const facts = reader.facts(k);
            if (rec.kind === "skipped") expect(facts).toBeNull();
            else {
              spans++;
              expect(facts, `${file} span ${k}`).toEqual(project(rec));
            }
          }
        }
      }
    }
    expect(spans).toBeGreaterThan(10);
  });

  it("agree on attribute corner cases (duplicates, nulls, old and new keys, peers)", () => {
    const base = { traceId: "5b8efff798038103d269b633813fc60c", spanId: "eee19b7ec3c1b174", startTimeUnixNano: "1544712660000000000", endTimeUnixNano: "1544712661000000000" };
    const a = (key: string, value: unknown) => ({ key, value });
    const cases: unknown[] = [
      { ...base, attributes: [a("http.status_code", { intValue: "404" })] },
      { ...base, attributes: [a("http.response.status_code", { intValue: "503" }), a("http.status_code", { intValue: "200" })] },
      { ...base, attributes: [a("http.response.status_code", {}), a("http.status_code", { intValue: "502" })] },
      { ...base, attributes: [a("http.response.status_code", { stringValue: "200" }), a("http.response.status_code", { intValue: "500" })] },
      { ...base, attributes: [a("net.peer.name", { stringValue: "db" }), a("server.address", { stringValue: "" }), a("peer.service", { stringValue: "cart" })] },
      { ...base, attributes: [a("server.address", { stringValue: "api" }), a("net.peer.name", { stringValue: "db" })] },
      { ...base, attributes: [a("peer.service", { intValue: "7" })], kind: "SPAN_KIND_CLIENT", status: { code: "STATUS_CODE_ERROR" } },
      { ...base, endTimeUnixNano: undefined, kind: 9, status: { code: 2 } },
      { ...base, attributes: "not a list" },
      { ...base, startTimeUnixNano: "x" },
      { ...base, traceId: "nothex" },
    ];
    for (const raw of cases) {
      const rec = mapOtlpSpan(raw, res, null, { pointer: "/x", line: 1, offset: 0 });
      const facts = spanFacts(raw, res);
      if (rec.kind === "skipped") expect(facts).toBeNull();
      else expect(facts, JSON.stringify(raw)).toEqual(project(rec));
    }
  });
});
