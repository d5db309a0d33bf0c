import http from "node:http";
import { expect, test } from "@playwright/test";

/**
 * Issue 15 rows that need the real production server (scripts/server.mjs → Next.js → proxy.ts):
 * the open redirect through `next` (row 2), requests Next.js used to answer with a bare
 * 500 (row 10) and responses that skipped proxy.ts (row 12). The other rows are
 * tests/integration/security.test.ts.
 */

type Raw = { status: number; headers: http.IncomingHttpHeaders; body: string };

/** node:http, not the Playwright client: it sends TRACE and malformed paths as they are. */
function raw(baseURL: string, method: string, path: string, headers: Record<string, string> = {}): Promise<Raw> {
  const base = new URL(baseURL);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: base.hostname, port: base.port, method, path, headers }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

function expectHeaders(h: Record<string, string | string[] | undefined>, where: string): void {
  expect(h["content-security-policy"], `${where}: CSP`).toMatch(/frame-ancestors 'none'/);
  expect(h["x-content-type-options"], `${where}: nosniff`).toBe("nosniff");
  expect(h["x-frame-options"], `${where}: X-Frame-Options`).toBe("DENY");
  expect(h["referrer-policy"], `${where}: Referrer-Policy`).toBeTruthy();
}

test("security row 2: /login?next=/%09/evil.example/x redirects to this origin only", async ({ request }) => {
  for (const next of ["/%09/evil.example/x", "/%0a/evil.example", "//evil.example", "/%5Cevil.example", "/.//evil.example"]) {
    const res = await request.get(`/login?next=${next}`, { maxRedirects: 0 });
    expect(res.status(), next).toBe(307);
    expect(res.headers()["location"], next).toBe("/");
  }
  // A legitimate path still works.
  const ok = await request.get("/login?next=/search%3Fq%3Dx", { maxRedirects: 0 });
  expect(ok.headers()["location"]).toBe("/search?q=x");
});

test("security row 10: malformed percent-encoding → 400 and TRACE → 405, with the security headers", async ({ baseURL }) => {
  for (const path of ["/api/incidents/%ff", "/s/%ff", "/incidents/%ff/print"]) {
    const res = await raw(baseURL!, "GET", path);
    expect(res.status, path).toBe(400);
    expectHeaders(res.headers, path);
  }
  const trace = await raw(baseURL!, "TRACE", "/api/health", { cookie: "secret-cookie=1" });
  expect(trace.status).toBe(405);
  expectHeaders(trace.headers, "TRACE");
  expect(trace.body).not.toContain("secret-cookie");
});

test("security row 12: a page requested with Content-Type: multipart/form-data, and a multipart upload, carry the security headers", async ({ baseURL }) => {
  const page = await raw(baseURL!, "GET", "/", { "content-type": "multipart/form-data; boundary=x" });
  expectHeaders(page.headers, "GET / multipart");
  // The page's own policy (with its nonce), not just the fallback: the Content-Type was dropped.
  expect(page.headers["content-security-policy"]).toMatch(/script-src 'self' 'nonce-/);
  const upload = await raw(baseURL!, "POST", "/api/incidents", { "content-type": "multipart/form-data; boundary=x", origin: new URL(baseURL!).origin });
  expect(upload.status).toBeGreaterThanOrEqual(400);
  expectHeaders(upload.headers, "multipart POST");
});
