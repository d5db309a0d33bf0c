import type { SpanRecord } from "@/lib/schemas/records";
import { decodeRecordJson } from "@/lib/schemas/records";
import type {
  ComparisonRowDto,
  TraceDetailDto,
  TracesQuery,
  TracesViewDto,
  TraceSummaryDto,
  WaterfallSpanDto,
  WaterfallWindowDto,
  WaterfallWindowQuery,
} from "@/lib/schemas/views-traces";
import { getPrisma, type Db } from "@/lib/server/db/client";
import { NotFoundError } from "@/lib/server/errors";
import { requireIncident } from "@/lib/server/auth/require-incident";
import { materializeTrace, tracesInBlocks } from "@/lib/server/pipeline/materialize";
import { PromiseCache } from "@/lib/server/promise-cache";
import { waterfallWindow } from "@/lib/waterfall";
import { finishedRun, memoPerRun } from "./overview-correlation";

/**
 * Traces view. Lists are aggregated in the database (GROUP BY traceId over Evidence kind=span), so
 * an incident with a million spans sends ~100 summaries; one trace is loaded whole (bounded by
 * MAX_TRACE_SPANS) and laid out as a depth-first waterfall.
 *
 *   frontend GET /checkout        |■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■■| 4.1 s
 *     checkout → payments (1/3)   |   ✗ reset                            |
 *     checkout → payments (2/3)   |       ✗                              |
 *     payments POST /charge       |<── gap 3.0 s ──>■■■                  |   ← SYN retransmit wait
 */
export const MAX_TRACE_SPANS = 200_000;
/** Traces up to this many spans go to the browser whole; bigger ones as windows of rows. */
export const WATERFALL_INLINE_MAX = 2000;
/** Rows in the first window of a big trace (the page's payload); the rest arrive while scrolling. */
export const WATERFALL_FIRST_WINDOW = 300;
/** Laid-out traces kept per process (a 50k-span trace is ~30 MB of rows). */
const WATERFALL_CACHE_MAX = 4;
/** A child that starts this long after its parent (and ≥ 10 % of the parent) is a notable wait. */
export const GAP_MIN_MS = 200;

function isErrorSpan(s: SpanRecord): boolean {
  return s.status === "error" || s.fault === true || (s.httpStatus !== undefined && s.httpStatus >= 500);
}

async function summaries(db: Db, incidentId: string, groups: { traceId: string | null; _count: { _all: number }; _min: { ts: number | null }; _max: { durationMs: number | null } }[]): Promise<TraceSummaryDto[]> {
  const ids = groups.map((g) => g.traceId).filter((t): t is string => !!t);
  if (!ids.length) return [];
  const errors = await db.evidence.groupBy({ by: ["traceId"], where: { incidentId, kind: "span", traceId: { in: ids }, severity: "error" }, _count: { _all: true } });
  const errOf = new Map(errors.map((e) => [e.traceId, e._count._all]));
  const out: TraceSummaryDto[] = [];
  for (const g of groups) {
    if (!g.traceId) continue;
    // The longest span of a trace is its root (or the best stand-in for a broken tree).
    const root = await db.evidence.findFirst({ where: { incidentId, kind: "span", traceId: g.traceId }, orderBy: [{ durationMs: { sort: "desc", nulls: "last" } }, { id: "asc" }], select: { id: true, text: true, data: true } });
    const rec = root ? (decodeRecordJson(root.data) as SpanRecord) : null;
    out.push({ traceId: g.traceId, route: rec ? `${rec.service} ${rec.name}` : "?", start: g._min.ts, durationMs: g._max.durationMs, spans: g._count._all, errors: errOf.get(g.traceId) ?? 0, rootId: root?.id ?? null });
  }
  return out;
}

export function listTraces(incidentId: string, limit: number, db: Db = getPrisma()): Promise<Pick<TracesViewDto, "totalSpans" | "slowest" | "failed">> {
  // GROUP BY traceId over every span: once per finished run.
  return memoPerRun(db, incidentId, `traces-list:${limit}`, () => computeTraceLists(incidentId, limit, db), { persist: true });
}

async function computeTraceLists(incidentId: string, limit: number, db: Db): Promise<Pick<TracesViewDto, "totalSpans" | "slowest" | "failed">> {
  // Summarised span files: rows are the notable spans and sampled traces; RecordSecond counts all.
  const [rowSpans, summarisedSpans] = await Promise.all([
    db.evidence.count({ where: { incidentId, kind: "span", bulk: false } }),
    db.recordSecond.aggregate({ where: { incidentId, kind: "span" }, _sum: { count: true } }),
  ]);
  const totalSpans = rowSpans + (summarisedSpans._sum.count ?? 0);
  if (!totalSpans) return { totalSpans, slowest: [], failed: [] };
  const agg = { _count: { _all: true }, _min: { ts: true }, _max: { durationMs: true } } as const;
  // Summarised span files keep every error span and each block's slowest spans as rows, so these
  // lists are exact; a listed trace's other spans may still be in blocks (see `partial` below).
  // Ties broken by trace id: the same lists whatever order rows were stored in.
  const slow = await db.evidence.groupBy({ by: ["traceId"], where: { incidentId, kind: "span", traceId: { not: null } }, ...agg, orderBy: [{ _max: { durationMs: "desc" } }, { traceId: "asc" }], take: limit });
  const failedIds = await db.evidence.groupBy({ by: ["traceId"], where: { incidentId, kind: "span", severity: "error", traceId: { not: null } }, _count: { _all: true }, orderBy: [{ _count: { traceId: "desc" } }, { traceId: "asc" }], take: limit });
  const failed = failedIds.length
    ? await db.evidence.groupBy({ by: ["traceId"], where: { incidentId, kind: "span", traceId: { in: failedIds.map((f) => f.traceId!).filter(Boolean) } }, ...agg, orderBy: [{ _max: { durationMs: "desc" } }, { traceId: "asc" }] })
    : [];
  const lists = { totalSpans, slowest: await summaries(db, incidentId, slow), failed: await summaries(db, incidentId, failed) };
  if (summarisedSpans._sum.count) {
    const more = await tracesInBlocks(db, incidentId);
    for (const t of [...lists.slowest, ...lists.failed]) if (more(t.traceId)) t.partial = true;
  }
  return lists;
}

interface Loaded {
  id: number;
  rec: SpanRecord;
  path: string;
  line: number | null;
}

async function loadTrace(db: Db, incidentId: string, traceId: string): Promise<Loaded[]> {
  // Spans of summarised span files may still be in blocks (a Bloom filter per block says which).
  await materializeTrace(db, incidentId, traceId);
  const rows = await db.evidence.findMany({ where: { incidentId, kind: "span", traceId }, orderBy: [{ ts: "asc" }, { id: "asc" }], take: MAX_TRACE_SPANS, select: { id: true, fileId: true, line: true, data: true } });
  const files = await db.evidenceFile.findMany({ where: { incidentId, id: { in: [...new Set(rows.map((r) => r.fileId))] } }, select: { id: true, path: true } });
  const pathOf = new Map(files.map((f) => [f.id, f.path]));
  return rows.map((r) => ({ id: r.id, rec: decodeRecordJson(r.data) as SpanRecord, path: pathOf.get(r.fileId) ?? r.fileId, line: r.line }));
}

/**
 * Pure: spans → depth-first waterfall rows with retries and connect gaps.
 * Retry: sibling client spans (same parent) to the same peer (or the same name when no peer).
 * Gap: the earliest child of a parent starting ≥ GAP_MIN_MS (and ≥ 10 % of the parent) after it.
 */
export function buildWaterfall(spans: Loaded[]): { rows: WaterfallSpanDto[]; retries: number; gaps: number; errors: number; start: number } {
  const bySpanId = new Map<string, Loaded>();
  for (const s of spans) if (!bySpanId.has(s.rec.spanId)) bySpanId.set(s.rec.spanId, s);
  const children = new Map<string, Loaded[]>();
  const roots: Loaded[] = [];
  for (const s of spans) {
    const p = s.rec.parentSpanId;
    if (p && p !== s.rec.spanId && bySpanId.has(p)) (children.get(p) ?? children.set(p, []).get(p)!).push(s);
    else roots.push(s);
  }
  const start = spans.reduce((m, s) => Math.min(m, s.rec.ts), Number.POSITIVE_INFINITY);
  const byStart = (x: Loaded, y: Loaded) => x.rec.ts - y.rec.ts || x.id - y.id;
  const rows: WaterfallSpanDto[] = [];
  let retries = 0;
  let gaps = 0;
  let errors = 0;
  const visited = new Set<string>();
  // Iterative DFS: a 50k-deep chain must not blow the stack.
  const stack: { s: Loaded; depth: number; parent: number | null; attempt: number | null; attempts: number | null; gapMs: number | null }[] = [];
  const pushChildren = (parent: Loaded | null, list: Loaded[], depth: number) => {
    const sorted = [...list].sort(byStart);
    const groups = new Map<string, Loaded[]>();
    for (const c of sorted) if (c.rec.spanKind === "client") {
      const k = c.rec.peer ?? c.rec.name;
      (groups.get(k) ?? groups.set(k, []).get(k)!).push(c);
    }
    const first = sorted[0];
    const items = sorted.map((c) => {
      const g = c.rec.spanKind === "client" ? groups.get(c.rec.peer ?? c.rec.name)! : null;
      const attempts = g && g.length > 1 ? g.length : null;
      const attempt = attempts ? g!.indexOf(c) + 1 : null;
      let gapMs: number | null = null;
      if (parent && c === first) {
        const gap = c.rec.ts - parent.rec.ts;
        if (gap >= GAP_MIN_MS && gap >= 0.1 * (parent.rec.durationMs ?? gap)) gapMs = gap;
      }
      return { s: c, depth, parent: parent?.id ?? null, attempt, attempts, gapMs };
    });
    for (let i = items.length - 1; i >= 0; i--) stack.push(items[i]!);
  };
  pushChildren(null, roots, 0);
  while (stack.length) {
    const it = stack.pop()!;
    const { rec } = it.s;
    if (visited.has(rec.spanId) && bySpanId.get(rec.spanId) === it.s) continue;
    visited.add(rec.spanId);
    const err = isErrorSpan(rec);
    if (err) errors++;
    if (it.attempt && it.attempt > 1) retries++;
    if (it.gapMs !== null) gaps++;
    const kids = bySpanId.get(rec.spanId) === it.s ? (children.get(rec.spanId) ?? []) : [];
    rows.push({
      id: it.s.id,
      spanId: rec.spanId,
      parent: it.parent,
      depth: it.depth,
      service: rec.service,
      name: rec.name,
      kind: rec.spanKind,
      offset: rec.ts - start,
      durationMs: rec.durationMs,
      error: err,
      status: rec.statusMessage ?? (rec.httpStatus !== undefined ? String(rec.httpStatus) : err ? "error" : null),
      peer: rec.peer ?? null,
      attempt: it.attempt,
      attempts: it.attempts,
      gapMs: it.gapMs,
      path: it.s.path,
      line: it.s.line,
      childCount: kids.length,
    });
    if (kids.length) pushChildren(it.s, kids, it.depth + 1);
  }
  return { rows, retries, gaps, errors, start: Number.isFinite(start) ? start : 0 };
}

/** Pure: per span-name-path totals of two traces, largest slowdown first. */
export function compareTraces(slow: WaterfallSpanDto[], typical: WaterfallSpanDto[]): ComparisonRowDto[] {
  const paths = (rows: WaterfallSpanDto[]) => {
    const byId = new Map<number, string>();
    const out = new Map<string, { depth: number; count: number; ms: number; id: number; order: number }>();
    rows.forEach((r, order) => {
      const label = `${r.service} ${r.name}`;
      const p = r.parent !== null && byId.has(r.parent) ? `${byId.get(r.parent)} > ${label}` : label;
      byId.set(r.id, p);
      const cur = out.get(p);
      if (cur) {
        cur.count++;
        cur.ms += r.durationMs ?? 0;
      } else out.set(p, { depth: r.depth, count: 1, ms: r.durationMs ?? 0, id: r.id, order });
    });
    return out;
  };
  const a = paths(slow);
  const b = paths(typical);
  const rows: (ComparisonRowDto & { order: number })[] = [];
  for (const p of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(p);
    const y = b.get(p);
    rows.push({
      path: p,
      depth: (x ?? y)!.depth,
      slowCount: x?.count ?? 0,
      slowMs: x?.ms ?? 0,
      typicalCount: y?.count ?? 0,
      typicalMs: y?.ms ?? 0,
      diffMs: (x?.ms ?? 0) - (y?.ms ?? 0),
      slowId: x?.id ?? null,
      typicalId: y?.id ?? null,
      order: x ? x.order : 1e9 + y!.order,
    });
  }
  // Tree order of the slow trace (paths only in the typical trace at the end).
  return rows.sort((p, q) => p.order - q.order).slice(0, 2000).map(({ order: _o, ...r }) => r);
}

interface LaidOutTrace {
  summary: TraceSummaryDto;
  rows: WaterfallSpanDto[];
  retries: number;
  gaps: number;
  errors: number;
  extentMs: number;
}

const waterfallCache = new PromiseCache<LaidOutTrace | null>(WATERFALL_CACHE_MAX);

/**
 * A trace loaded and laid out once per finished run and process (LRU of WATERFALL_CACHE_MAX): the
 * page, every scrolled window and the comparison all read the same rows.
 */
async function laidOutTrace(db: Db, incidentId: string, traceId: string): Promise<LaidOutTrace | null> {
  const run = await finishedRun(db, incidentId);
  if (!run) return layOut(db, incidentId, traceId);
  return waterfallCache.get(`${incidentId}\u0000${run.stamp}\u0000${traceId}`, () => layOut(db, incidentId, traceId));
}

async function layOut(db: Db, incidentId: string, traceId: string): Promise<LaidOutTrace | null> {
  const spans = await loadTrace(db, incidentId, traceId);
  if (!spans.length) return null;
  const w = buildWaterfall(spans);
  const root = w.rows[0]!;
  let end = w.start;
  for (const s of spans) end = Math.max(end, s.rec.ts + (s.rec.durationMs ?? 0));
  return {
    summary: { traceId, route: `${root.service} ${root.name}`, start: w.start, durationMs: end - w.start, spans: spans.length, errors: w.errors, rootId: root.id },
    rows: w.rows,
    retries: w.retries,
    gaps: w.gaps,
    errors: w.errors,
    extentMs: Math.max(1, end - w.start),
  };
}

async function detail(db: Db, incidentId: string, traceId: string, compareId: string | undefined, span: number | undefined): Promise<TraceDetailDto> {
  const t = await laidOutTrace(db, incidentId, traceId);
  if (!t) throw new NotFoundError(`trace ${traceId}`);
  const root = t.rows[0]!;
  // Baseline: the given trace, else the median-duration trace whose root has the same service and name.
  let baselineId = compareId;
  let candidates = 0;
  if (!baselineId) {
    const where = { incidentId, kind: "span", service: root.service, text: { startsWith: `${root.service} ${root.name} ` }, traceId: { not: traceId }, durationMs: { not: null } } as const;
    candidates = await db.evidence.count({ where });
    if (candidates) {
      const mid = await db.evidence.findFirst({ where, orderBy: [{ durationMs: "asc" }, { id: "asc" }], skip: Math.floor((candidates - 1) / 2), select: { traceId: true } });
      baselineId = mid?.traceId ?? undefined;
    }
  }
  let comparison: TraceDetailDto["comparison"] = null;
  if (baselineId && baselineId !== traceId) {
    const other = await laidOutTrace(db, incidentId, baselineId);
    if (other) comparison = { typical: other.summary, rows: compareTraces(t.rows, other.rows), candidates };
  }
  const inline = t.rows.length <= WATERFALL_INLINE_MAX;
  return {
    summary: t.summary,
    spans: inline ? t.rows : [],
    window: inline ? null : waterfallWindow(t.rows, new Set(), 0, WATERFALL_FIRST_WINDOW, span),
    extentMs: t.extentMs,
    retries: t.retries,
    gaps: t.gaps,
    errors: t.errors,
    comparison,
  };
}

/** A window of a trace's visible rows (the waterfall of a big trace scrolls through these). */
export async function getWaterfallWindow(incidentId: string, traceId: string, q: WaterfallWindowQuery, db: Db = getPrisma()): Promise<WaterfallWindowDto> {
  await requireIncident(incidentId, db);
  const t = await laidOutTrace(db, incidentId, traceId);
  if (!t) throw new NotFoundError(`trace ${traceId}`);
  return waterfallWindow(t.rows, new Set(q.collapsed), q.offset, q.limit, q.around);
}

export async function getTracesView(incidentId: string, q: TracesQuery, db: Db = getPrisma()): Promise<TracesViewDto> {
  await requireIncident(incidentId, db);
  const list = await listTraces(incidentId, q.limit, db);
  return { ...list, detail: q.trace ? await detail(db, incidentId, q.trace, q.compare, q.span) : null };
}
