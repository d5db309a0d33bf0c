import { PromiseCache } from "@/lib/server/promise-cache";
import { validUntil, type ContentVersion } from "./version";

/**
 * Values computed from an incident's content, kept per key + content version (version.ts) in this
 * process's memory: the process's PromiseCache (a bounded LRU of promises), so concurrent callers
 * share one computation and a rejected computation is forgotten. The caller reads the version on
 * every call (one query), so a change of the content is a different key: nothing is invalidated,
 * nothing stale is returned.
 */
export class VersionedMemo<T> {
  private readonly cache: PromiseCache<T>;

  constructor(
    maxEntries: number,
    private readonly ttlMs: number,
  ) {
    this.cache = new PromiseCache<T>(maxEntries);
  }

  get(key: string, version: ContentVersion, compute: () => Promise<T>, now = Date.now()): Promise<T> {
    const k = JSON.stringify([key, version.incidentId, version.stamp]);
    return this.cache.get(k, compute, { expiresAt: validUntil(version, now, this.ttlMs), now });
  }

  get size(): number {
    return this.cache.size;
  }

  clear(): void {
    this.cache.clear();
  }
}
