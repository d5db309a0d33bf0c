import { IncidentStatus } from "@/lib/schemas/api";
import {
  MAX_COMPARE,
  MIN_COMPARE,
  type CompareDto,
  type CompareEvent,
  type CompareHypothesisRow,
  type CompareIncident,
  type CompareLatency,
  type CompareQuery,
  type CompareRules,
  type CompareTimeline,
} from "@/lib/schemas/compare";
import { Hypothesis } from "@/lib/schemas/hypothesis";
import type { ChainDiffDto, RuleDiffRowDto, RuleDumpDto } from "@/lib/schemas/views-rules";
import { TimelineRatesQuery } from "@/lib/schemas/views-timeline";
import type { CorrelationSummary } from "@/lib/server/correlate/schema";
import { getPrisma, type Db } from "@/lib/server/db/client";
import { DETECTORS } from "@/lib/server/detectors";
import { InvalidInputError, NotFoundError } from "@/lib/server/errors";
import { LOG_BUCKETS, MergedLatency, logBucketBounds } from "@/lib/server/views/latency-hdr";
import { getOverview } from "@/lib/server/views/overview";
import { isoMs, latestCorrelation } from "@/lib/server/views/overview-correlation";
import { diffRulesets, loadDumps, orderDumps, type LoadedDump } from "@/lib/server/views/rule-diff";
import { getTimelineRates } from "@/lib/server/views/timeline";
import { latestFinishedRun, shortServiceName } from "./incident-profile";

/**
 * Compares 2–4 incidents side by side: key figures (the Overview's), rate timelines aligned at
 * each incident's onset, hypotheses and detectors in common, an iptables diff across incidents,
 * and latency distributions overlaid on the same log buckets.
 *
 *   incident A      ───────|onset A ══ A ══ recovery A|───────
 *   incident B   ──────────|onset B ═════ B ═════ recovery B|──
 *                   −pre   t = 0                          +post     (one relative axis for all)
 */
const TIMELINE_BUCKETS = 120;
const MIN_PRE_MS = 5 * 60_000;
const MIN_SPAN_MS = 15 * 60_000;
const MAX_TIMELINE_EVENTS = 20;
const MAX_EVIDENCE_EVENTS = 3;
const MAX_DUMPS_PER_INCIDENT = 50;
const MAX_CHAINS = 25;
const MAX_CHAIN_ROWS = 200;
const CONTEXT_ROWS = 1;
const MAX_HISTOGRAM_ROWS = 20_000;
const MAX_LATENCY_SERVICES = 50;

interface Loaded {
  row: { id: string; title: string; status: string; isSample: boolean; windowStart: Date | null; createdAt: Date };
  corr: CorrelationSummary | null;
  onset: number | null;
  recovery: number | null;
  t0: number | null;
}

export async function getComparison(q: CompareQuery, db: Db = getPrisma()): Promise<CompareDto> {
  if (q.ids.length < MIN_COMPARE) {
    throw new InvalidInputError("too_few", q.ids.length === 0 ? "Pick two to four incidents to compare (ids=a,b)." : "Pick at least one more incident: a comparison needs two to four.");
  }
  if (q.ids.length > MAX_COMPARE) {
    throw new InvalidInputError("too_many", `At most ${MAX_COMPARE} incidents can be compared at once (${q.ids.length} were given): remove ${q.ids.length - MAX_COMPARE}.`);
  }
  const rows = await db.incident.findMany({
    where: { id: { in: q.ids } },
    select: { id: true, title: true, status: true, isSample: true, windowStart: true, createdAt: true },
  });
  const missing = q.ids.filter((id) => !rows.some((r) => r.id === id));
  if (missing.length) throw new NotFoundError("incident", `No incident with id ${missing.join(", ")} — it may have been deleted or the link mistyped.`);

  const loaded: Loaded[] = [];
  for (const id of q.ids) {
    const row = rows.find((r) => r.id === id)!;
    const corr = await latestCorrelation(db, id);
    const onset = isoMs(corr?.window.onset);
    const recoveryRaw = isoMs(corr?.window.recovery);
    const recovery = onset !== null && recoveryRaw !== null && recoveryRaw >= onset ? recoveryRaw : null;
    const t0 = onset ?? isoMs(corr?.timeRange.start);
    loaded.push({ row, corr, onset, recovery, t0 });
  }

  const incidents = await Promise.all(loaded.map((l) => incidentSummary(db, l)));
  const timeline = await alignedTimeline(db, loaded, q.span);
  const { rows: hypotheses, common } = await hypothesesInCommon(db, loaded);
  const affected = incidents.map((i) => new Set(i.figures.affectedServices.map(shortServiceName).filter((s): s is string => s !== null)));
  const commonServices = [...affected[0]!].filter((s) => affected.every((set) => set.has(s))).sort();
  return {
    incidents,
    timeline,
    hypotheses,
    commonDetectors: common,
    commonServices,
    rules: await rulesAcross(db, loaded, q.ra, q.rb),
    latency: await latencyOverlay(db, loaded, q.service ?? null),
  };
}

async function incidentSummary(db: Db, l: Loaded): Promise<CompareIncident> {
  const o = await getOverview(l.row.id, db);
  const { p99BeforeMs: before, p99DuringMs: during } = o.impact;
  return {
    id: l.row.id,
    title: l.row.title,
    status: IncidentStatus.catch("new").parse(l.row.status),
    isSample: l.row.isSample,
    analysed: o.analysed,
    occurredAt: (l.row.windowStart ?? l.row.createdAt).toISOString(),
    t0: l.t0,
    alignedAt: l.onset !== null ? "onset" : l.t0 !== null ? "first-record" : "none",
    recoveryRel: l.recovery !== null && l.t0 !== null ? l.recovery - l.t0 : null,
    figures: {
      durationMs: o.window.durationMs,
      baselineErrorRate: o.impact.baselineErrorRate,
      peakErrorRate: o.impact.peakErrorRate,
      requests: o.impact.requests,
      failed: o.impact.failed,
      p99BeforeMs: before,
      p99DuringMs: during,
      p99ShiftMs: before !== null && during !== null ? during - before : null,
      p99Ratio: before !== null && during !== null && before > 0 ? during / before : null,
      affectedServices: o.impact.affectedServices.map((s) => s.service),
      records: Object.values(o.recordCounts).reduce((a, b) => a + b, 0),
    },
  };
}

/**
 * The shared relative axis: some lead-in before t = 0 and room for the longest window after it, or
 * `spanMinutes` after t = 0 (a quarter of that before it, at least 30 s) when the user zooms.
 */
export function relativeSpan(windowLengths: number[], spanMinutes?: number): { fromRel: number; toRel: number } {
  if (spanMinutes !== undefined) {
    const toRel = spanMinutes * 60_000;
    return { fromRel: -Math.max(30_000, Math.round(toRel / 4)), toRel };
  }
  const longest = Math.max(0, ...windowLengths);
  const pre = Math.max(MIN_PRE_MS, Math.round(longest / 2));
  return { fromRel: -pre, toRel: Math.max(MIN_SPAN_MS - pre, longest + pre) };
}

async function alignedTimeline(db: Db, loaded: Loaded[], spanMinutes: number | undefined): Promise<CompareTimeline> {
  const { fromRel, toRel } = relativeSpan(
    loaded.map((l) => (l.onset !== null && l.recovery !== null ? l.recovery - l.onset : 0)),
    spanMinutes,
  );
  const series: CompareTimeline["series"] = [];
  const events: CompareEvent[] = [];
  let bucketMs = 0;
  for (const l of loaded) {
    const id = l.row.id;
    if (l.t0 === null) {
      series.push({ incidentId: id, points: [], total: 0 });
      continue;
    }
    const t0 = l.t0;
    const rates = await getTimelineRates(id, TimelineRatesQuery.parse({ from: t0 + fromRel, to: t0 + toRel, buckets: TIMELINE_BUCKETS }), db);
    bucketMs = rates.bucketMs;
    series.push({ incidentId: id, points: rates.points.map((p) => ({ rel: p.t - t0, total: p.total, errors: p.errors })), total: rates.total });
    events.push(...(await keyEvents(db, l, t0, fromRel, toRel)));
  }
  events.sort((a, b) => a.rel - b.rel || loaded.findIndex((l) => l.row.id === a.incidentId) - loaded.findIndex((l) => l.row.id === b.incidentId));
  return { fromRel, toRel, bucketMs: bucketMs || 1000, series, events };
}

/** Window markers, human timeline entries and the top hypothesis' first cited records, inside the span. */
async function keyEvents(db: Db, l: Loaded, t0: number, fromRel: number, toRel: number): Promise<CompareEvent[]> {
  const id = l.row.id;
  const base = `/incidents/${encodeURIComponent(id)}`;
  const out: CompareEvent[] = [];
  const push = (kind: CompareEvent["kind"], ts: number | null, label: string, href: string) => {
    if (ts === null || ts - t0 < fromRel || ts - t0 > toRel) return;
    out.push({ incidentId: id, kind, rel: ts - t0, ts, label: label.length > 160 ? `${label.slice(0, 159)}…` : label, href });
  };
  const w = l.corr?.window;
  push("onset", l.onset, "Onset (detected)", `${base}/timeline?${new URLSearchParams({ from: String(l.onset ?? 0) })}`);
  push("peak", isoMs(w?.peak), "Peak error rate", base);
  push("recovery", l.recovery, "Recovery", base);
  push("alert", isoMs(w?.timeline.alert), "Alert (human timeline)", base);
  const entries = await db.evidence.findMany({
    where: { incidentId: id, kind: "event", source: "timeline", ts: { gte: t0 + fromRel, lte: t0 + toRel } },
    orderBy: [{ ts: "asc" }, { id: "asc" }],
    take: MAX_TIMELINE_EVENTS,
    select: { id: true, ts: true, text: true },
  });
  for (const e of entries) push("timeline", e.ts, e.text, `${base}/timeline?record=${e.id}`);
  const run = await latestFinishedRun(db, id);
  const top = run ? await db.hypothesisRow.findFirst({ where: { runId: run.id }, orderBy: { rank: "asc" }, select: { data: true, detector: true } }) : null;
  const h = top ? Hypothesis.safeParse(top.data) : null;
  if (h?.success) {
    let n = 0;
    for (const ev of h.data.evidence) {
      const ts = isoMs(ev.ts);
      if (ts === null || n >= MAX_EVIDENCE_EVENTS) continue;
      n++;
      const href = ev.line != null ? `${base}/timeline?${new URLSearchParams({ file: ev.file, line: String(ev.line) })}` : `${base}/timeline?${new URLSearchParams({ file: ev.file })}`;
      push("evidence", ts, `${top!.detector}: ${ev.why ?? ev.excerpt}`, href);
    }
  }
  return out;
}

async function hypothesesInCommon(db: Db, loaded: Loaded[]): Promise<{ rows: CompareHypothesisRow[]; common: string[] }> {
  const perIncident: Array<Map<string, { rank: number; confidence: number; title: string }>> = [];
  for (const l of loaded) {
    const run = await latestFinishedRun(db, l.row.id);
    const hs = run ? await db.hypothesisRow.findMany({ where: { runId: run.id }, orderBy: { rank: "asc" }, select: { detector: true, rank: true, confidence: true, title: true } }) : [];
    const best = new Map<string, { rank: number; confidence: number; title: string }>();
    for (const h of hs) if (!best.has(h.detector)) best.set(h.detector, { rank: h.rank, confidence: h.confidence, title: h.title });
    perIncident.push(best);
  }
  const titles = new Map(DETECTORS.map((d) => [d.id, d.title]));
  const detectors = [...new Set(perIncident.flatMap((m) => [...m.keys()]))];
  const rows = detectors.map((detector) => {
    const cells = perIncident.map((m) => m.get(detector) ?? null);
    return { detector, detectorTitle: titles.get(detector) ?? detector, cells, sharedBy: cells.filter(Boolean).length };
  });
  const best = (r: CompareHypothesisRow) => Math.max(...r.cells.map((c) => c?.confidence ?? 0));
  rows.sort((a, b) => b.sharedBy - a.sharedBy || best(b) - best(a) || a.detector.localeCompare(b.detector));
  return { rows, common: rows.filter((r) => r.sharedBy === loaded.length).map((r) => r.detector) };
}

// ── iptables across incidents ────────────────────────────────────────────────────────────────────

interface Dump extends LoadedDump {
  incidentId: string;
}

/** The dump that stands for an incident's state: its "after" dump, else an unlabelled one, else the first. */
export function representativeDump<T extends RuleDumpDto>(dumps: T[]): T | null {
  const ordered = orderDumps(dumps);
  return ordered.find((d) => d.role === "after") ?? ordered.find((d) => d.role === null) ?? ordered[0] ?? null;
}

/** Long chains keep their changed or shadowed rows with a little context (bounded rows). */
function windowChain(c: ChainDiffDto): ChainDiffDto {
  if (c.rows.length <= MAX_CHAIN_ROWS) return c;
  const interesting = (r: RuleDiffRowDto) => r.status !== "same" || !!r.a?.shadowedBy || !!r.b?.shadowedBy;
  const keep = new Set<number>();
  c.rows.forEach((r, i) => {
    if (interesting(r)) for (let k = Math.max(0, i - CONTEXT_ROWS); k <= Math.min(c.rows.length - 1, i + CONTEXT_ROWS); k++) keep.add(k);
  });
  const idx = [...keep].sort((x, y) => x - y).slice(0, MAX_CHAIN_ROWS);
  return { ...c, rows: idx.map((i) => c.rows[i]!), hiddenSame: c.rows.length - idx.length };
}

function chainChanged(c: ChainDiffDto): boolean {
  return c.counts.moved + c.counts.added + c.counts.removed > 0 || c.rows.some((r) => r.newlyShadowed) || c.policyA !== c.policyB;
}

async function rulesAcross(db: Db, loaded: Loaded[], ra: number | undefined, rb: number | undefined): Promise<CompareRules> {
  const all: Dump[] = [];
  const available: CompareRules["available"] = [];
  for (const l of loaded) {
    const dumps: Dump[] = (await loadDumps(db, l.row.id, MAX_DUMPS_PER_INCIDENT)).map((d) => ({ ...d, incidentId: l.row.id }));
    if (dumps.length) available.push({ incidentId: l.row.id, dumps: orderDumps(dumps.map((d) => d.dto)) });
    all.push(...dumps);
  }
  const byId = new Map(all.map((d) => [d.dto.id, d]));
  const pick = (id: number | undefined): Dump | undefined => {
    if (id === undefined) return undefined;
    const d = byId.get(id);
    if (!d) throw new NotFoundError(`iptables dump ${id}`, `iptables dump ${id} is not one of the compared incidents' dumps.`);
    return d;
  };
  let a = pick(ra);
  let b = pick(rb);
  const representative = (incidentId: string) => {
    const dto = representativeDump(all.filter((d) => d.incidentId === incidentId).map((d) => d.dto));
    return dto ? byId.get(dto.id) : undefined;
  };
  const withDumps = available.map((x) => x.incidentId);
  a ??= representative(withDumps.find((id) => id !== b?.incidentId) ?? "");
  b ??= representative(withDumps.find((id) => id !== a?.incidentId) ?? "");
  const side = (d: Dump | undefined) => (d ? { incidentId: d.incidentId, dump: d.dto } : null);
  const none = (note: string): CompareRules => ({ available, a: side(a), b: side(b), chains: [], hiddenChains: 0, note });
  if (withDumps.length === 0) return none("None of these incidents has iptables dumps (iptables-save output) in its bundle.");
  if (!a || !b) {
    const title = loaded.find((l) => l.row.id === withDumps[0])?.row.title ?? withDumps[0]!;
    return none(`Only “${title}” has iptables dumps: a cross-incident diff needs dumps in two incidents (its own before/after diff is on its Rules tab).`);
  }
  const diff = diffRulesets(a.rec, b.rec);
  const changed = diff.filter(chainChanged);
  changed.sort((x, y) => {
    const weight = (c: ChainDiffDto) => (c.rows.some((r) => r.newlyShadowed) ? 0 : c.relevance === "mesh" ? 1 : c.relevance === "service" ? 2 : 3);
    return weight(x) - weight(y) || (x.table < y.table ? -1 : x.table > y.table ? 1 : 0) || (x.chain < y.chain ? -1 : x.chain > y.chain ? 1 : 0);
  });
  const shown = changed.slice(0, MAX_CHAINS).map(windowChain);
  return {
    available,
    a: side(a),
    b: side(b),
    chains: shown,
    hiddenChains: diff.length - shown.length,
    note: shown.length === 0 ? "The two dumps have the same rules in the same order in every chain." : null,
  };
}

// ── latency overlay ──────────────────────────────────────────────────────────────────────────────

async function latencyOverlay(db: Db, loaded: Loaded[], service: string | null): Promise<CompareLatency> {
  const totals = new Map<string, { count: number; incidents: Set<string> }>();
  const namesByIncident = new Map<string, Map<string, string[]>>();
  for (const l of loaded) {
    const groups = await db.latencyHistogram.groupBy({ by: ["service"], where: { incidentId: l.row.id, metric: "duration" }, _sum: { count: true } });
    const names = new Map<string, string[]>();
    for (const g of groups) {
      const short = shortServiceName(g.service) ?? g.service;
      (names.get(short) ?? names.set(short, []).get(short)!).push(g.service);
      const t = totals.get(short) ?? { count: 0, incidents: new Set<string>() };
      t.count += g._sum.count ?? 0;
      t.incidents.add(l.row.id);
      totals.set(short, t);
    }
    namesByIncident.set(l.row.id, names);
  }
  const services = [...totals.entries()]
    .map(([s, t]) => ({ service: s, incidents: t.incidents.size, count: t.count }))
    .sort((a, b) => b.incidents - a.incidents || b.count - a.count || a.service.localeCompare(b.service))
    .slice(0, MAX_LATENCY_SERVICES);
  const chosen = service && totals.has(service) ? service : null;

  const merged: MergedLatency[] = [];
  const scope: CompareLatency["scope"] = [];
  for (const l of loaded) {
    const m = new MergedLatency();
    merged.push(m);
    const windowed = l.onset !== null && l.recovery !== null;
    scope.push(windowed ? "window" : "all");
    const raw = chosen ? (namesByIncident.get(l.row.id)?.get(chosen) ?? []) : null;
    if (raw && raw.length === 0) continue;
    const rows = await db.latencyHistogram.findMany({
      where: {
        incidentId: l.row.id,
        metric: "duration",
        ...(raw ? { service: { in: raw } } : {}),
        ...(windowed ? { minute: { gte: Math.floor(l.onset! / 60_000), lte: Math.floor(l.recovery! / 60_000) } } : {}),
      },
      select: { histogram: true },
      take: MAX_HISTOGRAM_ROWS,
    });
    for (const r of rows) m.addEncoded(r.histogram);
  }
  let lo = LOG_BUCKETS;
  let hi = -1;
  for (const m of merged) {
    m.counts.forEach((n, i) => {
      if (n > 0) {
        lo = Math.min(lo, i);
        hi = Math.max(hi, i);
      }
    });
  }
  const buckets: CompareLatency["buckets"] = [];
  for (let i = Math.max(0, lo - 1); hi >= 0 && i <= Math.min(LOG_BUCKETS - 1, hi + 1); i++) {
    const [loMs, hiMs] = logBucketBounds(i);
    buckets.push({ loMs, hiMs, counts: merged.map((m) => m.counts[i]!) });
  }
  const percentiles = merged.map((m) =>
    m.total === 0 ? null : { count: m.total, p50: m.percentile(50), p90: m.percentile(90), p99: m.percentile(99), p999: m.percentile(99.9) },
  );
  for (const m of merged) m.destroy();
  return { service: chosen, services, buckets, percentiles, scope };
}
