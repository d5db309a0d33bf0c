import { z } from "zod";

/**
 * Time is normalised once, at parse: every instant is UTC milliseconds since the Unix epoch
 * (fractional for sub-millisecond sources such as OTLP nanoseconds or ztunnel microseconds),
 * every duration is milliseconds. The brands stop a raw seconds/µs/ns number from being
 * passed where a normalised value is expected.
 */
export const EpochMs = z.number().finite().brand<"EpochMs">();
export type EpochMs = z.infer<typeof EpochMs>;

export const DurationMs = z.number().finite().brand<"DurationMs">();
export type DurationMs = z.infer<typeof DurationMs>;

export const epochMs = (n: number): EpochMs => n as EpochMs;
export const durationMs = (n: number): DurationMs => n as DurationMs;

/** Time arithmetic that keeps the brands: instant − instant is a span, instant ± span an instant. */
export const elapsed = (from: EpochMs, to: EpochMs): DurationMs => (to - from) as DurationMs;
export const addMs = (t: EpochMs, d: DurationMs): EpochMs => (t + d) as EpochMs;
export const subMs = (t: EpochMs, d: DurationMs): EpochMs => (t - d) as EpochMs;
/** Earliest / latest of instants (Math.min / Math.max: Infinity / −Infinity when empty). */
export const minEpoch = (ts: readonly EpochMs[]): EpochMs => Math.min(...ts) as EpochMs;
export const maxEpoch = (ts: readonly EpochMs[]): EpochMs => Math.max(...ts) as EpochMs;

export const fromEpochSeconds = (s: number): EpochMs => (s * 1000) as EpochMs;
export const fromEpochMicros = (us: number): EpochMs => (us / 1000) as EpochMs;
/** Nanoseconds arrive as decimal strings beyond 2^53; split to keep µs precision. */
export function fromEpochNanos(ns: string | number | bigint): EpochMs {
  if (typeof ns === "number") return (ns / 1e6) as EpochMs;
  const s = String(ns).trim();
  if (!/^\d+$/.test(s)) return Number.NaN as EpochMs;
  if (s.length <= 6) return (Number(s) / 1e6) as EpochMs;
  return (Number(s.slice(0, -6)) + Number(s.slice(-6)) / 1e6) as EpochMs;
}
/** Parses RFC 3339 / ISO 8601 with an explicit zone; returns null when absent or invalid. */
export function parseIsoUtc(text: string | null | undefined): EpochMs | null {
  if (!text) return null;
  const t = Date.parse(text);
  if (!Number.isFinite(t)) return null;
  // Date.parse truncates to ms; keep µs from the fraction when present.
  const frac = /\.(\d{4,9})/.exec(text);
  if (frac) {
    const extra = Number(`0.${frac[1]!.slice(3)}`);
    return (t + extra) as EpochMs;
  }
  return t as EpochMs;
}
