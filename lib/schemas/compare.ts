import { z } from "zod";
import { IncidentStatus } from "./api";
import { ChainDiffDto, RuleDumpDto } from "./views-rules";

export const MIN_COMPARE = 2;
export const MAX_COMPARE = 4;

/** Comma-separated ids, trimmed, empty parts and repeats dropped (the first occurrence keeps its place). */
export function parseIdList(raw: string | null | undefined): string[] {
  const out: string[] = [];
  for (const part of (raw ?? "").split(",")) {
    const id = part.trim();
    if (id && !out.includes(id)) out.push(id);
  }
  return out;
}

/**
 * GET /api/compare?ids=a,b[,c[,d]]&service&ra&rb. The count of ids is checked by the service
 * (so the page can explain what to do), not here; each id is bounded.
 */
export const CompareQuery = z.object({
  ids: z
    .string()
    .max(2000)
    .default("")
    .transform(parseIdList)
    .pipe(z.array(z.string().max(100).regex(/^[A-Za-z0-9_-]+$/, "incident ids are letters, digits, - and _"))),
  /** Service (short name, as listed) whose latency distributions are overlaid; default: every request */
  service: z
    .string()
    .max(300)
    .optional()
    .transform((s) => s?.trim() || undefined),
  /** Minutes shown after t = 0 on the aligned timelines (default: the longest window plus a margin) */
  span: z.coerce.number().int().min(1).max(1440).optional(),
  /** Evidence ids of the two iptables dumps compared across incidents (default: the first two incidents' dumps) */
  ra: z.coerce.number().int().positive().optional(),
  rb: z.coerce.number().int().positive().optional(),
});
export type CompareQuery = z.infer<typeof CompareQuery>;

export const CompareFigures = z.object({
  /** recovery − onset */
  durationMs: z.number().nullable(),
  baselineErrorRate: z.number().nullable(),
  peakErrorRate: z.number().nullable(),
  requests: z.number().int(),
  failed: z.number().int(),
  p99BeforeMs: z.number().nullable(),
  p99DuringMs: z.number().nullable(),
  /** p99 during − p99 before */
  p99ShiftMs: z.number().nullable(),
  /** p99 during ÷ p99 before */
  p99Ratio: z.number().nullable(),
  /** Affected services (failures or a p99 slowdown), most failures first */
  affectedServices: z.array(z.string()),
  records: z.number().int(),
});
export type CompareFigures = z.infer<typeof CompareFigures>;

export const CompareIncident = z.object({
  id: z.string(),
  title: z.string(),
  status: IncidentStatus,
  isSample: z.boolean(),
  analysed: z.boolean(),
  /** ISO: window start, else upload time */
  occurredAt: z.string(),
  /** t = 0 of the aligned timeline, epoch ms: the onset, else the first record */
  t0: z.number().nullable(),
  alignedAt: z.enum(["onset", "first-record", "none"]),
  /** Window end relative to t0 (ms) */
  recoveryRel: z.number().nullable(),
  figures: CompareFigures,
});
export type CompareIncident = z.infer<typeof CompareIncident>;

export const CompareEventKind = z.enum(["onset", "peak", "recovery", "alert", "timeline", "evidence"]);
export type CompareEventKind = z.infer<typeof CompareEventKind>;

export const CompareEvent = z.object({
  incidentId: z.string(),
  kind: CompareEventKind,
  /** ms relative to the incident's t0 */
  rel: z.number(),
  /** epoch ms */
  ts: z.number(),
  label: z.string(),
  /** Link into the incident (timeline record or overview) */
  href: z.string(),
});
export type CompareEvent = z.infer<typeof CompareEvent>;

export const CompareTimeline = z.object({
  /** The relative axis shared by every incident (ms from t0) */
  fromRel: z.number(),
  toRel: z.number(),
  bucketMs: z.number(),
  series: z.array(
    z.object({
      incidentId: z.string(),
      points: z.array(z.object({ rel: z.number(), total: z.number().int(), errors: z.number().int() })),
      total: z.number().int(),
    }),
  ),
  events: z.array(CompareEvent),
});
export type CompareTimeline = z.infer<typeof CompareTimeline>;

export const CompareHypothesisCell = z.object({ rank: z.number().int(), confidence: z.number(), title: z.string() });
export const CompareHypothesisRow = z.object({
  detector: z.string(),
  /** The detector's own title (what it looks for) */
  detectorTitle: z.string(),
  /** One cell per incident, in the order of `incidents` (null: not found in that incident) */
  cells: z.array(CompareHypothesisCell.nullable()),
  /** How many of the compared incidents have it */
  sharedBy: z.number().int(),
});
export type CompareHypothesisRow = z.infer<typeof CompareHypothesisRow>;

export const CompareRules = z.object({
  /** Iptables dumps of each compared incident that has any (bounded) */
  available: z.array(z.object({ incidentId: z.string(), dumps: z.array(RuleDumpDto) })),
  a: z.object({ incidentId: z.string(), dump: RuleDumpDto }).nullable(),
  b: z.object({ incidentId: z.string(), dump: RuleDumpDto }).nullable(),
  /** Changed chains only, long chains windowed around the changes */
  chains: z.array(ChainDiffDto),
  /** Unchanged chains left out */
  hiddenChains: z.number().int(),
  /** Why there is no diff, when there is none */
  note: z.string().nullable(),
});
export type CompareRules = z.infer<typeof CompareRules>;

export const CompareLatency = z.object({
  /** The service overlaid (short name) or null for every request */
  service: z.string().nullable(),
  /** Services offered (short names present in any compared incident, busiest first) */
  services: z.array(z.object({ service: z.string(), incidents: z.number().int(), count: z.number().int() })),
  /** Log-scale buckets [loMs, hiMs), one count per incident in the order of `incidents` */
  buckets: z.array(z.object({ loMs: z.number(), hiMs: z.number(), counts: z.array(z.number().int()) })),
  /** Percentiles per incident (same order), null without data */
  percentiles: z.array(
    z.object({ count: z.number().int(), p50: z.number().nullable(), p90: z.number().nullable(), p99: z.number().nullable(), p999: z.number().nullable() }).nullable(),
  ),
  /** "during the window" for incidents with one, else their whole range */
  scope: z.array(z.enum(["window", "all"])),
});
export type CompareLatency = z.infer<typeof CompareLatency>;

/** GET /api/compare */
export const CompareDto = z.object({
  incidents: z.array(CompareIncident),
  timeline: CompareTimeline,
  hypotheses: z.array(CompareHypothesisRow),
  /** Detectors found in every compared incident */
  commonDetectors: z.array(z.string()),
  /** Affected services (short names) found in every compared incident */
  commonServices: z.array(z.string()),
  rules: CompareRules,
  latency: CompareLatency,
});
export type CompareDto = z.infer<typeof CompareDto>;
