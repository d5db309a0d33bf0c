import { randomBytes, timingSafeEqual } from "node:crypto";
import http from "node:http";
import { newNonce } from "@/lib/server/http/security-headers";

/**
 * Filling the page cache: the page is rendered by this same server, through an ordinary HTTP
 * request to its own address that carries the visitor's credentials and an internal header,
 *
 *   x-hindsight-page-fill: <secret of this process>:<placeholder>
 *
 * The secret (256 random bits, in memory, never sent anywhere else) proves the request comes from
 * this process; proxy.ts then uses <placeholder> as the request's CSP nonce, so Next.js writes the
 * placeholder wherever the nonce belongs. The page itself runs exactly as for the visitor: its own
 * pageAccess / share-token checks, its own data reads. A request with a wrong or missing secret is
 * an ordinary request (the header is dropped).
 */
export const FILL_HEADER = "x-hindsight-page-fill";

const holder = globalThis as typeof globalThis & { __hindsightPageFillSecret?: string };

function fillSecret(): string {
  return (holder.__hindsightPageFillSecret ??= randomBytes(32).toString("hex"));
}

/** A fresh placeholder: a nonce of the same form as every response's (128 random bits, hex; no escaping changes it). */
export function newPlaceholder(): string {
  return newNonce();
}

/** For proxy.ts: the placeholder nonce of a genuine fill request of this process, else null. */
export function fillPlaceholder(headers: Headers): string | null {
  const value = headers.get(FILL_HEADER);
  if (!value) return null;
  const i = value.lastIndexOf(":");
  if (i < 0) return null;
  const given = Buffer.from(value.slice(0, i));
  const secret = Buffer.from(fillSecret());
  const placeholder = value.slice(i + 1);
  if (given.length !== secret.length || !timingSafeEqual(given, secret)) return null;
  return /^[0-9a-f]{32}$/.test(placeholder) ? placeholder : null;
}

/**
 * The request headers a page render may depend on, taken from the visitor's request. `shared` are
 * part of the cache key as they are; `credentials` only through the principal they resolve to
 * (checked against the rendered page's principal tag). Nothing else is forwarded, so nothing else
 * can make two renders differ.
 */
export function renderHeaders(headers: Headers): { shared: Record<string, string>; credentials: Record<string, string> } {
  const pick = (names: string[]) => Object.fromEntries(names.flatMap((n) => (headers.has(n) ? [[n, headers.get(n)!]] : [])));
  return {
    shared: pick(["host", "user-agent", "x-forwarded-host", "x-forwarded-proto"]),
    credentials: pick(["cookie", "authorization"]),
  };
}

export interface RenderResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Renders `pathname` through this server with the visitor's headers and the placeholder as nonce. */
export type PageRenderer = (pathname: string, headers: Headers, placeholder: string) => Promise<RenderResult | null>;

const RENDER_TIMEOUT_MS = 30_000;
/** Larger pages are not kept (and not read further). */
export const MAX_PAGE_BYTES = 4 * 1024 * 1024;

export const renderViaSelf: PageRenderer = (pathname, headers, placeholder) => {
  const origin = selfOrigin();
  if (!origin) return Promise.resolve(null);
  const { shared, credentials } = renderHeaders(headers);
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: origin.hostname.replace(/^\[|\]$/g, ""),
        port: Number(origin.port) || 80,
        method: "GET",
        path: pathname,
        headers: { ...shared, ...credentials, accept: "text/html", "accept-encoding": "identity", [FILL_HEADER]: `${fillSecret()}:${placeholder}` },
        timeout: RENDER_TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > MAX_PAGE_BYTES) {
            req.destroy();
            resolve(null);
          } else chunks.push(c);
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", () => resolve(null));
      },
    );
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(null));
    req.end();
  });
};

/**
 * Where this server listens: `next start` records it in __NEXT_PRIVATE_ORIGIN (localhost when it
 * listens on every address, which includes 127.0.0.1). Null when unknown (then nothing is cached).
 */
export function selfOrigin(env: Record<string, string | undefined> = process.env): URL | null {
  const raw = env.__NEXT_PRIVATE_ORIGIN || (env.PORT ? `http://127.0.0.1:${env.PORT}` : "");
  try {
    const url = new URL(raw);
    if (url.protocol !== "http:") return null;
    if (url.hostname === "localhost") url.hostname = "127.0.0.1";
    return url;
  } catch {
    return null;
  }
}
