import { z } from "zod";
import { requireUser } from "@/lib/server/auth/guard";
import { NotFoundError } from "@/lib/server/errors";
import { toErrorResponse } from "@/lib/server/http/errors";
import { getTimelineRecord } from "@/lib/server/views/timeline";

export const dynamic = "force-dynamic";

/** GET /api/incidents/:id/timeline/record/:recordId → the full record and the hypotheses citing it */
export async function GET(request: Request, { params }: { params: Promise<{ id: string; recordId: string }> }): Promise<Response> {
  try {
    await requireUser(request);
    const { id, recordId } = await params;
    const rid = z.coerce.number().int().positive().parse(recordId);
    const found = await getTimelineRecord(id, rid);
    if (!found) throw new NotFoundError("record");
    return Response.json(found, { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    return toErrorResponse(err);
  }
}
