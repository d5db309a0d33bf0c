/**
 * A least-recently-used map bounded by entry count and by bytes, whose entries also expire.
 * Map iteration order is insertion order, so re-inserting on every hit keeps the oldest use first.
 */
export class BoundedLru<V> {
  private readonly map = new Map<string, { value: V; bytes: number; expiresAt: number }>();
  private used = 0;

  constructor(
    readonly maxEntries: number,
    readonly maxBytes: number,
  ) {}

  get(key: string, now = Date.now()): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    this.map.delete(key);
    if (e.expiresAt <= now) {
      this.used -= e.bytes;
      return undefined;
    }
    this.map.set(key, e);
    return e.value;
  }

  /** The value without counting it as a use (expired or not). */
  peek(key: string): V | undefined {
    return this.map.get(key)?.value;
  }

  /** Stores a value (false when it is too big to keep at all); evicts the least recently used. */
  set(key: string, value: V, bytes: number, expiresAt: number): boolean {
    this.delete(key);
    if (bytes > this.maxBytes || this.maxEntries <= 0) return false;
    this.map.set(key, { value, bytes, expiresAt });
    this.used += bytes;
    while (this.map.size > this.maxEntries || this.used > this.maxBytes) {
      const oldest = this.map.keys().next().value!;
      this.delete(oldest);
    }
    return true;
  }

  delete(key: string): void {
    const e = this.map.get(key);
    if (!e) return;
    this.map.delete(key);
    this.used -= e.bytes;
  }

  clear(): void {
    this.map.clear();
    this.used = 0;
  }

  get size(): number {
    return this.map.size;
  }

  get bytes(): number {
    return this.used;
  }
}
