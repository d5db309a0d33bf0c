import { Hypothesis, type Origin } from "@/lib/schemas/hypothesis";
import type { OverviewDto } from "@/lib/schemas/views-overview";
import { originOf } from "@/lib/server/analysis/origin";
import { isFailedBucket } from "@/lib/server/correlate/requests";
import type { CorrelationSummary } from "@/lib/server/correlate/schema";
import { getPrisma, type Db } from "@/lib/server/db/client";
import { MergedLatency } from "./latency-hdr";
import { isoMs, latestCorrelation, memoPerRun } from "./overview-correlation";

/** RequestBucket rows that count as failed: the one definition (lib/server/correlate/requests.ts). */
export { isFailedBucket };

const MAX_AFFECTED = 8;
/** Histogram rows decoded for p99 before/during (bounded: rows are per service/hop/minute). */
const MAX_HISTOGRAM_ROWS = 20_000;

/**
 * Impact figures for the Overview: the window from the run's correlation, requests and failures
 * inside it (per-second RequestBucket sums), p99 before vs during (merged HdrHistograms), and the
 * services most affected. Before the window means the same length again before onset.
 *
 *   before            onset ─────── during ─────── recovery
 *   [onset − len, onset)  [onset, recovery]
 */
export async function getOverview(incidentId: string, db: Db = getPrisma()): Promise<OverviewDto> {
  // Figures come from the run's aggregates only: computed once per finished run. The origin is kept
  // under its own key, so figures stored before it existed stay valid and still get one.
  const [figures, origin] = await Promise.all([
    memoPerRun(db, incidentId, "overview", () => computeOverview(incidentId, db), { persist: true }),
    memoPerRun(db, incidentId, "origin", () => computeOrigin(incidentId, db), { persist: true }),
  ]);
  return { ...figures, origin };
}

/**
 * Where the fault started (lib/server/analysis/origin.ts) from the latest run's stored hypotheses:
 * the same run and the same rank order as the Hypotheses list of the incident page, so its rank is
 * that list's `#N`.
 */
async function computeOrigin(incidentId: string, db: Db): Promise<Origin | null> {
  const run = await db.analysisRun.findFirst({ where: { incidentId }, orderBy: { createdAt: "desc" }, select: { id: true } });
  if (!run) return null;
  const rows = await db.hypothesisRow.findMany({ where: { runId: run.id }, orderBy: { rank: "asc" }, select: { data: true } });
  return originOf(
    rows.flatMap((r) => {
      const parsed = Hypothesis.safeParse(r.data);
      return parsed.success ? [parsed.data] : [];
    }),
  );
}

type OverviewFigures = Omit<OverviewDto, "origin">;

async function computeOverview(incidentId: string, db: Db): Promise<OverviewFigures> {
  const corr = await latestCorrelation(db, incidentId);
  if (corr?.impact) {
    // The analysis' own impact: the same figures the draft, Compare and search show.
    const onset = isoMs(corr.window.onset);
    const recovery = isoMs(corr.window.recovery);
    const { impact } = corr;
    return {
      analysed: true,
      window: windowDto(corr, onset !== null && recovery !== null && recovery >= onset ? recovery - onset : null),
      timeRange: corr.timeRange,
      impact: {
        baselineErrorRate: impact.baselineErrorRate,
        peakErrorRate: impact.peakErrorRate,
        requests: impact.requests,
        failed: impact.failed,
        p99BeforeMs: impact.p99BeforeMs,
        p99DuringMs: impact.p99DuringMs,
        affectedServices: impact.affectedServices,
        scope: impact.scope,
        duplicatesMerged: impact.duplicatesMerged,
        exact: impact.exact,
      },
      recordCounts: corr.recordCounts,
      requestsSampled: corr.requestsSampled,
    };
  }
  // Runs stored before the analysis computed its impact: figures from the per-second aggregates.
  const onset = isoMs(corr?.window.onset);
  const recovery = isoMs(corr?.window.recovery);
  const start = onset ?? isoMs(corr?.timeRange.start);
  const end = recovery ?? isoMs(corr?.timeRange.end);
  const hasWindow = onset !== null && recovery !== null && recovery >= onset;
  const len = hasWindow ? Math.max(60_000, recovery - onset) : 0;

  // Requests and failures by destination service inside the window (or the whole range).
  const secondRange =
    start !== null && end !== null ? { gte: Math.floor(start / 1000), lte: Math.floor(end / 1000) } : undefined;
  const grouped = await db.requestBucket.groupBy({
    by: ["dest", "status", "flag"],
    where: { incidentId, ...(secondRange ? { second: secondRange } : {}) },
    _sum: { count: true },
  });
  const perService = new Map<string, { requests: number; failed: number }>();
  let requests = 0;
  let failed = 0;
  for (const g of grouped) {
    const n = g._sum.count ?? 0;
    const s = perService.get(g.dest) ?? { requests: 0, failed: 0 };
    s.requests += n;
    requests += n;
    if (isFailedBucket(g.status, g.flag)) {
      s.failed += n;
      failed += n;
    }
    perService.set(g.dest, s);
  }

  // p99 before/during, overall and per service, from the minute histograms.
  let p99BeforeMs: number | null = null;
  let p99DuringMs: number | null = null;
  const serviceP99 = new Map<string, { before: number | null; during: number | null }>();
  if (hasWindow) {
    const beforeFrom = Math.floor((onset - len) / 60_000);
    const onsetMin = Math.floor(onset / 60_000);
    const recoveryMin = Math.floor(recovery / 60_000);
    const rows = await db.latencyHistogram.findMany({
      where: { incidentId, metric: "duration", minute: { gte: beforeFrom, lte: recoveryMin } },
      select: { service: true, minute: true, histogram: true },
      take: MAX_HISTOGRAM_ROWS,
    });
    const overall = { before: new MergedLatency(), during: new MergedLatency() };
    const byService = new Map<string, { before: MergedLatency; during: MergedLatency }>();
    for (const r of rows) {
      const phase = r.minute < onsetMin ? "before" : "during";
      overall[phase].addEncoded(r.histogram);
      let s = byService.get(r.service);
      if (!s) byService.set(r.service, (s = { before: new MergedLatency(), during: new MergedLatency() }));
      s[phase].addEncoded(r.histogram);
    }
    p99BeforeMs = overall.before.percentile(99);
    p99DuringMs = overall.during.percentile(99);
    for (const [service, s] of byService) {
      serviceP99.set(service, { before: s.before.percentile(99), during: s.during.percentile(99) });
      s.before.destroy();
      s.during.destroy();
    }
    overall.before.destroy();
    overall.during.destroy();
  }

  const affectedServices = [...perService.entries()]
    .map(([service, s]) => ({
      service,
      requests: s.requests,
      failed: s.failed,
      errorRate: s.requests > 0 ? s.failed / s.requests : null,
      p99BeforeMs: serviceP99.get(service)?.before ?? null,
      p99DuringMs: serviceP99.get(service)?.during ?? null,
    }))
    .filter((s) => s.failed > 0 || slowedDown(s.p99BeforeMs, s.p99DuringMs))
    .sort((a, b) => b.failed - a.failed || (b.errorRate ?? 0) - (a.errorRate ?? 0) || a.service.localeCompare(b.service))
    .slice(0, MAX_AFFECTED);

  return {
    analysed: corr !== null,
    window: windowDto(corr, hasWindow ? recovery - onset : null),
    timeRange: corr?.timeRange ?? { start: null, end: null },
    impact: {
      baselineErrorRate: corr?.window.baselineErrorRate ?? null,
      peakErrorRate: corr?.window.peakErrorRate ?? null,
      requests,
      failed,
      p99BeforeMs,
      p99DuringMs,
      affectedServices,
      scope: hasWindow ? "window" : "whole-bundle",
      duplicatesMerged: 0,
      exact: true,
    },
    recordCounts: corr?.recordCounts ?? {},
    requestsSampled: corr?.requestsSampled ?? false,
  };
}

function windowDto(corr: CorrelationSummary | null, durationMs: number | null): OverviewDto["window"] {
  return {
    onset: corr?.window.onset ?? null,
    peak: corr?.window.peak ?? null,
    recovery: corr?.window.recovery ?? null,
    durationMs,
    basis: corr?.window.basis ?? "none",
    alert: corr?.window.timeline.alert ?? null,
    alertLagMs: corr?.window.timeline.alertLagMs ?? null,
  };
}

function slowedDown(before: number | null, during: number | null): boolean {
  return before !== null && during !== null && during > before * 1.5 && during - before > 5;
}

/** Title and status for the incident header shared by every view (one small read). */
export async function getIncidentHeader(incidentId: string, db: Db = getPrisma()): Promise<{ id: string; title: string; status: string; isSample: boolean } | null> {
  return db.incident.findUnique({ where: { id: incidentId }, select: { id: true, title: true, status: true, isSample: true } });
}
