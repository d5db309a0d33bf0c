import { createHash } from "node:crypto";
import { type PrincipalDto, Role, roleAtLeast } from "@/lib/schemas/auth";
import { getPrisma, type Db } from "@/lib/server/db/client";
import { ForbiddenError, UnauthenticatedError } from "@/lib/server/errors";
import { assertSameOrigin } from "@/lib/server/http/origin";
import { authFor } from "./auth";
import { authEnabled } from "./mode";
import { hashToken, shouldTouch } from "./tokens";

export type Principal = PrincipalDto;

/** The single user of HINDSIGHT_AUTH=off (bound to 127.0.0.1 by scripts/start.mjs). */
export const LOCAL_PRINCIPAL: Principal = Object.freeze({ id: null, name: "Local user", email: null, role: "admin", via: "local" });

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Authorization at the point of use: every route handler that reads or writes data calls this
 * before touching a service (tests/integration/auth-guard-coverage.test.ts fails otherwise). It never
 * trusts anything a proxy or middleware may have added — only the session cookie (checked
 * against the Session table by better-auth) or an API token (checked against ApiToken).
 *
 *   requireUser(request)             any signed-in user (viewer and up)
 *   requireUser(request, "editor")   editors and admins
 *   requireUser(request, "admin")    admins
 *
 * For a Request with an unsafe method it also refuses cross-site calls (assertSameOrigin), so no
 * write route can forget the CSRF check. Throws UnauthenticatedError (nobody: 401) / ForbiddenError
 * (role too low: 403).
 */
export async function requireUser(source: Request | Headers, min: Role = "viewer"): Promise<Principal> {
  if (source instanceof Request && !SAFE_METHODS.has(source.method.toUpperCase())) assertSameOrigin(source);
  const principal = await getPrincipal(source instanceof Request ? source.headers : source);
  if (!principal) {
    throw new UnauthenticatedError((await needsSetup()) ? "No account exists yet: create the first admin at /setup." : "Sign in first (or send an API token as Authorization: Bearer).");
  }
  if (!roleAtLeast(principal.role, min)) throw new ForbiddenError("forbidden", `This needs the ${min} role; you are ${principal.role}.`);
  return principal;
}

/**
 * Single-user mode trusts "whoever reaches 127.0.0.1" — but a web page can reach it too, through
 * DNS rebinding (evil.example re-resolved to 127.0.0.1; Origin and Host then agree). Such requests
 * carry the attacker's name in Host, so only loopback names count as the local user.
 */
export function isLoopbackHost(host: string | null): boolean {
  return host !== null && /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?$/i.test(host.trim());
}

/**
 * Who is asking, for a page: a bad credential (malformed or unknown bearer token) counts as nobody,
 * as it does for pageAccess; the page then sends the visitor to /login.
 */
export async function pagePrincipal(headers: Headers, db: Db = getPrisma()): Promise<Principal | null> {
  try {
    return await getPrincipal(headers, db);
  } catch (err) {
    if (err instanceof UnauthenticatedError || err instanceof ForbiddenError) return null;
    throw err;
  }
}

/** Who is asking, or null. A bad bearer token is an error, not a fallback to the cookie. */
export async function getPrincipal(headers: Headers, db: Db = getPrisma()): Promise<Principal | null> {
  if (!authEnabled()) return isLoopbackHost(headers.get("host")) ? LOCAL_PRINCIPAL : null;
  const authorization = headers.get("authorization");
  if (authorization) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!m) throw new UnauthenticatedError("Authorization must be `Bearer <token>`.");
    return principalFromApiToken(m[1]!, db);
  }
  const auth = await authFor(headers);
  const session = await auth.api.getSession({ headers });
  if (!session) return null;
  const user = session.user as typeof session.user & { role?: unknown };
  return { id: user.id, name: user.name, email: user.email, role: Role.catch("viewer").parse(user.role), via: "session" };
}

async function principalFromApiToken(token: string, db: Db): Promise<Principal> {
  const tokenHash = hashToken(token);
  const row = await db.apiToken.findUnique({ where: { tokenHash }, include: { user: true } });
  if (!row || (row.expiresAt && row.expiresAt.getTime() <= Date.now())) {
    // A share-link token is read-only and only works under /s/ and /api/s/: say so (row 17).
    if (await db.shareLink.findUnique({ where: { tokenHash }, select: { id: true } })) {
      throw new ForbiddenError("read_only", "A share link only opens its shared page; it cannot call the API.");
    }
    throw new UnauthenticatedError("Unknown or expired API token.");
  }
  if (shouldTouch(row.lastUsedAt)) {
    await db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } }).catch(() => undefined);
  }
  return { id: row.user.id, name: row.user.name, email: row.user.email, role: Role.catch("viewer").parse(row.user.role), via: "token" };
}

/** True while auth is on and no account exists: every page leads to /setup. Asked only when nobody is signed in. */
export async function needsSetup(db: Db = getPrisma()): Promise<boolean> {
  if (!authEnabled()) return false;
  return !(await db.user.findFirst({ select: { id: true } }));
}

/**
 * Who a page was rendered for, as a short opaque tag: the root layout writes it into every page
 * (`<meta name="hindsight-principal" content="…">`) and the page cache (lib/server/page-cache) keys
 * and checks its copies by it, so a copy rendered for one user or role is never served to another —
 * even if a role changed between the cache's own lookup and the render it stored. Covers everything
 * of the principal a page shows or decides by: id, name, role, and how they came (session, API
 * token, single-user mode). Nobody is `none`.
 */
export const PRINCIPAL_META = "hindsight-principal";

export function principalTag(p: Pick<Principal, "id" | "name" | "role" | "via"> | null): string {
  if (!p) return "none";
  return createHash("sha256").update(JSON.stringify([p.id, p.name, p.role, p.via])).digest("base64url").slice(0, 22);
}
