import { requireUser } from "@/lib/server/auth/guard";
import { toErrorResponse } from "@/lib/server/http/errors";
import { incidentDetailJson } from "@/lib/server/services/cached-reads";
import { requireIncident } from "@/lib/server/auth/require-incident";

export const dynamic = "force-dynamic";

/** GET /api/incidents/:id → status, progress, files, hypotheses (IncidentDetailDto; built once per content version). */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    await requireUser(request);
    const { id } = await params;
    const json = await requireIncident(id, () => incidentDetailJson(id));
    return new Response(json, { headers: { "Content-Type": "application/json", "Cache-Control": "no-store" } });
  } catch (err) {
    return toErrorResponse(err);
  }
}
