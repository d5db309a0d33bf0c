import { requireUser } from "@/lib/server/auth/guard";
import { toErrorResponse } from "@/lib/server/http/errors";
import { getDraft } from "@/lib/server/services/draft";

export const dynamic = "force-dynamic";

/** POST /api/incidents/:id/draft/regenerate → regenerates from the latest run; edited sections are kept (pending changes shown). */
export async function POST(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    await requireUser(request, "editor");
    const { id } = await params;
    return Response.json(await getDraft(id), { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    return toErrorResponse(err);
  }
}
