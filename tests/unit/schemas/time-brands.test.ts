import { describe, expect, expectTypeOf, it } from "vitest";
import { addMs, DurationMs, durationMs, elapsed, EpochMs, epochMs, maxEpoch, minEpoch, subMs } from "@/lib/schemas/time";
import type { Correlated } from "@/lib/server/correlate";
import type { IncidentWindow, SkewEstimate } from "@/lib/server/correlate/schema";
import type { SeriesChange, MetricChangeOptions } from "@/lib/server/correlate/metric-change";
import type { LocaliseInput } from "@/lib/server/correlate/localise";
import type { SpanCitation, TraceBlameOptions } from "@/lib/server/correlate/trace-blame";
import type { Bucket, WindowTimes } from "@/lib/server/correlate/window";

/**
 * The brands are type-only: these checks run in `tsc --noEmit` (expectTypeOf and @ts-expect-error
 * fail type checking when a brand is dropped back to `number`), the runtime part checks that the
 * helpers and schemas do plain arithmetic and accept exactly what z.number() accepts.
 */
describe("time brands carried past the record", () => {
  it("correlation carries instants and spans", () => {
    expectTypeOf<Correlated["window"]["onsetMs"]>().toEqualTypeOf<EpochMs | null>();
    expectTypeOf<WindowTimes["recoveryMs"]>().toEqualTypeOf<EpochMs | null>();
    expectTypeOf<Bucket["start"]>().toEqualTypeOf<EpochMs>();
    expectTypeOf<Bucket["widthMs"]>().toEqualTypeOf<DurationMs>();
    expectTypeOf<Correlated["skew"]>().toEqualTypeOf<Map<string, DurationMs>>();
    expectTypeOf<SkewEstimate["appliedMs"]>().toEqualTypeOf<DurationMs>();
    expectTypeOf<IncidentWindow["timeline"]["alertLagMs"]>().toEqualTypeOf<DurationMs | null>();
    expectTypeOf<SpanCitation["selfMs"]>().toEqualTypeOf<DurationMs>();
    expectTypeOf<SeriesChange["splitTs"]>().toEqualTypeOf<EpochMs>();
    expectTypeOf<NonNullable<TraceBlameOptions["splitMs"]>>().toEqualTypeOf<EpochMs>();
    expectTypeOf<LocaliseInput["splitMs"]>().toEqualTypeOf<EpochMs>();
    expectTypeOf<MetricChangeOptions["hintMs"]>().toEqualTypeOf<EpochMs | null | undefined>();
  });

  it("rejects a bare number or the wrong kind of time", () => {
    const t = epochMs(1_700_000_000_000);
    const d = durationMs(250);
    // @ts-expect-error a raw number is not a normalised instant
    const split: TraceBlameOptions = { splitMs: 1_700_000_000_000 };
    // @ts-expect-error a raw number is not a normalised span
    addMs(t, 250);
    // @ts-expect-error a span is not an instant
    const notInstant: EpochMs = d;
    // @ts-expect-error instant − instant is a span, not an instant
    const alsoNotInstant: EpochMs = elapsed(t, t);
    expect([split, notInstant, alsoNotInstant]).toHaveLength(3);
    expectTypeOf(elapsed(t, t)).toEqualTypeOf<DurationMs>();
    expectTypeOf(addMs(t, d)).toEqualTypeOf<EpochMs>();
    expectTypeOf(subMs(t, d)).toEqualTypeOf<EpochMs>();
  });

  it("the helpers are plain arithmetic", () => {
    const a = epochMs(1_700_000_000_000);
    const b = epochMs(1_700_000_001_500.25);
    expect(elapsed(a, b)).toBe(1_500.25);
    expect(elapsed(b, a)).toBe(-1_500.25);
    expect(addMs(a, durationMs(1_500.25))).toBe(b);
    expect(subMs(b, durationMs(1_500.25))).toBe(a);
    expect(minEpoch([b, a])).toBe(a);
    expect(maxEpoch([b, a])).toBe(b);
    expect(minEpoch([])).toBe(Number.POSITIVE_INFINITY);
  });

  it("branded schemas accept what z.number() accepts (finite numbers), unchanged", () => {
    expect(EpochMs.parse(1_700_000_000_000.5)).toBe(1_700_000_000_000.5);
    expect(DurationMs.parse(-120)).toBe(-120);
    expect(DurationMs.nullable().parse(null)).toBeNull();
    expect(EpochMs.safeParse(Number.POSITIVE_INFINITY).success).toBe(false);
    expect(DurationMs.safeParse(Number.NaN).success).toBe(false);
    expect(EpochMs.safeParse("1700000000000").success).toBe(false);
  });
});
