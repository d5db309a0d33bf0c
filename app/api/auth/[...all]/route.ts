import { callAuthEndpoint } from "@/lib/server/auth/endpoints";
import { toErrorResponse } from "@/lib/server/http/errors";
import { assertSameOrigin } from "@/lib/server/http/origin";

export const dynamic = "force-dynamic";

/** better-auth's endpoints that Hindsight uses (lib/server/auth/endpoints.ts); any other path is 404. */
async function handle(request: Request): Promise<Response> {
  try {
    // Login CSRF too: a cross-site page must not sign a browser in (or out).
    if (request.method.toUpperCase() !== "GET") assertSameOrigin(request);
    const response = await callAuthEndpoint(request);
    response.headers.set("Cache-Control", "no-store");
    return response;
  } catch (err) {
    return toErrorResponse(err);
  }
}

export const GET = handle;
export const POST = handle;
