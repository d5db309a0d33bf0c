import * as hdr from "hdr-histogram-js";
import { describe, expect, it } from "vitest";
import { hdrEquivalent, IngestAggregates } from "@/lib/server/pipeline/aggregates";
import type { RequestRecord } from "@/lib/schemas/records";
import { durationMs, epochMs } from "@/lib/schemas/time";

const build = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, bitBucketSize: "packed" });

describe("hdrEquivalent", () => {
  it("maps every value into its own HdrHistogram bucket (identical encoding)", () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const direct = build();
    const viaEquivalent = build();
    const values = [1, 2047, 2048, 2049, 4095, 4096, 4097, 1_000_000, 3_599_999_999, 3_600_000_000];
    for (let i = 0; i < 20_000; i++) values.push(Math.max(1, Math.round(Math.exp(rnd() * Math.log(3_600_000_000)))));
    for (const v of values) {
      const e = hdrEquivalent(v);
      expect(e).toBeLessThanOrEqual(v);
      direct.recordValue(v);
      viaEquivalent.recordValue(e);
    }
    expect([2047, 2049, 4097, 4099, 1_000_001].map(hdrEquivalent)).toEqual([2047, 2048, 4096, 4096, 999_936]);
    expect(hdr.encodeIntoCompressedBase64(viaEquivalent)).toBe(hdr.encodeIntoCompressedBase64(direct));
  });
});

describe("IngestAggregates", () => {
  it("encodes the same histogram as recording every value directly", () => {
    const agg = new IngestAggregates();
    const direct = build();
    for (let i = 0; i < 10_000; i++) {
      const ms = (i % 977) * 1.37 + 0.001 * i;
      const r: RequestRecord = { kind: "request", ts: epochMs(1_729_000_800_000 + i), durationMs: durationMs(ms), source: "envoy", direction: "outbound", status: 200, dest: { service: "cart" }, client: { workload: "web" }, prov: { line: i + 1 } };
      agg.add(r);
      direct.recordValue(Math.max(1, Math.round(ms * 1000)));
    }
    const rows = agg.histogramRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.count).toBe(10_000);
    expect(rows[0]!.histogram).toBe(hdr.encodeIntoCompressedBase64(direct));
    expect(agg.bucketRows().reduce((n, b) => n + b.count, 0)).toBe(10_000);
  });
});
