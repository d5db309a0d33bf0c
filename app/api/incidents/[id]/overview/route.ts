import { requireUser } from "@/lib/server/auth/guard";
import { NotFoundError, toErrorResponse } from "@/lib/server/http/errors";
import { getPrisma } from "@/lib/server/db/client";
import { getOverview } from "@/lib/server/views/overview";

export const dynamic = "force-dynamic";

/** GET /api/incidents/:id/overview → window, impact figures, affected services */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    await requireUser(request);
    const { id } = await params;
    if (!(await getPrisma().incident.findUnique({ where: { id }, select: { id: true } }))) throw new NotFoundError("incident");
    return Response.json(await getOverview(id), { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    return toErrorResponse(err);
  }
}
