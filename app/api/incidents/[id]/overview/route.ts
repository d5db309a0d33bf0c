import { requireUser } from "@/lib/server/auth/guard";
import { toErrorResponse } from "@/lib/server/http/errors";
import { requireIncident } from "@/lib/server/auth/require-incident";
import { getOverview } from "@/lib/server/views/overview";

export const dynamic = "force-dynamic";

/** GET /api/incidents/:id/overview → window, impact figures, affected services */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    await requireUser(request);
    const { id } = await params;
    await requireIncident(id);
    return Response.json(await getOverview(id), { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    return toErrorResponse(err);
  }
}
