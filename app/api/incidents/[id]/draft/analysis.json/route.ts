import { ExportQuery } from "@/lib/schemas/draft";
import { requireUser } from "@/lib/server/auth/guard";
import { toErrorResponse } from "@/lib/server/http/errors";
import { exportDraft, exportFileName } from "@/lib/server/services/draft";

export const dynamic = "force-dynamic";

/** GET /api/incidents/:id/draft/analysis.json[?redact=1] → full analysis JSON (AnalysisExport, docs/DRAFT.md) as a download. */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    await requireUser(request);
    const { id } = await params;
    const { redact } = ExportQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
    const { analysis } = await exportDraft(id, { redact });
    return new Response(`${JSON.stringify(analysis, null, 2)}\n`, {
      headers: {
        "Content-Type": "application/json; charset=utf-8",
        "Content-Disposition": `attachment; filename="${exportFileName(redact ? "" : analysis.incident.title, "json", redact)}"`,
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
      },
    });
  } catch (err) {
    return toErrorResponse(err);
  }
}
