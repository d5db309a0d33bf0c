import { DraftUpdate } from "@/lib/schemas/draft";
import { requireUser } from "@/lib/server/auth/guard";
import { toErrorResponse } from "@/lib/server/http/errors";
import { getDraft, updateDraft } from "@/lib/server/services/draft";

export const dynamic = "force-dynamic";
const NO_STORE = { "Cache-Control": "no-store" };

/** GET /api/incidents/:id/draft → sections with citations (provenance), brought up to date with the latest run. */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    await requireUser(request);
    const { id } = await params;
    return Response.json(await getDraft(id), { headers: NO_STORE });
  } catch (err) {
    return toErrorResponse(err);
  }
}

/** PUT /api/incidents/:id/draft {sections: {id: markdown}, accept?, dismiss?, reset?} → the saved draft (autosave). */
export async function PUT(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    await requireUser(request, "editor");
    const { id } = await params;
    const body = DraftUpdate.parse(await request.json().catch(() => ({ sections: "invalid JSON" })));
    return Response.json(await updateDraft(id, body), { headers: NO_STORE });
  } catch (err) {
    return toErrorResponse(err);
  }
}
