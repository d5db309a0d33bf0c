// The one millisecond formatter: every duration the app shows or writes (pages, hypothesis texts,
// the postmortem draft) goes through formatMs. Pure, no imports: server and client code share it.
// Where texts differ (a hypothesis says "1.0 s", the draft "1.01 s", a page "3.0 s"), it is by the
// named style below, not by another copy of the arithmetic.

export interface MsFormat {
  /** Decimals of seconds below 10 s and from 10 s on (default [1, 1]). */
  digits?: readonly [number, number];
  /**
   * "zeros": drop trailing zeros after the point ("1.50 s" → "1.5 s", "2.00 s" → "2 s");
   * "whole": drop the decimals of a whole number of seconds only ("2 s", but "1.0 s" for 1020 ms).
   */
  trim?: "zeros" | "whole";
  /** Below 1 ms in microseconds ("µs"); "0.1 ms" also gives values below 10 ms one decimal. Default: whole ms. */
  fine?: "µs" | "0.1 ms";
  /** From a minute on "4 min 30 s", from an hour "2 h 17 min" (rounded, so never "1 min 60 s"). */
  minutes?: boolean;
  /** "+" before a positive value (offsets, clock skew); a negative one always gets "-". */
  signed?: boolean;
}

/** Elapsed time on a page (gaps, lags, run timings, clock skew): "850 ms", "3.0 s", "4 min 30 s". */
export const ELAPSED: MsFormat = { minutes: true };
/** A clock skew on a page: signed, centiseconds below 10 s: "+850 ms", "-1.25 s", "+2 min 5 s". */
export const SKEW: MsFormat = { digits: [2, 1], minutes: true, signed: true };
/** A measured latency on a page (percentiles, p99 figures, histogram buckets): "450 µs", "7.3 ms", "1.25 s". */
export const LATENCY: MsFormat = { fine: "0.1 ms", digits: [2, 1], trim: "zeros" };
/** Durations in hypothesis texts and chart bucket sizes: "850 ms", "1 s", "1.5 s", "480 s". */
export const TERSE: MsFormat = { trim: "whole" };
/** A latency in the postmortem draft: "450 µs", "47 ms", "1.01 s". */
export const DRAFT_LATENCY: MsFormat = { fine: "µs", digits: [2, 1], trim: "zeros" };
/** A duration in the postmortem draft: "850 ms", "1.5 s", "12 s", "4 min 30 s", "2 h 17 min". */
export const DRAFT_DURATION: MsFormat = { digits: [1, 0], trim: "zeros", minutes: true };

/** `ms` in the given style; "—" for null, undefined, NaN and ±Infinity. */
export function formatMs(ms: number | null | undefined, style: MsFormat = {}): string {
  if (ms == null || !Number.isFinite(ms)) return "—";
  if (ms < 0) return `-${magnitude(-ms, style)}`;
  return `${style.signed && ms > 0 ? "+" : ""}${magnitude(ms, style)}`;
}

function magnitude(a: number, style: MsFormat): string {
  if (style.fine && a < 1) return `${(a * 1000).toFixed(0)} µs`;
  if (style.fine === "0.1 ms" && a < 10) return `${a.toFixed(1)} ms`;
  if (a < 1000) return `${Math.round(a)} ms`;
  if (!style.minutes || a < 60_000) return `${seconds(a, style)} s`;
  if (a < 3_600_000) {
    const m = Math.floor(a / 60_000);
    const s = Math.round((a % 60_000) / 1000);
    return s === 0 ? `${m} min` : s === 60 ? `${m + 1} min` : `${m} min ${s} s`;
  }
  const h = Math.floor(a / 3_600_000);
  const m = Math.round((a % 3_600_000) / 60_000);
  return m === 0 ? `${h} h` : m === 60 ? `${h + 1} h` : `${h} h ${m} min`;
}

function seconds(a: number, style: MsFormat): string {
  const [below10, from10] = style.digits ?? [1, 1];
  if (style.trim === "whole" && a % 1000 === 0) return String(a / 1000);
  const text = (a / 1000).toFixed(a < 10_000 ? below10 : from10);
  return style.trim === "zeros" && text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
}
