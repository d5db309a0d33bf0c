import { describe, expect, it } from "vitest";
import { DRAFT_DURATION, DRAFT_LATENCY, ELAPSED, formatMs, LATENCY, SKEW, TERSE, type MsFormat } from "@/lib/format-ms";

/**
 * The one millisecond formatter. The tables are what the formatters it replaced printed (hypothesis
 * texts, the draft, the pages), so texts asserted elsewhere (draft goldens, e2e) keep their strings;
 * the rows marked "was" are the deliberate differences.
 */
const XS = [0, 3.46, 7.6, 47.5, 999.4, 999.6, 1000, 1005, 1020, 1500, 3000, 9999, 12_345, 59_999, 60_000, 65_000, 90_500, 119_600, 480_000, 3_599_999, 3_600_000, 8_220_000, 10_799_000];
const table = (style: MsFormat) => XS.map((x) => formatMs(x, style));

describe("formatMs", () => {
  it("TERSE is the hypothesis texts' style: whole seconds bare, else one decimal, never minutes", () => {
    expect(table(TERSE)).toEqual(["0 ms", "3 ms", "8 ms", "48 ms", "999 ms", "1000 ms", "1 s", "1.0 s", "1.0 s", "1.5 s", "3 s", "10.0 s", "12.3 s", "60.0 s", "60 s", "65 s", "90.5 s", "119.6 s", "480 s", "3600.0 s", "3600 s", "8220 s", "10799 s"]);
  });

  it("DRAFT_DURATION is the draft's duration: trimmed seconds, then minutes and hours, rounded with carry", () => {
    expect(table(DRAFT_DURATION)).toEqual(["0 ms", "3 ms", "8 ms", "48 ms", "999 ms", "1000 ms", "1 s", "1 s", "1 s", "1.5 s", "3 s", "10 s", "12 s", "60 s", "1 min", "1 min 5 s", "1 min 31 s", "2 min", "8 min", "60 min", "1 h", "2 h 17 min", "3 h"]);
    expect(formatMs(-90_500, DRAFT_DURATION)).toBe("-1 min 31 s");
    expect(formatMs(-450, DRAFT_DURATION)).toBe("-450 ms");
  });

  it("DRAFT_LATENCY is the draft's latency: two decimals below 10 s, trailing zeros dropped", () => {
    expect(table(DRAFT_LATENCY)).toEqual(["0 µs", "3 ms", "8 ms", "48 ms", "999 ms", "1000 ms", "1 s", "1 s", "1.02 s", "1.5 s", "3 s", "10 s", "12.3 s", "60 s", "60 s", "65 s", "90.5 s", "119.6 s", "480 s", "3600 s", "3600 s", "8220 s", "10799 s"]);
    // was "0.40 ms": below a millisecond the draft now says it like the latency view
    expect(formatMs(0.4, DRAFT_LATENCY)).toBe("400 µs");
  });

  it("ELAPSED is the pages' elapsed time: one decimal kept below a minute (e2e: 'gap 3.0 s'), then minutes", () => {
    expect(table(ELAPSED).slice(0, 14)).toEqual(["0 ms", "3 ms", "8 ms", "48 ms", "999 ms", "1000 ms", "1.0 s", "1.0 s", "1.0 s", "1.5 s", "3.0 s", "10.0 s", "12.3 s", "60.0 s"]);
    // was "1 min 0 s", "1 min 60 s", "137 min 0 s": minutes and hours now as in the draft
    expect(table(ELAPSED).slice(14)).toEqual(["1 min", "1 min 5 s", "1 min 31 s", "2 min", "8 min", "60 min", "1 h", "2 h 17 min", "3 h"]);
  });

  it("LATENCY is the pages' latency: µs below 1 ms, tenths below 10 ms, trailing zeros dropped", () => {
    expect(formatMs(0.4, LATENCY)).toBe("400 µs");
    // was "1.00 s", "1.50 s", "480.0 s": trimmed like the draft's latencies
    expect(table(LATENCY)).toEqual(["0 µs", "3.5 ms", "7.6 ms", "48 ms", "999 ms", "1000 ms", "1 s", "1 s", "1.02 s", "1.5 s", "3 s", "10 s", "12.3 s", "60 s", "60 s", "65 s", "90.5 s", "119.6 s", "480 s", "3600 s", "3600 s", "8220 s", "10799 s"]);
  });

  it("SKEW carries its sign and centiseconds below 10 s", () => {
    expect([0, 850, 1250, -1250, -450, 125_000].map((x) => formatMs(x, SKEW))).toEqual(["0 ms", "+850 ms", "+1.25 s", "-1.25 s", "-450 ms", "+2 min 5 s"]);
  });

  it("says '—' when there is no number", () => {
    for (const v of [null, undefined, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) expect(formatMs(v, ELAPSED)).toBe("—");
  });
});
