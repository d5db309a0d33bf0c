import fs from "node:fs";
import path from "node:path";
import { expect, test, type APIRequestContext } from "@playwright/test";

const SHOTS = "test-results/screens";
fs.mkdirSync(SHOTS, { recursive: true });

/** Uploads a scenario folder through the API (as a folder drop would) and waits for the run. */
async function uploadScenario(request: APIRequestContext, name: string): Promise<string> {
  const root = path.join("tests/fixtures/scenarios", name);
  const walk = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
  const form = new FormData();
  form.set("title", `${name} (timeline e2e)`);
  for (const f of walk(root).filter((f) => !f.endsWith("expect.json"))) form.append("files", new Blob([fs.readFileSync(f)]), `${name}/${path.relative(root, f)}`);
  const res = await request.post("/api/incidents", { multipart: form });
  expect(res.status()).toBeLessThan(300);
  const { id } = (await res.json()) as { id: string };
  await expect.poll(async () => ((await (await request.get(`/api/incidents/${id}`)).json()) as { run?: { status: string } }).run?.status, { timeout: 90_000 }).toMatch(/completed|partial/);
  return id;
}

test("timeline: rate chart, virtualised records, evidence link lands on the record in context", async ({ page, request }) => {
  const id = await uploadScenario(request, "seed-001-ambient-rollout-503");
  const incident = (await (await request.get(`/api/incidents/${id}`)).json()) as { hypotheses: Array<{ evidence: Array<{ file: string; line?: number | null }> }> };
  const cite = incident.hypotheses.flatMap((h) => h.evidence).find((e) => e.line != null)!;
  expect(cite).toBeTruthy();

  // From the overview, follow the evidence link.
  await page.goto(`/incidents/${id}`);
  await page.getByRole("link", { name: `${cite.file}:${cite.line}` }).first().click();
  await page.waitForURL(/\/timeline\?.*record=\d+/);
  const recordId = new URL(page.url()).searchParams.get("record")!;
  const row = page.locator(`[data-record-id="${recordId}"]`);
  await expect(row).toBeVisible();
  await expect(row).toHaveAttribute("aria-selected", "true");
  await expect(row).toContainText("evidence");
  await expect(page.getByRole("link", { name: "Timeline" })).toHaveAttribute("aria-current", "page");
  await expect(page.getByRole("complementary", { name: "Selected record" })).toContainText(cite.file);
  // Virtualised: a bounded number of rows in the DOM however many are loaded.
  expect(await page.locator('[role="option"]').count()).toBeLessThan(120);
  await expect(page.locator(".recharts-surface").first()).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/timeline.png`, fullPage: true });

  // Keyboard: ↓ selects the next record and the URL follows.
  await page.getByRole("listbox", { name: "Timeline records" }).focus();
  await page.keyboard.press("ArrowDown");
  await expect.poll(() => new URL(page.url()).searchParams.get("record")).not.toBe(recordId);

  // Filters live in the URL.
  await page.getByLabel("Severity").selectOption("error,critical");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.waitForURL(/severity=error%2Ccritical|severity=error,critical/);
  await expect(page.locator('[role="option"]').first()).toBeVisible();
  await page.reload();
  await expect(page.getByLabel("Severity")).toHaveValue("error,critical");
});
