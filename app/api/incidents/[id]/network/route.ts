import { NetworkQuery } from "@/lib/schemas/views-network";
import { toErrorResponse } from "@/lib/server/http/errors";
import { getNetworkView } from "@/lib/server/views/network";

export const dynamic = "force-dynamic";

/** GET /api/incidents/:id/network?node&counters&stale=0|1 */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    const { id } = await params;
    const query = NetworkQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
    return Response.json(await getNetworkView(id, query), { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    return toErrorResponse(err);
  }
}
