import { expect, test } from "@playwright/test";
import { SHOTS, uploadScenario } from "./helpers";

test("rule-order diff: before/after on the upgraded node, shadowed mesh rule, filters in the URL", async ({ page, request }) => {
  const id = await uploadScenario(request, "seed-000-mesh-iptables-reorder");
  await page.setViewportSize({ width: 1400, height: 1000 });
  await page.goto(`/incidents/${id}/rules`);
  await expect(page.getByText(/Before\/after on/)).toContainText("ip-10-0-3-21");
  const chain = page.getByRole("region", { name: /filter \/ KUBE-SERVICES/ });
  await expect(chain).toContainText("shadowed by");
  await expect(chain).toContainText("--dport 15001");
  await expect(chain.getByText("moved").first()).toBeVisible();
  // Every position links to the evidence line in the dump.
  const link = chain.getByRole("link", { name: /position \d+, .*iptables-save-c\.1432\.txt line \d+/ }).first();
  await expect(link).toHaveAttribute("href", /\/timeline\?file=.*iptables-save-c\.1432\.txt&line=\d+/);
  await page.screenshot({ path: `${SHOTS}/rules.png`, fullPage: true });

  // Filter to mesh chains: state goes into the URL and survives a reload.
  await page.getByText("Mesh (ISTIO_*, 15001/15006/15008)").click();
  await expect(page).toHaveURL(/filter=mesh/);
  await page.reload();
  await expect(page.getByRole("radio", { name: /Mesh/ })).toBeChecked();

  // Node vs node: the other node's dump on the left.
  await page.goto(`/incidents/${id}/rules`);
  const left = page.getByLabel(/Left dump/);
  const other = await left.locator("option", { hasText: "ip-10-0-1-11" }).getAttribute("value");
  await left.selectOption(other!);
  await expect(page).toHaveURL(new RegExp(`a=${other}`));
  await expect(page.getByText(/Node vs node:/)).toContainText("ip-10-0-1-11");
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: `${SHOTS}/rules-node-vs-node-dark.png`, fullPage: true });
});

test("rule-order diff: an incident without iptables dumps says what to add", async ({ page, request }) => {
  const id = await uploadScenario(request, "seed-003-conntrack-snat-race");
  await page.goto(`/incidents/${id}/rules`);
  const empty = page.getByRole("status").filter({ hasText: "No iptables dumps in this bundle" });
  await expect(empty).toContainText("before and after the change");
});
