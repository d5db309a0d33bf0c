import { NetworkQuery } from "@/lib/schemas/views-network";
import { requireUser } from "@/lib/server/auth/guard";
import { toErrorResponse } from "@/lib/server/http/errors";
import { getNetworkView } from "@/lib/server/views/network";

export const dynamic = "force-dynamic";

/** GET /api/incidents/:id/network?node&counters&stale=0|1 */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    await requireUser(request);
    const { id } = await params;
    const query = NetworkQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
    return Response.json(await getNetworkView(id, query), { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    return toErrorResponse(err);
  }
}
