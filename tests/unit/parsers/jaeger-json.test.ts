import { readFileSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { SpanRecord } from "@/lib/schemas/records";
import { jaegerJsonParser } from "@/lib/server/parsers/jaeger-json";
import { sniff } from "@/lib/server/parsers/registry";
import type { ParseItem, SkippedItem } from "@/lib/server/parsers/types";

const PUB = path.resolve(__dirname, "../../fixtures/public/otlp");
const OWN = path.resolve(__dirname, "../../fixtures/own/jaeger");

async function parse(content: Buffer | string, chunk = 1 << 16) {
  const buf = typeof content === "string" ? Buffer.from(content) : content;
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunk) chunks.push(buf.subarray(i, i + chunk));
  const items: ParseItem[] = [];
  for await (const x of jaegerJsonParser.parse(Readable.from(chunks), { path: "x" })) items.push(x);
  return { items, spans: items.filter((x): x is SpanRecord => x.kind === "span"), skipped: items.filter((x): x is SkippedItem => x.kind === "skipped") };
}

describe("jaeger-json parser", () => {
  it("sniffs the Jaeger UI sample as jaeger-json, not otlp-json or xray", () => {
    const head = readFileSync(path.join(PUB, "jaeger-fixture-otlp2jaeger-out.jaegerui.json"), "utf8");
    const r = sniff(head, "trace.json");
    expect(r.parser?.id).toBe("jaeger-json");
    expect(r.scores.filter((s) => s.id !== "jaeger-json" && s.confidence >= 0.5)).toEqual([]);
  });

  it("public sample: µs → ms, CHILD_OF parent, service from processes, span.kind tag", async () => {
    const { spans, skipped } = await parse(readFileSync(path.join(PUB, "jaeger-fixture-otlp2jaeger-out.jaegerui.json")), 1);
    expect(skipped).toEqual([]);
    expect(spans).toHaveLength(2);
    expect(spans[0]).toMatchObject({
      traceId: "83a9efd15c1c98a977e0711cc93ee28b",
      spanId: "e127af99e3b3e074",
      parentSpanId: "909541b92cf05311",
      service: "telemetrygen",
      name: "okey-dokey-0",
      spanKind: "server",
      ts: 1706678909209.712,
      durationMs: 0.123,
      peer: "telemetrygen-client",
      prov: { pointer: "/data/0/spans/0" },
    });
    expect(spans[0]!.attrs["net.peer.ip"]).toBe("1.2.3.4");
  });

  it("processes after spans, FOLLOWS_FROM, error tag, logs, 64-bit trace id", async () => {
    const { spans, skipped } = await parse(readFileSync(path.join(OWN, "processes-after-spans.json")), 97);
    expect(skipped).toEqual([]);
    expect(spans.map((s) => [s.spanId, s.service])).toEqual([
      ["b7ad6b7169203331", "gateway"],
      ["00f067aa0ba902b7", "gateway"],
      ["1234567890abcdef", "payments"],
      ["463ac35c9f6413ad", "legacy"],
    ]);
    const [root, call, charge, legacy] = spans as [SpanRecord, SpanRecord, SpanRecord, SpanRecord];
    expect(root).toMatchObject({ parentSpanId: null, spanKind: "server", httpStatus: 200, status: "unset", durationMs: 1021.5, attrs: expect.objectContaining({ hostname: "gw-7f9c" }) });
    expect(root.attrs["jaeger.version"]).toBeUndefined();
    expect(call).toMatchObject({ parentSpanId: "b7ad6b7169203331", spanKind: "client", status: "error", statusMessage: "connect timeout", peer: "payments", warnings: ["jaeger: clock skew adjusted"] });
    expect(call.events).toEqual([{ ts: 1731000001002.1, name: "retry", attrs: { event: "retry", attempt: 2 } }]);
    expect(charge).toMatchObject({ parentSpanId: "00f067aa0ba902b7", attrs: expect.objectContaining({ "jaeger.ref_type": "follows_from" }) });
    expect(charge.ts - call.ts).toBeCloseTo(1002.9, 3);
    expect(legacy.traceId).toBe("0000000000000000463ac35c9f6413ad");
  });

  it("unknown process and bad spans: kept or skipped with a reason, never thrown", async () => {
    const doc = `{"data":[{"traceID":"ab","spans":[{"traceID":"ab","spanID":"01","operationName":"x","startTime":1,"duration":1,"processID":"nope"},{"traceID":"ab","spanID":"02","operationName":"y","processID":"p1"},"junk"],"processes":{"p1":{"serviceName":"s"}}}]} trailing garbage`;
    const { spans, skipped } = await parse(doc, 5);
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({ service: "unknown_service", traceId: "000000000000000000000000000000ab", spanId: "0000000000000001" });
    expect(spans[0]!.warnings?.[0]).toMatch(/process "nope" not found/);
    expect(skipped.map((s) => s.reason)).toEqual([expect.stringMatching(/no valid startTime/), "span is not an object", expect.stringMatching(/^invalid JSON at byte \d+ \(line 1, col \d+\): expected a JSON value, found 'g'/)]);
  });

  it("does not claim OTLP, X-Ray, Prometheus, k8s or HTML", () => {
    for (const h of [
      `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"a","spanId":"b"}]}]}]}`,
      `{"Traces":[{"Id":"1-5d82881a-0a9126e92a73e971eed891b9","Segments":[{"Id":"x","Document":"{}"}]}]}`,
      `{"status":"success","data":{"resultType":"vector","result":[]}}`,
      `{"apiVersion":"v1","kind":"List","items":[]}`,
      `<html>{"data":[{"traceID":"a","spans":[{"spanID":"b","operationName":"c"}]}]}</html>`,
    ])
      expect(jaegerJsonParser.sniff(h, "trace.json"), h).toBeLessThan(0.5);
  });
});
