import { z } from "zod";
import { RecordQuery, RecordRowDto } from "./records-api";

/** Filters shared by the timeline chart and list (a subset of the records API query). */
export const TimelineFilters = RecordQuery.pick({ kind: true, from: true, to: true, service: true, node: true, source: true, severity: true, fileId: true, q: true });
export type TimelineFilters = z.infer<typeof TimelineFilters>;

/** GET /api/incidents/:id/timeline: events and errors per interval, by source. */
export const TimelineRatesQuery = TimelineFilters.extend({
  buckets: z.coerce.number().int().min(10).max(400).default(120),
});
export type TimelineRatesQuery = z.infer<typeof TimelineRatesQuery>;

export const TimelineRatesDto = z.object({
  /** Epoch ms of the first bucket's start and the range end (exclusive). */
  from: z.number().nullable(),
  to: z.number().nullable(),
  bucketMs: z.number(),
  /** Sources in the series, largest first; the rest are folded into "other". */
  sources: z.array(z.string()),
  /**
   * Set when a text or node filter met a summarised file: its healthy requests/spans are counted
   * only as far as they are rows (notable, sampled, materialised), not all of them.
   */
  partial: z.boolean().optional(),
  points: z.array(
    z.object({
      t: z.number(),
      total: z.number().int(),
      errors: z.number().int(),
      bySource: z.record(z.string(), z.number().int()),
    }),
  ),
  total: z.number().int(),
});
export type TimelineRatesDto = z.infer<typeof TimelineRatesDto>;

/** GET /api/incidents/:id/timeline/records: a page of the merged timeline, either side of a record or cursor. */
export const TimelinePageQuery = TimelineFilters.extend({
  /** Load the page centred on this record (evidence links). */
  around: z.coerce.number().int().positive().optional(),
  cursor: z.string().max(200).optional(),
  dir: z.enum(["before", "after"]).default("after"),
  limit: z.coerce.number().int().min(1).max(500).default(200),
});
export type TimelinePageQuery = z.infer<typeof TimelinePageQuery>;

export const TimelineRowDto = RecordRowDto.extend({
  /** Cited by a hypothesis (detector evidence). */
  cited: z.boolean(),
});
export type TimelineRowDto = z.infer<typeof TimelineRowDto>;

export const TimelinePageDto = z.object({
  /** In time order (oldest first) whatever the direction. */
  rows: z.array(TimelineRowDto),
  /** Cursor to load older rows (null: start reached). */
  before: z.string().nullable(),
  /** Cursor to load newer rows (null: end reached). */
  after: z.string().nullable(),
  /** The `around` record when it matched the filters. */
  focus: z.number().int().nullable(),
});
export type TimelinePageDto = z.infer<typeof TimelinePageDto>;

export const TimelineFileDto = z.object({
  id: z.string(),
  path: z.string(),
  format: z.string().nullable(),
  records: z.number().int(),
  /** Override stored on the file (manifest or UI). */
  clockSkewMs: z.number().nullable(),
  /** From the run's correlation: the estimate and what was applied. */
  estimateMs: z.number().nullable(),
  appliedMs: z.number().nullable(),
  basis: z.string().nullable(),
  samples: z.number().int().nullable(),
  note: z.string().nullable(),
});
export type TimelineFileDto = z.infer<typeof TimelineFileDto>;

/** Everything the timeline page needs besides the rows (server-rendered). */
export const TimelineMetaDto = z.object({
  range: z.object({ start: z.number().nullable(), end: z.number().nullable() }),
  window: z.object({ onset: z.number().nullable(), recovery: z.number().nullable() }),
  files: z.array(TimelineFileDto),
  sources: z.array(z.object({ source: z.string(), count: z.number().int() })),
  kinds: z.array(z.object({ kind: z.string(), count: z.number().int() })),
  cited: z.array(z.object({ id: z.number().int(), hypothesis: z.string() })),
});
export type TimelineMetaDto = z.infer<typeof TimelineMetaDto>;

/** GET /api/incidents/:id/timeline/record/:recordId */
export const TimelineRecordDto = z.object({
  row: RecordRowDto,
  record: z.unknown(),
  citedBy: z.array(z.string()),
});
export type TimelineRecordDto = z.infer<typeof TimelineRecordDto>;

/** The timeline's first page and chart, rendered with the HTML for the URL's state. */
export const TimelineFirstViewDto = z.object({
  /** the API query strings these answer (the client uses them only while its own queries match) */
  pageQuery: z.string(),
  page: TimelinePageDto.nullable(),
  ratesQuery: z.string(),
  rates: TimelineRatesDto.nullable(),
});
export type TimelineFirstViewDto = z.infer<typeof TimelineFirstViewDto>;
