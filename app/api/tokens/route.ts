import { ApiTokenInput } from "@/lib/schemas/auth";
import { createApiToken, listApiTokens } from "@/lib/server/auth/api-tokens";
import { requireUser } from "@/lib/server/auth/guard";
import { toErrorResponse } from "@/lib/server/http/errors";

export const dynamic = "force-dynamic";
const NO_STORE = { "Cache-Control": "no-store" };

/** GET /api/tokens → the caller's API tokens (never the secrets). */
export async function GET(request: Request): Promise<Response> {
  try {
    const me = await requireUser(request);
    return Response.json(await listApiTokens(me), { headers: NO_STORE });
  } catch (err) {
    return toErrorResponse(err);
  }
}

/** POST /api/tokens {name, expiresAt?} → 201 {id, token, …}; the token is shown only here. */
export async function POST(request: Request): Promise<Response> {
  try {
    const me = await requireUser(request);
    const input = ApiTokenInput.parse(await request.json().catch(() => null));
    return Response.json(await createApiToken(me, input), { status: 201, headers: NO_STORE });
  } catch (err) {
    return toErrorResponse(err);
  }
}
