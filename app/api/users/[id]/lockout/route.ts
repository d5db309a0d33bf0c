import { requireUser } from "@/lib/server/auth/guard";
import { clearSignInLockout } from "@/lib/server/auth/users";
import { toErrorResponse } from "@/lib/server/http/errors";

export const dynamic = "force-dynamic";

/** DELETE /api/users/:id/lockout (admin) → {cleared}: the account may try to sign in again at once. */
export async function DELETE(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    const admin = await requireUser(request, "admin");
    const { id } = await params;
    return Response.json(await clearSignInLockout(id, admin), { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    return toErrorResponse(err);
  }
}
