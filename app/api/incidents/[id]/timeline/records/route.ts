import { TimelinePageQuery } from "@/lib/schemas/views-timeline";
import { requireUser } from "@/lib/server/auth/guard";
import { toErrorResponse } from "@/lib/server/http/errors";
import { requireIncident } from "@/lib/server/auth/require-incident";
import { getTimelinePage } from "@/lib/server/views/timeline";

export const dynamic = "force-dynamic";

/** GET /api/incidents/:id/timeline/records?around|cursor&dir&limit&<filters> → a page of the merged timeline */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    await requireUser(request);
    const { id } = await params;
    const query = TimelinePageQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
    await requireIncident(id);
    return Response.json(await getTimelinePage(id, query), { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    return toErrorResponse(err);
  }
}
