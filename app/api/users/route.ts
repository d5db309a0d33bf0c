import { CreateUserInput } from "@/lib/schemas/auth";
import { requireUser } from "@/lib/server/auth/guard";
import { createUser, listUsers } from "@/lib/server/auth/users";
import { toErrorResponse } from "@/lib/server/http/errors";

export const dynamic = "force-dynamic";
const NO_STORE = { "Cache-Control": "no-store" };

/** GET /api/users (admin) → [{id, name, email, role, createdAt}] */
export async function GET(request: Request): Promise<Response> {
  try {
    await requireUser(request, "admin");
    return Response.json(await listUsers(), { headers: NO_STORE });
  } catch (err) {
    return toErrorResponse(err);
  }
}

/** POST /api/users (admin) {name, email, password, role} → 201 user */
export async function POST(request: Request): Promise<Response> {
  try {
    await requireUser(request, "admin");
    const input = CreateUserInput.parse(await request.json().catch(() => null));
    return Response.json(await createUser(input), { status: 201, headers: NO_STORE });
  } catch (err) {
    return toErrorResponse(err);
  }
}
