import { BoundedLru } from "./lru";
import { validUntil, type ContentVersion } from "./version";

/**
 * Values computed from an incident's content, kept per key + content version (version.ts) in this
 * process's memory: a bounded LRU of promises, so concurrent callers share one computation. A
 * rejected computation is forgotten. The caller reads the version on every call (one query), so a
 * change of the content is a different key: nothing is invalidated, nothing stale is returned.
 */
export class VersionedMemo<T> {
  private readonly lru: BoundedLru<Promise<T>>;

  constructor(
    maxEntries: number,
    private readonly ttlMs: number,
  ) {
    this.lru = new BoundedLru<Promise<T>>(maxEntries, maxEntries);
  }

  get(key: string, version: ContentVersion, compute: () => Promise<T>, now = Date.now()): Promise<T> {
    const k = JSON.stringify([key, version.incidentId, version.stamp]);
    const hit = this.lru.get(k, now);
    if (hit) return hit;
    const value = compute();
    this.lru.set(k, value, 1, validUntil(version, now, this.ttlMs));
    value.catch(() => {
      if (this.lru.peek(k) === value) this.lru.delete(k);
    });
    return value;
  }

  get size(): number {
    return this.lru.size;
  }

  clear(): void {
    this.lru.clear();
  }
}
