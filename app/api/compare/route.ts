import { CompareQuery } from "@/lib/schemas/compare";
import { requireUser } from "@/lib/server/auth/guard";
import { toErrorResponse } from "@/lib/server/http/errors";
import { getComparison } from "@/lib/server/services/compare";

export const dynamic = "force-dynamic";

/** GET /api/compare?ids=a,b[,c[,d]]&service&ra&rb → CompareDto; 422 for fewer than 2 or more than 4 ids, 404 for unknown ids */
export async function GET(request: Request): Promise<Response> {
  try {
    await requireUser(request);
    const query = CompareQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
    return Response.json(await getComparison(query), { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    return toErrorResponse(err);
  }
}
