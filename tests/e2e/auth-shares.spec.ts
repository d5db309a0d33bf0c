import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { uploadScenario } from "./helpers";
import { ADMIN, createAccount, NO_STATE, signedInContext } from "./auth-helpers";

/**
 * Issue 7 (accounts, roles, share links) end to end in Chromium against `npm start`, plus the
 * hostile-input rows 15–20 and 28 over real HTTP. The default context is the admin (global setup).
 */
const dataDir = process.env.E2E_DATA_DIR!;
// Screenshots for a human look (light and dark); E2E_SHOTS_DIR keeps them out of Playwright's cleaned output dir.
const SHOTS = process.env.E2E_SHOTS_DIR || "test-results/screens";
let incidentId = "";

test.beforeAll(async ({ request }) => {
  incidentId = await uploadScenario(request, "seed-003-conntrack-snat-race", "auth e2e conntrack");
});

async function share(request: APIRequestContext, body: unknown = {}): Promise<{ token: string; url: string; id: string }> {
  const res = await request.post(`/api/incidents/${incidentId}/shares`, { data: body });
  expect(res.status(), await res.text()).toBe(201);
  return (await res.json()) as { token: string; url: string; id: string };
}

/** Every control that could change something; a read-only page has none of them. */
async function editControls(page: Page): Promise<number> {
  return page.locator("main textarea, main input:not([type=hidden]), main select, main form").count();
}

test("a viewer cannot edit: no upload, draft, clock-skew or share controls, and every write API says 403", async ({ browser, request }) => {
  const viewer = await createAccount(request, "viewer");
  const context = await signedInContext(browser, viewer);
  const page = await context.newPage();

  await page.goto("/");
  await expect(page.getByTestId("user-role")).toHaveText("viewer");
  await expect(page.getByRole("link", { name: "New incident" })).toHaveCount(0);

  await page.goto(`/incidents/${incidentId}`);
  await expect(page.getByRole("heading", { name: "Hypotheses" })).toBeVisible();
  await expect(page.getByTestId("share-panel")).toHaveCount(0);

  await page.goto(`/incidents/${incidentId}/draft`);
  await expect(page.getByTestId("section-summary")).toBeVisible();
  await expect(page.locator("textarea")).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Regenerate from analysis" })).toHaveCount(0);

  await page.goto(`/incidents/${incidentId}/timeline`);
  await page.getByText("Clock-skew corrections").click();
  await expect(page.getByRole("button", { name: /Set clock skew/ })).toHaveCount(0);

  await page.goto("/incidents/new");
  await expect(page.getByRole("heading", { name: "Not allowed" })).toBeVisible();
  await expect(page.getByLabel("Choose files")).toHaveCount(0);
  await page.goto("/admin/users");
  await expect(page.getByRole("heading", { name: "Not allowed" })).toBeVisible();

  // The browser's own session, straight at the API: reads work, writes are refused.
  const api = context.request;
  expect((await api.get(`/api/incidents/${incidentId}`)).status()).toBe(200);
  expect((await api.post(`/api/incidents/${incidentId}/reanalyze`)).status()).toBe(403);
  expect((await api.put(`/api/incidents/${incidentId}/draft`, { data: { sections: { summary: "viewer was here" } } })).status()).toBe(403);
  expect((await api.post(`/api/incidents/${incidentId}/shares`, { data: {} })).status()).toBe(403);
  expect((await api.post("/api/users", { data: { name: "x", email: "x@e2e.test", password: "12345678", role: "admin" } })).status()).toBe(403);
  const draft = (await (await api.get(`/api/incidents/${incidentId}/draft`)).json()) as { sections: Array<{ markdown: string }> };
  expect(JSON.stringify(draft)).not.toContain("viewer was here");
  await context.close();
});

test("admin: add an account on /admin/users with the keyboard, change its role, remove it; login page and account page render in light and dark", async ({ page, browser }) => {
  await page.goto("/admin/users");
  await expect(page.getByRole("heading", { name: "Users" })).toBeVisible();
  const email = `kb-${Date.now()}@e2e.test`;
  await page.getByLabel("Name").fill("Keyboard User");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Initial password").fill("keyboard-password");
  await page.getByLabel("Role", { exact: true }).selectOption("editor");
  await page.getByLabel("Role", { exact: true }).press("Tab");
  await page.keyboard.press("Enter");
  const row = page.getByTestId(`user-${email}`);
  await expect(row).toContainText("Keyboard User");
  await expect(row.getByLabel(`Role of ${email}`)).toHaveValue("editor");
  await row.getByLabel(`Role of ${email}`).selectOption("viewer");
  await expect(page.getByRole("status")).toContainText(`${email} is now viewer`);
  await page.screenshot({ path: `${SHOTS}/admin-users.png`, fullPage: true });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: `${SHOTS}/admin-users-dark.png`, fullPage: true });
  page.once("dialog", (d) => void d.accept());
  await row.getByRole("button", { name: `Remove ${email}` }).click();
  await expect(page.getByTestId(`user-${email}`)).toHaveCount(0);

  await page.goto("/account");
  await expect(page.getByRole("heading", { name: "API tokens" })).toBeVisible();
  await page.getByLabel("Token name").fill("laptop");
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByTestId("api-token")).toHaveValue(/^hst_[A-Za-z0-9_-]{43}$/);
  await page.screenshot({ path: `${SHOTS}/account-dark.png`, fullPage: true });

  const anon = await browser.newContext({ storageState: NO_STATE, colorScheme: "light" });
  const login = await anon.newPage();
  await login.goto("/incidents/new");
  await expect(login).toHaveURL(/\/login\?next=%2Fincidents%2Fnew$/);
  await expect(login.getByRole("navigation", { name: "Main" })).toHaveCount(0);
  await login.getByLabel("Email").fill(ADMIN.email);
  await login.getByLabel("Password").fill("wrong password");
  await login.getByRole("button", { name: "Sign in" }).click();
  await expect(login.getByRole("alert").filter({ hasText: "Wrong email or password" })).toBeVisible();
  await login.screenshot({ path: `${SHOTS}/login.png` });
  await login.getByLabel("Password").fill(ADMIN.password);
  await login.getByLabel("Password").press("Enter");
  await expect(login).toHaveURL(/\/incidents\/new$/);
  await login.getByRole("button", { name: "Sign out" }).click();
  await expect(login).toHaveURL(/\/login$/);
  await anon.close();
});

test("row 28: upload → progress → hypothesis → share link opened in a fresh browser context → read-only view, no edit controls; 404 after revocation", async ({ browser, page }) => {
  await page.goto("/incidents/new");
  await page.getByLabel("Choose folder").setInputFiles("tests/fixtures/scenarios/seed-002-ipvs-stale-backends");
  const title = `row 28 ${Date.now()}`;
  await page.getByLabel(/Title/).fill(title);
  await page.getByRole("button", { name: "Upload and analyse" }).click();
  await page.waitForURL(/\/incidents\/(?!new$)[^/]+$/);
  const run = page.locator("section[aria-labelledby=run-heading]");
  await expect(run).toBeVisible();
  await expect(run).toContainText(/completed|partial/, { timeout: 120_000 });
  const topHypothesis = page.locator("section[aria-labelledby=hyp-heading] ol > li").first();
  await expect(topHypothesis).toContainText(/IPVS|ipvs/);

  const panel = page.getByTestId("share-panel");
  await panel.getByLabel("Expiry").selectOption({ label: "7 days" });
  await panel.getByRole("button", { name: "Create share link" }).click();
  const url = await panel.getByTestId("share-url").inputValue();
  await panel.screenshot({ path: `${SHOTS}/share-panel.png` });
  // The link names the host the user reached the app by (not the address the server bound to).
  expect(url.startsWith(`${new URL(page.url()).origin}/s/`)).toBe(true);
  expect(url).toMatch(/\/s\/[A-Za-z0-9_-]{43}$/);
  await expect(panel.getByTestId("share-list").locator("tbody tr")).toHaveCount(1);
  await expect(panel.getByTestId("share-list")).toContainText(ADMIN.name);

  const fresh = await browser.newContext({ storageState: NO_STATE });
  const visitor = await fresh.newPage();
  const response = await visitor.goto(url);
  expect(response!.status()).toBe(200);
  expect(response!.headers()["cache-control"]).toContain("no-store");
  await expect(visitor.getByRole("heading", { level: 1, name: title, exact: true })).toBeVisible();
  await expect(visitor.getByText("Shared read-only view")).toBeVisible();
  await expect(visitor.locator("section[aria-labelledby=hyp-heading] ol > li").first()).toContainText(/IPVS|ipvs/);
  await expect(visitor.getByTestId("shared-draft")).toContainText(/\S/);
  expect(await editControls(visitor)).toBe(0);
  for (const name of [/Regenerate/, /Upload/, /Create share/, /Revoke/, /Sign out/, /set/i]) await expect(visitor.getByRole("button", { name })).toHaveCount(0);
  await expect(visitor.locator('a[href^="/incidents"]')).toHaveCount(0);
  await visitor.screenshot({ path: `${SHOTS}/shared-incident.png`, fullPage: true });
  // The visitor's cookie jar holds no session: the app itself stays closed to them.
  const app = await visitor.goto("/");
  expect(new URL(visitor.url()).pathname).toBe("/login");
  expect(app!.status()).toBe(200);

  await panel.getByRole("button", { name: /Revoke/ }).click();
  await expect(panel.getByText("No active share links.")).toBeVisible();
  const after = await visitor.goto(url);
  expect(after!.status()).toBe(404);
  await expect(visitor.getByRole("heading", { name: "Link not available" })).toBeVisible();
  await expect(visitor.getByText(title)).toHaveCount(0);
  await fresh.close();
});

test("rows 15 and 16: guessed, sequential, empty, literal, revoked and expired tokens all get the same 404 — at once, never cached", async ({ playwright, browser, request }) => {
  const anon = await playwright.request.newContext({ baseURL: test.info().project.use.baseURL, storageState: NO_STATE });
  const link = await share(request);
  expect(link.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  const other = await share(request);
  expect(other.token).not.toBe(link.token);
  expect((await anon.get(`/api/s/${link.token}`)).status()).toBe(200);

  const last = link.token.at(-1)!;
  const sequential = `${link.token.slice(0, -1)}${last === "A" ? "B" : "A"}`;
  const soon = await share(request, { expiresAt: new Date(Date.now() + 2_000).toISOString() });
  const revoked = await share(request);
  expect((await request.delete(`/api/incidents/${incidentId}/shares/${revoked.id}`)).status()).toBe(204);
  await new Promise((r) => setTimeout(r, 2_500));

  const bad = ["", ":token", "%3Atoken", "1", "2", sequential, "A".repeat(43), `${link.token}/${incidentId}`, revoked.token, soon.token];
  const apiBodies = new Set<string>();
  for (const t of bad) {
    // (`/api/s/` first redirects to `/api/s`, like any trailing slash; then the same 404.)
    const res = await anon.get(`/api/s/${t}`);
    expect(res.status(), `/api/s/${t}`).toBe(404);
    expect(res.headers()["cache-control"]).toContain("no-store");
    apiBodies.add(await res.text());
  }
  expect(apiBodies.size).toBe(1);

  const context = await browser.newContext({ storageState: NO_STATE });
  const page = await context.newPage();
  const pageTexts = new Set<string>();
  for (const t of bad) {
    const res = await page.goto(`/s/${t}`);
    expect(res!.status(), `/s/${t}`).toBe(404);
    expect(res!.headers()["cache-control"]).toContain("no-store");
    pageTexts.add(await page.locator("main").innerText());
  }
  expect(pageTexts.size).toBe(1);
  expect([...pageTexts][0]).toContain("Link not available");
  await context.close();
  await anon.dispose();
});

test("row 17: a share token is read-only and scoped to its incident", async ({ playwright, request }) => {
  const anon = await playwright.request.newContext({ baseURL: test.info().project.use.baseURL, storageState: NO_STATE });
  const link = await share(request);
  for (const method of ["post", "put", "patch", "delete"] as const) {
    expect((await anon[method](`/api/s/${link.token}`, { data: {} })).status(), method).toBe(403);
  }
  const bearer = { Authorization: `Bearer ${link.token}` };
  expect((await anon.post(`/api/incidents/${incidentId}/reanalyze`, { headers: bearer })).status()).toBe(403);
  expect((await anon.put(`/api/incidents/${incidentId}/draft`, { headers: bearer, data: { sections: {} } })).status()).toBe(403);
  expect((await anon.post(`/api/incidents/${incidentId}/shares`, { headers: bearer, data: {} })).status()).toBe(403);
  const list = (await (await request.get("/api/incidents?pageSize=200")).json()) as { items: Array<{ id: string }> };
  const otherIncident = list.items.find((i) => i.id !== incidentId)!.id;
  expect((await anon.get(`/api/incidents/${otherIncident}`, { headers: bearer })).status()).toBe(403);
  expect((await anon.get(`/api/s/${link.token}/${otherIncident}`)).status()).toBe(404);
  expect((await request.delete(`/api/incidents/${otherIncident}/shares/${link.id}`)).status()).toBe(404);
  expect((await anon.get(`/api/s/${link.token}`)).status()).toBe(200);
  const listed = (await (await request.get(`/api/incidents/${incidentId}/shares`)).json()) as Array<{ id: string; lastUsedAt: string | null; createdBy: string }>;
  expect(listed.find((l) => l.id === link.id)?.lastUsedAt).not.toBeNull();
  await anon.dispose();
});

test("row 18: the shared page holds no secrets or internal paths, sends Referrer-Policy: no-referrer and loads nothing from another origin", async ({ browser, request }) => {
  const link = await share(request);
  const context = await browser.newContext({ storageState: NO_STATE });
  const page = await context.newPage();
  const origins = new Set<string>();
  page.on("request", (r) => origins.add(new URL(r.url()).origin));
  const res = await page.goto(link.url);
  expect(res!.status()).toBe(200);
  expect(res!.headers()["referrer-policy"]).toBe("no-referrer");
  await expect(page.getByTestId("shared-incident")).toBeVisible();
  await page.waitForLoadState("networkidle");
  expect([...origins]).toEqual([new URL(link.url).origin]);
  await expect(page.locator('meta[name="referrer"]')).toHaveAttribute("content", "no-referrer");
  const html = await res!.text();
  for (const secret of [dataDir, "/blobs/", "storageKey", ADMIN.email, incidentId]) expect(html, secret).not.toContain(secret);
  const json = await (await context.request.get(`/api/s/${link.token}`)).text();
  for (const secret of [dataDir, "/blobs/", "storageKey", ADMIN.email, incidentId]) expect(json, secret).not.toContain(secret);
  await context.close();
});

test("row 19: x-middleware-subrequest or no middleware at all changes nothing — the handlers and pages check the session", async ({ playwright }) => {
  const anon = await playwright.request.newContext({ baseURL: test.info().project.use.baseURL, storageState: NO_STATE });
  const sneaky = { "x-middleware-subrequest": "middleware:middleware:middleware:middleware:middleware", "x-middleware-subrequest-id": "1" };
  for (const path of ["/api/incidents", `/api/incidents/${incidentId}`, `/api/incidents/${incidentId}/draft`, "/api/users", "/api/search?q=x"]) {
    expect((await anon.get(path, { headers: sneaky })).status(), path).toBe(401);
  }
  expect((await anon.post(`/api/incidents/${incidentId}/reanalyze`, { headers: sneaky })).status()).toBe(401);
  const pageRes = await anon.get(`/incidents/${incidentId}`, { headers: sneaky, maxRedirects: 0 });
  expect([303, 307, 308]).toContain(pageRes.status());
  expect(pageRes.headers()["location"]).toMatch(/^\/login/);
  expect(await pageRes.text()).not.toContain("auth e2e conntrack");
  await anon.dispose();
});

test("row 20: cross-site POSTs (Origin: evil, Origin: null) are refused even with a valid session", async ({ request, baseURL }) => {
  for (const origin of ["https://evil.example", "null"]) {
    const headers = { Origin: origin };
    expect((await request.post(`/api/incidents/${incidentId}/reanalyze`, { headers })).status(), origin).toBe(403);
    expect((await request.post(`/api/incidents/${incidentId}/shares`, { headers, data: {} })).status(), origin).toBe(403);
    expect((await request.put(`/api/incidents/${incidentId}/draft`, { headers, data: { sections: {} } })).status(), origin).toBe(403);
    expect((await request.post("/api/users", { headers, data: { name: "x", email: "csrf@e2e.test", password: "12345678", role: "admin" } })).status(), origin).toBe(403);
    expect((await request.post("/api/auth/sign-in/email", { headers, data: { email: ADMIN.email, password: ADMIN.password } })).status(), origin).toBe(403);
  }
  // The app's own origin still works.
  expect((await request.post(`/api/incidents/${incidentId}/shares`, { headers: { Origin: new URL(baseURL!).origin }, data: {} })).status()).toBe(201);
});
