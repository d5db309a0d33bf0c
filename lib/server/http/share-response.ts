/**
 * Headers of everything a share link serves: never cached (a revoked link must stop at once, also
 * in a shared proxy), never leaked onwards in a Referer (the token is in the URL).
 */
export const SHARE_HEADERS = {
  "Cache-Control": "no-store",
  "Referrer-Policy": "no-referrer",
  "X-Robots-Tag": "noindex, nofollow",
  "X-Content-Type-Options": "nosniff",
} as const;

/** The one answer for a malformed, unknown, revoked or expired token: byte-identical every time. */
export function shareNotFound(): Response {
  return new Response('{"error":{"code":"not_found","message":"This link does not exist or is no longer shared."}}', {
    status: 404,
    headers: { ...SHARE_HEADERS, "Content-Type": "application/json" },
  });
}

/** Share links only read: any other method is refused without looking at the token. */
export function shareReadOnly(): Response {
  return new Response('{"error":{"code":"read_only","message":"Share links are read-only."}}', {
    status: 403,
    headers: { ...SHARE_HEADERS, "Content-Type": "application/json", Allow: "GET, HEAD" },
  });
}
