import { describe, expect, it } from "vitest";
import { BoundedLru } from "@/lib/server/page-cache/lru";
import { principalTag } from "@/lib/server/auth/guard";
import { cacheablePage, placeholderOnlyAsNonce, renderedPrincipalTag, withNonce } from "@/lib/server/page-cache/page-cache";
import { fillPlaceholder, FILL_HEADER, newPlaceholder, renderHeaders, selfOrigin } from "@/lib/server/page-cache/self-render";
import { SETTLE_MS, validUntil, type ContentVersion } from "@/lib/server/page-cache/version";

/** The page cache's pure parts; its behaviour against a database and real principals: tests/integration/page-cache.test.ts. */
describe("BoundedLru", () => {
  it("evicts the least recently used entry past the entry count and past the byte budget", () => {
    const lru = new BoundedLru<string>(3, 100);
    lru.set("a", "A", 10, Infinity);
    lru.set("b", "B", 10, Infinity);
    lru.set("c", "C", 10, Infinity);
    expect(lru.get("a")).toBe("A"); // a is now the most recent
    lru.set("d", "D", 10, Infinity);
    expect(lru.get("b")).toBeUndefined();
    expect([lru.get("a"), lru.get("c"), lru.get("d")]).toEqual(["A", "C", "D"]);
    lru.set("big", "X", 80, Infinity); // 110 bytes: the least recent (a) goes
    expect(lru.get("a")).toBeUndefined();
    expect(lru.bytes).toBe(100);
    expect([lru.get("c"), lru.get("d"), lru.get("big")]).toEqual(["C", "D", "X"]);
    expect(lru.set("huge", "H", 101, Infinity)).toBe(false);
    expect(lru.get("huge")).toBeUndefined();
  });

  it("forgets an entry once it expires, and keeps the byte count right", () => {
    const lru = new BoundedLru<string>(10, 100);
    lru.set("a", "A", 40, 1_000);
    expect(lru.get("a", 999)).toBe("A");
    expect(lru.get("a", 1_000)).toBeUndefined();
    expect(lru.bytes).toBe(0);
    lru.set("b", "B", 40, Infinity);
    lru.set("b", "B2", 30, Infinity);
    expect(lru.bytes).toBe(30);
  });
});

describe("nonce substitution", () => {
  const placeholder = newPlaceholder();
  const html = `<html><head><meta name="hindsight-principal" content="t"/></head><body><p>naïve → ünïcode</p><script nonce="${placeholder}">self.__next_f.push([1,"{\\"nonce\\":\\"${placeholder}\\"}"])</script><link rel="preload" nonce="${placeholder}"/></body></html>`;
  const entry = (() => {
    const template = Buffer.from(html);
    const mark = Buffer.from(placeholder);
    const offsets: number[] = [];
    for (let at = template.indexOf(mark); at >= 0; at = template.indexOf(mark, at + mark.length)) offsets.push(at);
    return { template, offsets, placeholderBytes: mark.length, headers: {} };
  })();

  it("writes the response's nonce over every placeholder, of the same length or not, and nothing else", () => {
    for (const nonce of ["0123456789abcdef0123456789abcdef", "c2hvcnQ="]) {
      const { chunks, length } = withNonce(entry, nonce);
      const out = Buffer.concat(chunks).toString("utf8");
      expect(length).toBe(Buffer.byteLength(out));
      expect(out).toBe(html.split(placeholder).join(nonce));
      expect(out).not.toContain(placeholder);
    }
    // The copy itself is untouched: the next response starts from the placeholder again.
    expect(entry.template.toString("utf8")).toBe(html);
  });

  it("keeps a copy only when the placeholder appears where Next.js writes the nonce, and only there", () => {
    expect(placeholderOnlyAsNonce(html, placeholder)).toBe(true);
    expect(placeholderOnlyAsNonce(html.replaceAll(placeholder, "x"), placeholder)).toBe(false);
    expect(placeholderOnlyAsNonce(`${html}<p>${placeholder}</p>`, placeholder)).toBe(false);
    expect(placeholderOnlyAsNonce(html.replace("</body>", `<img alt="${placeholder}"></body>`), placeholder)).toBe(false);
  });

  it("placeholders are 128 random bits, a valid CSP nonce that no HTML or JSON escaping changes", () => {
    const seen = new Set(Array.from({ length: 100 }, () => newPlaceholder()));
    expect(seen.size).toBe(100);
    for (const p of seen) expect(p).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe("principal tag", () => {
  const base = { id: "u1", name: "Vi", role: "viewer" as const, via: "session" as const };
  it("differs by user, name, role and the way they came; nobody is `none`", () => {
    const tags = new Set([
      principalTag(base),
      principalTag({ ...base, id: "u2" }),
      principalTag({ ...base, name: "Vi2" }),
      principalTag({ ...base, role: "editor" }),
      principalTag({ ...base, via: "token" }),
      principalTag(null),
    ]);
    expect(tags.size).toBe(6);
    expect(principalTag(null)).toBe("none");
    expect(principalTag(base)).toBe(principalTag({ ...base }));
  });

  it("is read back from the first principal meta tag of a page", () => {
    const t = principalTag(base);
    expect(renderedPrincipalTag(`<head><meta name="hindsight-principal" content="${t}"/></head><body><meta name="hindsight-principal" content="other"/></body>`)).toBe(t);
    expect(renderedPrincipalTag("<head></head>")).toBeNull();
  });
});

describe("which requests the cache may answer", () => {
  const req = (url: string, headers: Record<string, string> = {}, method = "GET") => ({ method, url: `http://h.test${url}`, headers: new Headers(headers) });
  it("full document loads of /incidents/:id and /s/:token only", () => {
    expect(cacheablePage(req("/incidents/abc"))).toEqual({ kind: "incident", incidentId: "abc", pathname: "/incidents/abc" });
    expect(cacheablePage(req("/s/tok_en-1"))).toEqual({ kind: "share", token: "tok_en-1", pathname: "/s/tok_en-1" });
    for (const url of ["/incidents/new", "/incidents/abc/timeline", "/incidents/abc/", "/incidents/abc?x=1", "/s/a/b", "/s/", "/", "/api/incidents/abc", "/incidents/%E0%A4%A"]) {
      expect(cacheablePage(req(url)), url).toBeNull();
    }
  });

  it("not client navigations, prefetches, server actions or other methods", () => {
    for (const h of [{ rsc: "1" }, { "next-router-prefetch": "1" }, { "next-router-state-tree": "x" }, { "next-action": "a" }, { "x-middleware-subrequest": "proxy" }] as Record<string, string>[]) {
      expect(cacheablePage(req("/incidents/abc", h)), JSON.stringify(h)).toBeNull();
    }
    expect(cacheablePage(req("/incidents/abc", {}, "HEAD"))).toBeNull();
    expect(cacheablePage(req("/incidents/abc", {}, "POST"))).toBeNull();
  });
});

describe("fill requests", () => {
  it("only this process's secret makes a request a fill; the placeholder must look like one", () => {
    const placeholder = newPlaceholder();
    // The secret is private to the module: a genuine header is only made by renderViaSelf, so
    // capture it the way the server would see it.
    expect(fillPlaceholder(new Headers())).toBeNull();
    expect(fillPlaceholder(new Headers({ [FILL_HEADER]: `guess:${placeholder}` }))).toBeNull();
    expect(fillPlaceholder(new Headers({ [FILL_HEADER]: placeholder }))).toBeNull();
    const secret = (globalThis as { __hindsightPageFillSecret?: string }).__hindsightPageFillSecret!;
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(fillPlaceholder(new Headers({ [FILL_HEADER]: `${secret}:${placeholder}` }))).toBe(placeholder);
    expect(fillPlaceholder(new Headers({ [FILL_HEADER]: `${secret}:not-a-placeholder` }))).toBeNull();
    expect(fillPlaceholder(new Headers({ [FILL_HEADER]: `${secret}x:${placeholder}` }))).toBeNull();
  });

  it("forwards only the headers in the key, plus the credentials the principal comes from", () => {
    const h = new Headers({ host: "h.test", "user-agent": "UA", cookie: "c=1", authorization: "Bearer x", "accept-language": "de", "x-forwarded-for": "1.2.3.4", "x-forwarded-proto": "https" });
    expect(renderHeaders(h)).toEqual({ shared: { host: "h.test", "user-agent": "UA", "x-forwarded-proto": "https" }, credentials: { cookie: "c=1", authorization: "Bearer x" } });
  });

  it("renders through the address `next start` listens on", () => {
    expect(selfOrigin({ __NEXT_PRIVATE_ORIGIN: "http://localhost:3000" })?.host).toBe("127.0.0.1:3000");
    expect(selfOrigin({ __NEXT_PRIVATE_ORIGIN: "http://10.0.0.5:8080" })?.host).toBe("10.0.0.5:8080");
    expect(selfOrigin({ PORT: "3210" })?.host).toBe("127.0.0.1:3210");
    expect(selfOrigin({})).toBeNull();
    expect(selfOrigin({ __NEXT_PRIVATE_ORIGIN: "https://localhost:3000" })).toBeNull();
  });
});

describe("validUntil", () => {
  const v = (newestMs: number): ContentVersion => ({ incidentId: "i", stamp: "s", newestMs, settled: true });
  it("a copy made from content younger than SETTLE_MS lives until it is SETTLE_MS old; later copies live their TTL", () => {
    expect(validUntil(v(1_000), 2_000, 60_000)).toBe(1_000 + SETTLE_MS);
    expect(validUntil(v(1_000), 1_000 + SETTLE_MS, 60_000)).toBe(1_000 + SETTLE_MS + 60_000);
    expect(validUntil(v(1_000), 2_000, 100)).toBe(2_100);
  });
});
