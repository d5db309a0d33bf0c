// Shared by the compare components: one colour and one letter per compared incident (the letter
// keeps the page readable without colour), and times relative to each incident's t = 0.

export const INCIDENT_COLOURS = ["#6366f1", "#14b8a6", "#f59e0b", "#ec4899"] as const;
export const INCIDENT_LETTERS = ["A", "B", "C", "D"] as const;

export function incidentColour(i: number): string {
  return INCIDENT_COLOURS[i % INCIDENT_COLOURS.length]!;
}
export function incidentLetter(i: number): string {
  return INCIDENT_LETTERS[i] ?? String(i + 1);
}

/** −5 min, +0 s, +12 min 30 s, +1 h 04 min — the offset from an incident's onset. */
export function relTime(ms: number): string {
  const sign = ms < 0 ? "−" : "+";
  const abs = Math.abs(Math.round(ms / 1000));
  const h = Math.floor(abs / 3600);
  const m = Math.floor((abs % 3600) / 60);
  const s = abs % 60;
  if (h > 0) return `${sign}${h} h ${String(m).padStart(2, "0")} min`;
  if (m > 0) return s ? `${sign}${m} min ${s} s` : `${sign}${m} min`;
  return `${sign}${s} s`;
}

/** Short axis tick: −5m, 0, +12m, +1h04. */
export function relTick(ms: number): string {
  if (Math.abs(ms) < 1000) return "0";
  const sign = ms < 0 ? "−" : "+";
  const abs = Math.abs(Math.round(ms / 1000));
  const h = Math.floor(abs / 3600);
  const m = Math.floor((abs % 3600) / 60);
  const s = abs % 60;
  if (h > 0) return `${sign}${h}h${String(m).padStart(2, "0")}`;
  if (m > 0) return `${sign}${m}m${s ? String(s).padStart(2, "0") : ""}`;
  return `${sign}${s}s`;
}
