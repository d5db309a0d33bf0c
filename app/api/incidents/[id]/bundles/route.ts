import fs from "node:fs/promises";
import { limitsFromEnv } from "@/lib/schemas/limits";
import { requireUser } from "@/lib/server/auth/guard";
import { dataDir } from "@/lib/server/config";
import { toErrorResponse } from "@/lib/server/http/errors";
import { receiveMultipart } from "@/lib/server/http/multipart";
import { assertSameOrigin } from "@/lib/server/http/origin";
import { addBundle } from "@/lib/server/services/incidents";

export const dynamic = "force-dynamic";

/** POST /api/incidents/:id/bundles (multipart, like POST /api/incidents) → 201 {id, runId}: new evidence, re-analysed */
export async function POST(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  let temps: string[] = [];
  try {
    await requireUser(request, "editor");
    assertSameOrigin(request);
    const { id } = await params;
    const form = await receiveMultipart(request, { limits: limitsFromEnv(process.env), dataDir: dataDir() });
    temps = form.files.map((f) => f.tempPath);
    return Response.json(await addBundle(id, { uploads: form.files }), { status: 201 });
  } catch (err) {
    return toErrorResponse(err);
  } finally {
    await Promise.all(temps.map((t) => fs.rm(t, { force: true })));
  }
}
