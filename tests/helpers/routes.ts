import fs from "node:fs";
import path from "node:path";

/**
 * Calls Next.js route handlers directly — no server, no middleware, no proxy in between — the way
 * a request that skipped them would reach the code (hostile row 19).
 */
export const ROOT = path.resolve(__dirname, "../..");
export const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
export type Method = (typeof METHODS)[number];
type Handler = (request: Request, ctx: { params: Promise<Record<string, string | string[]>> }) => Promise<Response> | Response;

/** Every app/api/** /route.ts, as a path relative to the repo root. */
export function listRouteFiles(dir = path.join(ROOT, "app/api")): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listRouteFiles(p));
    else if (e.name === "route.ts") out.push(path.relative(ROOT, p));
  }
  return out.sort();
}

/** "app/api/incidents/[id]/route.ts" → "/api/incidents/:id" */
export function routePattern(file: string): string {
  return `/${path.dirname(file).replace(/^app\//, "")}`.replace(/\[\[?\.\.\.(\w+)\]\]?/g, ":$1*").replace(/\[(\w+)\]/g, ":$1");
}

export async function loadRoute(file: string): Promise<Partial<Record<Method, Handler>>> {
  return (await import(/* @vite-ignore */ path.join(ROOT, file))) as Partial<Record<Method, Handler>>;
}

export interface CallOptions {
  headers?: Record<string, string>;
  body?: unknown;
  params?: Record<string, string | string[]>;
  url?: string;
}

export const HOST = "hindsight.test";

export async function call(handler: Handler | undefined, method: Method, pathname: string, opts: CallOptions = {}): Promise<Response> {
  if (!handler) throw new Error(`no ${method} handler for ${pathname}`);
  const headers = new Headers({ host: HOST, ...(opts.headers ?? {}) });
  let body: BodyInit | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  const request = new Request(opts.url ?? `http://${HOST}${pathname}`, { method, headers, body });
  return handler(request, { params: Promise.resolve(opts.params ?? {}) });
}

/** "a=1; Path=/; HttpOnly" ×n → "a=1; b=2" for a Cookie header. */
export function cookieHeader(setCookie: string[]): string {
  return setCookie.map((c) => c.split(";")[0]!).join("; ");
}
