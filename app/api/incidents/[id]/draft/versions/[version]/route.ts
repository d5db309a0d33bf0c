import { z } from "zod";
import { requireUser } from "@/lib/server/auth/guard";
import { toErrorResponse } from "@/lib/server/http/errors";
import { getDraftVersion } from "@/lib/server/services/draft";

export const dynamic = "force-dynamic";

/** GET /api/incidents/:id/draft/versions/:version → that version's Markdown and sections. */
export async function GET(request: Request, { params }: { params: Promise<{ id: string; version: string }> }): Promise<Response> {
  try {
    await requireUser(request);
    const { id, version } = await params;
    const v = z.coerce.number().int().positive().max(1_000_000_000).parse(version);
    return Response.json(await getDraftVersion(id, v), { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    return toErrorResponse(err);
  }
}
