import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDateOnly, resolveZone, wallClockToUtc } from "@/lib/server/parsers/tz";

describe("resolveZone", () => {
  it("reads abbreviations, offsets and IANA zones", () => {
    expect(resolveZone("UTC")).toMatchObject({ kind: "offset", minutes: 0 });
    expect(resolveZone("pdt")).toMatchObject({ kind: "offset", minutes: -420 });
    expect(resolveZone("+02:00")).toMatchObject({ kind: "offset", minutes: 120 });
    expect(resolveZone("-0530")).toMatchObject({ kind: "offset", minutes: -330 });
    expect(resolveZone("UTC+2")).toMatchObject({ kind: "offset", minutes: 120 });
    expect(resolveZone("Europe/Berlin")).toMatchObject({ kind: "iana", zone: "Europe/Berlin" });
  });
  it("rejects unknown or hostile zone strings", () => {
    expect(resolveZone("Mars/Olympus")).toBeNull();
    expect(resolveZone("DNS")).toBeNull();
    expect(resolveZone("+25:00")).toBeNull();
    expect(resolveZone("x".repeat(1000))).toBeNull();
    expect(resolveZone("")).toBeNull();
  });
});

describe("wallClockToUtc", () => {
  it("applies fixed offsets", () => {
    expect(wallClockToUtc({ year: 2024, month: 10, day: 15, hour: 14, minute: 2 }, "UTC")).toBe(Date.parse("2024-10-15T14:02:00Z"));
    expect(wallClockToUtc({ year: 2025, month: 3, day: 14, hour: 23, minute: 40 }, "PDT")).toBe(Date.parse("2025-03-15T06:40:00Z"));
  });
  it("follows DST in IANA zones", () => {
    expect(wallClockToUtc({ year: 2024, month: 7, day: 1, hour: 12, minute: 0 }, "Europe/Berlin")).toBe(Date.parse("2024-07-01T10:00:00Z"));
    expect(wallClockToUtc({ year: 2024, month: 1, day: 1, hour: 12, minute: 0 }, "Europe/Berlin")).toBe(Date.parse("2024-01-01T11:00:00Z"));
    expect(wallClockToUtc({ year: 2024, month: 11, day: 3, hour: 12, minute: 0 }, "America/Los_Angeles")).toBe(Date.parse("2024-11-03T20:00:00Z"));
    // 02:30 does not exist on 2024-03-31 in Berlin (spring forward): lands on a real instant next to the gap
    const gap = wallClockToUtc({ year: 2024, month: 3, day: 31, hour: 2, minute: 30 }, "Europe/Berlin");
    expect([Date.parse("2024-03-31T00:30:00Z"), Date.parse("2024-03-31T01:30:00Z")]).toContain(gap);
  });
  it("keeps sub-millisecond fractions", () => {
    expect(wallClockToUtc({ year: 2024, month: 8, day: 19, hour: 3, minute: 14, second: 7, ms: 123.456 }, "UTC")).toBe(Date.parse("2024-08-19T03:14:07.123Z") + 0.456);
  });
  it("rejects impossible dates instead of rolling them over", () => {
    expect(wallClockToUtc({ year: 2024, month: 2, day: 30, hour: 0, minute: 0 }, "UTC")).toBeNull();
    expect(wallClockToUtc({ year: 2024, month: 1, day: 1, hour: 24, minute: 0 }, "UTC")).toBeNull();
    expect(wallClockToUtc({ year: 2024, month: 1, day: 1, hour: 1, minute: 0 }, "Nowhere/Zone")).toBeNull();
  });
  it("round-trips any wall time through a fixed offset", () => {
    fc.assert(
      fc.property(fc.date({ min: new Date("1990-01-01Z"), max: new Date("2090-01-01Z"), noInvalidDate: true }), fc.integer({ min: -14 * 60, max: 14 * 60 }), (d, off) => {
        const sign = off < 0 ? "-" : "+";
        const a = Math.abs(off);
        const zone = `${sign}${String(Math.floor(a / 60)).padStart(2, "0")}:${String(a % 60).padStart(2, "0")}`;
        const wall = new Date(d.getTime() + off * 60000);
        const t = wallClockToUtc(
          { year: wall.getUTCFullYear(), month: wall.getUTCMonth() + 1, day: wall.getUTCDate(), hour: wall.getUTCHours(), minute: wall.getUTCMinutes(), second: wall.getUTCSeconds(), ms: wall.getUTCMilliseconds() },
          zone,
        );
        expect(t).toBe(d.getTime());
      }),
    );
  });
});

describe("parseDateOnly", () => {
  it("reads manifest dates and ignores junk", () => {
    expect(parseDateOnly("2024-10-15")).toEqual({ year: 2024, month: 10, day: 15 });
    expect(parseDateOnly("2024-10-15T10:00:00Z")).toEqual({ year: 2024, month: 10, day: 15 });
    expect(parseDateOnly("15/10/2024")).toBeNull();
    expect(parseDateOnly(undefined)).toBeNull();
  });
});
