import { expect, test, type APIResponse, type Page } from "@playwright/test";
import { createAccount, signedInContext, NO_STATE } from "./auth-helpers";
import { uploadScenario } from "./helpers";

/**
 * The page cache behind the real proxy and the real pages (lib/server/page-cache; its rules in
 * tests/integration/page-cache.test.ts): an incident page and a share page answered again and
 * again carry a new nonce each time, the same one in the CSP header and on every script, and
 * nothing else changes; each role gets its own page; a draft edit and a revocation show at once;
 * a page served from the cache hydrates with zero CSP violations.
 */
function nonceOf(res: APIResponse): string {
  const m = /'nonce-([A-Za-z0-9+/=_-]+)'/.exec(res.headers()["content-security-policy"] ?? "");
  expect(m, "CSP with a nonce").not.toBeNull();
  return m![1]!;
}

async function page(res: APIResponse): Promise<{ nonce: string; html: string; normalised: string }> {
  expect(res.status(), res.url()).toBe(200);
  const nonce = nonceOf(res);
  const html = await res.text();
  const tags = html.match(/<script\b[^>]*>/g) ?? [];
  expect(tags.length).toBeGreaterThan(0);
  for (const tag of tags) expect(tag).toContain(`nonce="${nonce}"`);
  return { nonce, html, normalised: html.replaceAll(nonce, "NONCE") };
}

async function cspViolationsOnVisit(p: Page, url: string): Promise<string[]> {
  const violations: string[] = [];
  p.on("console", (m) => {
    if (/Content Security Policy|Refused to (load|execute|apply)/i.test(m.text())) violations.push(m.text());
  });
  await p.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      const w = window as unknown as { __csp?: string[] };
      (w.__csp ??= []).push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  const res = await p.goto(url);
  expect(res!.status()).toBe(200);
  await p.waitForLoadState("networkidle");
  return [...violations, ...(await p.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? []))];
}

let incidentId = "";
test.beforeAll(async ({ request }) => {
  incidentId = await uploadScenario(request, "seed-001-ambient-rollout-503", "page cache e2e");
});

test("an incident page answered repeatedly: a new nonce each time, matching the CSP header, the same page otherwise; hydrates without CSP violations", async ({ request, browser }) => {
  const stats = async () => ((await (await request.get("/api/health")).json()) as { pageCache: { hits: number; fills: number } }).pageCache;
  const before = await stats();
  const responses = [];
  for (let i = 0; i < 4; i++) responses.push(await page(await request.get(`/incidents/${incidentId}`)));
  // Rendered once through the server itself (the fill), then answered from the copy.
  const after = await stats();
  expect(after.fills - before.fills).toBeLessThanOrEqual(1);
  expect(after.hits - before.hits).toBeGreaterThanOrEqual(3);
  expect(new Set(responses.map((r) => r.nonce)).size).toBe(4);
  for (const r of responses.slice(1)) expect(r.normalised).toBe(responses[0]!.normalised);
  expect(responses[0]!.html).toContain("page cache e2e");

  // In a browser, twice (the second visit surely from the cache): scripts run, nothing refused.
  const context = await browser.newContext();
  for (let i = 0; i < 2; i++) {
    const p = await context.newPage();
    expect(await cspViolationsOnVisit(p, `/incidents/${incidentId}`)).toEqual([]);
    await expect(p.getByRole("heading", { level: 1, name: "page cache e2e" })).toBeVisible();
    // Hydrated: a client component fetched its data after load.
    await expect(p.locator("section[aria-labelledby=similar-heading]")).toBeVisible();
    await p.close();
  }
  await context.close();
});

test("each role gets its own page, from the first request and from the cache", async ({ request, browser }) => {
  const tag = `${Date.now()}`;
  const viewer = await signedInContext(browser, await createAccount(request, "viewer", tag));
  const editor = await signedInContext(browser, await createAccount(request, "editor", tag));
  for (let i = 0; i < 2; i++) {
    const asViewer = await page(await viewer.request.get(`/incidents/${incidentId}`));
    const asEditor = await page(await editor.request.get(`/incidents/${incidentId}`));
    expect(asViewer.html).not.toContain('data-testid="share-panel"');
    expect(asViewer.html).toContain(`viewer ${tag}`);
    expect(asViewer.html).not.toContain(`editor ${tag}`);
    expect(asEditor.html).toContain('data-testid="share-panel"');
    expect(asEditor.html).toContain(`editor ${tag}`);
  }
  // Signed out: nothing from the cache, the page sends the visitor to the login.
  const anonymous = await browser.newContext({ storageState: NO_STATE });
  const res = await anonymous.request.get(`/incidents/${incidentId}`, { maxRedirects: 0 });
  expect(res.status()).toBeGreaterThanOrEqual(300);
  expect(res.status()).toBeLessThan(400);
  expect(res.headers()["location"]).toContain("/login");
  await Promise.all([viewer.close(), editor.close(), anonymous.close()]);
});

test("a share page: the same page with a new nonce each time; a draft edit shows on the next request; revoked: 404 at once", async ({ request, playwright }) => {
  const created = await request.post(`/api/incidents/${incidentId}/shares`, { data: {} });
  expect(created.status()).toBe(201);
  const { token, id } = (await created.json()) as { token: string; id: string };
  const anon = await playwright.request.newContext({ baseURL: test.info().project.use.baseURL, storageState: NO_STATE });
  const first = await page(await anon.get(`/s/${token}`));
  const second = await page(await anon.get(`/s/${token}`));
  expect(second.nonce).not.toBe(first.nonce);
  // (The first view may have generated the draft: compare the next two.)
  const third = await page(await anon.get(`/s/${token}`));
  expect(third.normalised).toBe(second.normalised);

  const marker = `Edited for the page cache ${Date.now()}`;
  const edit = await request.put(`/api/incidents/${incidentId}/draft`, { data: { sections: { summary: marker } } });
  expect(edit.status(), await edit.text()).toBe(200);
  expect((await page(await anon.get(`/s/${token}`))).html).toContain(marker);
  expect(((await (await anon.get(`/api/s/${token}`)).json()) as { draft: { markdown: string } }).draft.markdown).toContain(marker);

  expect((await request.delete(`/api/incidents/${incidentId}/shares/${id}`)).status()).toBe(204);
  const revoked = await anon.get(`/s/${token}`);
  expect(revoked.status()).toBe(404);
  expect(await revoked.text()).not.toContain(marker);
  await anon.dispose();
});
