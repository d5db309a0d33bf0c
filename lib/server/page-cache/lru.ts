import { LRUCache } from "lru-cache";

/**
 * A least-recently-used map bounded by entry count and by bytes, whose entries also expire: the
 * `lru-cache` package keeps the order and both bounds; the expiry is checked here, against the
 * caller's clock (the page cache passes its own `now`).
 */
export class BoundedLru<V> {
  private readonly lru: LRUCache<string, { value: V; expiresAt: number }>;

  constructor(
    readonly maxEntries: number,
    readonly maxBytes: number,
  ) {
    // lru-cache wants positive bounds; with either at 0 nothing is ever stored (set refuses).
    this.lru = new LRUCache({ max: Math.max(1, maxEntries), maxSize: Math.max(1, maxBytes) });
  }

  get(key: string, now = Date.now()): V | undefined {
    const e = this.lru.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= now) {
      this.lru.delete(key);
      return undefined;
    }
    return e.value;
  }

  /** The value without counting it as a use (expired or not). */
  peek(key: string): V | undefined {
    return this.lru.peek(key)?.value;
  }

  /** Stores a value (false when it is too big to keep at all); evicts the least recently used. */
  set(key: string, value: V, bytes: number, expiresAt: number): boolean {
    this.lru.delete(key);
    if (bytes > this.maxBytes || this.maxEntries <= 0 || this.maxBytes <= 0) return false;
    // lru-cache counts sizes in positive integers.
    this.lru.set(key, { value, expiresAt }, { size: Math.max(1, Math.ceil(bytes)) });
    return true;
  }

  delete(key: string): void {
    this.lru.delete(key);
  }

  clear(): void {
    this.lru.clear();
  }

  get size(): number {
    return this.lru.size;
  }

  get bytes(): number {
    return this.lru.calculatedSize;
  }
}
