import { CorrelationSummary } from "@/lib/server/correlate/schema";
import type { Db } from "@/lib/server/db/client";

/** The latest run's correlation summary (null before the first analysis or when malformed). */
export async function latestCorrelation(db: Db, incidentId: string): Promise<CorrelationSummary | null> {
  const run = await db.analysisRun.findFirst({
    where: { incidentId, correlation: { not: undefined } },
    orderBy: { createdAt: "desc" },
    select: { correlation: true },
  });
  if (!run?.correlation) return null;
  const parsed = CorrelationSummary.safeParse(run.correlation);
  return parsed.success ? parsed.data : null;
}

export function isoMs(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
}

/**
 * Per-run memo for view aggregates that scan many Evidence rows (counts by source/kind, rate buckets,
 * citation lookups): they only change when a run re-ingests, so they are computed once per finished
 * run and process. While a run is queued or running nothing is cached. Bounded (oldest out).
 */
const MEMO_MAX = 256;
const memo = new Map<string, { stamp: string; value: Promise<unknown> }>();

async function finishedRunStamp(db: Db, incidentId: string): Promise<string | null> {
  const run = await db.analysisRun.findFirst({ where: { incidentId }, orderBy: { createdAt: "desc" }, select: { id: true, status: true, finishedAt: true } });
  if (!run || !["completed", "partial", "failed"].includes(run.status)) return null;
  return `${run.id}:${run.status}:${run.finishedAt?.getTime() ?? ""}`;
}

export async function memoPerRun<T>(db: Db, incidentId: string, key: string, compute: () => Promise<T>): Promise<T> {
  const stamp = await finishedRunStamp(db, incidentId);
  if (stamp === null) return compute();
  const k = `${incidentId}\u0000${key}`;
  const hit = memo.get(k);
  if (hit && hit.stamp === stamp) return hit.value as Promise<T>;
  const value = compute();
  memo.delete(k);
  memo.set(k, { stamp, value });
  value.catch(() => memo.get(k)?.value === value && memo.delete(k));
  while (memo.size > MEMO_MAX) memo.delete(memo.keys().next().value!);
  return value;
}
