/**
 * The security headers of every response (docs/RELIABILITY.md "Security headers"), for proxy.ts
 * and for pages answered from the page cache before Next.js (lib/server/page-cache/front.ts):
 * one definition, so a cached page carries exactly the headers a rendered one does.
 */
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
