import { CorrelationSummary } from "@/lib/server/correlate/schema";
import type { Db } from "@/lib/server/db/client";
import { memoPerRun } from "@/lib/server/views/overview-correlation";
import { isFailedBucket } from "@/lib/server/correlate/requests";

/**
 * What an incident "is about", in a few small sets, for search filters (services, nodes) and for
 * finding similar incidents (detectors, services, error signatures). Built from aggregates and a
 * bounded sample of failed records, once per finished run (memoPerRun), never from every row.
 */
export interface IncidentProfile {
  id: string;
  title: string;
  /** Window start (detected onset or manifest), else upload time, epoch ms */
  occurredAt: number;
  topHypothesis: string | null;
  /** The finished run the profile comes from (null: never analysed) */
  runId: string | null;
  /** Hypotheses of that run at or above DETECTOR_MIN_CONFIDENCE, best first */
  detectors: Array<{ id: string; confidence: number; rank: number; title: string }>;
  /** Raw service / workload names as recorded (bounded) — for the search filter */
  services: string[];
  /** Short service names (`checkout`, not `checkout.shop.svc.cluster.local` or a pod name), sorted */
  serviceNames: string[];
  /** Node names, sorted */
  nodes: string[];
  /** Error signatures (failed status + flag, normalised error text, warning event reasons), sorted by key */
  signatures: Array<{ key: string; label: string; count: number }>;
}

/** Hypotheses below this confidence say too little to make two incidents alike. */
export const DETECTOR_MIN_CONFIDENCE = 0.3;
/** Failed-request statuses/flags seen fewer times than this are noise, not a signature. */
export const MIN_STATUS_COUNT = 3;
export const MIN_ERROR_COUNT = 2;
const MAX_SERVICES = 500;
const MAX_NODES = 200;
const MAX_SIGNATURES = 40;
const ERROR_SAMPLE = 3000;
const EVENT_SAMPLE = 2000;

// ── pure normalisers ─────────────────────────────────────────────────────────────────────────────

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * A comparable short name for a service, workload or pod, or null for addresses and placeholders.
 *
 *   checkout.shop-canary.svc.cluster.local → checkout      (Kubernetes DNS: name.namespace.svc…)
 *   go-httpbin-6c9d7f8b5-s4vnd             → go-httpbin    (pod: deployment-<template hash>-<5>)
 *   go-httpbin-5f7b8c9d4                   → go-httpbin    (replica set)
 *   10.244.2.23:15008, unknown, -          → null
 *
 * Hash parts must contain a digit, so `payment-service-abcde` keeps its name.
 */
export function shortServiceName(raw: string): string | null {
  let s = raw.trim().toLowerCase();
  if (!s || s === "unknown" || s === "-" || s === "(none)") return null;
  s = s.replace(/:\d+$/, "");
  if (IPV4.test(s) || /^[0-9a-f:]+$/.test(s) && s.includes(":")) return null;
  const dns = /^([a-z0-9-]+)\.[a-z0-9-]+\.svc(\.|$)/.exec(s);
  if (dns) return dns[1]!;
  const pod = /^(.+?)-([a-z0-9]{6,10})-[a-z0-9]{5}$/.exec(s);
  if (pod && /\d/.test(pod[2]!)) return pod[1]!;
  const rs = /^(.+?)-([a-z0-9]{8,10})$/.exec(s);
  if (rs && /\d/.test(rs[2]!) && /[a-z]/.test(rs[2]!)) return rs[1]!;
  return s;
}

/**
 * Error text reduced to what recurs across incidents: lower case, addresses, ids and long numbers
 * replaced, Envoy `{details}` dropped, one signature per `;`-separated part.
 *
 *   "upstream_reset_before_response_started{connection_failure}; delayed_connect_error:_111"
 *     → ["upstream_reset_before_response_started", "delayed_connect_error:_111"]
 *   "dial tcp 10.0.4.17:8080: i/o timeout" → ["dial tcp <ip>: i/o timeout"]
 */
export function normaliseErrorMessage(message: string): string[] {
  const out: string[] = [];
  for (const part of message.toLowerCase().split(";")) {
    const s = part
      .replace(/\{[^}]*\}/g, "")
      .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, "<id>")
      .replace(/\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b/g, "<ip>")
      .replace(/\b[0-9a-f]{12,}\b/g, "<id>")
      .replace(/\b\d{4,}\b/g, "<n>")
      .replace(/\s+/g, " ")
      .trim()
      .slice(0, 100);
    if (s && !out.includes(s)) out.push(s);
  }
  return out;
}

/** Signature of failed requests with one status and response flag (RequestBucket groups). */
export function statusSignature(status: number, flag: string): { key: string; label: string } {
  const f = flag && flag !== "-" && flag !== "error" ? ` ${flag}` : "";
  if (status === 0) return { key: `status:0${f}`, label: `no response${f}` };
  if (status < 0) return { key: `status:conn${f}`, label: `connection error${f}` };
  return { key: `status:${status}${f}`, label: `${status}${f}` };
}

// ── loading ──────────────────────────────────────────────────────────────────────────────────────


function safeJson(data: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(data) as unknown;
    return v && typeof v === "object" ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The latest run that finished with results (completed or partial), if any. */
export async function latestFinishedRun(db: Db, incidentId: string): Promise<{ id: string; correlation: unknown } | null> {
  return db.analysisRun.findFirst({
    where: { incidentId, status: { in: ["completed", "partial"] } },
    orderBy: { createdAt: "desc" },
    select: { id: true, correlation: true },
  });
}

/** The profile of one incident (null when it does not exist). Memoised per finished run. */
export async function getIncidentProfile(db: Db, incidentId: string): Promise<IncidentProfile | null> {
  return memoPerRun(db, incidentId, "incident-profile", () => computeProfile(db, incidentId));
}

/** Profiles of many incidents, a few at a time (bounded pool use on PostgreSQL), in input order. */
export async function getIncidentProfiles(db: Db, ids: string[], concurrency = 4): Promise<IncidentProfile[]> {
  const out = new Array<IncidentProfile | null>(ids.length).fill(null);
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const i = next++;
      out[i] = await getIncidentProfile(db, ids[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker));
  return out.filter((p): p is IncidentProfile => p !== null);
}

/**
 * Up to ERROR_SAMPLE failed requests, read through the (incidentId, kind, ts) index inside the
 * incident window when there is one — failures cluster there, and a million healthy requests
 * outside it are never visited. Nothing is read when the request aggregates show no failure.
 */
async function failedRequestSample(db: Db, incidentId: string, correlation: CorrelationSummary | null): Promise<Array<{ data: string }>> {
  const anyFailed = await db.requestBucket.findFirst({ where: { incidentId, OR: [{ status: { gte: 500 } }, { status: { lt: 0 } }, { status: 0, NOT: { flag: "-" } }] }, select: { second: true } });
  if (!anyFailed) return [];
  const onset = correlation?.window.onset ? Date.parse(correlation.window.onset) : NaN;
  const recovery = correlation?.window.recovery ? Date.parse(correlation.window.recovery) : NaN;
  const windowed = Number.isFinite(onset) && Number.isFinite(recovery) && recovery >= onset;
  return db.evidence.findMany({
    where: { incidentId, kind: "request", severity: "error", ...(windowed ? { ts: { gte: onset, lte: recovery } } : {}) },
    orderBy: [{ ts: "asc" }, { id: "asc" }],
    take: ERROR_SAMPLE,
    select: { data: true },
  });
}

async function computeProfile(db: Db, incidentId: string): Promise<IncidentProfile | null> {
  const incident = await db.incident.findUnique({
    where: { id: incidentId },
    select: { id: true, title: true, windowStart: true, createdAt: true, topHypothesis: true },
  });
  if (!incident) return null;
  const run = await latestFinishedRun(db, incidentId);
  const correlation = run?.correlation ? (CorrelationSummary.safeParse(run.correlation).data ?? null) : null;

  const [hypotheses, evidenceServices, buckets, histogramServices, fileNodes, eventNodes, failedRows, warningEvents] = await Promise.all([
    run ? db.hypothesisRow.findMany({ where: { runId: run.id }, orderBy: { rank: "asc" }, select: { detector: true, confidence: true, rank: true, title: true } }) : [],
    // (incidentId, service) index: an index-only walk, once per run.
    db.evidence.groupBy({ by: ["service"], where: { incidentId, service: { not: null } }, take: MAX_SERVICES, orderBy: { service: "asc" } }),
    db.requestBucket.groupBy({ by: ["dest", "status", "flag"], where: { incidentId }, _sum: { count: true } }),
    db.latencyHistogram.groupBy({ by: ["service"], where: { incidentId } }),
    db.evidenceFile.findMany({ where: { incidentId, node: { not: null } }, select: { node: true }, distinct: ["node"] }),
    // Nodes of events, dumps and counters through the (incidentId, kind, ts) index; request and span
    // rows (the bulk) are covered by the correlation's node cohorts instead of a full scan.
    db.evidence.groupBy({ by: ["node"], where: { incidentId, kind: { in: ["event", "ruleset", "ipvs", "counter", "series", "object"] }, node: { not: null } }, take: MAX_NODES, orderBy: { node: "asc" } }),
    failedRequestSample(db, incidentId, correlation),
    db.evidence.findMany({
      where: { incidentId, kind: "event", severity: { in: ["warning", "error", "critical"] }, NOT: { source: "timeline" } },
      orderBy: [{ ts: "asc" }, { id: "asc" }],
      take: EVENT_SAMPLE,
      select: { data: true },
    }),
  ]);

  const nodes = new Set<string>();
  for (const f of fileNodes) if (f.node) nodes.add(f.node);
  for (const e of eventNodes) if (e.node) nodes.add(e.node);
  for (const c of correlation?.cohorts.node ?? []) if (c.key && c.key !== "unknown") nodes.add(c.key);
  const nodeSet = new Set([...nodes].map((n) => n.toLowerCase()));

  const rawServices = new Set<string>();
  for (const s of evidenceServices) if (s.service) rawServices.add(s.service);
  for (const b of buckets) rawServices.add(b.dest);
  for (const h of histogramServices) rawServices.add(h.service);
  const serviceNames = new Set<string>();
  for (const raw of rawServices) {
    const short = shortServiceName(raw);
    if (short && !nodeSet.has(short) && !nodeSet.has(raw.toLowerCase())) serviceNames.add(short);
  }

  const signatures = new Map<string, { key: string; label: string; count: number }>();
  const addSignature = (key: string, label: string, n: number) => {
    const s = signatures.get(key) ?? { key, label, count: 0 };
    s.count += n;
    signatures.set(key, s);
  };
  const statusCounts = new Map<string, { label: string; count: number }>();
  for (const b of buckets) {
    if (!isFailedBucket(b.status, b.flag)) continue;
    const sig = statusSignature(b.status, b.flag);
    const s = statusCounts.get(sig.key) ?? { label: sig.label, count: 0 };
    s.count += b._sum.count ?? 0;
    statusCounts.set(sig.key, s);
  }
  for (const [key, s] of statusCounts) if (s.count >= MIN_STATUS_COUNT) addSignature(key, s.label, s.count);
  const errorCounts = new Map<string, number>();
  for (const r of failedRows) {
    const error = safeJson(r.data)?.error;
    if (typeof error !== "string") continue;
    for (const e of normaliseErrorMessage(error)) errorCounts.set(e, (errorCounts.get(e) ?? 0) + 1);
  }
  for (const [e, n] of errorCounts) if (n >= MIN_ERROR_COUNT) addSignature(`error:${e}`, e, n);
  for (const r of warningEvents) {
    const reason = safeJson(r.data)?.reason;
    if (typeof reason === "string" && reason.trim()) addSignature(`event:${reason.trim()}`, `event ${reason.trim()}`, 1);
  }

  return {
    id: incident.id,
    title: incident.title,
    occurredAt: (incident.windowStart ?? incident.createdAt).getTime(),
    topHypothesis: incident.topHypothesis,
    runId: run?.id ?? null,
    detectors: hypotheses
      .filter((h) => h.confidence >= DETECTOR_MIN_CONFIDENCE)
      .map((h) => ({ id: h.detector, confidence: h.confidence, rank: h.rank, title: h.title })),
    services: [...rawServices].sort().slice(0, MAX_SERVICES),
    serviceNames: [...serviceNames].sort(),
    nodes: [...nodes].sort().slice(0, MAX_NODES),
    signatures: [...signatures.values()]
      .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key))
      .slice(0, MAX_SIGNATURES)
      .sort((a, b) => a.key.localeCompare(b.key)),
  };
}
