import { getPrisma } from "@/lib/server/db/client";
import { getPageCache } from "@/lib/server/page-cache/page-cache";

export const dynamic = "force-dynamic";

/** Liveness + database reachability + this process's memory and page-cache counters (for load balancers, the memory tests and `npm run load`). */
export async function GET(): Promise<Response> {
  const mem = process.memoryUsage();
  const rssBytes = mem.rss;
  const memory = { rss: mem.rss, heapTotal: mem.heapTotal, heapUsed: mem.heapUsed, external: mem.external, arrayBuffers: mem.arrayBuffers };
  // Counts only (entries, bytes, hits, fills…): nothing about which pages or who.
  const pageCache = getPageCache().snapshot();
  try {
    await getPrisma().incident.count();
    return Response.json({ ok: true, rssBytes, memory, pageCache }, { headers: { "Cache-Control": "no-store" } });
  } catch {
    return Response.json({ ok: false, rssBytes, memory, pageCache }, { status: 503, headers: { "Cache-Control": "no-store" } });
  }
}
