import { authFor } from "@/lib/server/auth/auth";
import { authEnabled } from "@/lib/server/auth/mode";
import { toErrorResponse } from "@/lib/server/http/errors";
import { assertSameOrigin } from "@/lib/server/http/origin";

export const dynamic = "force-dynamic";

/**
 * better-auth's HTTP endpoints, limited to the ones Hindsight uses. Everything else it offers
 * (sign-up, email flows, account deletion, …) answers 404 here: accounts are created only by
 * /setup and by admins.
 */
const ALLOWED = new Set(["GET /get-session", "POST /sign-in/email", "POST /sign-out", "POST /change-password"]);

async function handle(request: Request): Promise<Response> {
  try {
    // Login CSRF too: a cross-site page must not sign a browser in (or out).
    if (request.method.toUpperCase() !== "GET") assertSameOrigin(request);
    const path = new URL(request.url).pathname.replace(/^\/api\/auth/, "").replace(/\/+$/, "");
    if (!authEnabled() || !ALLOWED.has(`${request.method.toUpperCase()} ${path}`)) {
      return Response.json({ error: { code: "not_found", message: "Not found" } }, { status: 404, headers: { "Cache-Control": "no-store" } });
    }
    const response = await (await authFor(request.headers)).handler(request);
    response.headers.set("Cache-Control", "no-store");
    return response;
  } catch (err) {
    return toErrorResponse(err);
  }
}

export const GET = handle;
export const POST = handle;
