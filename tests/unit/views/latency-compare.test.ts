import { describe, expect, it } from "vitest";
import { compareGroups } from "@/lib/server/views/latency";
import { LOG_BUCKETS, logBucketBounds, logBucketIndex } from "@/lib/server/views/latency-hdr";
import { niceStep } from "@/lib/server/views/timeline";

describe("slow vs fast comparison", () => {
  it("finds the attribute value over-represented among the slowest 5 %", () => {
    const items = Array.from({ length: 200 }, (_, i) => ({
      durationMs: i < 10 ? 2000 + i : 10 + (i % 7),
      attrs: { node: i < 10 ? "worker-2" : i % 2 ? "worker-0" : "worker-1", path: "/get" },
    }));
    const r = compareGroups(items);
    expect(r.slow).toBe(10);
    expect(r.fast).toBe(190);
    expect(r.attributes[0]!.attribute).toBe("node");
    const top = r.attributes[0]!.values[0]!;
    expect(top.value).toBe("worker-2");
    expect(top.slowShare).toBe(1);
    expect(top.fastShare).toBe(0);
    // an attribute with one value in both groups tells nothing
    expect(r.attributes.find((a) => a.attribute === "path")).toBeUndefined();
  });

  it("no slow group when every request takes the same time", () => {
    const r = compareGroups(Array.from({ length: 50 }, () => ({ durationMs: 5, attrs: { node: "a" } })));
    expect(r.slow).toBe(0);
    expect(r.attributes).toEqual([]);
  });
});

describe("log buckets and steps", () => {
  it("a value lands in the bucket whose bounds contain it", () => {
    for (const ms of [0.02, 0.5, 1, 3.3, 47, 999, 1000, 12_345]) {
      const [lo, hi] = logBucketBounds(logBucketIndex(ms));
      expect(ms).toBeGreaterThanOrEqual(lo * 0.999999);
      expect(ms).toBeLessThan(hi);
    }
    expect(logBucketIndex(1e12)).toBe(LOG_BUCKETS - 1);
  });
  it("niceStep rounds up to a readable interval", () => {
    expect(niceStep(700)).toBe(1000);
    expect(niceStep(1001)).toBe(2000);
    expect(niceStep(40_000)).toBe(60_000);
    expect(niceStep(3 * 86_400_000 + 1)).toBe(4 * 86_400_000);
  });
});
