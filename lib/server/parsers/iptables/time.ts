import { epochMs, parseIsoUtc, type EpochMs } from "@/lib/schemas/time";

/**
 * Wall-clock helpers shared by the netfilter parsers (iptables-save headers, `date` separators in
 * conntrack snapshot files). These sources print local wall-clock time without a zone (ctime), so
 * the zone comes from the manifest (ctx.timezone) or is assumed UTC — and the caller says so.
 */

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export interface WallClock {
  year?: number;
  month: number; // 1..12
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Zone token printed by date(1): UTC, GMT, CEST, +0200 … */
  zone?: string;
}

// ctime(3) "Sat Oct 12 14:01:55 2024" and date(1) "Tue Aug 13 10:00:01 UTC 2019". Each group is a
// bounded character class separated by literal whitespace: linear, no backtracking blow-up.
const CTIME = /^(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?\s+)?(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\s+(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})(?:\s+([A-Za-z]{1,6}|[+-]\d{2}:?\d{2}))?(?:\s+(\d{4}))?\s*$/;

/** Parses a ctime/date(1) wall clock; the year may be missing (old iptables-save, syslog style). */
export function parseCtime(text: string): WallClock | null {
  if (text.length > 80) return null;
  const m = CTIME.exec(text.trim());
  if (!m) return null;
  const month = MONTHS.indexOf(m[1]!) + 1;
  const wall: WallClock = { month, day: Number(m[2]), hour: Number(m[3]), minute: Number(m[4]), second: Number(m[5]) };
  if (m[6]) wall.zone = m[6];
  if (m[7]) wall.year = Number(m[7]);
  if (wall.day < 1 || wall.day > 31 || wall.hour > 23 || wall.minute > 59 || wall.second > 60) return null;
  return wall;
}

const OFFSET = /^([+-])(\d{2}):?(\d{2})$/;

/** Offset (ms) of an IANA zone or ±HH:MM at the given UTC instant; null when the zone is unknown. */
export function zoneOffsetMs(zone: string, utcMs: number): number | null {
  const z = zone.trim();
  if (z === "UTC" || z === "GMT" || z === "Z" || z === "Etc/UTC") return 0;
  const off = OFFSET.exec(z);
  if (off) return (off[1] === "-" ? -1 : 1) * (Number(off[2]) * 60 + Number(off[3])) * 60_000;
  try {
    const parts = new Intl.DateTimeFormat("en-US", {
      timeZone: z,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    }).formatToParts(new Date(utcMs));
    const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? Number.NaN);
    const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
    const r = asUtc - Math.floor(utcMs / 1000) * 1000;
    return Number.isFinite(r) ? r : null;
  } catch {
    return null;
  }
}

export interface ResolvedTime {
  ts: EpochMs | null;
  /** Doubts to report (zone assumed, year missing, unknown zone). */
  warnings: string[];
}

/**
 * Turns a wall clock into UTC epoch ms. Zone precedence: an explicit numeric/UTC zone printed in
 * the text, then ctx.timezone, then UTC with a warning. A missing year is taken from
 * ctx.referenceDate with a warning, or the time is left null: guessing silently would misplace
 * the evidence by a year.
 */
export function resolveWallClock(wall: WallClock, ctx: { timezone?: string; referenceDate?: string }, what: string): ResolvedTime {
  const warnings: string[] = [];
  let year = wall.year;
  if (year === undefined) {
    const ref = ctx.referenceDate ? /^(\d{4})/.exec(ctx.referenceDate) : null;
    if (!ref) {
      warnings.push(`${what}: date has no year and no reference date was given; time left unknown`);
      return { ts: null, warnings };
    }
    year = Number(ref[1]);
    warnings.push(`${what}: date has no year; assumed ${year} from the reference date`);
  }
  const naive = Date.UTC(year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  let zone: string | undefined;
  if (wall.zone && zoneOffsetMs(wall.zone, naive) !== null) zone = wall.zone;
  else if (wall.zone && ctx.timezone) {
    warnings.push(`${what}: zone abbreviation "${wall.zone}" is ambiguous; used ${ctx.timezone} from the manifest`);
    zone = ctx.timezone;
  } else if (wall.zone) {
    warnings.push(`${what}: zone abbreviation "${wall.zone}" is ambiguous; assumed UTC`);
  } else if (ctx.timezone) zone = ctx.timezone;
  else warnings.push(`${what}: timestamp has no zone; assumed UTC (no timezone in the manifest)`);
  if (!zone) return { ts: epochMs(naive), warnings };
  // Two passes so a wall clock next to a DST change lands on the right offset.
  let off = zoneOffsetMs(zone, naive);
  if (off === null) {
    warnings.push(`${what}: unknown timezone "${zone}"; assumed UTC`);
    return { ts: epochMs(naive), warnings };
  }
  const second = zoneOffsetMs(zone, naive - off);
  if (second !== null) off = second;
  return { ts: epochMs(naive - off), warnings };
}

// ISO-ish separators: "2019-08-13T10:00:01Z", "2019-08-13 10:00:01", with optional fraction/zone.
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?$/;

/** Parses an ISO 8601 timestamp; zone-less values use ctx.timezone or UTC with a warning. */
export function parseIsoWall(text: string, ctx: { timezone?: string; referenceDate?: string }, what: string): ResolvedTime | null {
  const m = ISO.exec(text.trim());
  if (!m) return null;
  if (m[8]) {
    const ts = parseIsoUtc(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ""}${m[8].length === 5 ? `${m[8].slice(0, 3)}:${m[8].slice(3)}` : m[8]}`);
    return ts === null ? null : { ts, warnings: [] };
  }
  const wall: WallClock = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]), hour: Number(m[4]), minute: Number(m[5]), second: Number(m[6]) };
  const r = resolveWallClock(wall, ctx, what);
  if (r.ts !== null && m[7]) r.ts = epochMs(r.ts + Number(`0${m[7]}`) * 1000);
  return r;
}
