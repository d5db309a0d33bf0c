import { Hypothesis } from "@/lib/schemas/hypothesis";
import type { RecordQuery, RecordRowDto } from "@/lib/schemas/records-api";
import type {
  TimelineFilters,
  TimelineMetaDto,
  TimelinePageDto,
  TimelinePageQuery,
  TimelineRatesDto,
  TimelineRatesQuery,
  TimelineRecordDto,
} from "@/lib/schemas/views-timeline";
import { getPrisma, rawSql, type Db } from "@/lib/server/db/client";
import { likePattern } from "@/lib/server/db/like";
import { findRecordByLine, getRecord, queryRecords } from "@/lib/server/views/records";
import { TimelinePageQuery as PageQuery, TimelineRatesQuery as RatesQuery, type TimelineFirstViewDto } from "@/lib/schemas/views-timeline";
import { chartQueryFor, firstPageQueryFor, readState } from "@/lib/timeline-url";
import { isoMs, latestCorrelation, memoPerRun } from "./overview-correlation";

/** Sources drawn as their own series; the rest are summed into "other". */
const MAX_SERIES = 6;
/** Evidence citations resolved to records for highlighting (hypotheses cite a few dozen at most). */
const MAX_CITATIONS = 400;
/** A citation's timestamp is the record's, possibly clock-skew corrected (ms). */
const CITATION_TS_SLACK_MS = 5 * 60_000;

/**
 * Everything around the rows: time range, window, files with their clock-skew corrections, the
 * sources and kinds present (with counts, for the filters) and the records hypotheses cite.
 */
export async function getTimelineMeta(incidentId: string, db: Db = getPrisma()): Promise<TimelineMetaDto> {
  // Counts by source scan every row (no index on source): once per finished run (memoPerRun).
  const [corr, files, { bySource, byKind, bounds }, cited] = await Promise.all([
    latestCorrelation(db, incidentId),
    db.evidenceFile.findMany({ where: { incidentId }, orderBy: { path: "asc" }, select: { id: true, path: true, format: true, records: true, clockSkewMs: true } }),
    // v2: counts include summarised files' bulk records (RecordSecond); plain {key, count} lists.
    memoPerRun(db, incidentId, "timeline-counts:v2", async () => {
      // Rows of summarised files' bulk records are a subset: their counts come from RecordSecond.
      const [rowSources, rowKinds, rowBounds, secSources, secKinds, secBounds] = await Promise.all([
        db.evidence.groupBy({ by: ["source"], where: { incidentId, bulk: false }, _count: { _all: true } }),
        db.evidence.groupBy({ by: ["kind"], where: { incidentId, bulk: false }, _count: { _all: true } }),
        db.evidence.aggregate({ where: { incidentId, ts: { not: null } }, _min: { ts: true }, _max: { ts: true } }),
        db.recordSecond.groupBy({ by: ["source"], where: { incidentId }, _sum: { count: true } }),
        db.recordSecond.groupBy({ by: ["kind"], where: { incidentId }, _sum: { count: true } }),
        db.recordSecond.aggregate({ where: { incidentId, second: { gte: 0 } }, _min: { second: true }, _max: { second: true } }),
      ]);
      const sum = (pairs: Array<[string | null, number]>) => {
        const m = new Map<string | null, number>();
        for (const [k, n] of pairs) m.set(k, (m.get(k) ?? 0) + n);
        return [...m.entries()];
      };
      const bySource = sum([...rowSources.map((r): [string | null, number] => [r.source, r._count._all]), ...secSources.map((r): [string, number] => [r.source, r._sum.count ?? 0])]);
      const byKind = sum([...rowKinds.map((r): [string, number] => [r.kind, r._count._all]), ...secKinds.map((r): [string, number] => [r.kind, r._sum.count ?? 0])]);
      const lo = [rowBounds._min.ts, secBounds._min.second == null ? null : secBounds._min.second * 1000].filter((x): x is number => x != null);
      const hi = [rowBounds._max.ts, secBounds._max.second == null ? null : secBounds._max.second * 1000 + 999].filter((x): x is number => x != null);
      return {
        bySource: bySource.map(([source, count]) => ({ source, count })),
        byKind: byKind.map(([kind, count]) => ({ kind: kind!, count })),
        bounds: { min: lo.length ? Math.min(...lo) : null, max: hi.length ? Math.max(...hi) : null },
      };
    }, { persist: true }),
    citedRecords(db, incidentId),
  ]);
  const skew = new Map((corr?.skew ?? []).map((s) => [s.fileId, s]));
  return {
    range: {
      start: isoMs(corr?.timeRange.start) ?? bounds.min,
      end: isoMs(corr?.timeRange.end) ?? bounds.max,
    },
    window: { onset: isoMs(corr?.window.onset), recovery: isoMs(corr?.window.recovery) },
    files: files.map((f) => {
      const s = skew.get(f.id);
      return {
        id: f.id,
        path: f.path,
        format: f.format,
        records: f.records,
        clockSkewMs: f.clockSkewMs,
        estimateMs: s?.skewMs ?? null,
        appliedMs: s?.appliedMs ?? null,
        basis: s?.basis ?? null,
        samples: s?.samples ?? null,
        note: s?.note ?? null,
      };
    }),
    sources: bySource
      .filter((s): s is { source: string; count: number } => s.source !== null)
      .sort((a, b) => b.count - a.count),
    kinds: [...byKind].sort((a, b) => b.count - a.count),
    cited,
  };
}

/**
 * What the timeline shows first for a URL (its filters, zoom and selected record): the first page of
 * rows and the rate chart, built from the same query strings the client view would fetch, so the
 * server-rendered HTML already has them and the client skips those two requests.
 */
export async function getTimelineFirstView(incidentId: string, meta: TimelineMetaDto, url: URLSearchParams, db: Db = getPrisma()): Promise<TimelineFirstViewDto> {
  const state = readState(url);
  const pageQuery = firstPageQueryFor(state);
  const ratesQuery = chartQueryFor(state, meta);
  const page = PageQuery.safeParse(Object.fromEntries(new URLSearchParams(pageQuery)));
  const rates = RatesQuery.safeParse(Object.fromEntries(new URLSearchParams(ratesQuery)));
  // Bad parameters: leave it to the client's request, which shows the error message.
  const [p, r] = await Promise.all([
    page.success ? getTimelinePage(incidentId, page.data, db).catch(() => null) : null,
    rates.success ? getTimelineRates(incidentId, rates.data, db).catch(() => null) : null,
  ]);
  return { pageQuery, page: p, ratesQuery, rates: r };
}

/** Record ids cited by the latest run's hypotheses (file + line citations), with the hypothesis title. */
export function citedRecords(db: Db, incidentId: string): Promise<Array<{ id: number; hypothesis: string }>> {
  // Every timeline page marks cited rows: resolve the citations once per run, not per page.
  return memoPerRun(db, incidentId, "cited", () => resolveCitedRecords(db, incidentId), { persist: true });
}

async function resolveCitedRecords(db: Db, incidentId: string): Promise<Array<{ id: number; hypothesis: string }>> {
  const run = await db.analysisRun.findFirst({ where: { incidentId }, orderBy: { createdAt: "desc" }, select: { id: true } });
  if (!run) return [];
  const rows = await db.hypothesisRow.findMany({ where: { runId: run.id }, orderBy: { rank: "asc" }, select: { data: true } });
  const refs: Array<{ file: string; line: number; ts: number | null; hypothesis: string }> = [];
  for (const r of rows) {
    const h = Hypothesis.safeParse(r.data);
    if (!h.success) continue;
    for (const ev of h.data.evidence) if (ev.line != null) refs.push({ file: ev.file, line: ev.line, ts: isoMs(ev.ts), hypothesis: h.data.title });
  }
  const fileIds = new Map((await db.evidenceFile.findMany({ where: { incidentId }, select: { id: true, path: true } })).map((f) => [f.path, f.id]));
  const out = new Map<number, string>();
  for (const ref of refs.slice(0, MAX_CITATIONS)) {
    // Fast path: the citation's timestamp finds the row through the (incidentId, ts) index; a line
    // lookup alone has no index and reads the whole file's rows (≈0.2 s a citation at 100k rows).
    const fileId = fileIds.get(ref.file);
    const near =
      fileId && ref.ts !== null
        ? await db.evidence.findFirst({ where: { incidentId, ts: { gte: ref.ts - CITATION_TS_SLACK_MS, lte: ref.ts + CITATION_TS_SLACK_MS }, fileId, line: ref.line }, select: { id: true } })
        : null;
    const id = near?.id ?? (await findRecordByLine(incidentId, ref.file, ref.line, db));
    if (id !== null && !out.has(id)) out.set(id, ref.hypothesis);
  }
  return [...out.entries()].map(([id, hypothesis]) => ({ id, hypothesis }));
}

/**
 * Events and errors per interval, by source, aggregated in the database (GROUP BY bucket) so the
 * browser gets ≤ 400 points however many records there are. Errors are records of severity
 * error/critical (failed requests are stored with severity "error").
 *
 *   from                                                    to
 *   |--b0--|--b1--|--b2--| ... |--b(n-1)--|   bucketMs = ceil((to − from) / n), rounded to a nice step
 */
export function getTimelineRates(incidentId: string, q: TimelineRatesQuery, db: Db = getPrisma()): Promise<TimelineRatesDto> {
  // A GROUP BY over every row in range: the same query is answered once per run. Only unfiltered
  // charts (the first visit's, zooms) go to the ViewCache table; filtered ones stay in memory, so
  // user searches cannot grow the table.
  const unfiltered = Object.entries(q).every(([k, v]) => k === "buckets" || k === "from" || k === "to" || v === undefined);
  return memoPerRun(db, incidentId, `rates:${JSON.stringify(q)}`, () => computeTimelineRates(incidentId, q, db), { persist: unfiltered });
}

async function computeTimelineRates(incidentId: string, q: TimelineRatesQuery, db: Db): Promise<TimelineRatesDto> {
  let from = q.from ?? null;
  let to = q.to ?? null;
  if (from === null || to === null) {
    const meta = await rangeOf(db, incidentId);
    from ??= meta.start;
    to ??= meta.end === null ? null : meta.end + 1;
  }
  if (from === null || to === null || !(to > from)) return { from, to, bucketMs: 1000, sources: [], points: [], total: 0 };
  const bucketMs = niceStep((to - from) / q.buckets);
  const start = Math.floor(from / bucketMs) * bucketMs;
  const csv = (v: string[] | undefined) => (v?.length ? `,${v.join(",")},` : null);
  const kinds = csv(q.kind);
  const sources = csv(q.source);
  const severities = csv(q.severity);
  // Literal substrings: a "%" or "_" in the filter matches itself (lib/server/db/like.ts).
  const service = q.service ? likePattern(q.service) : null;
  const text = q.q ? likePattern(q.q) : null;
  const node = q.node ?? null;
  const fileId = q.fileId ?? null;
  // Provider-neutral SQL (SQLite and PostgreSQL): FLOOR, CAST, ||, LOWER, LIKE; optional filters
  // are "param IS NULL OR …" so one statement serves every combination.
  // Summarised files' bulk records are counted from RecordSecond (every record, per second), unless
  // a text or node filter asks what RecordSecond does not keep: then their rows count, marked partial.
  const bySecond = text === null && node === null;
  // The filters both tables can answer (RecordSecond keeps no node or text).
  const facets = rawSql.sql`
      AND (CAST(${kinds} AS TEXT) IS NULL OR CAST(${kinds} AS TEXT) LIKE ('%,' || kind || ',%'))
      AND (CAST(${sources} AS TEXT) IS NULL OR CAST(${sources} AS TEXT) LIKE ('%,' || source || ',%'))
      AND (CAST(${severities} AS TEXT) IS NULL OR CAST(${severities} AS TEXT) LIKE ('%,' || severity || ',%'))
      AND (CAST(${service} AS TEXT) IS NULL OR LOWER(service) LIKE CAST(${service} AS TEXT) ESCAPE '\\')
      AND (CAST(${fileId} AS TEXT) IS NULL OR "fileId" = CAST(${fileId} AS TEXT))`;
  type BucketCount = { b: number | bigint; src: string | null; n: number | bigint; errors: number | bigint | null };
  const rows = await db.$queryRaw<BucketCount[]>`
    SELECT CAST(FLOOR((ts - ${start}) / ${bucketMs}) AS INTEGER) AS b,
           source AS src,
           COUNT(*) AS n,
           SUM(CASE WHEN severity IN ('error', 'critical') THEN 1 ELSE 0 END) AS errors
    FROM "Evidence"
    WHERE "incidentId" = ${incidentId} AND ts >= ${from} AND ts < ${to}
      AND (${bySecond} = FALSE OR bulk = FALSE)
      ${facets}
      AND (CAST(${node} AS TEXT) IS NULL OR node = CAST(${node} AS TEXT))
      AND (CAST(${text} AS TEXT) IS NULL OR LOWER(text) LIKE CAST(${text} AS TEXT) ESCAPE '\\')
    GROUP BY 1, 2`;
  if (bySecond) {
    // A second's records fall in the bucket of the second's start (sub-second buckets: to the second).
    const perSecond = await db.$queryRaw<BucketCount[]>`
      SELECT CAST(FLOOR((CAST(second AS DOUBLE PRECISION) * 1000 - ${start}) / ${bucketMs}) AS INTEGER) AS b,
             source AS src,
             SUM(count) AS n,
             SUM(CASE WHEN severity IN ('error', 'critical') THEN count ELSE 0 END) AS errors
      FROM "RecordSecond"
      WHERE "incidentId" = ${incidentId} AND second >= ${Math.floor(from / 1000)} AND second < ${Math.ceil(to / 1000)}
        ${facets}
      GROUP BY 1, 2`;
    rows.push(...perSecond);
  }
  const partial = !bySecond && (await db.fileDigest.count({ where: { incidentId, ...(fileId ? { fileId } : {}) } })) > 0;
  const totals = new Map<string, number>();
  for (const r of rows) totals.set(r.src ?? "(none)", (totals.get(r.src ?? "(none)") ?? 0) + Number(r.n));
  const ranked = [...totals.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([s]) => s);
  const shown = ranked.length > MAX_SERIES ? [...ranked.slice(0, MAX_SERIES - 1), "other"] : ranked;
  const shownSet = new Set(shown);
  const n = Math.ceil((to - start) / bucketMs);
  const points = Array.from({ length: n }, (_, i) => ({ t: start + i * bucketMs, total: 0, errors: 0, bySource: {} as Record<string, number> }));
  let total = 0;
  for (const r of rows) {
    const p = points[Number(r.b)];
    if (!p) continue;
    const count = Number(r.n);
    const key = shownSet.has(r.src ?? "(none)") ? (r.src ?? "(none)") : "other";
    p.total += count;
    p.errors += Number(r.errors ?? 0);
    p.bySource[key] = (p.bySource[key] ?? 0) + count;
    total += count;
  }
  return { from: start, to, bucketMs, sources: shown, points, total, ...(partial ? { partial } : {}) };
}

const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400].map((s) => s * 1000);
/** Smallest "nice" interval (1 s, 2 s, 5 s, … 1 d, then whole days) ≥ raw; below 1 s: 10/50/100/500 ms. */
export function niceStep(rawMs: number): number {
  for (const s of [10, 50, 100, 250, 500]) if (rawMs <= s) return s;
  for (const s of STEPS) if (rawMs <= s) return s;
  return Math.ceil(rawMs / 86_400_000) * 86_400_000;
}

async function rangeOf(db: Db, incidentId: string): Promise<{ start: number | null; end: number | null }> {
  const corr = await latestCorrelation(db, incidentId);
  const start = isoMs(corr?.timeRange.start);
  const end = isoMs(corr?.timeRange.end);
  if (start !== null && end !== null) return { start, end };
  const b = await db.evidence.aggregate({ where: { incidentId, ts: { not: null } }, _min: { ts: true }, _max: { ts: true } });
  return { start: b._min.ts ?? null, end: b._max.ts ?? null };
}

/**
 * A page of the merged timeline. Three ways in: `around` (an evidence link: the record plus half a
 * page either side), `cursor` + `dir` (scrolling up or down), or neither (the start, or `from`).
 * Rows come back oldest first with a cursor for each direction.
 */
export async function getTimelinePage(incidentId: string, q: TimelinePageQuery, db: Db = getPrisma()): Promise<TimelinePageDto> {
  const base: Omit<RecordQuery, "order" | "limit" | "cursor"> = filtersToRecordQuery(q);
  const cited = new Set((await citedRecords(db, incidentId)).map((c) => c.id));
  const mark = (rows: RecordRowDto[]) => rows.map((r) => ({ ...r, cited: cited.has(r.id) }));

  if (q.around !== undefined) {
    const found = await getRecord(incidentId, q.around, db);
    if (found) {
      const half = Math.max(1, Math.floor(q.limit / 2));
      const at = encodeCursor(found.row.ts, found.row.id);
      const [older, newer] = await Promise.all([
        queryRecords(incidentId, { ...base, order: "desc", limit: half, cursor: at }, db),
        queryRecords(incidentId, { ...base, order: "asc", limit: half, cursor: at }, db),
      ]);
      const matches = await queryRecords(incidentId, { ...base, order: "asc", limit: 1, cursor: encodeCursor(found.row.ts, found.row.id - 1) }, db);
      const focusRow = matches.rows[0]?.id === found.row.id ? matches.rows[0] : null;
      return {
        rows: mark([...older.rows.reverse(), ...(focusRow ? [focusRow] : []), ...newer.rows]),
        before: older.nextCursor,
        after: newer.nextCursor,
        focus: focusRow ? focusRow.id : null,
      };
    }
  }
  if (q.dir === "before" && q.cursor) {
    const page = await queryRecords(incidentId, { ...base, order: "desc", limit: q.limit, cursor: q.cursor }, db);
    return { rows: mark(page.rows.reverse()), before: page.nextCursor, after: null, focus: null };
  }
  const page = await queryRecords(incidentId, { ...base, order: "asc", limit: q.limit, cursor: q.cursor }, db);
  // Forward pages start at the range start (or continue below rows the client has): nothing above.
  return {
    rows: mark(page.rows),
    before: null,
    after: page.nextCursor,
    focus: null,
  };
}

function filtersToRecordQuery(f: TimelineFilters): Omit<RecordQuery, "order" | "limit" | "cursor"> {
  return { kind: f.kind, from: f.from, to: f.to, service: f.service, node: f.node, source: f.source, severity: f.severity, fileId: f.fileId, q: f.q };
}

/** Same format as the records service's keyset cursor: base64url JSON [ts, id]. */
export function encodeCursor(ts: number | null, id: number): string {
  return Buffer.from(JSON.stringify([ts, id])).toString("base64url");
}

/** One record in full, with the hypotheses that cite it. */
export async function getTimelineRecord(incidentId: string, id: number, db: Db = getPrisma()): Promise<TimelineRecordDto | null> {
  const found = await getRecord(incidentId, id, db);
  if (!found) return null;
  const cited = await citedRecords(db, incidentId);
  return { row: found.row, record: found.record, citedBy: cited.filter((c) => c.id === id).map((c) => c.hypothesis) };
}

/** Resolves an evidence citation (file path + line) to a record id for `?record=`. */
export function resolveEvidenceLink(incidentId: string, path: string, line: number, db: Db = getPrisma()): Promise<number | null> {
  return findRecordByLine(incidentId, path, line, db);
}

/** File id for a path (evidence links without a line filter the timeline to the file). */
export async function fileIdForPath(incidentId: string, path: string, db: Db = getPrisma()): Promise<string | null> {
  const f = await db.evidenceFile.findFirst({ where: { incidentId, path }, select: { id: true } });
  return f?.id ?? null;
}
