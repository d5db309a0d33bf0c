/** Deterministic formatting for the draft: times in the incident's zone, durations, rates, Markdown escaping. */

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

/** "2 h 17 min", "4 min 30 s", "850 ms". */
export function fmtDuration(ms: number): string {
  const neg = ms < 0;
  const a = Math.abs(ms);
  let s: string;
  if (a < 1000) s = `${Math.round(a)} ms`;
  else if (a < 60_000) s = `${(a / 1000).toFixed(a < 10_000 ? 1 : 0).replace(/\.0$/, "")} s`;
  else if (a < 3_600_000) {
    const m = Math.floor(a / 60_000);
    const sec = Math.round((a % 60_000) / 1000);
    s = sec === 0 || sec === 60 ? `${sec === 60 ? m + 1 : m} min` : `${m} min ${sec} s`;
  } else {
    const h = Math.floor(a / 3_600_000);
    const m = Math.round((a % 3_600_000) / 60_000);
    s = m === 0 ? `${h} h` : m === 60 ? `${h + 1} h` : `${h} h ${m} min`;
  }
  return neg ? `-${s}` : s;
}

/** Latency: "920 ms", "1.2 s". */
export function fmtMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1).replace(/0+$/, "").replace(/\.$/, "")} s`;
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
