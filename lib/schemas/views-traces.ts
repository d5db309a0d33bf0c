import { z } from "zod";

/** GET /api/incidents/:id/traces query. */
export const TracesQuery = z.object({
  /** trace shown as a waterfall */
  trace: z.string().max(200).optional(),
  /** baseline trace for the latency comparison (default: the median trace of the same route) */
  compare: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** span to show in the first window of a big trace (the waterfall's ?span=) */
  span: z.coerce.number().int().optional(),
});
export type TracesQuery = z.infer<typeof TracesQuery>;

export const TraceSummaryDto = z.object({
  traceId: z.string(),
  /** root (longest) span: "service name" */
  route: z.string(),
  start: z.number().nullable(),
  durationMs: z.number().nullable(),
  spans: z.number().int(),
  errors: z.number().int(),
  /** evidence id of the root span */
  rootId: z.number().int().nullable(),
  /**
   * The trace may have more spans than `spans`: some sit in blocks of a summarised span file not
   * read yet (opening the trace reads them). Its errors and longest span are always counted.
   */
  partial: z.boolean().optional(),
});
export type TraceSummaryDto = z.infer<typeof TraceSummaryDto>;

export const WaterfallSpanDto = z.object({
  /** evidence id */
  id: z.number().int(),
  spanId: z.string(),
  parent: z.number().int().nullable(),
  depth: z.number().int(),
  service: z.string(),
  name: z.string(),
  kind: z.string(),
  /** ms from the trace start */
  offset: z.number(),
  durationMs: z.number().nullable(),
  error: z.boolean(),
  status: z.string().nullable(),
  peer: z.string().nullable(),
  /** 1-based attempt among sibling client spans to the same peer; null when there was one */
  attempt: z.number().int().nullable(),
  attempts: z.number().int().nullable(),
  /** parent start → this (first) child start, when it is a notable wait (connect/SYN retry) */
  gapMs: z.number().nullable(),
  path: z.string(),
  line: z.number().nullable(),
  childCount: z.number().int(),
});
export type WaterfallSpanDto = z.infer<typeof WaterfallSpanDto>;

export const ComparisonRowDto = z.object({
  /** span name path: "svc name > svc name" */
  path: z.string(),
  depth: z.number().int(),
  slowCount: z.number().int(),
  slowMs: z.number(),
  typicalCount: z.number().int(),
  typicalMs: z.number(),
  diffMs: z.number(),
  /** evidence id of the first slow span on this path */
  slowId: z.number().int().nullable(),
  typicalId: z.number().int().nullable(),
});
export type ComparisonRowDto = z.infer<typeof ComparisonRowDto>;

/** A waterfall row of a windowed (big) trace: its position among the visible rows and its parent's. */
export const WaterfallWindowRowDto = WaterfallSpanDto.extend({
  index: z.number().int(),
  parentIndex: z.number().int().nullable(),
});
export type WaterfallWindowRowDto = z.infer<typeof WaterfallWindowRowDto>;

/** GET /api/incidents/:id/traces/:traceId/spans: a window of the visible rows (collapsed subtrees hidden). */
export const WaterfallWindowQuery = z.object({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  /** evidence ids of collapsed spans, comma-separated */
  collapsed: z
    .string()
    .max(20_000)
    .optional()
    .transform((v) => (v ? v.split(",").map(Number).filter(Number.isInteger).slice(0, 2000) : [])),
  /** return the window that contains this span (evidence id) instead of `offset` */
  around: z.coerce.number().int().optional(),
});
export type WaterfallWindowQuery = z.infer<typeof WaterfallWindowQuery>;

export const WaterfallWindowDto = z.object({
  /** visible rows in total (all rows minus collapsed subtrees) */
  total: z.number().int(),
  offset: z.number().int(),
  rows: z.array(WaterfallWindowRowDto),
});
export type WaterfallWindowDto = z.infer<typeof WaterfallWindowDto>;

export const TraceDetailDto = z.object({
  summary: TraceSummaryDto,
  /**
   * The waterfall rows: all of them for a trace of up to WATERFALL_INLINE_MAX spans; for a bigger one
   * a window (`window`), the rest fetched while scrolling, so the page never carries 50k rows.
   */
  spans: z.array(WaterfallSpanDto),
  window: WaterfallWindowDto.nullable(),
  /** latest span end, ms from the trace start (the time axis) */
  extentMs: z.number(),
  retries: z.number().int(),
  gaps: z.number().int(),
  errors: z.number().int(),
  comparison: z
    .object({ typical: TraceSummaryDto, rows: z.array(ComparisonRowDto), candidates: z.number().int() })
    .nullable(),
});
export type TraceDetailDto = z.infer<typeof TraceDetailDto>;

export const TracesViewDto = z.object({
  totalSpans: z.number().int(),
  slowest: z.array(TraceSummaryDto),
  failed: z.array(TraceSummaryDto),
  detail: TraceDetailDto.nullable(),
});
export type TracesViewDto = z.infer<typeof TracesViewDto>;
