import { HttpError } from "./errors";

/**
 * Rejects cross-site writes: a browser always sends Origin on a cross-origin POST, so an Origin
 * that is not this host (or is the literal "null") is refused. Non-browser clients (the CLI,
 * curl) send no Origin and are allowed.
 */
export function assertSameOrigin(request: Request): void {
  const origin = request.headers.get("origin");
  if (origin === null) return;
  const host = request.headers.get("x-forwarded-host") ?? request.headers.get("host");
  let originHost: string | null = null;
  try {
    originHost = origin === "null" ? null : new URL(origin).host;
  } catch {
    originHost = null;
  }
  if (!originHost || !host || originHost !== host) throw new HttpError(403, "cross_origin", "Cross-site request refused.");
}
