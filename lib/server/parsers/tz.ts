import { type EpochMs, epochMs } from "@/lib/schemas/time";

/**
 * Zone resolution for sources that write wall-clock times (klog, human timelines, CSV exports).
 * A zone is either a fixed offset (UTC, "+02:00", "PDT") or an IANA zone ("Europe/Berlin")
 * whose offset depends on the instant (DST), resolved with the runtime's Intl data so the
 * result is deterministic for a given Node build and needs no network.
 */
export type Zone = { kind: "offset"; minutes: number; label: string } | { kind: "iana"; zone: string; label: string };

/**
 * Common abbreviations seen in postmortems. Deliberately small: abbreviations are ambiguous
 * (IST is India here, not Ireland/Israel) and a wrong guess silently shifts a whole timeline,
 * so anything not listed is treated as "no zone" and the caller warns.
 */
export const ZONE_ABBREVIATIONS: Readonly<Record<string, number>> = {
  UTC: 0,
  GMT: 0,
  Z: 0,
  WET: 0,
  WEST: 60,
  BST: 60,
  CET: 60,
  CEST: 120,
  EET: 120,
  EEST: 180,
  MSK: 180,
  IST: 330,
  SGT: 480,
  HKT: 480,
  JST: 540,
  KST: 540,
  AEST: 600,
  AEDT: 660,
  NZST: 720,
  NZDT: 780,
  HST: -600,
  AKST: -540,
  AKDT: -480,
  PST: -480,
  PDT: -420,
  MST: -420,
  MDT: -360,
  CST: -360,
  CDT: -300,
  EST: -300,
  EDT: -240,
};

const OFFSET = /^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$/i;
const ianaCache = new Map<string, Intl.DateTimeFormat | null>();

function ianaFormatter(zone: string): Intl.DateTimeFormat | null {
  if (ianaCache.has(zone)) return ianaCache.get(zone) ?? null;
  let f: Intl.DateTimeFormat | null = null;
  try {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
  } catch {
    f = null; // RangeError: unknown zone
  }
  // Bounded: zone strings come from user files, do not let a hostile file grow the cache forever.
  if (ianaCache.size < 256) ianaCache.set(zone, f);
  return f;
}

/** Parses "UTC", "Z", "+02:00", "-0530", "UTC+2", "PDT", "Europe/Berlin"; null when unknown. */
export function resolveZone(spec: string | null | undefined): Zone | null {
  if (!spec) return null;
  const s = spec.trim();
  if (s.length === 0 || s.length > 64) return null;
  const upper = s.toUpperCase();
  const abbr = ZONE_ABBREVIATIONS[upper];
  if (abbr !== undefined) return { kind: "offset", minutes: abbr, label: upper };
  const m = OFFSET.exec(s);
  if (m) {
    const h = Number(m[2]);
    const mi = Number(m[3] ?? "0");
    if (h > 14 || mi > 59) return null;
    const minutes = (m[1] === "-" ? -1 : 1) * (h * 60 + mi);
    return { kind: "offset", minutes, label: s };
  }
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(s)) return null;
  return ianaFormatter(s) ? { kind: "iana", zone: s, label: s } : null;
}

/** Offset (minutes east of UTC) of an IANA zone at a UTC instant. */
function ianaOffsetAt(f: Intl.DateTimeFormat, utcMs: number): number {
  const parts = f.formatToParts(new Date(utcMs));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? "0");
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour") % 24, get("minute"), get("second"));
  return Math.round((asUtc - Math.floor(utcMs / 1000) * 1000) / 60000);
}

export interface WallClock {
  year: number;
  /** 1-12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second?: number;
  /** fractional milliseconds allowed (µs sources) */
  ms?: number;
}

/**
 * Converts a wall-clock date-time in `zone` to UTC epoch ms. Returns null for impossible dates
 * (Feb 30, 25:00) or an unknown zone. For IANA zones the offset is looked up twice so instants
 * next to a DST change land on the right side; a wall time inside a spring-forward gap maps
 * to the later offset, one inside a fall-back overlap to the first occurrence.
 */
export function wallClockToUtc(w: WallClock, zone: Zone | string): EpochMs | null {
  const z = typeof zone === "string" ? resolveZone(zone) : zone;
  if (!z) return null;
  const { year, month, day, hour, minute } = w;
  const second = w.second ?? 0;
  const ms = w.ms ?? 0;
  if (!Number.isInteger(year) || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) {
    return null;
  }
  const naive = Date.UTC(year, month - 1, day, hour, minute, Math.min(second, 59));
  // Date.UTC silently rolls Feb 30 into March: reject instead of shifting the evidence.
  const check = new Date(naive);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) return null;
  const base = naive + ms + (second === 60 ? 1000 : 0);
  if (z.kind === "offset") return epochMs(base - z.minutes * 60000);
  const f = ianaFormatter(z.zone);
  if (!f) return null;
  const off1 = ianaOffsetAt(f, base);
  let t = base - off1 * 60000;
  const off2 = ianaOffsetAt(f, t);
  if (off2 !== off1) t = base - off2 * 60000;
  return Number.isFinite(t) ? epochMs(t) : null;
}

/** Offset in minutes of a zone at an instant (fixed offsets ignore the instant). */
export function zoneOffsetMinutes(zone: Zone, utcMs: number): number {
  if (zone.kind === "offset") return zone.minutes;
  const f = ianaFormatter(zone.zone);
  return f ? ianaOffsetAt(f, utcMs) : 0;
}

/** The zone to use for zone-less timestamps: the file's own hint, else ctx.timezone, else UTC (assumed). */
export function pickZone(hint: string | null | undefined, ctxTimezone: string | undefined): { zone: Zone; source: "text" | "context" | "assumed" | "invalid-context" } {
  const fromText = resolveZone(hint);
  if (fromText) return { zone: fromText, source: "text" };
  if (ctxTimezone) {
    const fromCtx = resolveZone(ctxTimezone);
    if (fromCtx) return { zone: fromCtx, source: "context" };
    return { zone: UTC_ZONE, source: "invalid-context" };
  }
  return { zone: UTC_ZONE, source: "assumed" };
}

export const UTC_ZONE: Zone = { kind: "offset", minutes: 0, label: "UTC" };

/** The calendar date (YYYY-MM-DD) an instant falls on in a zone. */
export function dateInZone(utcMs: number, zone: Zone): string {
  return new Date(utcMs + zoneOffsetMinutes(zone, utcMs) * 60_000).toISOString().slice(0, 10);
}

/** Parses "YYYY-MM-DD" (as in manifest.date / ctx.referenceDate, or a longer ISO string) into parts. */
export function parseDateOnly(s: string | null | undefined): { year: number; month: number; day: number } | null {
  if (!s) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(s.trim());
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > 31) return null;
  return { year, month, day };
}

/**
 * Region names people write instead of a zone ("All times Pacific", "London time", "ET"). Each is
 * an IANA zone, so the offset follows DST at the instant; an explicit offset or abbreviation in the
 * same statement wins over it (findZone).
 */
export const ZONE_REGIONS: Readonly<Record<string, string>> = {
  pacific: "America/Los_Angeles",
  pt: "America/Los_Angeles",
  mountain: "America/Denver",
  mt: "America/Denver",
  central: "America/Chicago",
  ct: "America/Chicago",
  eastern: "America/New_York",
  et: "America/New_York",
  london: "Europe/London",
  uk: "Europe/London",
  dublin: "Europe/Dublin",
  lisbon: "Europe/Lisbon",
  paris: "Europe/Paris",
  berlin: "Europe/Berlin",
  amsterdam: "Europe/Amsterdam",
  madrid: "Europe/Madrid",
  zurich: "Europe/Zurich",
  stockholm: "Europe/Stockholm",
  warsaw: "Europe/Warsaw",
  helsinki: "Europe/Helsinki",
  moscow: "Europe/Moscow",
  india: "Asia/Kolkata",
  singapore: "Asia/Singapore",
  tokyo: "Asia/Tokyo",
  sydney: "Australia/Sydney",
  "new york": "America/New_York",
  "san francisco": "America/Los_Angeles",
};

// Offsets as people type them: "UTC+1", "UTC−7" (U+2212 minus, normalised before), "GMT +05:30", "+0200".
const PROSE_OFFSET = /(?:\b(?:UTC|GMT)\s?([+-])\s?(\d{1,2})(?::?(\d{2}))?(?!\d)|(?<![\w:])([+-])(\d{2}):?(\d{2})(?!\d))/;
const PROSE_IANA = /\b[A-Z][a-z]+\/[A-Z][A-Za-z_]+(?:\/[A-Z][A-Za-z_]+)?\b/g;
const PROSE_ABBR = /\b[A-Z]{1,5}\b/g;
const PROSE_REGION = new RegExp(`\\b(${Object.keys(ZONE_REGIONS).sort((a, b) => b.length - a.length).join("|")})\\b`, "i");

/**
 * The zone a short piece of prose names — "CET (UTC+1)", "Pacific (PDT, UTC−7)", "IST (UTC+05:30)",
 * "London time (BST)", "UTC", "ET (EST, UTC−5)" — or null. The most explicit form wins: a numeric
 * offset, then an IANA name, then a known abbreviation (first in the text), then a region name
 * (a region alone is case-sensitive for the two-letter forms, so "pt" in prose is not Pacific).
 */
export function findZone(text: string): Zone | null {
  const t = text.replace(/\u2212/g, "-").slice(0, 200);
  const off = PROSE_OFFSET.exec(t);
  if (off) {
    const sign = off[1] ?? off[4];
    const h = Number(off[2] ?? off[5]);
    const mi = Number(off[3] ?? off[6] ?? "0");
    if (h <= 14 && mi <= 59) return { kind: "offset", minutes: (sign === "-" ? -1 : 1) * (h * 60 + mi), label: `UTC${sign}${String(h).padStart(2, "0")}:${String(mi).padStart(2, "0")}` };
  }
  for (const m of t.matchAll(PROSE_IANA)) {
    const z = resolveZone(m[0]);
    if (z) return z;
  }
  for (const m of t.matchAll(PROSE_ABBR)) {
    if (ZONE_ABBREVIATIONS[m[0]] !== undefined && m[0] !== "Z") return resolveZone(m[0]);
  }
  const r = PROSE_REGION.exec(t);
  if (r && (r[1]!.length > 2 || r[1] === r[1]!.toUpperCase())) {
    const zone = ZONE_REGIONS[r[1]!.toLowerCase()]!;
    return { kind: "iana", zone, label: zone };
  }
  return null;
}
