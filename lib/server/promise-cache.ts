import { LRUCache } from "lru-cache";

export interface PromiseCacheOptions {
  /**
   * What the cached value was computed from (a run's stamp): a hit made from another version is a
   * miss, and the new computation takes the key over (the key holds one version at a time).
   */
  version?: string;
  /** Epoch ms after which the value is not used any more (default: never). */
  expiresAt?: number;
  /** The clock for `expiresAt` (tests). */
  now?: number;
}

/**
 * The process's one cache of computations in flight or done: a least-recently-used map (the
 * `lru-cache` package) of promises, bounded by entry count, so concurrent callers share one
 * computation and later ones reuse its result. A computation that rejects is forgotten (the next
 * call tries again); one that resolves stays until it is evicted, expires or is superseded by a
 * new version.
 *
 *   get(k, compute) ─► cached, same version, not expired? ─► its promise (now the most recent)
 *                  └─► compute() ─► cached under k ─► rejects? ─► removed (if still k's entry)
 */
export class PromiseCache<T> {
  private readonly lru: LRUCache<string, { value: Promise<T>; version: string | undefined; expiresAt: number }>;

  constructor(readonly maxEntries: number) {
    this.lru = new LRUCache({ max: maxEntries });
  }

  get(key: string, compute: () => Promise<T>, options: PromiseCacheOptions = {}): Promise<T> {
    const { version, expiresAt = Number.POSITIVE_INFINITY } = options;
    const hit = this.lru.get(key);
    if (hit && hit.version === version && hit.expiresAt > (options.now ?? Date.now())) return hit.value;
    const entry = { value: compute(), version, expiresAt };
    this.lru.set(key, entry);
    entry.value.catch(() => {
      if (this.lru.peek(key) === entry) this.lru.delete(key);
    });
    return entry.value;
  }

  get size(): number {
    return this.lru.size;
  }

  clear(): void {
    this.lru.clear();
  }
}
