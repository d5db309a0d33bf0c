import { NextResponse, type NextRequest } from "next/server";
import { servePage } from "@/lib/server/page-cache/page-cache";
import { FILL_HEADER, fillPlaceholder } from "@/lib/server/page-cache/self-render";

/**
 * Security headers for every response (Next.js 16 Proxy, the former middleware). This file never
 * decides who may see what — authorization is checked where data is read (a request that skips
 * the proxy must still be denied there).
 *
 * Pages get a Content-Security-Policy with a fresh nonce per request: Next.js reads the nonce from
 * the request's CSP header and puts it on its own scripts; 'strict-dynamic' lets those load the
 * rest of the bundle, and nothing else runs (no inline handlers, no third-party origins).
 * Styles allow 'unsafe-inline' because server-rendered style attributes (Recharts, virtualised
 * lists) cannot carry a nonce; scripts never do.
 *
 * An incident's page and a share page may come from the page cache (lib/server/page-cache): a copy
 * rendered earlier for the same principal or share link and the same content version, answered
 * here with this request's nonce in place of the copy's placeholder, under the same CSP. The cache
 * looks the principal / share token up on every request with the pages' own functions and leaves
 * every request it cannot answer (nobody signed in, a link that does not open, a run in progress,
 * a miss it could not fill) to the page. A render that fills the cache is an ordinary request to
 * this server whose nonce is the placeholder (self-render.ts).
 *
 * These headers win over the same headers set by a route handler, so they are never weaker than
 * any route's: share paths (`/s/…`, `/api/s/…`) get `Referrer-Policy: no-referrer`, API answers
 * (JSON, raw evidence downloads) get `default-src 'none'; sandbox`.
 */
export async function proxy(request: NextRequest): Promise<NextResponse> {
  const path = request.nextUrl.pathname;
  const api = path.startsWith("/api/");
  const dev = process.env.NODE_ENV === "development";
  // A render for the page cache (carries this process's secret): its nonce is the copy's placeholder.
  const placeholder = api ? null : fillPlaceholder(request.headers);
  const nonce = placeholder ?? newNonce();
  // API answers (JSON, downloads) are never documents that run anything: the strictest policy.
  const csp = api ? API_CSP : contentSecurityPolicy(nonce, dev);
  if (!api && !placeholder && !dev) {
    const cached = await servePage(request, nonce).catch((err: unknown) => {
      console.error("[page-cache]", err);
      return null;
    });
    if (cached) {
      const response = new NextResponse(new Uint8Array(cached.body.buffer as ArrayBuffer, cached.body.byteOffset, cached.body.length), { status: 200, headers: cached.headers });
      for (const [name, value] of Object.entries(securityHeaders(path, csp))) response.headers.set(name, value);
      return response;
    }
  }
  const requestHeaders = new Headers(request.headers);
  requestHeaders.delete(FILL_HEADER);
  requestHeaders.set("x-nonce", nonce);
  requestHeaders.set("Content-Security-Policy", csp);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  for (const [name, value] of Object.entries(securityHeaders(path, csp))) response.headers.set(name, value);
  return response;
}

export const API_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox";

/** 128 random bits as 32 hex digits — the format of the page cache's placeholders, so a cached copy is patched in place. */
export function newNonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function contentSecurityPolicy(nonce: string, dev = false): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** Shared pages and their API carry the token in the URL: it must never leave in a Referer. */
const SHARE_PATH = /^\/(api\/)?s(\/|$)/;

export function securityHeaders(pathname: string, csp: string): Record<string, string> {
  return {
    "Content-Security-Policy": csp,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": SHARE_PATH.test(pathname) ? "no-referrer" : "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
  };
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
