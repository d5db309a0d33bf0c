import { toErrorResponse } from "@/lib/server/http/errors";
import { SHARE_HEADERS, shareNotFound, shareReadOnly } from "@/lib/server/http/share-response";
import { getSharedIncident } from "@/lib/server/services/shares";

export const dynamic = "force-dynamic";

type Params = { params: Promise<{ token?: string[] }> };

/**
 * GET /api/s/:token → the shared analysis and draft (SharedIncidentDto). No session is consulted:
 * the token alone decides, and only for its own incident. Optional catch-all, so `/api/s`,
 * `/api/s/` and `/api/s/:token/anything` get the same 404 as an unknown token.
 */
export async function GET(_request: Request, { params }: Params): Promise<Response> {
  try {
    const { token } = await params;
    if (!token || token.length !== 1) return shareNotFound();
    const shared = await getSharedIncident(token[0]!);
    if (!shared) return shareNotFound();
    return Response.json(shared, { headers: SHARE_HEADERS });
  } catch (err) {
    const res = toErrorResponse(err);
    for (const [k, v] of Object.entries(SHARE_HEADERS)) res.headers.set(k, v);
    return res;
  }
}

export const POST = shareReadOnly;
export const PUT = shareReadOnly;
export const PATCH = shareReadOnly;
export const DELETE = shareReadOnly;
