import { RecordQuery } from "@/lib/schemas/records-api";
import { requireUser } from "@/lib/server/auth/guard";
import { toErrorResponse } from "@/lib/server/http/errors";
import { requireIncident } from "@/lib/server/auth/require-incident";
import { queryRecords } from "@/lib/server/views/records";

export const dynamic = "force-dynamic";

/** GET /api/incidents/:id/records?kind&from&to&service&node&source&severity&fileId&traceId&q&cursor&limit&order */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    await requireUser(request);
    const { id } = await params;
    const query = RecordQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
    await requireIncident(id);
    return Response.json(await queryRecords(id, query), { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    return toErrorResponse(err);
  }
}
