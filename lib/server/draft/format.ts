/** Deterministic formatting for the draft: times in the incident's zone, durations, rates, Markdown escaping. */
import { DRAFT_DURATION, DRAFT_LATENCY, formatMs } from "@/lib/format-ms";

/** A valid IANA zone or "UTC" (a bad manifest value must not break the draft). */
export function safeZone(tz: string | null | undefined): string {
  if (!tz) return "UTC";
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return tz;
  } catch {
    return "UTC";
  }
}

function parts(iso: string, tz: string): Record<string, string> {
  const fmt = new Intl.DateTimeFormat("en-US", {
    timeZone: tz,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
    timeZoneName: "short",
  });
  const out: Record<string, string> = {};
  for (const p of fmt.formatToParts(new Date(iso))) out[p.type] = p.value;
  return out;
}

/** "2024-10-15" in the zone. */
export function fmtDate(iso: string, tz: string): string {
  const p = parts(iso, tz);
  return `${p.year}-${p.month}-${p.day}`;
}

/** "2024-10-15 14:02:05 UTC" in the zone. */
export function fmtDateTime(iso: string, tz: string): string {
  const p = parts(iso, tz);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second} ${zoneLabel(p, tz)}`;
}

/** "14:02:05" in the zone. */
export function fmtClock(iso: string, tz: string): string {
  const p = parts(iso, tz);
  return `${p.hour}:${p.minute}:${p.second}`;
}

function zoneLabel(p: Record<string, string>, tz: string): string {
  if (tz === "UTC" || tz === "Etc/UTC") return "UTC";
  return p.timeZoneName ?? tz;
}

export function zoneName(tz: string, sampleIso: string | null): string {
  if (tz === "UTC" || tz === "Etc/UTC" || !sampleIso) return tz;
  return `${tz} (${parts(sampleIso, tz).timeZoneName ?? tz})`;
}

/** "2 h 17 min", "4 min 30 s", "850 ms": the draft's durations, by the one formatter (lib/format-ms.ts). */
export function fmtDuration(ms: number): string {
  return formatMs(ms, DRAFT_DURATION);
}

/** Latency: "920 ms", "1.2 s", by the one formatter (lib/format-ms.ts). */
export function fmtMs(ms: number): string {
  return formatMs(ms, DRAFT_LATENCY);
}

/** 0.3214 → "32.1%", 0.0004 → "0.04%". */
export function fmtPct(rate: number): string {
  const p = rate * 100;
  if (p === 0) return "0%";
  if (p < 1) return `${p.toFixed(2).replace(/0+$/, "").replace(/\.$/, "")}%`;
  return `${p.toFixed(1).replace(/\.0$/, "")}%`;
}

/** Free text into Markdown inline text: no markup, links or HTML can come from evidence. */
export function mdText(s: string): string {
  return s.replace(/[\r\n]+/g, " ").replace(/([\\`*_[\]<>|#!~])/g, "\\$1");
}

/** Free text as an inline code span (excerpts): backticks cannot close it. */
export function mdCode(s: string, max = 160): string {
  const one = s.replace(/[\r\n]+/g, " ").replace(/`/g, "'").replace(/\|/g, "¦");
  const cut = one.length > max ? `${one.slice(0, max - 1)}…` : one;
  return `\`${cut}\``;
}
