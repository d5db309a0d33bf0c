import { ForbiddenError } from "@/lib/server/errors";

/**
 * Rejects cross-site writes: a browser always sends Origin on a cross-origin POST, so an Origin
 * that is not this server's origin (or is the literal "null") is refused. Scheme, host and port
 * are all compared (security row 7): `https://host` posting to `http://host` is another origin — a
 * page served over the other scheme (or port) is not ours to trust. Non-browser clients (the CLI,
 * curl) send no Origin and are allowed.
 */
export function assertSameOrigin(request: Request): void {
  const origin = request.headers.get("origin");
  if (origin === null) return;
  if (origin === "null" || originOf(origin) !== originOf(requestOrigin(request))) {
    throw new ForbiddenError("cross_origin", "Cross-site request refused.");
  }
}

/** "HTTP://Host:80" → "http://host" (scheme and host lower-cased, default port dropped); null when not a URL. */
function originOf(value: string): string | null {
  try {
    const o = new URL(value).origin;
    return o === "null" ? null : o;
  } catch {
    return null;
  }
}

/**
 * The origin the browser used (what a link for it must start with). Next.js's request.url names
 * the address the server bound to (often localhost), not the host in the user's address bar.
 */
export function requestOrigin(request: Request): string {
  const host = request.headers.get("x-forwarded-host") ?? request.headers.get("host");
  const proto = (request.headers.get("x-forwarded-proto") ?? "").split(",")[0]!.trim().toLowerCase();
  const url = new URL(request.url);
  if (!host || !/^[A-Za-z0-9.\-[\]:]+$/.test(host)) return url.origin;
  return `${proto === "https" || proto === "http" ? proto : url.protocol.replace(":", "")}://${host}`;
}
