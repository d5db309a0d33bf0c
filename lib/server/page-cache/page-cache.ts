import { createHash } from "node:crypto";
import { roleAtLeast } from "@/lib/schemas/auth";
import { pagePrincipal, principalTag, type Principal } from "@/lib/server/auth/guard";
import { getPrisma, type Db } from "@/lib/server/db/client";
import { resolveShare, type ResolvedShare } from "@/lib/server/auth/share-links";
import { BoundedLru } from "./lru";
import { MAX_PAGE_BYTES, newPlaceholder, renderHeaders, renderViaSelf, type PageRenderer } from "./self-render";
import { contentVersion, validUntil, type ContentVersion } from "./version";

/**
 * Rendered-HTML cache for the two pages that must take 200 req/s while a big bundle is parsed:
 * an incident's page (`/incidents/:id`) and a share page (`/s/:token`). It lives in this web
 * process's memory (a bounded LRU, HINDSIGHT_PAGE_CACHE_MB) and is used by proxy.ts:
 *
 *   request ─► proxy.ts ─► servePage()
 *                 │  1. access, every request:  the principal (pagePrincipal — the same lookup as
 *                 │     pageAccess), at least viewer for an incident page; the share token
 *                 │     (resolveShare — one indexed lookup of its hash; revoked/expired → null)
 *                 │  2. content version, every request: one indexed query (version.ts)
 *                 │  3. key = page + request headers a render depends on + principal tag
 *                 │     + share link + version
 *                 ├─ hit  ─► the copy with this response's nonce in place of its placeholder
 *                 ├─ miss ─► render through this server with a new placeholder as nonce
 *                 │          (self-render.ts), check it, keep it, answer as a hit
 *                 └─ null ─► not cacheable or not allowed: the request goes on to the page,
 *                            which decides (redirect to /login, 404, live progress…)
 *
 * The cache never decides access: with no principal, a role too low, or a token that does not
 * open, it answers null and the page runs its own checks. It never serves stale content: the key
 * holds the content version, read on every request; an incident with a run in progress is not
 * cached at all (its page polls). A copy is kept only if the render answered 200 text/html without
 * cookies, carries the principal tag of the key (a role changed mid-render is not kept), and its
 * placeholder appears only where Next.js writes the nonce. Copies expire after ENTRY_TTL_MS, and
 * sooner while the content is younger than SETTLE_MS (version.ts).
 *
 * The placeholder is 128 random bits drawn for each copy, known only to this process: it goes out
 * in no response (every response carries a fresh nonce in its place) and is never stored, so no
 * content a user wrote can contain it — substituting it cannot turn user content into a nonce.
 * (And a copy in which it appears anywhere but where Next.js writes the nonce is not kept.)
 */
export type CacheablePage = { kind: "incident"; incidentId: string; pathname: string } | { kind: "share"; token: string; pathname: string };

/** Where a copy stays valid at most (bounds memory held by dead copies and relative times in no-JS views). */
export const ENTRY_TTL_MS = 10 * 60_000;
const MAX_ENTRIES = 1000;
const DEFAULT_MB = 64;

export interface Entry {
  /** The page as UTF-8, with the placeholder at `offsets`: copied and patched per response. */
  template: Buffer;
  offsets: number[];
  placeholderBytes: number;
  headers: Record<string, string>;
}

/**
 * The copy with `nonce` in place of every placeholder, as the pieces to write: slices of the copy
 * (no copying) and the nonce between them. Nothing page-sized is allocated per response — a 70 KB
 * string or buffer per response at 200 req/s is garbage the main thread would collect (and, as a
 * string, UTF-8 encode again) — and the socket gets it in one writev.
 */
export function withNonce(entry: Entry, nonce: string): { chunks: Buffer[]; length: number } {
  const n = Buffer.from(nonce, "latin1");
  const chunks: Buffer[] = [];
  let from = 0;
  for (const at of entry.offsets) {
    if (at > from) chunks.push(entry.template.subarray(from, at));
    chunks.push(n);
    from = at + entry.placeholderBytes;
  }
  chunks.push(entry.template.subarray(from));
  return { chunks, length: entry.template.length + entry.offsets.length * (n.length - entry.placeholderBytes) };
}

export interface PageCacheStats {
  entries: number;
  bytes: number;
  hits: number;
  fills: number;
  /** Renders that could not be kept (error, redirect, not found, check failed) — those requests went on to the page. */
  rejected: number;
  /** Requests for a cacheable path that the cache left to the page (no access, processing, not found). */
  passed: number;
}

export class PageCache {
  readonly lru: BoundedLru<Entry>;
  private readonly inflight = new Map<string, Promise<Entry | null>>();
  readonly stats = { hits: 0, fills: 0, rejected: 0, passed: 0 };

  constructor(
    maxBytes: number,
    maxEntries = MAX_ENTRIES,
    /** How a miss is rendered: through this server (tests substitute their own). */
    public renderer: PageRenderer = renderViaSelf,
  ) {
    this.lru = new BoundedLru<Entry>(maxEntries, maxBytes);
  }

  get enabled(): boolean {
    return this.lru.maxBytes > 0;
  }

  snapshot(): PageCacheStats {
    return { entries: this.lru.size, bytes: this.lru.bytes, ...this.stats };
  }

  clear(): void {
    this.lru.clear();
    this.inflight.clear();
  }

  /** One render per key at a time: concurrent misses wait for the same one. */
  fill(key: string, make: () => Promise<{ entry: Entry; bytes: number; expiresAt: number } | null>): Promise<Entry | null> {
    const running = this.inflight.get(key);
    if (running) return running;
    const p = make()
      .then((made) => {
        if (!made) {
          this.stats.rejected++;
          return null;
        }
        this.stats.fills++;
        this.lru.set(key, made.entry, made.bytes, made.expiresAt);
        return made.entry;
      })
      .catch(() => {
        this.stats.rejected++;
        return null;
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }
}

const holder = globalThis as typeof globalThis & { __hindsightPageCache?: PageCache };

/** This process's page cache (shared by proxy.ts and the health route, which are bundled apart). */
export function getPageCache(env: Record<string, string | undefined> = process.env): PageCache {
  if (!holder.__hindsightPageCache) {
    const mb = env.HINDSIGHT_PAGE_CACHE_MB === undefined || env.HINDSIGHT_PAGE_CACHE_MB === "" ? DEFAULT_MB : Number(env.HINDSIGHT_PAGE_CACHE_MB);
    holder.__hindsightPageCache = new PageCache(Number.isFinite(mb) && mb > 0 ? Math.floor(mb * 1024 * 1024) : 0);
  }
  return holder.__hindsightPageCache;
}

export interface PageRequest {
  method: string;
  url: string;
  headers: Headers;
}

/**
 * Whether a request is a full document load of a cacheable page. Client navigations and
 * prefetches (RSC payloads: `rsc`, `next-router-*` headers, `?_rsc=`), server actions, other
 * methods and any query string go to Next.js as before.
 */
export function cacheablePage(request: PageRequest): CacheablePage | null {
  if (request.method !== "GET") return null;
  const url = new URL(request.url);
  if (url.search !== "") return null;
  for (const name of request.headers.keys()) if (name === "rsc" || name.startsWith("next-") || name.startsWith("x-middleware-")) return null;
  const incident = /^\/incidents\/([^/]+)$/.exec(url.pathname);
  const share = /^\/s\/([^/]+)$/.exec(url.pathname);
  try {
    if (incident && incident[1] !== "new") return { kind: "incident", incidentId: decodeURIComponent(incident[1]!), pathname: url.pathname };
    if (share) return { kind: "share", token: decodeURIComponent(share[1]!), pathname: url.pathname };
  } catch {
    /* malformed escape: not ours */
  }
  return null;
}

export interface ServeOptions {
  db?: Db;
  cache?: PageCache;
  render?: PageRenderer;
  now?: () => number;
}

export interface CachedPage {
  /** The page with `nonce` in place of the copy's placeholder (UTF-8), in pieces (withNonce). */
  chunks: Buffer[];
  /** Bytes in all chunks (Content-Length). */
  length: number;
  /** Content-Type, Cache-Control and Vary as the render sent them. */
  headers: Record<string, string>;
}

/**
 * The page for this request from the cache — `nonce` substituted, ready to send with a CSP that
 * names the same nonce — or null: then the request goes on to Next.js unchanged.
 */
export async function servePage(request: PageRequest, nonce: string, options: ServeOptions = {}): Promise<CachedPage | null> {
  const cache = options.cache ?? getPageCache();
  if (!cache.enabled) return null;
  const page = cacheablePage(request);
  if (!page) return null;
  const db = options.db ?? getPrisma();
  const now = options.now ?? Date.now;

  // Access, on every request, by the same functions the pages use.
  const principal = await pagePrincipal(request.headers, db);
  let share: ResolvedShare | null = null;
  if (page.kind === "incident") {
    if (!principal || !roleAtLeast(principal.role, "viewer")) return pass(cache);
  } else {
    share = await resolveShare(page.token, db);
    if (!share) return pass(cache);
  }
  const incidentId = page.kind === "incident" ? page.incidentId : share!.incidentId;
  const version = await contentVersion(db, incidentId, { draft: page.kind === "share" });
  if (!version?.settled) return pass(cache);

  const tag = principalTag(principal);
  const key = cacheKey(page, request.headers, principal, tag, share, version);
  let entry: Entry | null | undefined = cache.lru.get(key, now());
  if (entry) cache.stats.hits++;
  else entry = await cache.fill(key, () => fillEntry(page.pathname, request.headers, tag, version, options.render ?? cache.renderer, now));
  return entry ? { ...withNonce(entry, nonce), headers: entry.headers } : null;
}

function pass(cache: PageCache): null {
  cache.stats.passed++;
  return null;
}

function cacheKey(page: CacheablePage, headers: Headers, principal: Principal | null, tag: string, share: ResolvedShare | null, version: ContentVersion): string {
  const parts = [
    page.kind,
    page.pathname,
    renderHeaders(headers).shared,
    tag,
    principal?.role ?? null,
    share ? [share.shareId, share.expiresAt?.getTime() ?? null] : null,
    version.incidentId,
    version.stamp,
  ];
  return createHash("sha256").update(JSON.stringify(parts)).digest("base64url");
}

/** The principal tag a rendered page carries (its first principal meta tag: the root layout's, ahead of any content), or null. */
export function renderedPrincipalTag(html: string): string | null {
  const m = /<meta name="hindsight-principal" content="([A-Za-z0-9_-]+)"\s*\/?>/.exec(html);
  return m ? m[1]! : null;
}

/** Response headers of a render that a cached copy repeats (Next's caching and Vary headers). */
const KEPT_HEADERS = ["content-type", "cache-control", "vary"];

async function fillEntry(pathname: string, headers: Headers, tag: string, version: ContentVersion, render: PageRenderer, now: () => number): Promise<{ entry: Entry; bytes: number; expiresAt: number } | null> {
  const started = now();
  const placeholder = newPlaceholder();
  const res = await render(pathname, headers, placeholder);
  if (!res || res.status !== 200 || res.headers["set-cookie"] !== undefined) return null;
  const type = String(res.headers["content-type"] ?? "");
  if (!type.startsWith("text/html") || res.body.length > MAX_PAGE_BYTES) return null;
  // Rendered for the principal of the key (a role or name changed meanwhile: not kept).
  if (renderedPrincipalTag(res.body) !== tag) return null;
  if (!placeholderOnlyAsNonce(res.body, placeholder)) return null;
  // A copy made within SETTLE_MS of the newest write lives only until that write is SETTLE_MS old.
  const expiresAt = validUntil(version, started, ENTRY_TTL_MS);
  const kept: Record<string, string> = {};
  for (const h of KEPT_HEADERS) if (typeof res.headers[h] === "string") kept[h] = res.headers[h] as string;
  const template = Buffer.from(res.body, "utf8");
  const mark = Buffer.from(placeholder, "latin1");
  const offsets: number[] = [];
  for (let at = template.indexOf(mark); at >= 0; at = template.indexOf(mark, at + mark.length)) offsets.push(at);
  return { entry: { template, offsets, placeholderBytes: mark.length, headers: kept }, bytes: template.length, expiresAt };
}

/**
 * The placeholder appears at least once, and only where Next.js writes the nonce: the `nonce`
 * attribute of script/link tags and the `"nonce"` property in the inline RSC payload. Anything
 * else (it cannot happen: nobody knows the placeholder) and the copy is not kept.
 */
export function placeholderOnlyAsNonce(html: string, placeholder: string): boolean {
  const total = html.split(placeholder).length - 1;
  const attribute = html.split(`nonce="${placeholder}"`).length - 1;
  const payload = html.split(`\\"nonce\\":\\"${placeholder}\\"`).length - 1;
  return total > 0 && total === attribute + payload;
}
