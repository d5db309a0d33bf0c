import { SetupInput } from "@/lib/schemas/auth";
import { setupAdmin } from "@/lib/server/auth/users";
import { toErrorResponse } from "@/lib/server/http/errors";
import { assertSameOrigin } from "@/lib/server/http/origin";

export const dynamic = "force-dynamic";

/** POST /api/setup {name, email, password} → 201 {user} + session cookie; 409 once any account exists. */
export async function POST(request: Request): Promise<Response> {
  try {
    assertSameOrigin(request);
    const input = SetupInput.parse(await request.json().catch(() => null));
    const { user, setCookie } = await setupAdmin(input, undefined, request.headers);
    const headers = new Headers({ "Cache-Control": "no-store" });
    for (const c of setCookie) headers.append("Set-Cookie", c);
    return Response.json({ user }, { status: 201, headers });
  } catch (err) {
    return toErrorResponse(err);
  }
}
