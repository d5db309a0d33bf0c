import { pagePrincipal } from "@/lib/server/auth/guard";
import { health } from "@/lib/server/services/health";

export const dynamic = "force-dynamic";

/**
 * Liveness + database reachability for anyone (load balancers, `npm start`'s readiness wait);
 * memory, page-cache and hashing counters only for an admin (session, API token, or the local user
 * of single-user mode — what `npm run load` and the memory tests read). 503 when the database is unreachable.
 */
export async function GET(request: Request): Promise<Response> {
  // A bad credential is nobody here: the liveness answer must not depend on it.
  const principal = await pagePrincipal(request.headers).catch(() => null);
  const body = await health(principal?.role === "admin");
  return Response.json(body, { status: body.ok ? 200 : 503, headers: { "Cache-Control": "no-store" } });
}
