import { expect, test } from "@playwright/test";
import { SHOTS, uploadScenario } from "./helpers";

test("latency: log-scale histograms with percentiles per phase, slow-vs-fast comparison", async ({ page, request }) => {
  const id = await uploadScenario(request, "seed-001-ambient-rollout-503");
  await page.goto(`/incidents/${id}/latency`);
  await expect(page.getByRole("link", { name: "Latency" })).toHaveAttribute("aria-current", "page");
  const service = page.getByLabel("Service");
  await expect(service).toBeVisible();
  await expect(page.locator(".recharts-surface").first()).toBeVisible();
  await expect(page.getByRole("table").first()).toContainText("p99");
  await expect(page.locator("section[aria-labelledby=differs-heading]")).toContainText(/slowest 5%|not enough requests/);
  await page.screenshot({ path: `${SHOTS}/latency.png`, fullPage: true });
  // The selected service is in the URL.
  const options = await service.locator("option").allTextContents();
  if (options.length > 1) {
    const value = await service.locator("option").nth(1).getAttribute("value");
    await service.selectOption(value!);
    await page.waitForURL(/service=/);
    await expect(page.getByLabel("Service")).toHaveValue(value!);
  }
});

