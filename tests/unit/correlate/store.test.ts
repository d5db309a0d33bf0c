import { describe, expect, it } from "vitest";
import { BOUNDS, EvidenceStore } from "@/lib/server/correlate/store";
import type { RequestRecord } from "@/lib/schemas/records";
import { epochMs, durationMs } from "@/lib/schemas/time";

describe("EvidenceStore bounds", () => {
  it("keeps every request up to the cap, then only notable ones, with exact per-second aggregates", () => {
    const store = new EvidenceStore();
    const extra = 3000;
    const n = BOUNDS.REQUEST_CAP + extra;
    for (let i = 0; i < n; i++) {
      // After the cap, one in three is a 503 (notable) — only those may be retained.
      const notable = i >= BOUNDS.REQUEST_CAP && i % 3 === 0;
      const r: RequestRecord = { kind: "request", source: "envoy", ts: epochMs(1_700_000_000_000 + i), durationMs: durationMs(10), status: notable ? 503 : 200, prov: { line: i + 1 } };
      store.add("f", r);
    }
    expect(store.requestsSampled).toBe(true);
    expect(store.requests.length).toBe(BOUNDS.REQUEST_CAP + extra / 3);
    expect(store.reservoir.length).toBe(BOUNDS.RESERVOIR_SIZE);
    const secs = [...store.perSecond.get("f")!.values()];
    expect(secs.reduce((s, a) => s + a.count, 0)).toBe(n);
    expect(secs.reduce((s, a) => s + a.errors, 0)).toBe(extra / 3);
    expect(store.dropped.request).toBe(extra - extra / 3);
  });
});
