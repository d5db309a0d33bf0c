import { TimelineRatesQuery } from "@/lib/schemas/views-timeline";
import { requireUser } from "@/lib/server/auth/guard";
import { toErrorResponse } from "@/lib/server/http/errors";
import { requireIncident } from "@/lib/server/auth/require-incident";
import { getTimelineRates } from "@/lib/server/views/timeline";

export const dynamic = "force-dynamic";

/** GET /api/incidents/:id/timeline?from&to&buckets&kind&source&severity&service&node&fileId&q → events/errors per interval by source */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    await requireUser(request);
    const { id } = await params;
    const query = TimelineRatesQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
    await requireIncident(id);
    return Response.json(await getTimelineRates(id, query), { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    return toErrorResponse(err);
  }
}
