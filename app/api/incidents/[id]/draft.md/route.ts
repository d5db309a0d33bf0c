import { ExportQuery } from "@/lib/schemas/draft";
import { requireUser } from "@/lib/server/auth/guard";
import { toErrorResponse } from "@/lib/server/http/errors";
import { exportDraft, exportFileName } from "@/lib/server/services/draft";

export const dynamic = "force-dynamic";

/** GET /api/incidents/:id/draft.md[?redact=1] → the Markdown draft as a download (redacted: IPs, hosts, pods, nodes aliased). */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    await requireUser(request);
    const { id } = await params;
    const { redact } = ExportQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
    const { markdown, analysis } = await exportDraft(id, { redact });
    return new Response(markdown, {
      headers: {
        "Content-Type": "text/markdown; charset=utf-8",
        "Content-Disposition": `attachment; filename="${exportFileName(redact ? "" : analysis.incident.title, "md", redact)}"`,
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
      },
    });
  } catch (err) {
    return toErrorResponse(err);
  }
}
