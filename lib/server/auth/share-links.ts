import { getPrisma, readRows, type Db } from "@/lib/server/db/client";
import { hashToken, plausibleToken, shouldTouch } from "./tokens";

/**
 * Share links are bearer tokens for one incident: resolving one is access, like an API token
 * (api-tokens.ts), and is asked on every request of a share page — by the page cache's front
 * (lib/server/page-cache) before anything is rendered, and by the share service
 * (lib/server/services/shares.ts, which creates, lists and revokes them).
 */
export interface ResolvedShare {
  shareId: string;
  incidentId: string;
  expiresAt: Date | null;
}

/**
 * The incident a token opens, or null — the same null for a malformed, unknown, revoked or
 * expired token, so callers answer all of them with one identical 404.
 */
export async function resolveShare(token: string, db: Db = getPrisma(), now = new Date()): Promise<ResolvedShare | null> {
  if (!plausibleToken(token)) return null;
  // Every request of a share page (cached or not) asks this: one prepared statement (readRows).
  const rows = await readRows<{ id: string; incidentId: string; expiresAt: unknown; revokedAt: unknown; lastUsedAt: unknown }>(
    db,
    `SELECT "id", "incidentId", "expiresAt", "revokedAt", "lastUsedAt" FROM "ShareLink" WHERE "tokenHash" = ?`,
    [hashToken(token)],
  );
  const row = rows[0];
  if (!row) return null;
  const expiresAt = asDate(row.expiresAt);
  if (row.revokedAt !== null && row.revokedAt !== undefined) return null;
  if (expiresAt && expiresAt.getTime() <= now.getTime()) return null;
  if (shouldTouch(asDate(row.lastUsedAt), now.getTime())) {
    await db.shareLink.update({ where: { id: row.id }, data: { lastUsedAt: now } }).catch(() => undefined);
  }
  return { shareId: row.id, incidentId: row.incidentId, expiresAt };
}

/** A timestamp column as the driver returns it (PostgreSQL: Date; SQLite: ISO text) → Date, or null. */
function asDate(v: unknown): Date | null {
  if (v === null || v === undefined) return null;
  const d = v instanceof Date ? v : new Date(typeof v === "number" ? v : String(v));
  // An unreadable timestamp is treated as already past: such a link does not open.
  return Number.isNaN(d.getTime()) ? new Date(0) : d;
}
