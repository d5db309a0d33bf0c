import { describe, expect, it } from "vitest";
import { PromiseCache } from "@/lib/server/promise-cache";

/** The one promise cache behind memoPerRun, the laid-out trace cache and VersionedMemo. */
describe("PromiseCache", () => {
  const counter = () => {
    let calls = 0;
    return { compute: (v: string) => () => (calls++, Promise.resolve(v)), calls: () => calls };
  };

  it("shares one computation between concurrent and later callers", async () => {
    const cache = new PromiseCache<string>(4);
    const c = counter();
    const a = cache.get("k", c.compute("A"));
    const b = cache.get("k", c.compute("B"));
    expect(a).toBe(b);
    expect(await a).toBe("A");
    expect(await cache.get("k", c.compute("C"))).toBe("A");
    expect(c.calls()).toBe(1);
  });

  it("forgets a computation that rejects, so the next call tries again", async () => {
    const cache = new PromiseCache<string>(4);
    await expect(cache.get("k", () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(cache.size).toBe(0);
    expect(await cache.get("k", () => Promise.resolve("ok"))).toBe("ok");
    expect(cache.size).toBe(1);
  });

  it("a late rejection does not remove the computation that replaced it", async () => {
    const cache = new PromiseCache<string>(4);
    let fail!: (e: Error) => void;
    const first = cache.get("k", () => new Promise<string>((_r, reject) => (fail = reject)), { version: "run1" });
    const second = cache.get("k", () => Promise.resolve("run2"), { version: "run2" });
    fail(new Error("old run"));
    await expect(first).rejects.toThrow("old run");
    expect(await cache.get("k", () => Promise.resolve("recomputed"), { version: "run2" })).toBe("run2");
    expect(await second).toBe("run2");
  });

  it("a different version is a miss and takes the key over", async () => {
    const cache = new PromiseCache<string>(4);
    expect(await cache.get("k", () => Promise.resolve("run1"), { version: "run1" })).toBe("run1");
    expect(await cache.get("k", () => Promise.resolve("run2"), { version: "run2" })).toBe("run2");
    expect(cache.size).toBe(1);
    expect(await cache.get("k", () => Promise.resolve("again"), { version: "run2" })).toBe("run2");
  });

  it("does not use a value at or after its expiry", async () => {
    const cache = new PromiseCache<string>(4);
    expect(await cache.get("k", () => Promise.resolve("A"), { expiresAt: 1_000, now: 0 })).toBe("A");
    expect(await cache.get("k", () => Promise.resolve("B"), { expiresAt: 2_000, now: 999 })).toBe("A");
    expect(await cache.get("k", () => Promise.resolve("C"), { expiresAt: 3_000, now: 1_000 })).toBe("C");
  });

  it("evicts the least recently used entry past its size", async () => {
    const cache = new PromiseCache<string>(2);
    await cache.get("a", () => Promise.resolve("A"));
    await cache.get("b", () => Promise.resolve("B"));
    await cache.get("a", () => Promise.resolve("A2")); // a is now the most recent
    await cache.get("c", () => Promise.resolve("C")); // b goes
    expect(cache.size).toBe(2);
    expect(await cache.get("a", () => Promise.resolve("A3"))).toBe("A");
    expect(await cache.get("b", () => Promise.resolve("B2"))).toBe("B2");
  });
});
