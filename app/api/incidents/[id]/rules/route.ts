import { RulesQuery } from "@/lib/schemas/views-rules";
import { requireUser } from "@/lib/server/auth/guard";
import { toErrorResponse } from "@/lib/server/http/errors";
import { getRulesView } from "@/lib/server/views/rule-diff";

export const dynamic = "force-dynamic";

/** GET /api/incidents/:id/rules?a&b&filter=all|mesh|service&unchanged=0|1 */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    await requireUser(request);
    const { id } = await params;
    const query = RulesQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
    return Response.json(await getRulesView(id, query), { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    return toErrorResponse(err);
  }
}
