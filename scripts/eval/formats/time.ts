/** Time writers for the formats the generator emits (all inputs are UTC epoch ms). */

const MON = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAY = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const p2 = (n: number) => String(n).padStart(2, "0");

/** A zone as a human timeline names it, with its fixed offset (the incident never spans a DST change). */
export interface Zone {
  /** Words a timeline uses to state it ("Times are CET (UTC+1)"). */
  statement: string;
  offsetMin: number;
}
export const ZONES: readonly Zone[] = [
  { statement: "All times UTC.", offsetMin: 0 },
  { statement: "Times are CET (UTC+1)", offsetMin: 60 },
  { statement: "All times Pacific (PDT, UTC−7)", offsetMin: -420 },
  { statement: "_All times IST (UTC+05:30)._", offsetMin: 330 },
  { statement: "Times: ET (EST, UTC−5)", offsetMin: -300 },
];

/** `2025-03-12T09:05:00.123Z` with `digits` fraction digits (3 = ms, 6 = µs, 9 = ns). */
export function iso(ms: number, digits = 3): string {
  const d = new Date(Math.floor(ms));
  const base = d.toISOString().slice(0, 19);
  if (digits === 0) return `${base}Z`;
  const frac = String(d.getUTCMilliseconds()).padStart(3, "0") + String(Math.floor((ms % 1) * 1e6)).padStart(6, "0");
  return `${base}.${frac.slice(0, digits)}Z`;
}

/** nginx `$time_local`: `12/Mar/2025:10:05:00 +0100` in the given offset. */
export function timeLocal(ms: number, offsetMin: number): string {
  const d = new Date(ms + offsetMin * 60_000);
  const sign = offsetMin < 0 ? "-" : "+";
  const a = Math.abs(offsetMin);
  return `${p2(d.getUTCDate())}/${MON[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} ${sign}${p2(Math.floor(a / 60))}${p2(a % 60)}`;
}

/** `HH:MM` on the wall clock of the offset. */
export function hhmm(ms: number, offsetMin = 0): string {
  const d = new Date(ms + offsetMin * 60_000);
  return `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}`;
}

/** `HHMM` for file names. */
export function hhmmCompact(ms: number): string {
  return hhmm(ms).replace(":", "");
}

/** ctime as `iptables-save` prints it in its header: `Tue Mar 12 09:05:00 2025` (UTC here). */
export function ctime(ms: number): string {
  const d = new Date(ms);
  return `${DAY[d.getUTCDay()]} ${MON[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, " ")} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

/** `12.03.2025`, `3/12/2025`, `12 Mar 2025` or the ISO date: the date styles human timelines use. */
export function humanDate(ms: number, offsetMin: number, style: number): string {
  const d = new Date(ms + offsetMin * 60_000);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + 1;
  const day = d.getUTCDate();
  switch (style % 4) {
    case 0:
      return `${y}-${p2(m)}-${p2(day)}`;
    case 1:
      return `${p2(day)}.${p2(m)}.${y}`;
    case 2:
      return `${m}/${day}/${y}`;
    default:
      return `${day} ${MON[m - 1]} ${y}`;
  }
}
