import { NextResponse, type NextRequest } from "next/server";
import { API_CSP, contentSecurityPolicy, newNonce, securityHeaders } from "@/lib/server/http/security-headers";
import { FILL_HEADER, fillPlaceholder } from "@/lib/server/page-cache/self-render";

/**
 * Security headers for every response (Next.js 16 Proxy, the former middleware; the headers
 * themselves: lib/server/http/security-headers.ts). This file never decides who may see what —
 * authorization is checked where data is read (a request that skips the proxy must still be
 * denied there).
 *
 * Pages get a Content-Security-Policy with a fresh nonce per request: Next.js reads the nonce from
 * the request's CSP header and puts it on its own scripts; 'strict-dynamic' lets those load the
 * rest of the bundle, and nothing else runs (no inline handlers, no third-party origins).
 * Styles allow 'unsafe-inline' because server-rendered style attributes (Recharts, virtualised
 * lists) cannot carry a nonce; scripts never do.
 *
 * One exception to "fresh": a render that fills the page cache (lib/server/page-cache) carries
 * this process's secret in `x-hindsight-page-fill`, and its nonce is then the copy's random
 * placeholder, which the cache replaces with a fresh nonce in every response it sends. Cached
 * pages are answered before Next.js (scripts/server.mjs → lib/server/page-cache/front.ts), with
 * the same headers.
 *
 * These headers win over the same headers set by a route handler, so they are never weaker than
 * any route's: share paths (`/s/…`, `/api/s/…`) get `Referrer-Policy: no-referrer`, API answers
 * (JSON, raw evidence downloads) get `default-src 'none'; sandbox`.
 */
export function proxy(request: NextRequest): NextResponse {
  const path = request.nextUrl.pathname;
  const api = path.startsWith("/api/");
  // A render for the page cache (carries this process's secret): its nonce is the copy's placeholder.
  const placeholder = api ? null : fillPlaceholder(request.headers);
  const nonce = placeholder ?? newNonce();
  // API answers (JSON, downloads) are never documents that run anything: the strictest policy.
  const csp = api ? API_CSP : contentSecurityPolicy(nonce, process.env.NODE_ENV === "development");
  const requestHeaders = new Headers(request.headers);
  requestHeaders.delete(FILL_HEADER);
  requestHeaders.set("x-nonce", nonce);
  requestHeaders.set("Content-Security-Policy", csp);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  for (const [name, value] of Object.entries(securityHeaders(path, csp))) response.headers.set(name, value);
  return response;
}

export const config = {
  // Everything but the immutable build assets (hashed files under /_next/static, served by Next) and
  // multipart uploads: when a proxy runs, Next buffers the request body to clone it (at most 10 MB,
  // silently truncating the rest), which would cut every bundle upload and hold it in memory. Upload
  // answers are small JSON documents from the route handler.
  matcher: [
    {
      source: "/((?!_next/static|_next/image).*)",
      missing: [{ type: "header", key: "content-type", value: "multipart/form-data.*" }],
    },
  ],
};
