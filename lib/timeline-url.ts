// Shared by the timeline page (server: the first page and chart are rendered with the HTML) and
// the client view, so both build the same queries.
// URL state of the timeline view: every filter, the zoom and the selected record live in the query
// string so a link shows a colleague exactly the same view.

export const FILTER_KEYS = ["from", "to", "kind", "source", "severity", "service", "node", "fileId", "q"] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
export type TimelineUrlState = Partial<Record<FilterKey | "record", string>>;

export function readState(params: URLSearchParams): TimelineUrlState {
  const out: TimelineUrlState = {};
  for (const k of [...FILTER_KEYS, "record"] as const) {
    const v = params.get(k);
    if (v) out[k] = v;
  }
  return out;
}

/** Query string for the API (filters only, no selection). */
export function filterQuery(state: TimelineUrlState, extra: Record<string, string> = {}): string {
  const p = new URLSearchParams();
  for (const k of FILTER_KEYS) if (state[k]) p.set(k, state[k]!);
  for (const [k, v] of Object.entries(extra)) p.set(k, v);
  return p.toString();
}

export function withPatch(state: TimelineUrlState, patch: Partial<Record<FilterKey | "record", string | null>>): string {
  const next: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...state, ...patch })) if (v) next[k] = v;
  return new URLSearchParams(next).toString();
}

/** "06-12 10:14:03.250" in UTC (the unit every source is normalised to). */
export function shortTime(ms: number | null): string {
  if (ms == null) return "—";
  const iso = new Date(ms).toISOString();
  return `${iso.slice(5, 10)} ${iso.slice(11, 23)}`;
}

export function clockTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** Parses epoch ms or an ISO time typed by a user; null when neither. */
export function parseTimeInput(text: string): number | null {
  const t = text.trim();
  if (!t) return null;
  if (/^\d{10,}$/.test(t)) return Number(t);
  const withZone = /[zZ]|[+-]\d\d:?\d\d$/.test(t) ? t : `${t.replace(" ", "T")}Z`;
  const ms = Date.parse(withZone);
  return Number.isFinite(ms) ? ms : null;
}

export function isoInput(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return "";
  return new Date(ms).toISOString().replace("T", " ").replace("Z", "");
}

/**
 * The chart's range when the URL has no zoom: the incident window with a margin either side (the
 * window's length, at least 15 min) when the whole data range is much wider — e.g. a human timeline
 * entry from the day before would otherwise squeeze the incident into a few buckets. Null: use the
 * whole range.
 *
 *   range.start ·············· [onset − m ═══ window ═══ recovery + m] ·············· range.end
 */
export function defaultChartRange(range: { start: number | null; end: number | null }, window: { onset: number | null; recovery: number | null }): { from: number; to: number } | null {
  if (window.onset === null || range.start === null || range.end === null) return null;
  const recovery = window.recovery ?? window.onset;
  const margin = Math.max(15 * 60_000, recovery - window.onset);
  const from = Math.max(range.start, window.onset - margin);
  const to = Math.min(range.end + 1, recovery + margin);
  if (!(to > from)) return null;
  // Only when it makes a difference: the padded window is under half of the whole range.
  return (to - from) * 2 < range.end - range.start ? { from, to } : null;
}

/** Rows per timeline page (the view's first page and every page loaded while scrolling). */
export const TIMELINE_PAGE = 200;

/** The API query of the first page of rows for a URL state (around the selected record, if any). */
export function firstPageQueryFor(state: TimelineUrlState): string {
  return filterQuery(state, { limit: String(TIMELINE_PAGE), ...(state.record ? { around: state.record } : {}) });
}

/** The API query of the rate chart: the URL's filters, zoomed to the incident window unless the URL sets a range. */
export function chartQueryFor(state: TimelineUrlState, meta: { range: { start: number | null; end: number | null }; window: { onset: number | null; recovery: number | null } }): string {
  const auto = state.from || state.to ? null : defaultChartRange(meta.range, meta.window);
  return auto ? filterQuery(state, { from: String(Math.floor(auto.from)), to: String(Math.ceil(auto.to)) }) : filterQuery(state);
}
