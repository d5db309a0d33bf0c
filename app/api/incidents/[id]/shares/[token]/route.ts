import { requireUser } from "@/lib/server/auth/guard";
import { toErrorResponse } from "@/lib/server/http/errors";
import { revokeShare } from "@/lib/server/services/shares";

export const dynamic = "force-dynamic";

/** DELETE /api/incidents/:id/shares/:token (editor) → 204; `:token` is the link's id from the list, or the token. */
export async function DELETE(request: Request, { params }: { params: Promise<{ id: string; token: string }> }): Promise<Response> {
  try {
    await requireUser(request, "editor");
    const { id, token } = await params;
    await revokeShare(id, token);
    return new Response(null, { status: 204 });
  } catch (err) {
    return toErrorResponse(err);
  }
}
