import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { uploadScenario } from "./helpers";

/**
 * Security headers on every page type (proxy.ts): a CSP with a fresh nonce per request that every
 * script carries, `frame-ancestors 'none'`, no third-party sources, nosniff, X-Frame-Options,
 * Referrer-Policy (no-referrer on share links) — and no CSP violation in real Chromium while the
 * pages render and hydrate (Recharts, virtualised tables, client components).
 * Hostile-inputs row 11: a raw uploaded `evil.html` downloads as an attachment, never rendered.
 */

type Headers = Record<string, string>;

function nonceOf(csp: string): string {
  const m = /'nonce-([A-Za-z0-9+/=_-]+)'/.exec(csp);
  expect(m, `CSP without a nonce: ${csp}`).not.toBeNull();
  return m![1]!;
}

function expectSecurityHeaders(h: Headers, where: string, referrer = "strict-origin-when-cross-origin"): void {
  const csp = h["content-security-policy"] ?? "";
  expect(csp, `${where}: CSP`).toContain("default-src 'self'");
  expect(csp, `${where}: CSP script-src`).toMatch(/script-src 'self' 'nonce-[^']+' 'strict-dynamic'/);
  expect(csp, `${where}: CSP`).not.toMatch(/script-src[^;]*'unsafe-inline'/);
  expect(csp, `${where}: CSP`).not.toMatch(/script-src[^;]*'unsafe-eval'/);
  expect(csp, `${where}: CSP frame-ancestors`).toContain("frame-ancestors 'none'");
  expect(csp, `${where}: CSP object-src`).toContain("object-src 'none'");
  expect(csp, `${where}: no third-party origin in the CSP`).not.toMatch(/https?:|\*/);
  expect(h["x-content-type-options"], `${where}: nosniff`).toBe("nosniff");
  expect(h["x-frame-options"], `${where}: X-Frame-Options`).toBe("DENY");
  expect(h["referrer-policy"], `${where}: Referrer-Policy`).toBe(referrer);
}

/** Opens a page, collects CSP violations (event + console), checks headers and script nonces. */
async function visit(page: Page, url: string, referrer?: string): Promise<void> {
  const violations: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to (load|execute|apply)/i.test(m.text())) violations.push(m.text());
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      const w = window as unknown as { __csp?: string[] };
      (w.__csp ??= []).push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  const res = await page.goto(url);
  expect(res, url).not.toBeNull();
  const h = res!.headers();
  expectSecurityHeaders(h, url, referrer);
  const nonce = nonceOf(h["content-security-policy"]!);
  // Every script tag the server sent carries this request's nonce (chunks the runtime loads later
  // are trusted through 'strict-dynamic').
  const html = await res!.text();
  const tags = html.match(/<script\b[^>]*>/g) ?? [];
  expect(tags.length, `${url}: scripts`).toBeGreaterThan(0);
  for (const tag of tags) expect(tag, `${url}: script nonce`).toContain(`nonce="${nonce}"`);
  await page.waitForLoadState("networkidle");
  // Hydrated (client components work under the CSP) and nothing was refused.
  await expect(page.locator("body")).toBeVisible();
  const fromEvents = await page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? []);
  expect([...violations, ...fromEvents], `${url}: CSP violations`).toEqual([]);
}

async function shareToken(request: APIRequestContext, id: string): Promise<string | null> {
  const res = await request.post(`/api/incidents/${id}/shares`, { data: {} });
  if (res.status() === 404 || res.status() === 405) return null;
  expect(res.status(), await res.text()).toBeLessThan(300);
  const body = (await res.json()) as { token?: string };
  return body.token ?? null;
}

let incidentId = "";
test.beforeAll(async ({ request }) => {
  incidentId = await uploadScenario(request, "seed-000-mesh-iptables-reorder", "headers e2e");
});

test("security headers and zero CSP violations on every page type", async ({ page, request }) => {
  test.setTimeout(300_000);
  const pages = [
    "/",
    "/incidents/new",
    `/incidents/${incidentId}`,
    `/incidents/${incidentId}/timeline`,
    `/incidents/${incidentId}/latency`,
    `/incidents/${incidentId}/rules`,
    `/incidents/${incidentId}/traces`,
    `/incidents/${incidentId}/network`,
    `/incidents/${incidentId}/draft`,
    `/incidents/${incidentId}/print`,
    "/no-such-page",
  ];
  // Pages other engineers add (compare, search, accounts): checked when they exist.
  for (const extra of ["/compare", "/search", "/login", "/account", "/admin"]) {
    const r = await request.get(extra, { maxRedirects: 0 });
    if (r.status() !== 404) pages.push(extra);
  }
  for (const url of pages) await visit(page, url);

  const token = await shareToken(request, incidentId);
  if (token) await visit(page, `/s/${token}`, "no-referrer");
  else console.log("share links unavailable (POST /api/incidents/:id/shares → 404): /s/:token not checked");

  // API answers carry them too (a JSON error page must not be framable or sniffable either).
  for (const url of ["/api/health", "/api/incidents", `/api/incidents/${incidentId}`]) {
    const r = await request.get(url);
    expect(r.headers()["x-content-type-options"], url).toBe("nosniff");
    expect(r.headers()["x-frame-options"], url).toBe("DENY");
    expect(r.headers()["content-security-policy"], url).toBe("default-src 'none'; frame-ancestors 'none'; sandbox");
  }
  expect((await request.get("/api/s/not-a-token")).headers()["referrer-policy"]).toBe("no-referrer");
});

test("a different CSP nonce on every request", async ({ request }) => {
  const nonces = new Set<string>();
  for (let i = 0; i < 5; i++) {
    const res = await request.get(`/incidents/${incidentId}`);
    expect(res.status()).toBe(200);
    const nonce = nonceOf(res.headers()["content-security-policy"] ?? "");
    // The page is rendered for this request: its scripts carry this nonce, not a cached one.
    expect(await res.text()).toContain(`nonce="${nonce}"`);
    nonces.add(nonce);
  }
  expect(nonces.size).toBe(5);
});

test("row 11: a raw uploaded evil.html downloads as an attachment (nosniff, safe filename), never rendered", async ({ page, request }) => {
  const evil = '<!doctype html><html><body><script>alert("evil")</script><img src=x onerror="alert(2)"></body></html>\n';
  const res = await request.post("/api/incidents", {
    multipart: { title: "row 11 raw download", files: { name: "uploads/evil.html", mimeType: "text/html", buffer: Buffer.from(evil) } },
  });
  expect(res.status(), await res.text()).toBe(201);
  const { id } = (await res.json()) as { id: string };
  const detail = (await (await request.get(`/api/incidents/${id}`)).json()) as { files: { id: string; path: string }[] };
  const file = detail.files.find((f) => f.path.endsWith("evil.html"))!;
  const url = `/api/incidents/${id}/files/${file.id}/raw`;

  const raw = await request.get(url);
  expect(raw.status()).toBe(200);
  const h = raw.headers();
  expect(h["content-disposition"]).toMatch(/^attachment; filename="evil\.html"; filename\*=UTF-8''evil\.html$/);
  expect(h["x-content-type-options"]).toBe("nosniff");
  expect(h["content-type"]).toBe("application/octet-stream");
  expect(h["content-security-policy"]).toMatch(/default-src 'none'.*sandbox/);
  expect(await raw.text()).toBe(evil); // byte for byte what was uploaded

  // In Chromium: navigating to it starts a download; no page, no dialog.
  let dialog = false;
  page.on("dialog", (d) => {
    dialog = true;
    void d.dismiss();
  });
  await page.goto("/");
  const [download] = await Promise.all([page.waitForEvent("download"), page.evaluate((u) => (window.location.href = u), url)]);
  expect(download.suggestedFilename()).toBe("evil.html");
  expect(dialog).toBe(false);

  // Someone else's file id under this incident, or an unknown one: 404.
  expect((await request.get(`/api/incidents/${incidentId}/files/${file.id}/raw`)).status()).toBe(404);
  expect((await request.get(`/api/incidents/${id}/files/nope/raw`)).status()).toBe(404);
});
