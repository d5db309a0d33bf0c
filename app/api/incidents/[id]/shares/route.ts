import { ShareCreate } from "@/lib/schemas/shares";
import { requireUser } from "@/lib/server/auth/guard";
import { MalformedInputError } from "@/lib/server/errors";
import { toErrorResponse } from "@/lib/server/http/errors";
import { requestOrigin } from "@/lib/server/http/origin";
import { createShare, listShares } from "@/lib/server/services/shares";

export const dynamic = "force-dynamic";
const NO_STORE = { "Cache-Control": "no-store" };

/** GET /api/incidents/:id/shares (editor) → active links [{id, prefix, createdBy, createdAt, expiresAt, lastUsedAt}] */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    await requireUser(request, "editor");
    const { id } = await params;
    return Response.json(await listShares(id), { headers: NO_STORE });
  } catch (err) {
    return toErrorResponse(err);
  }
}

/** POST /api/incidents/:id/shares (editor) {expiresAt?} → 201 {token, url, …}: a read-only link. */
export async function POST(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    const me = await requireUser(request, "editor");
    const { id } = await params;
    const text = await request.text();
    let body: unknown = {};
    try {
      if (text.trim()) body = JSON.parse(text);
    } catch {
      throw new MalformedInputError("invalid_json", "The body must be JSON: {\"expiresAt\"?: ISO time}.");
    }
    const input = ShareCreate.parse(body);
    return Response.json(await createShare(id, me, input, requestOrigin(request)), { status: 201, headers: NO_STORE });
  } catch (err) {
    return toErrorResponse(err);
  }
}
