import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildTraceBloom, traceBloomHas } from "@/lib/server/pipeline/trace-bloom";

describe("trace Bloom filter", () => {
  it("never misses an id it was built from", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 300 }), (ids) => {
        const bloom = buildTraceBloom(ids);
        return ids.every((id) => traceBloomHas(bloom, id));
      }),
      { numRuns: 500 },
    );
  });

  it("rarely says yes to other ids (≈ 0.2 % at 16 bits per id)", () => {
    const hex = (i: number, salt: string) => `${salt}${i.toString(16).padStart(30, "0")}`;
    const bloom = buildTraceBloom(Array.from({ length: 2048 }, (_, i) => hex(i, "aa")));
    let hits = 0;
    for (let i = 0; i < 100_000; i++) if (traceBloomHas(bloom, hex(i, "bb"))) hits++;
    expect(hits / 100_000).toBeLessThan(0.01);
  });
});
