import { expect, test } from "@playwright/test";
import { SHOTS, uploadScenario } from "./helpers";

test("network: IPVS stale backends flagged per node (seed-002)", async ({ page, request }) => {
  const id = await uploadScenario(request, "seed-002-ipvs-stale-backends");
  await page.setViewportSize({ width: 1400, height: 1000 });
  await page.goto(`/incidents/${id}/network`);
  await expect(page.getByRole("region", { name: "ip-10-12-1-55" })).toContainText("STALE");
  await expect(page.getByRole("region", { name: "ip-10-12-1-41" })).toContainText("no stale backends");
  await expect(page.getByText("No conntrack statistics in this bundle")).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/network-ipvs.png`, fullPage: true });
  // Controlled by the URL: the box follows once the filtered page is back.
  await page.getByLabel("Only virtual services with stale backends").click();
  await expect(page).toHaveURL(/stale=1/);
  await expect(page.getByLabel("Only virtual services with stale backends")).toBeChecked();
  await expect(page.getByRole("region", { name: "ip-10-12-1-41" })).toContainText("No virtual services to show");
});

test("network: conntrack insert_failed deltas per node (seed-003)", async ({ page, request }) => {
  const id = await uploadScenario(request, "seed-003-conntrack-snat-race");
  await page.setViewportSize({ width: 1400, height: 1000 });
  await page.goto(`/incidents/${id}/network`);
  await expect(page.getByText("No IPVS dumps in this bundle")).toBeVisible();
  await expect(page.locator(".recharts-dot").first()).toBeVisible();
  const table = page.getByRole("table", { name: /ip-192-168-12-7/ });
  await expect(table).toContainText("Δ insert_failed");
  const cell = table.getByRole("link").first();
  await expect(cell).toHaveAttribute("href", /\/timeline\?file=.*conntrack-S\.txt&line=\d+/);
  await page.screenshot({ path: `${SHOTS}/network.png`, fullPage: true });
  await page.locator("label", { hasText: /^drop$/ }).click();
  await expect(page).toHaveURL(/counters=/);
  await expect(page.getByRole("checkbox", { name: "drop", exact: true })).not.toBeChecked();
  await expect(table).not.toContainText("Δ drop");
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: `${SHOTS}/network-dark.png`, fullPage: true });
});
