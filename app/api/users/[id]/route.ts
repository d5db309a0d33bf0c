import { UpdateUserInput } from "@/lib/schemas/auth";
import { requireUser } from "@/lib/server/auth/guard";
import { deleteUser, updateUser } from "@/lib/server/auth/users";
import { toErrorResponse } from "@/lib/server/http/errors";

export const dynamic = "force-dynamic";

/** PATCH /api/users/:id (admin) {role} → user; 409 when it would leave no admin. */
export async function PATCH(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    await requireUser(request, "admin");
    const { id } = await params;
    const input = UpdateUserInput.parse(await request.json().catch(() => null));
    return Response.json(await updateUser(id, input), { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    return toErrorResponse(err);
  }
}

/** DELETE /api/users/:id (admin) → 204; sessions and API tokens of the account end with it. */
export async function DELETE(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    await requireUser(request, "admin");
    const { id } = await params;
    await deleteUser(id);
    return new Response(null, { status: 204 });
  } catch (err) {
    return toErrorResponse(err);
  }
}
