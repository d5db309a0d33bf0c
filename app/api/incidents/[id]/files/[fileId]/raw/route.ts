import { requireUser } from "@/lib/server/auth/guard";
import { toErrorResponse } from "@/lib/server/http/errors";
import { openRawFile } from "@/lib/server/services/raw-file";

export const dynamic = "force-dynamic";

/** GET /api/incidents/:id/files/:fileId/raw → the uploaded file as stored, always as an attachment. */
export async function GET(request: Request, { params }: { params: Promise<{ id: string; fileId: string }> }): Promise<Response> {
  try {
    await requireUser(request);
    const { id, fileId } = await params;
    const file = await openRawFile(id, fileId);
    return new Response(file.body, { status: 200, headers: file.headers });
  } catch (err) {
    return toErrorResponse(err);
  }
}
