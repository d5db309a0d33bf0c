import { WaterfallWindowQuery } from "@/lib/schemas/views-traces";
import { requireUser } from "@/lib/server/auth/guard";
import { toErrorResponse } from "@/lib/server/http/errors";
import { getWaterfallWindow } from "@/lib/server/views/traces";

export const dynamic = "force-dynamic";

/** GET /api/incidents/:id/traces/:traceId/spans?offset&limit&collapsed&around → a window of waterfall rows */
export async function GET(request: Request, { params }: { params: Promise<{ id: string; traceId: string }> }): Promise<Response> {
  try {
    await requireUser(request);
    const { id, traceId } = await params;
    const query = WaterfallWindowQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
    return Response.json(await getWaterfallWindow(id, traceId, query), { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    return toErrorResponse(err);
  }
}
