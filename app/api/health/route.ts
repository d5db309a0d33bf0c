import { getPrisma } from "@/lib/server/db/client";

export const dynamic = "force-dynamic";

/** Liveness + database reachability + this process's memory (for load balancers and the memory tests). */
export async function GET(): Promise<Response> {
  const mem = process.memoryUsage();
  const rssBytes = mem.rss;
  const memory = { rss: mem.rss, heapTotal: mem.heapTotal, heapUsed: mem.heapUsed, external: mem.external, arrayBuffers: mem.arrayBuffers };
  try {
    await getPrisma().incident.count();
    return Response.json({ ok: true, rssBytes, memory }, { headers: { "Cache-Control": "no-store" } });
  } catch {
    return Response.json({ ok: false, rssBytes, memory }, { status: 503, headers: { "Cache-Control": "no-store" } });
  }
}
