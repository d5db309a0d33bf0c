import type { IncomingMessage, ServerResponse } from "node:http";
import { contentSecurityPolicy, newNonce, securityHeaders } from "@/lib/server/http/security-headers";
import { servePage } from "./page-cache";
import { fillPlaceholder } from "./self-render";
import { log } from "@/lib/server/log";

/**
 * The page cache's front door: scripts/server.mjs (what `npm start` runs) offers every request
 * here before handing it to Next.js. A cached incident or share page is answered at once — the
 * copy with a fresh nonce, and the security headers proxy.ts gives every page, from the same
 * functions (lib/server/http/security-headers.ts). Anything else, and anything the cache cannot
 * answer, goes to Next.js unchanged (false), where proxy.ts and the page do their work as before.
 *
 * Why before Next.js: even a response proxy.ts returns itself costs ~1 ms of the main thread in
 * Next's routing, request and stream machinery; at 200 req/s, with parsing sharing two CPUs, that
 * alone kept p99 above 200 ms (docs/RELIABILITY.md "npm run load").
 *
 * The request body is never read here: uploads and every other request reach Next.js untouched.
 */
export async function serveCachedPage(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = req.url ?? "";
  if (req.method !== "GET" || !(url.startsWith("/incidents/") || url.startsWith("/s/"))) return false;
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === "string") headers.set(name, value);
    else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
  }
  // A render filling the cache: Next.js renders it (proxy.ts gives it the placeholder as nonce).
  if (fillPlaceholder(headers)) return false;
  const nonce = newNonce();
  const page = await servePage({ method: "GET", url: `http://${headers.get("host") ?? "localhost"}${url}`, headers }, nonce).catch((err: unknown) => {
    log.error({ err, url }, "page cache: serving a cached page failed");
    return null;
  });
  if (!page) return false;
  const pathname = url.split("?")[0]!;
  res.writeHead(200, { ...page.headers, ...securityHeaders(pathname, contentSecurityPolicy(nonce)), "content-length": String(page.length) });
  res.cork();
  for (const chunk of page.chunks) res.write(chunk);
  res.end();
  return true;
}

type Front = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
const hook = globalThis as typeof globalThis & { __hindsightPageFront?: Front };

/**
 * Offers serveCachedPage to scripts/server.mjs (called from instrumentation.ts, so the front runs
 * Next's compiled copy of this code, the same one the pages use, not a second one).
 */
export function installPageFront(): void {
  hook.__hindsightPageFront = serveCachedPage;
}
