import { type ShareCreate, type ShareCreated, ShareLinkDto, SharedIncidentDto } from "@/lib/schemas/shares";
import type { Principal } from "@/lib/server/auth/guard";
import { resolveShare, type ResolvedShare } from "@/lib/server/auth/share-links";
import { hashToken, newToken, plausibleToken, PREFIX_LENGTH } from "@/lib/server/auth/tokens";
import { getPrisma, type Db } from "@/lib/server/db/client";
import { getDraft } from "@/lib/server/services/draft";
import { NotFoundError, NotReadyError } from "@/lib/server/errors";
import { getIncident } from "@/lib/server/services/incidents";
import { requireIncident } from "@/lib/server/auth/require-incident";
import { getOverview } from "@/lib/server/views/overview";
import { VersionedMemo } from "@/lib/server/page-cache/memo";
import { contentVersion } from "@/lib/server/page-cache/version";

/**
 * Read-only share links (docs/SECURITY.md). The token (256 random bits) lives only in the URL
 * `/s/<token>`; the database keeps its SHA-256. A link is scoped to one incident by its row, never
 * by anything in the request, and reaches no write path: `/s/*` and `/api/s/*` only read.
 */
export async function createShare(incidentId: string, principal: Principal, input: ShareCreate, origin: string, db: Db = getPrisma()): Promise<ShareCreated> {
  await requireIncident(incidentId, db);
  const token = newToken();
  const row = await db.shareLink.create({
    data: { incidentId, tokenHash: hashToken(token), prefix: token.slice(0, PREFIX_LENGTH), createdById: principal.id, expiresAt: input.expiresAt ?? null },
    include: { createdBy: { select: { name: true } } },
  });
  return { ...toDto(row), token, url: new URL(`/s/${token}`, origin).toString() };
}

/** Active links of an incident (not revoked, not expired), newest first. */
export async function listShares(incidentId: string, db: Db = getPrisma()): Promise<ShareLinkDto[]> {
  await requireIncident(incidentId, db);
  const rows = await db.shareLink.findMany({
    where: { incidentId, revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: new Date() } }] },
    include: { createdBy: { select: { name: true } } },
    orderBy: { createdAt: "desc" },
  });
  return rows.map(toDto);
}

/**
 * Revokes a link of this incident, named by its id (from the list) or by the token itself.
 * Effective at once: every read checks `revokedAt` (the token check is never cached).
 */
export async function revokeShare(incidentId: string, idOrToken: string, db: Db = getPrisma()): Promise<void> {
  const where = plausibleToken(idOrToken) ? { tokenHash: hashToken(idOrToken) } : { id: idOrToken };
  const { count } = await db.shareLink.updateMany({ where: { ...where, incidentId, revokedAt: null }, data: { revokedAt: new Date() } });
  if (count === 0) throw new NotFoundError("share link");
}

const payloads = globalThis as typeof globalThis & { __hindsightSharePayloads?: VersionedMemo<SharedIncidentDto | null> };
/** Share payloads in this process's memory (the /s page and /api/s bundles share them). */
export function sharePayloadMemo(): VersionedMemo<SharedIncidentDto | null> {
  return (payloads.__hindsightSharePayloads ??= new VersionedMemo(200, 10 * 60_000));
}

/**
 * Everything the shared page shows, or null (uniform 404). See SharedIncidentDto for what is left out.
 *
 * The token is checked on every call (revoked or expired: null at once). The payload — analysis and
 * draft, which take a draft rebuild to produce — is kept per share link (its expiry is shown) and
 * content version (lib/server/page-cache/version.ts: the latest run, files, incident and draft
 * version, read on every call), so a new run, a draft edit or any change of the incident gives a new
 * payload. Nothing is kept while a run is in progress.
 */
export async function getSharedIncident(token: string, db: Db = getPrisma()): Promise<SharedIncidentDto | null> {
  const share = await resolveShare(token, db);
  if (!share) return null;
  const version = await contentVersion(db, share.incidentId, { draft: true });
  if (!version) return null;
  if (!version.settled) return sharedPayload(share, db);
  return sharePayloadMemo().get(JSON.stringify([share.shareId, share.expiresAt?.getTime() ?? null]), version, () => sharedPayload(share, db));
}

async function sharedPayload(share: ResolvedShare, db: Db): Promise<SharedIncidentDto | null> {
  const incident = await getIncident(share.incidentId, db);
  if (!incident) return null;
  const overview = await getOverview(share.incidentId, db).catch(() => null);
  let draft: { markdown: string } | null = null;
  try {
    draft = { markdown: withoutAppLinks((await getDraft(share.incidentId, db)).markdown) };
  } catch (err) {
    // Not ready (run still going) or no run: the page says so; anything else is a real failure.
    if (!(err instanceof NotReadyError) && !(err instanceof NotFoundError)) throw err;
  }
  return SharedIncidentDto.parse({
    incident: {
      title: incident.title,
      summary: incident.summary,
      status: incident.status,
      createdAt: incident.createdAt,
      windowStart: incident.windowStart,
      windowEnd: incident.windowEnd,
      timezone: incident.timezone,
      fileCount: incident.fileCount,
      totalBytes: incident.totalBytes,
    },
    run: incident.run ? { status: incident.run.status, startedAt: incident.run.startedAt, finishedAt: incident.run.finishedAt, assessment: incident.run.assessment, coverage: incident.run.coverage } : null,
    overview,
    hypotheses: incident.hypotheses,
    files: incident.files.map((f) => ({ path: f.path, size: f.size, format: f.format, status: f.status, records: f.records, skipped: f.skipped })),
    draft,
    share: { expiresAt: share.expiresAt?.toISOString() ?? null },
  });
}

/**
 * The draft cites evidence with links into the signed-in views (`/incidents/<id>/timeline?…`): on a
 * share page they would lead to the login and name the incident's internal id, so only their text stays.
 */
export function withoutAppLinks(markdown: string): string {
  return markdown.replace(/\[([^\]\n]*)\]\(\s*\/incidents\/[^)\s]*\s*\)/g, "$1");
}

function toDto(row: { id: string; prefix: string; createdAt: Date; expiresAt: Date | null; lastUsedAt: Date | null; createdById: string | null; createdBy: { name: string } | null }): ShareLinkDto {
  return ShareLinkDto.parse({
    id: row.id,
    prefix: row.prefix,
    // null: created in single-user mode, or by an account deleted since.
    createdBy: row.createdBy?.name ?? null,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  });
}
