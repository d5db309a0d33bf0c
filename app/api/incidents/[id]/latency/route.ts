import { LatencyQuery } from "@/lib/schemas/views-latency";
import { requireUser } from "@/lib/server/auth/guard";
import { toErrorResponse } from "@/lib/server/http/errors";
import { requireIncident } from "@/lib/server/auth/require-incident";
import { getLatency } from "@/lib/server/views/latency";

export const dynamic = "force-dynamic";

/** GET /api/incidents/:id/latency?service → histograms per phase and hop, slow-vs-fast comparison */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    await requireUser(request);
    const { id } = await params;
    const query = LatencyQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
    await requireIncident(id);
    return Response.json(await getLatency(id, query), { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    return toErrorResponse(err);
  }
}
