import type { IncomingMessage, ServerResponse } from "node:http";
import { API_CSP, securityHeaders } from "./security-headers";

/**
 * The first thing scripts/server.mjs (what `npm start` runs) does with every request, before the
 * page cache and before Next.js:
 *
 * - Every response starts with the security headers (security row 12). proxy.ts overwrites them with
 *   the page's own (a CSP with its nonce), but some requests never reach it: multipart uploads are
 *   kept out of its matcher (it would buffer and truncate their bodies) and errors Next.js raises
 *   before routing skip it. Those now keep the strictest set — `default-src 'none'; sandbox`.
 * - A GET or HEAD has no body, so a Content-Type on one means nothing except that it kept the page
 *   out of proxy.ts's matcher: it is dropped, and the page gets its proper headers.
 * - A path whose percent-encoding is malformed (`/api/incidents/%ff`) is answered 400 here; Next.js
 *   answered a plain 500 (security row 10). TRACE, TRACK and CONNECT are answered 405: nothing here
 *   implements them, and TRACE echoes request headers (cookies) back.
 *
 * Returns true when it answered the request itself.
 */
const REFUSED_METHODS = new Set(["TRACE", "TRACK", "CONNECT"]);

export function gateRequest(req: IncomingMessage, res: ServerResponse): boolean {
  const url = req.url ?? "/";
  const pathname = url.split("?")[0]!;
  for (const [name, value] of Object.entries(securityHeaders(pathname, API_CSP))) res.setHeader(name, value);
  const method = (req.method ?? "GET").toUpperCase();
  if ((method === "GET" || method === "HEAD") && req.headers["content-type"] !== undefined) delete req.headers["content-type"];
  if (REFUSED_METHODS.has(method)) return answer(res, 405, "method_not_allowed", `${method} is not supported.`, { Allow: "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS" });
  if (!wellEncoded(url)) return answer(res, 400, "bad_request", "The URL's percent-encoding is malformed.");
  return false;
}

/** Whether every %XX in the path and query decodes to valid UTF-8 (what Next.js's router requires of the path). */
function wellEncoded(url: string): boolean {
  try {
    decodeURIComponent(url.split("?")[0]!);
    return true;
  } catch {
    return false;
  }
}

function answer(res: ServerResponse, status: number, code: string, message: string, extra: Record<string, string> = {}): true {
  const body = JSON.stringify({ error: { code, message } });
  res.writeHead(status, { ...extra, "Content-Type": "application/json", "Cache-Control": "no-store", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
  return true;
}

type Gate = (req: IncomingMessage, res: ServerResponse) => boolean;
const hook = globalThis as typeof globalThis & { __hindsightGate?: Gate };

/** Offers gateRequest to scripts/server.mjs (from instrumentation.ts, like the page cache's front door). */
export function installGate(): void {
  hook.__hindsightGate = gateRequest;
}
