import { requireUser } from "@/lib/server/auth/guard";
import { toErrorResponse } from "@/lib/server/http/errors";
import { getSimilarIncidents } from "@/lib/server/services/similar";

export const dynamic = "force-dynamic";

/** GET /api/incidents/:id/similar → SimilarIncidentsDto: up to 5 incidents sharing detectors, services, error signatures */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    await requireUser(request);
    const { id } = await params;
    return Response.json(await getSimilarIncidents(id), { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    return toErrorResponse(err);
  }
}
