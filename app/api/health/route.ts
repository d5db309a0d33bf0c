import { getPrisma } from "@/lib/server/db/client";

export const dynamic = "force-dynamic";

/** Liveness + database reachability + this process's memory (for load balancers and the memory tests). */
export async function GET(): Promise<Response> {
  const rssBytes = process.memoryUsage().rss;
  try {
    await getPrisma().incident.count();
    return Response.json({ ok: true, rssBytes }, { headers: { "Cache-Control": "no-store" } });
  } catch {
    return Response.json({ ok: false, rssBytes }, { status: 503, headers: { "Cache-Control": "no-store" } });
  }
}
