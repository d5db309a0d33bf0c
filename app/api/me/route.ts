import { requireUser } from "@/lib/server/auth/guard";
import { toErrorResponse } from "@/lib/server/http/errors";

export const dynamic = "force-dynamic";

/** GET /api/me → who the request acts as {id, name, email, role, via}; 401 when nobody. */
export async function GET(request: Request): Promise<Response> {
  try {
    const me = await requireUser(request);
    return Response.json(me, { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    return toErrorResponse(err);
  }
}
