import { z } from "zod";
import { IncidentStatus } from "./api";

const DAY_MS = 86_400_000;

/**
 * A date bound typed by a person or a link: `2024-10-15` (a whole UTC day), an ISO 8601 time or
 * epoch ms. `end` makes a bare date inclusive of its whole day (to=2024-10-15 keeps that day).
 */
export function parseDateBound(value: string, end: boolean): number | null {
  const v = value.trim();
  if (!v) return null;
  if (/^\d{10,}$/.test(v)) return Number(v);
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) {
    const day = Date.parse(`${v}T00:00:00Z`);
    return Number.isFinite(day) ? (end ? day + DAY_MS - 1 : day) : null;
  }
  const withZone = /[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v.replace(" ", "T")}Z`;
  const t = Date.parse(withZone);
  return Number.isFinite(t) ? t : null;
}

const dateBound = (end: boolean) =>
  z
    .string()
    .max(40)
    .transform((s, ctx) => {
      const t = parseDateBound(s, end);
      if (t === null) {
        ctx.addIssue({ code: "custom", message: "expected a date (YYYY-MM-DD), an ISO 8601 time or epoch ms" });
        return z.NEVER;
      }
      return t;
    });

/** Trimmed; an empty value means "not given". */
const term = (max: number) =>
  z
    .string()
    .max(max)
    .transform((s) => s.trim())
    .optional()
    .transform((s) => (s ? s : undefined));

export const SEARCH_PAGE_SIZES = [10, 25, 50, 100] as const;

/** GET /api/search: free text across incidents plus structured filters (all combined with AND). */
export const SearchQuery = z.object({
  /** Case-insensitive substring of titles, summaries, drafts, human timeline entries, hypothesis titles and summaries */
  q: term(200),
  /** Detector id that produced a hypothesis in the incident's latest analysis */
  detector: term(100),
  /** Substring of a service / workload name seen in the incident */
  service: term(300),
  /** Substring of a node name seen in the incident */
  node: term(300),
  /** Incident date range (window start, else upload time): YYYY-MM-DD (whole UTC days), ISO 8601 or epoch ms */
  from: dateBound(false).optional(),
  to: dateBound(true).optional(),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(25),
});
export type SearchQuery = z.infer<typeof SearchQuery>;
export type SearchQueryInput = z.input<typeof SearchQuery>;

export const SearchPlace = z.enum(["title", "summary", "hypothesis", "timeline", "draft", "filters"]);
export type SearchPlace = z.infer<typeof SearchPlace>;

/** The text around the first match, split so the UI can highlight it without HTML. */
export const Snippet = z.object({ before: z.string(), match: z.string(), after: z.string() });
export type Snippet = z.infer<typeof Snippet>;

export const SearchHit = z.object({
  incidentId: z.string(),
  title: z.string(),
  status: IncidentStatus,
  /** ISO: the incident window start (detected onset or manifest), else the upload time */
  occurredAt: z.string(),
  topHypothesis: z.string().nullable(),
  topConfidence: z.number().nullable(),
  /** Where the text matched; "filters" when only filters were given */
  where: SearchPlace,
  /** Which part: "Root cause" (draft section), "#1 iptables-rule-order" (hypothesis), entry time (timeline) */
  detail: z.string(),
  snippet: Snippet.nullable(),
  /** Further matches in the same place of the same incident */
  more: z.number().int().nonnegative(),
  /** Link to the match: incident overview, draft, or the timeline with the entry selected */
  href: z.string(),
  /** Timeline record id for timeline matches */
  recordId: z.number().int().nullable(),
});
export type SearchHit = z.infer<typeof SearchHit>;

export const SearchResultDto = z.object({
  total: z.number().int(),
  page: z.number().int(),
  pageSize: z.number().int(),
  hits: z.array(SearchHit),
  /** Incidents that matched (at least one hit) */
  incidents: z.number().int(),
  /** True when a bound cut the result (more incidents or matches than are searched or returned) */
  truncated: z.boolean(),
  /** Plain-language notes about bounds or skipped work */
  notes: z.array(z.string()),
});
export type SearchResultDto = z.infer<typeof SearchResultDto>;

/** The filter choices offered by the search page. */
export const SearchOptionsDto = z.object({
  detectors: z.array(z.object({ id: z.string(), title: z.string() })),
});
export type SearchOptionsDto = z.infer<typeof SearchOptionsDto>;
