import { expect, test } from "@playwright/test";

// UI smoke tests: the list, upload and incident pages work together through the real API.

test("upload a folder from the New incident page, then land on the live incident page", async ({ page }) => {
  await page.goto("/incidents/new");
  await expect(page.getByRole("heading", { name: "New incident" })).toBeVisible();
  await expect(page.getByText("Limits on this server")).toBeVisible();

  await page.getByLabel("Choose folder").setInputFiles("tests/fixtures/public/ztunnel");
  const selected = page.getByRole("list", { name: "Selected files" });
  await expect(selected.getByRole("listitem").first()).toContainText("ztunnel/");

  const title = `UI e2e ${Date.now()}`;
  await page.getByLabel(/Title/).fill(title);
  await page.getByRole("button", { name: "Upload and analyse" }).click();

  await page.waitForURL(/\/incidents\/(?!new$)[^/]+$/);
  await expect(page.getByRole("heading", { level: 1, name: title })).toBeVisible();
  // The run ends on its own (polling stops) with a terminal status.
  await expect(page.locator("section[aria-labelledby=run-heading]")).toContainText(/completed|partial|failed/);
  await expect(page.getByRole("heading", { name: "Files" })).toBeVisible();

  // The list shows it, and the text filter narrows to it through the URL.
  await page.goto("/");
  await page.getByLabel("Search").fill(title);
  await page.waitForURL(/q=/);
  await expect(page.getByRole("link", { name: title })).toBeVisible();
});

test("a server error keeps the selection and is announced", async ({ page }) => {
  await page.route("**/api/incidents", (route) =>
    route.request().method() === "POST"
      ? route.fulfill({ status: 422, contentType: "application/json", body: JSON.stringify({ error: { code: "invalid_manifest", message: "bundle.yaml: unknown key \"titel\"" } }) })
      : route.continue(),
  );
  await page.goto("/incidents/new");
  await page.getByLabel("Choose files").setInputFiles("tests/fixtures/public/SOURCES.md");
  await page.getByRole("button", { name: "Upload and analyse" }).click();
  const alert = page.getByRole("alert").filter({ hasText: "Upload failed" });
  await expect(alert).toContainText('unknown key "titel"');
  await expect(page.getByRole("list", { name: "Selected files" })).toContainText("SOURCES.md");
  await expect(page.getByRole("button", { name: "Retry upload" })).toBeEnabled();
});

test("sorting the incident list writes aria-sort and the URL", async ({ page }) => {
  await page.goto("/");
  await page.getByRole("button", { name: /^Title/ }).click();
  await page.waitForURL(/sort=title/);
  await expect(page.locator("th[aria-sort=ascending]")).toContainText("Title");
});

test("an unknown incident is a 404 page that says what to do", async ({ page }) => {
  const res = await page.goto("/incidents/does-not-exist");
  expect(res?.status()).toBe(404);
  await expect(page.getByRole("link", { name: "Back to incidents" })).toBeVisible();
});
