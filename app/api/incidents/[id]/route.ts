import { requireUser } from "@/lib/server/auth/guard";
import { toErrorResponse, NotFoundError } from "@/lib/server/http/errors";
import { getIncident } from "@/lib/server/services/incidents";

export const dynamic = "force-dynamic";

/** GET /api/incidents/:id → status, progress, files, hypotheses */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    await requireUser(request);
    const { id } = await params;
    const incident = await getIncident(id);
    if (!incident) throw new NotFoundError("incident");
    return Response.json(incident, { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    return toErrorResponse(err);
  }
}
