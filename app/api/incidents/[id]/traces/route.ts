import { TracesQuery } from "@/lib/schemas/views-traces";
import { requireUser } from "@/lib/server/auth/guard";
import { toErrorResponse } from "@/lib/server/http/errors";
import { getTracesView } from "@/lib/server/views/traces";

export const dynamic = "force-dynamic";

/** GET /api/incidents/:id/traces?trace&compare&limit */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    await requireUser(request);
    const { id } = await params;
    const query = TracesQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
    return Response.json(await getTracesView(id, query), { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    return toErrorResponse(err);
  }
}
