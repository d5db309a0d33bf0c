import { SearchQuery } from "@/lib/schemas/search";
import { requireUser } from "@/lib/server/auth/guard";
import { toErrorResponse } from "@/lib/server/http/errors";
import { searchIncidents } from "@/lib/server/services/search";

export const dynamic = "force-dynamic";

/** GET /api/search?q&detector&service&node&from&to&page&pageSize → SearchResultDto (one page, bounded) */
export async function GET(request: Request): Promise<Response> {
  try {
    await requireUser(request);
    const query = SearchQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
    return Response.json(await searchIncidents(query), { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    return toErrorResponse(err);
  }
}
