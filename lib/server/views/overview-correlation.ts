import { CorrelationSummary } from "@/lib/server/correlate/schema";
import { epochMs, type EpochMs } from "@/lib/schemas/time";
import type { Db } from "@/lib/server/db/client";
import { PromiseCache } from "@/lib/server/promise-cache";
import { log } from "@/lib/server/log";

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

/** An ISO instant of a stored summary as epoch ms (the parse boundary of the brand). */
export function isoMs(iso: string | null | undefined): EpochMs | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? epochMs(t) : null;
}

/**
 * Per-run memo for view aggregates that scan many Evidence rows (counts by source/kind, rate buckets,
 * citation lookups, trace lists): they only change when a run re-ingests, so they are computed once
 * per finished run. While a run is queued or running nothing is cached.
 *
 * Two levels: this process's PromiseCache (bounded, least recently used out) and, for `persist: true` values (plain JSON),
 * the ViewCache table keyed by run id — filled when the run finishes (warmViewCache) or on first use,
 * so the first visit after an analysis, a restarted server and other web processes all skip the scan.
 *
 *   run finishes ──► warmViewCache ──► ViewCache(runId, key)
 *   request ──► PromiseCache hit? ──► ViewCache hit? ──► compute (and store in both)
 */
const MEMO_MAX = 256;
/** Keyed by incident and view key; the run's stamp is the entry's version (a new run replaces it). */
const memo = new PromiseCache<unknown>(MEMO_MAX);

export interface FinishedRun {
  runId: string;
  /** Changes whenever the run is redone: id + status + finish time. */
  stamp: string;
}

/** Runs being warmed just before they are marked finished (warm.ts), by incident. */
const warming = new Map<string, string>();

/** Treats `runId` as the incident's finished run until the returned function is called (warm-up only). */
export function warmingRun(incidentId: string, runId: string): () => void {
  warming.set(incidentId, runId);
  return () => {
    if (warming.get(incidentId) === runId) warming.delete(incidentId);
  };
}

export async function finishedRun(db: Db, incidentId: string): Promise<FinishedRun | null> {
  const warm = warming.get(incidentId);
  if (warm !== undefined) return { runId: warm, stamp: `${warm}:warming` };
  const run = await db.analysisRun.findFirst({ where: { incidentId }, orderBy: { createdAt: "desc" }, select: { id: true, status: true, finishedAt: true } });
  if (!run || !["completed", "partial", "failed"].includes(run.status)) return null;
  return { runId: run.id, stamp: `${run.id}:${run.status}:${run.finishedAt?.getTime() ?? ""}` };
}

export interface MemoOptions {
  /** Also keep the value in the ViewCache table (it must survive JSON.stringify/parse unchanged). */
  persist?: boolean;
}

export async function memoPerRun<T>(db: Db, incidentId: string, key: string, compute: () => Promise<T>, options: MemoOptions = {}): Promise<T> {
  const run = await finishedRun(db, incidentId);
  if (run === null) return compute();
  const computeOrRead = () => (options.persist ? readThrough(db, run.runId, key, compute) : compute());
  return memo.get(`${incidentId}\u0000${key}`, computeOrRead, { version: run.stamp }) as Promise<T>;
}

async function readThrough<T>(db: Db, runId: string, key: string, compute: () => Promise<T>): Promise<T> {
  const cached = await db.viewCache.findUnique({ where: { runId_key: { runId, key } }, select: { value: true } }).catch(() => null);
  if (cached) {
    try {
      return JSON.parse(cached.value) as T;
    } catch {
      /* unreadable: recompute and overwrite */
    }
  }
  const value = await compute();
  // Two processes may compute the same value at once: last write wins, both are equal.
  const text = JSON.stringify(value);
  await db.viewCache
    .upsert({ where: { runId_key: { runId, key } }, create: { runId, key, value: text }, update: { value: text } })
    .catch((err: unknown) => log.warn({ err, runId, key }, "view cache: could not store a value"));
  return value;
}
