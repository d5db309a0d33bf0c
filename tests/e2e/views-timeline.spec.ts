import { expect, test } from "@playwright/test";
import { SHOTS, uploadScenario } from "./helpers";

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
