import { requireUser } from "@/lib/server/auth/guard";
import { toErrorResponse } from "@/lib/server/http/errors";
import { assertSameOrigin } from "@/lib/server/http/origin";
import { reanalyze } from "@/lib/server/services/reanalyze";

export const dynamic = "force-dynamic";

/** POST /api/incidents/:id/reanalyze → 202 {runId} */
export async function POST(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    await requireUser(request, "editor");
    assertSameOrigin(request);
    const { id } = await params;
    return Response.json(await reanalyze(id), { status: 202 });
  } catch (err) {
    return toErrorResponse(err);
  }
}
