import fs from "node:fs/promises";
import { IncidentListQuery } from "@/lib/schemas/api";
import { limitsFromEnv } from "@/lib/schemas/limits";
import { requireUser } from "@/lib/server/auth/guard";
import { dataDir } from "@/lib/server/config";
import { toErrorResponse } from "@/lib/server/http/errors";
import { receiveMultipart } from "@/lib/server/http/multipart";
import { assertSameOrigin } from "@/lib/server/http/origin";
import { createIncident, listIncidents } from "@/lib/server/services/incidents";

export const dynamic = "force-dynamic";

/** GET /api/incidents?page&pageSize&sort&dir&q&status */
export async function GET(request: Request): Promise<Response> {
  try {
    await requireUser(request);
    const params = Object.fromEntries(new URL(request.url).searchParams);
    const query = IncidentListQuery.parse(params);
    return Response.json(await listIncidents(query), { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    return toErrorResponse(err);
  }
}

/** POST /api/incidents (multipart: title?, files[] with relative paths as filenames) → 201 {id, runId} */
export async function POST(request: Request): Promise<Response> {
  let temps: string[] = [];
  try {
    await requireUser(request, "editor");
    assertSameOrigin(request);
    const form = await receiveMultipart(request, { limits: limitsFromEnv(process.env), dataDir: dataDir() });
    temps = form.files.map((f) => f.tempPath);
    const created = await createIncident({ title: form.fields.title, uploads: form.files });
    return Response.json(created, { status: 201, headers: { Location: `/incidents/${created.id}` } });
  } catch (err) {
    return toErrorResponse(err);
  } finally {
    await Promise.all(temps.map((t) => fs.rm(t, { force: true })));
  }
}
