import { decodeRecordJson } from "@/lib/schemas/records";
import type { BubbleAttribute, LatencyDto, LatencyHistogramDto, LatencyQuery, Percentiles, Phase } from "@/lib/schemas/views-latency";
import { getPrisma, type Db } from "@/lib/server/db/client";
import { LOG_BUCKETS, MergedLatency, logBucketBounds } from "./latency-hdr";
import { isoMs, latestCorrelation, memoPerRun } from "./overview-correlation";

const MAX_SERVICES_LISTED = 50;
const MAX_HOPS = 8;
const MAX_HISTOGRAM_ROWS = 20_000;
/** Requests compared by "what differs" (bounded sample). */
export const COMPARISON_SAMPLE = 50_000;
/** Slow = the slowest 5 % of the sample. */
const SLOW_QUANTILE = 0.95;
const MAX_VALUES_PER_ATTRIBUTE = 8;

/**
 * Latency distributions of one service (default: the busiest) — the service total and each hop
 * (client → server), for duration and, where the source records it, connect time — split into
 * before / during / after the incident window, plus the slow-vs-fast comparison.
 *
 *   ──── before ────|onset ═══ during ═══ recovery|──── after ────   (minutes; no window: all "during")
 */
export function getLatency(incidentId: string, q: LatencyQuery, db: Db = getPrisma()): Promise<LatencyDto> {
  // Merges every stored histogram of the service: once per finished run and service.
  return memoPerRun(db, incidentId, `latency:${q.service ?? ""}`, () => computeLatency(incidentId, q, db), { persist: true });
}

async function computeLatency(incidentId: string, q: LatencyQuery, db: Db): Promise<LatencyDto> {
  const corr = await latestCorrelation(db, incidentId);
  const onset = isoMs(corr?.window.onset);
  const recovery = isoMs(corr?.window.recovery);
  const serviceCounts = await db.latencyHistogram.groupBy({
    by: ["service"],
    where: { incidentId, metric: "duration" },
    _sum: { count: true },
  });
  const services = serviceCounts
    .map((s) => ({ service: s.service, count: s._sum.count ?? 0 }))
    .sort((a, b) => b.count - a.count || a.service.localeCompare(b.service))
    .slice(0, MAX_SERVICES_LISTED);
  const service = q.service && serviceCounts.some((s) => s.service === q.service) ? q.service : (services[0]?.service ?? null);

  const histograms: LatencyHistogramDto[] = [];
  if (service !== null) {
    const rows = await db.latencyHistogram.findMany({
      where: { incidentId, service },
      select: { hop: true, minute: true, metric: true, histogram: true, count: true },
      take: MAX_HISTOGRAM_ROWS,
    });
    const hopTotals = new Map<string, number>();
    for (const r of rows) if (r.metric === "duration") hopTotals.set(r.hop, (hopTotals.get(r.hop) ?? 0) + r.count);
    const hops = [...hopTotals.entries()].sort((a, b) => b[1] - a[1]).slice(0, MAX_HOPS).map(([h]) => h);
    const phaseOf = (minute: number): Phase => {
      if (onset === null || recovery === null) return "during";
      if (minute < Math.floor(onset / 60_000)) return "before";
      if (minute > Math.floor(recovery / 60_000)) return "after";
      return "during";
    };
    type Acc = Record<Phase, MergedLatency>;
    const accs = new Map<string, { hop: string; metric: "duration" | "connect"; acc: Acc }>();
    const accFor = (hop: string, metric: "duration" | "connect") => {
      const key = `${metric}|${hop}`;
      let a = accs.get(key);
      if (!a) accs.set(key, (a = { hop, metric, acc: { before: new MergedLatency(), during: new MergedLatency(), after: new MergedLatency() } }));
      return a.acc;
    };
    const multiHop = hops.length > 1;
    for (const r of rows) {
      const metric = r.metric === "connect" ? "connect" : "duration";
      const phase = phaseOf(r.minute);
      if (multiHop) accFor("all", metric)[phase].addEncoded(r.histogram);
      if (hops.includes(r.hop)) accFor(r.hop, metric)[phase].addEncoded(r.histogram);
    }
    const order = (h: string) => (h === "all" ? -1 : hops.indexOf(h));
    for (const { hop, metric, acc } of [...accs.values()].sort((a, b) => order(a.hop) - order(b.hop) || a.metric.localeCompare(b.metric))) {
      histograms.push(toDto(service, hop, metric, acc));
      for (const m of Object.values(acc)) m.destroy();
    }
  }

  return {
    window: { onset, recovery },
    services,
    service,
    histograms,
    comparison: await compareSlowFast(db, incidentId, service, onset, recovery),
  };
}

function toDto(service: string, hop: string, metric: "duration" | "connect", acc: Record<Phase, MergedLatency>): LatencyHistogramDto {
  const pct = (m: MergedLatency): Percentiles | null =>
    m.total === 0 ? null : { count: m.total, p50: m.percentile(50), p90: m.percentile(90), p99: m.percentile(99), p999: m.percentile(99.9) };
  let lo = LOG_BUCKETS;
  let hi = -1;
  for (let i = 0; i < LOG_BUCKETS; i++) {
    if (acc.before.counts[i]! + acc.during.counts[i]! + acc.after.counts[i]! > 0) {
      lo = Math.min(lo, i);
      hi = Math.max(hi, i);
    }
  }
  const buckets = [];
  for (let i = Math.max(0, lo - 1); i <= Math.min(LOG_BUCKETS - 1, hi + 1) && hi >= 0; i++) {
    const [loMs, hiMs] = logBucketBounds(i);
    buckets.push({ loMs, hiMs, before: acc.before.counts[i]!, during: acc.during.counts[i]!, after: acc.after.counts[i]! });
  }
  return { service, hop, metric, phases: { before: pct(acc.before), during: pct(acc.during), after: pct(acc.after) }, buckets };
}

/** Attributes of a request compared between slow and fast requests. */
export function requestAttributes(data: string, node: string | null): Record<string, string> {
  const r = decodeRecordJson(data);
  if (r.kind !== "request") return {};
  const out: Record<string, string> = {};
  const n = node ?? r.dest?.node ?? r.client?.node;
  if (n) out.node = n;
  if (r.dest?.workload) out["dest workload"] = r.dest.workload;
  if (r.client?.workload) out["client workload"] = r.client.workload;
  if (r.dest?.ip) out["dest pod ip"] = r.dest.ip;
  if (r.path) out.path = r.path.split("?")[0]!.slice(0, 200);
  out.status = r.status === null ? (r.error ? "error" : "tcp") : String(r.status);
  out.flag = r.flags?.length ? r.flags.join(",") : "-";
  out.source = r.source;
  for (const [k, v] of Object.entries(r.attrs ?? {})) {
    if (v !== null && /version|revision|release/i.test(k)) out[k] = String(v);
  }
  return out;
}

/**
 * "What differs" (BubbleUp-style): the slowest 5 % of a bounded sample of request rows against the
 * rest; for each attribute value its share of each group, sorted by the largest difference.
 * Scope: the incident window when there is one (else everything), the selected service's requests.
 */
export async function compareSlowFast(
  db: Db,
  incidentId: string,
  service: string | null,
  onset: number | null,
  recovery: number | null,
): Promise<LatencyDto["comparison"]> {
  const where = {
    incidentId,
    kind: "request",
    durationMs: { not: null },
    ...(service ? { service } : {}),
    ...(onset !== null && recovery !== null ? { ts: { gte: onset, lte: recovery } } : {}),
  };
  const rows = await db.evidence.findMany({
    where,
    orderBy: [{ ts: "asc" }, { id: "asc" }],
    take: COMPARISON_SAMPLE + 1,
    select: { durationMs: true, node: true, data: true },
  });
  const truncated = rows.length > COMPARISON_SAMPLE;
  const sample = rows.slice(0, COMPARISON_SAMPLE);
  const scope = `${service ? `requests to ${service}` : "all requests"}${onset !== null && recovery !== null ? " during the incident window" : ""}`;
  const result = compareGroups(sample.map((r) => ({ durationMs: r.durationMs!, attrs: requestAttributes(r.data, r.node) })));
  return { sampled: sample.length, truncated, scope, ...result };
}

/** Pure core of the comparison (unit-tested). */
export function compareGroups(items: Array<{ durationMs: number; attrs: Record<string, string> }>): {
  thresholdMs: number | null;
  slow: number;
  fast: number;
  attributes: BubbleAttribute[];
} {
  if (items.length < 2) return { thresholdMs: null, slow: 0, fast: items.length, attributes: [] };
  const sorted = items.map((i) => i.durationMs).sort((a, b) => a - b);
  const threshold = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * SLOW_QUANTILE))]!;
  // Ties at the threshold would make "slow" everyone when most requests share one duration.
  const slowItems = items.filter((i) => i.durationMs >= threshold && i.durationMs > sorted[0]!);
  if (slowItems.length === 0) return { thresholdMs: threshold, slow: 0, fast: items.length, attributes: [] };
  const slowSet = new Set(slowItems);
  const fastCount = items.length - slowItems.length;
  const counts = new Map<string, Map<string, { slow: number; fast: number }>>();
  for (const item of items) {
    const isSlow = slowSet.has(item);
    for (const [attr, value] of Object.entries(item.attrs)) {
      let values = counts.get(attr);
      if (!values) counts.set(attr, (values = new Map()));
      const c = values.get(value) ?? { slow: 0, fast: 0 };
      if (isSlow) c.slow++;
      else c.fast++;
      values.set(value, c);
    }
  }
  const attributes: BubbleAttribute[] = [];
  for (const [attribute, values] of counts) {
    if (values.size < 2 && [...values.values()].every((c) => c.slow === slowItems.length && c.fast === fastCount)) continue;
    const list = [...values.entries()]
      .map(([value, c]) => {
        const slowShare = c.slow / slowItems.length;
        const fastShare = fastCount > 0 ? c.fast / fastCount : 0;
        return { value, slow: c.slow, fast: c.fast, slowShare, fastShare, diff: slowShare - fastShare };
      })
      .sort((a, b) => Math.abs(b.diff) - Math.abs(a.diff) || b.slow - a.slow || a.value.localeCompare(b.value))
      .slice(0, MAX_VALUES_PER_ATTRIBUTE);
    attributes.push({ attribute, maxDiff: Math.max(...list.map((v) => Math.abs(v.diff))), values: list });
  }
  attributes.sort((a, b) => b.maxDiff - a.maxDiff || a.attribute.localeCompare(b.attribute));
  return { thresholdMs: threshold, slow: slowItems.length, fast: fastCount, attributes };
}
