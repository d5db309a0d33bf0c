import { requireUser } from "@/lib/server/auth/guard";
import { toErrorResponse } from "@/lib/server/http/errors";
import { listDraftVersions } from "@/lib/server/services/draft";

export const dynamic = "force-dynamic";

/** GET /api/incidents/:id/draft/versions → [{version, author, createdAt}] newest first. */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    await requireUser(request);
    const { id } = await params;
    return Response.json(await listDraftVersions(id), { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    return toErrorResponse(err);
  }
}
