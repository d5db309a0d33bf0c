import { hashingStats } from "@/lib/server/auth/password";
import { getPrisma } from "@/lib/server/db/client";
import { getPageCache, type PageCacheStats } from "@/lib/server/page-cache/page-cache";

export interface Health {
  ok: boolean;
  /** Only for admins (security row 9): sizes and counters say how loaded the server is, which is not for anyone who can reach the port. */
  rssBytes?: number;
  memory?: Record<string, number>;
  pageCache?: PageCacheStats;
  hashing?: Record<string, number>;
}

/** Liveness and database reachability; with `detail`, this process's memory, page-cache and password-hashing counters. */
export async function health(detail: boolean): Promise<Health> {
  let ok = true;
  try {
    await getPrisma().incident.count();
  } catch {
    ok = false;
  }
  if (!detail) return { ok };
  const mem = process.memoryUsage();
  return {
    ok,
    rssBytes: mem.rss,
    memory: { rss: mem.rss, heapTotal: mem.heapTotal, heapUsed: mem.heapUsed, external: mem.external, arrayBuffers: mem.arrayBuffers },
    // Counts only (entries, bytes, hits, fills…): nothing about which pages or who.
    pageCache: getPageCache().snapshot(),
    hashing: hashingStats(),
  };
}
