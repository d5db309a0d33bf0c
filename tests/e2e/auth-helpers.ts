import { expect, type APIRequestContext, type Browser, type BrowserContext } from "@playwright/test";

/** The admin the global setup creates on the fresh e2e server. */
export const ADMIN = { name: "E2E Admin", email: "admin@e2e.test", password: "e2e-admin-password-1" };
export const NO_STATE = { cookies: [], origins: [] };

/** Creates an account as the admin (the `request` fixture carries the admin's cookie). */
export async function createAccount(request: APIRequestContext, role: "admin" | "editor" | "viewer", tag = `${Date.now()}`): Promise<{ email: string; password: string; name: string }> {
  const account = { name: `${role} ${tag}`, email: `${role}-${tag}@e2e.test`, password: `${role}-password-${tag}` };
  const res = await request.post("/api/users", { data: { ...account, role } });
  expect(res.status(), await res.text()).toBe(201);
  return account;
}

/** A browser context signed in as `account` through the login page (nothing inherited from the admin). */
export async function signedInContext(browser: Browser, account: { email: string; password: string }): Promise<BrowserContext> {
  const context = await browser.newContext({ storageState: NO_STATE });
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.pathname === "/");
  await page.close();
  return context;
}
