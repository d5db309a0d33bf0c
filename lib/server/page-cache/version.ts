import { readRows, type Db } from "@/lib/server/db/client";

/**
 * What an incident's pages show, as one comparable value — read with one indexed query, so that a
 * cached page or payload can be checked against the database on every request.
 *
 * Everything the incident page and the share page render comes from these rows: the incident
 * (title, summary, status, window, top hypothesis), its latest run (status, problems, timings —
 * its hypotheses, correlation and per-run aggregates are tied to the run's id), its files (status,
 * counts, warnings, clock skew) and bundles, and for the share page the draft. Every write to them
 * goes through Prisma, which sets `updatedAt`; files and bundles are also counted, so one added or
 * removed shows too. A new analysis run is a new run id; a draft edit a new draft version.
 *
 * `updatedAt` has millisecond resolution and is set from the writer's clock, so two writes in the
 * same millisecond, or a writer whose clock lags, could leave the value unchanged after a change.
 * `newestMs` lets the caches close that gap: a copy made while the newest write is younger than
 * SETTLE_MS only lives until that write is SETTLE_MS old (lib/server/page-cache/page-cache.ts).
 */
export interface ContentVersion {
  incidentId: string;
  /** Changes whenever anything shown changes (see above). */
  stamp: string;
  /** The newest `updatedAt` among the rows (epoch ms). */
  newestMs: number;
  /** Nothing is being processed: the latest run and the incident are in a final state. */
  settled: boolean;
}

/** How long after the newest write a copy may still be wrong (same-millisecond writes, clock skew between processes). */
export const SETTLE_MS = 5_000;

const FINAL_RUN = new Set(["completed", "partial", "failed"]);
const FINAL_INCIDENT = new Set(["analysed", "partial", "failed"]);

interface Row {
  status: string;
  incidentAt: unknown;
  runId: string | null;
  runStatus: string | null;
  runAt: unknown;
  files: unknown;
  filesAt: unknown;
  bundles: unknown;
  draftVersion: unknown;
  draftAt: unknown;
}

const VERSION_SQL = `
  SELECT i."status" AS "status", i."updatedAt" AS "incidentAt",
    r."id" AS "runId", r."status" AS "runStatus", r."updatedAt" AS "runAt",
    (SELECT COUNT(*) FROM "EvidenceFile" f WHERE f."incidentId" = i."id") AS "files",
    (SELECT MAX(f."updatedAt") FROM "EvidenceFile" f WHERE f."incidentId" = i."id") AS "filesAt",
    (SELECT COUNT(*) FROM "Bundle" b WHERE b."incidentId" = i."id") AS "bundles",
    d."version" AS "draftVersion", d."updatedAt" AS "draftAt"
  FROM "Incident" i
  LEFT JOIN "AnalysisRun" r ON r."id" = (SELECT r2."id" FROM "AnalysisRun" r2 WHERE r2."incidentId" = i."id" ORDER BY r2."createdAt" DESC LIMIT 1)
  LEFT JOIN "Draft" d ON d."incidentId" = i."id"
  WHERE i."id" = ?`;

/** The incident's content version, or null when it does not exist. `draft`: include the draft (share page). */
export async function contentVersion(db: Db, incidentId: string, options: { draft?: boolean } = {}): Promise<ContentVersion | null> {
  // Portable SQL (SQLite and PostgreSQL); the latest run is picked as getIncident picks it. Runs
  // on every request of a cached page: a prepared statement (readRows), not Prisma's query path.
  const rows = await readRows<Row>(db, VERSION_SQL, [incidentId]);
  const row = rows[0];
  if (!row) return null;
  const times = [epoch(row.incidentAt), epoch(row.runAt), epoch(row.filesAt), options.draft ? epoch(row.draftAt) : null];
  const parts = [row.status, times[0], row.runId, row.runStatus, times[1], count(row.files), times[2], count(row.bundles)];
  if (options.draft) parts.push(row.draftVersion === null ? null : count(row.draftVersion), times[3]);
  return {
    incidentId,
    stamp: JSON.stringify(parts),
    newestMs: Math.max(0, ...times.filter((t): t is number => t !== null)),
    settled: FINAL_INCIDENT.has(row.status) && row.runStatus !== null && FINAL_RUN.has(row.runStatus),
  };
}

/** A timestamp as the driver returns it (PostgreSQL: Date; SQLite: ISO text) → epoch ms, or null. */
function epoch(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.getTime();
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  const t = Date.parse(String(v));
  return Number.isFinite(t) ? t : null;
}

function count(v: unknown): number {
  return typeof v === "bigint" ? Number(v) : Number(v ?? 0);
}

/**
 * When a value computed from the content at `version`, starting at `startedMs`, stops being
 * trustworthy: after `ttlMs`, and — if the newest write was less than SETTLE_MS old when the
 * computation started — as soon as that write is SETTLE_MS old (a later write in the same
 * millisecond would not have changed the version). Computed again after that, a value is exact.
 */
export function validUntil(version: ContentVersion, startedMs: number, ttlMs: number): number {
  return startedMs >= version.newestMs + SETTLE_MS ? startedMs + ttlMs : Math.min(startedMs + ttlMs, version.newestMs + SETTLE_MS);
}
