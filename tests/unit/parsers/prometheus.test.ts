import { readFileSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { prometheusParser, promValue, unitFromName } from "@/lib/server/parsers/prometheus";
import { sniff } from "@/lib/server/parsers/registry";
import type { SeriesRecord } from "@/lib/schemas/records";
import type { ParseItem } from "@/lib/server/parsers/types";

const PUB = path.resolve(__dirname, "../../fixtures/public/prometheus");
const OWN = path.resolve(__dirname, "../../fixtures/own/prometheus");

async function run(content: string): Promise<ParseItem[]> {
  const out: ParseItem[] = [];
  for await (const x of prometheusParser.parse(Readable.from([Buffer.from(content)]), { path: "q.json" })) out.push(x);
  return out;
}
const series = (items: ParseItem[]) => items.filter((x): x is SeriesRecord => x.kind === "series");

describe("prometheus: public samples", () => {
  it("query_range doc example: float-second timestamps to ms, labels kept", async () => {
    const text = readFileSync(path.join(PUB, "prometheus-docs-api-query_range-example.json"), "utf8");
    expect(sniff(text, "up.json").parser?.id).toBe("prometheus");
    const s = series(await run(text));
    expect(s).toHaveLength(2);
    expect(s[0]).toMatchObject({ name: "up", labels: { job: "prometheus", instance: "localhost:9090" }, prov: { pointer: "/data/result/0" } });
    expect(s[0]!.points).toEqual([
      [1435781430781, 1],
      [1435781445781, 1],
      [1435781460781, 1],
    ]);
    expect(s[1]!.points.map((p) => p[1])).toEqual([0, 0, 1]);
  });

  it("native histograms are kept with numeric buckets", async () => {
    const text = readFileSync(path.join(PUB, "prometheus-json_codec_test-native-histogram-matrix.json"), "utf8");
    expect(sniff(text, "h.json").parser?.id).toBe("prometheus");
    const [s] = series(await run(text));
    expect(s!.name).toBe("foo");
    expect(s!.points).toEqual([]);
    expect(s!.histograms).toHaveLength(1);
    expect(s!.histograms![0]).toMatchObject({ ts: 1000, count: 10, sum: 20 });
    expect(s!.histograms![0]!.buckets).toHaveLength(8);
    expect(s!.histograms![0]!.buckets[2]).toEqual([3, -0.001, 0.001, 12]);
  });
});

describe("prometheus: envelopes, special values, errors", () => {
  it("unwraps a Grafana-style envelope, keeps NaN/±Inf, names unnamed series after the query, reports errors", async () => {
    const items = await run(readFileSync(path.join(OWN, "grafana-envelope-p99.json"), "utf8"));
    const [p99, sum] = series(items);
    expect(p99!.name).toMatch(/^histogram_quantile\(0\.99/);
    expect(p99!.points.map((p) => p[1])).toEqual([118.5, Number.NaN, 921.3, Number.POSITIVE_INFINITY]);
    expect(p99!.points[0]![0]).toBe(1729000920000);
    expect(p99!.prov.pointer).toBe("/0/data/data/result/0");
    expect(sum).toMatchObject({ name: "istio_request_duration_milliseconds_sum", unit: "ms" });
    expect(sum!.points).toEqual([
      [1729000920000, Number.NEGATIVE_INFINITY],
      [1729001040000, 2500],
    ]);
    expect(sum!.warnings).toEqual(["1 unreadable sample(s) dropped"]);
    const warnings = items.filter((x) => x.kind === "warning").map((x) => (x as { message: string }).message);
    expect(warnings).toEqual([expect.stringMatching(/might not be a counter/), expect.stringMatching(/bad_data: invalid parameter/)]);
  });

  it("vector, scalar and string results", async () => {
    const v = series(await run('{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"x_bytes"},"value":[1700000000.5,"1e3"]}]}}'));
    expect(v[0]).toMatchObject({ name: "x_bytes", unit: "bytes", points: [[1700000000500, 1000]] });
    const s = series(await run('{"status":"success","data":{"resultType":"scalar","result":[1700000000,"-Inf"]}}'));
    expect(s[0]!.points).toEqual([[1700000000000, Number.NEGATIVE_INFINITY]]);
    const str = series(await run('{"status":"success","data":{"resultType":"string","result":[1700000000,"hello"]}}'));
    expect(str[0]!.labels.value).toBe("hello");
  });

  it("helpers", () => {
    expect(promValue("+Inf")).toBe(Number.POSITIVE_INFINITY);
    expect(promValue("NaN")).toBeNaN();
    expect(promValue("12abc")).toBeNull();
    expect(unitFromName("http_request_duration_seconds_sum")).toBe("s");
    expect(unitFromName("http_request_duration_seconds_count")).toBeUndefined();
    expect(unitFromName("istio_request_duration_milliseconds_bucket")).toBeUndefined();
    expect(unitFromName("node_memory_MemFree_bytes")).toBe("bytes");
  });

  it("broken JSON and non-Prometheus JSON are skipped, not thrown; others' JSON not claimed", async () => {
    expect((await run('{"status":"success","data":{"resultType":"matrix","result":[')).some((x) => x.kind === "skipped")).toBe(true);
    expect((await run('{"foo":1}')).filter((x) => x.kind === "skipped")).toHaveLength(1);
    expect(prometheusParser.sniff('{"resourceSpans":[]}', "t.json")).toBe(0);
    expect(prometheusParser.sniff('{"kind":"EventList","items":[]}', "e.json")).toBe(0);
  });
});
