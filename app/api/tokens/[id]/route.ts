import { revokeApiToken } from "@/lib/server/auth/api-tokens";
import { requireUser } from "@/lib/server/auth/guard";
import { toErrorResponse } from "@/lib/server/http/errors";

export const dynamic = "force-dynamic";

/** DELETE /api/tokens/:id → 204: one of the caller's tokens stops working at once. */
export async function DELETE(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    const me = await requireUser(request);
    const { id } = await params;
    await revokeApiToken(me, id);
    return new Response(null, { status: 204 });
  } catch (err) {
    return toErrorResponse(err);
  }
}
