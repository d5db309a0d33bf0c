import { expect, test } from "@playwright/test";
import { SHOTS, uploadScenario } from "./helpers";

test("overview: window, impact figures, ranked hypotheses with evidence links, tabs", async ({ page, request }) => {
  const id = await uploadScenario(request, "seed-001-ambient-rollout-503");
  await page.goto(`/incidents/${id}`);
  await expect(page.getByRole("navigation", { name: "Incident views" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Overview" })).toHaveAttribute("aria-current", "page");
  const impact = page.locator("section[aria-labelledby=impact-heading]");
  await expect(impact).toContainText("Peak error rate");
  await expect(impact).toContainText("Requests failed");
  await expect(impact.getByRole("table")).toContainText(/httpbin/);
  await expect(page.locator("section[aria-labelledby=hyp-heading]")).toContainText("confidence");
  const failed = impact.getByRole("link").filter({ hasText: /^[0-9,]+$/ }).first();
  await expect(failed).toHaveAttribute("href", /\/timeline\?/);
  const evidence = page.locator("a[href*='/timeline?file=']").first();
  await expect(evidence).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/overview.png`, fullPage: true });
  for (const tab of ["Timeline", "Latency", "Rules", "Traces", "Network", "Draft"]) {
    await expect(page.getByRole("link", { name: tab, exact: true })).toHaveAttribute("href", new RegExp(`/incidents/${id}/${tab.toLowerCase()}$`));
  }
});


test("overview: where the fault started, linked to its hypothesis card (seed-000: traces name the service, a mechanism ranks above)", async ({ page, request }) => {
  const id = await uploadScenario(request, "seed-000-mesh-iptables-reorder");
  const { origin } = (await (await request.get(`/api/incidents/${id}/overview`)).json()) as { origin: { service: string; rank: number; confidence: number } | null };
  expect(origin).not.toBeNull();
  await page.goto(`/incidents/${id}`);
  const line = page.getByRole("group", { name: "Where it started" });
  await expect(line).toContainText(origin!.service);
  await expect(line).toContainText(`${Math.round(origin!.confidence * 100)}% confidence`);
  await expect(line).toContainText("Where it shows first, under #1");
  await line.getByRole("link", { name: `hypothesis #${origin!.rank}` }).click();
  await expect(page).toHaveURL(new RegExp(`#hyp-${origin!.rank}$`));
  await expect(page.locator(`#hyp-${origin!.rank}`)).toContainText(origin!.service);
});
