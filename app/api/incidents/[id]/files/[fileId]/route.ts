import { FilePatch } from "@/lib/schemas/api";
import { requireUser } from "@/lib/server/auth/guard";
import { toErrorResponse } from "@/lib/server/http/errors";
import { assertSameOrigin } from "@/lib/server/http/origin";
import { patchFile } from "@/lib/server/services/reanalyze";

export const dynamic = "force-dynamic";

/** PATCH /api/incidents/:id/files/:fileId {clockSkewMs?, captureTime?} → 202 {runId}: override applied, analysis re-runs. */
export async function PATCH(request: Request, { params }: { params: Promise<{ id: string; fileId: string }> }): Promise<Response> {
  try {
    await requireUser(request, "editor");
    assertSameOrigin(request);
    const { id, fileId } = await params;
    const patch = FilePatch.parse(await request.json().catch(() => ({})));
    return Response.json(await patchFile(id, fileId, patch), { status: 202 });
  } catch (err) {
    return toErrorResponse(err);
  }
}
