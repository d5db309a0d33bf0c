import { getPrisma } from "@/lib/server/db/client";

export const dynamic = "force-dynamic";

/** Liveness + database reachability (used by Playwright's webServer and load balancers). */
export async function GET(): Promise<Response> {
  try {
    await getPrisma().incident.count();
    return Response.json({ ok: true }, { headers: { "Cache-Control": "no-store" } });
  } catch {
    return Response.json({ ok: false }, { status: 503, headers: { "Cache-Control": "no-store" } });
  }
}
