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
 * - Heavy reads are admitted a few at a time (below).
 */
const REFUSED_METHODS = new Set(["TRACE", "TRACK", "CONNECT"]);

/**
 * Reads that cost a megabyte or a full render each (an incident's JSON, the print page). Their
 * content is built once per version (lib/server/services/cached-reads.ts), but sending it still
 * takes the main thread ~10 ms a time: fifty viewers asking in a loop kept every other request
 * (GET /) queued behind them for seconds (security row 13). At most HEAVY_CONCURRENCY of them are
 * handed to Next.js at once; the rest wait here without costing anything, and past HEAVY_QUEUE
 * waiting they are answered 503 with Retry-After.
 */
const HEAVY = /^\/(api\/)?incidents\/[^/]+(\/print)?$/;
export const HEAVY_CONCURRENCY = 2;
export const HEAVY_QUEUE = 256;
let heavyActive = 0;
const heavyWaiting: (() => void)[] = [];

function isHeavy(method: string, pathname: string): boolean {
  return method === "GET" && HEAVY.test(pathname) && (pathname.startsWith("/api/") || pathname.endsWith("/print"));
}

function admitHeavy(res: ServerResponse, next: () => void): void {
  const start = () => {
    heavyActive += 1;
    let released = false;
    // Finished or aborted, the slot passes on.
    res.once("close", () => {
      if (released) return;
      released = true;
      heavyActive -= 1;
      heavyWaiting.shift()?.();
    });
    next();
  };
  if (heavyActive < HEAVY_CONCURRENCY) return start();
  if (heavyWaiting.length >= HEAVY_QUEUE) {
    answer(res, 503, "busy", "Too many large reads at once: try again in a moment.", { "Retry-After": "1" });
    return;
  }
  heavyWaiting.push(start);
}

/**
 * Calls `next` to hand the request on (page cache, then Next.js), now or once a slot for a heavy
 * read is free, or answers it itself (400, 405, 503).
 */
export function gateRequest(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  const url = req.url ?? "/";
  const pathname = url.split("?")[0]!;
  for (const [name, value] of Object.entries(securityHeaders(pathname, API_CSP))) res.setHeader(name, value);
  const method = (req.method ?? "GET").toUpperCase();
  if ((method === "GET" || method === "HEAD") && req.headers["content-type"] !== undefined) delete req.headers["content-type"];
  if (REFUSED_METHODS.has(method)) return void answer(res, 405, "method_not_allowed", `${method} is not supported.`, { Allow: "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS" });
  if (!wellEncoded(url)) return void answer(res, 400, "bad_request", "The URL's percent-encoding is malformed.");
  if (isHeavy(method, pathname)) return admitHeavy(res, next);
  next();
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

type Gate = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
const hook = globalThis as typeof globalThis & { __hindsightGate?: Gate };

/** Offers gateRequest to scripts/server.mjs (from instrumentation.ts, like the page cache's front door). */
export function installGate(): void {
  hook.__hindsightGate = gateRequest;
}
