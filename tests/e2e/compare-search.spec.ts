import { expect, test, type Page } from "@playwright/test";
import { SHOTS, uploadScenario } from "./helpers";

// Issue 7 B: compare incidents, search across incidents, similar past incidents — in real Chromium
// against the production server and real seed scenarios.

const RUN = `${Date.now()}`;
const TITLES = {
  reorder: `cmp ${RUN} iptables reorder`,
  rollout: `cmp ${RUN} ambient rollout`,
  baseline: `cmp ${RUN} healthy baseline`,
};
const ids: Partial<Record<keyof typeof TITLES, string>> = {};

test.describe.configure({ mode: "serial" });

test.beforeAll(async ({ request }) => {
  test.setTimeout(300_000);
  ids.reorder = await uploadScenario(request, "seed-000-mesh-iptables-reorder", TITLES.reorder);
  ids.rollout = await uploadScenario(request, "seed-001-ambient-rollout-503", TITLES.rollout);
  ids.baseline = await uploadScenario(request, "healthy-baseline", TITLES.baseline);
});

/** Full page in light and dark (scrolled to the top first: the sticky top bar would sit mid-page). */
async function shots(page: Page, name: string) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: `${SHOTS}/${name}-dark.png`, fullPage: true });
  await page.emulateMedia({ colorScheme: "light" });
}

test("compare: pick two seed incidents on the list, see them side by side; the URL reproduces it", async ({ page }) => {
  await page.goto(`/?q=${encodeURIComponent(`cmp ${RUN}`)}`);
  await page.getByRole("checkbox", { name: `Select ${TITLES.reorder} for comparison` }).check();
  await page.getByRole("checkbox", { name: `Select ${TITLES.rollout} for comparison` }).check();
  await page.getByRole("link", { name: "Compare 2" }).click();
  await page.waitForURL(/\/compare\?ids=/);
  expect(new URL(page.url()).searchParams.get("ids")?.split(",").sort()).toEqual([ids.reorder, ids.rollout].sort());

  const figures = page.getByRole("region", { name: "Key figures" });
  await expect(figures.getByRole("columnheader", { name: new RegExp(TITLES.reorder) })).toBeVisible();
  await expect(figures.getByRole("columnheader", { name: new RegExp(TITLES.rollout) })).toBeVisible();
  await expect(figures.getByRole("row", { name: /Peak error rate/ })).toContainText("%");
  await expect(figures.getByRole("row", { name: /Duration/ })).toContainText(/\d+ (s|min)/);

  const aligned = page.getByRole("region", { name: "Timelines aligned at onset" });
  await expect(aligned.getByRole("img", { name: /records from/ })).toHaveCount(2);
  await expect(aligned.getByRole("table")).toContainText("Onset (detected)");
  await expect(aligned.getByRole("table")).toContainText("+0 s");

  const hyp = page.getByRole("region", { name: "Hypotheses and detectors" });
  await expect(hyp.getByRole("row", { name: /error-burst-after-change/ })).toContainText("in all 2");
  await expect(hyp.getByRole("row", { name: /iptables-rule-order/ })).toContainText("not found");

  await expect(page.getByRole("region", { name: "iptables rules across incidents" })).toContainText(`Only “${TITLES.reorder}” has iptables dumps`);
  const latency = page.getByRole("region", { name: "Latency distributions overlaid" });
  await expect(latency.getByRole("img", { name: /Latency histograms of the compared incidents/ })).toBeVisible();
  await expect(latency.getByRole("table")).toContainText(TITLES.rollout);
  await shots(page, "compare-two");
  // For the README: the top of the page at a readable size.
  await page.setViewportSize({ width: 1280, height: 1500 });
  await page.screenshot({ path: `${SHOTS}/docs-compare.png` });
  await page.setViewportSize({ width: 1280, height: 720 });

  // The address alone reproduces the comparison.
  const url = page.url();
  await page.goto("/");
  await page.goto(url);
  await expect(page.getByRole("region", { name: "Key figures" }).getByRole("columnheader", { name: new RegExp(TITLES.rollout) })).toBeVisible();
});

test("compare: add a third by keyboard; iptables diff across incidents; the service and dumps live in the URL", async ({ page }) => {
  await page.goto(`/compare?ids=${ids.reorder},${ids.rollout}`);
  const add = page.getByLabel("Add an incident");
  await add.focus();
  await add.selectOption(ids.baseline!);
  await page.keyboard.press("Tab");
  await expect(page.getByRole("button", { name: "Add", exact: true })).toBeFocused();
  await page.keyboard.press("Enter");
  await page.waitForURL(new RegExp(`ids=${ids.reorder},${ids.rollout},${ids.baseline}`));

  const rules = page.getByRole("region", { name: "iptables rules across incidents" });
  await expect(rules.getByRole("heading", { level: 3 }).first()).toBeVisible();
  await expect(rules).toContainText(TITLES.baseline);
  await expect(rules.getByRole("table").first()).toContainText(/moved|added|removed/);
  await rules.getByRole("button", { name: "Swap sides" }).click();
  await page.waitForURL(/ra=\d+&rb=\d+|rb=\d+&ra=\d+/);

  const latency = page.getByRole("region", { name: "Latency distributions overlaid" });
  await latency.getByLabel("Service").selectOption("checkout");
  await page.waitForURL(/service=checkout/);
  await expect(latency.getByRole("table")).toContainText("window");
  await shots(page, "compare-three");
  // Zoom the aligned timelines to 2 minutes after onset: kept in the URL.
  await page.getByLabel("Time after onset").selectOption("2");
  await page.waitForURL(/span=2/);
  await expect(page.getByRole("region", { name: "Timelines aligned at onset" })).toContainText("−30 s to +2 min");

  // Removing one keeps the others.
  await page.getByRole("button", { name: `Remove ${TITLES.baseline} from the comparison` }).click();
  await page.waitForURL((u) => u.searchParams.get("ids") === `${ids.reorder},${ids.rollout}`);
});

test("compare: one id asks for another, unknown ids and more than four are refused with what to do", async ({ page }) => {
  await page.goto(`/compare?ids=${ids.reorder}`);
  await expect(page.getByRole("status")).toContainText("Pick one more incident to compare");
  await page.goto(`/compare?ids=${ids.reorder},does-not-exist`);
  await expect(page.getByRole("alert").filter({ hasText: "Unknown incident" })).toContainText("No incident with id does-not-exist");
  await expect(page.getByText("unknown id does-not-exist")).toBeVisible();
  await page.goto(`/compare?ids=${ids.reorder},${ids.rollout},${ids.baseline},x4,x5`);
  await expect(page.getByRole("alert").filter({ hasText: "Cannot compare these" })).toContainText("At most 4 incidents");
  const api = await page.request.get(`/api/compare?ids=${ids.reorder}`);
  expect(api.status()).toBe(422);
  const ok = await page.request.get(`/api/compare?ids=${ids.reorder},${ids.rollout}`);
  expect(ok.status()).toBe(200);
  expect(((await ok.json()) as { commonDetectors: string[] }).commonDetectors).toContain("error-burst-after-change");
});

test("search: finds an incident by a detector and by a word of its draft; results link to the match", async ({ page }) => {
  await page.goto("/search");
  await expect(page.getByRole("status")).toContainText("Type a word or choose a filter");
  await page.getByLabel("Detector").selectOption("endpoint-removal-race");
  await page.getByRole("button", { name: "Search" }).click();
  await page.waitForURL(/detector=endpoint-removal-race/);
  const results = page.getByRole("region", { name: "Results" });
  const byDetector = results.getByRole("row", { name: new RegExp(TITLES.rollout) });
  await expect(byDetector).toContainText("detector endpoint-removal-race (#1");
  await expect(results.getByRole("row", { name: new RegExp(TITLES.reorder) })).toHaveCount(0);

  // "preStop" is in seed-001's draft (what to confirm) only — not its title, timeline or hypothesis text.
  await page.getByRole("button", { name: "Clear" }).click();
  await page.waitForURL((u) => u.pathname === "/search" && u.search === "");
  await page.getByLabel("Text").fill("prestop");
  await page.getByLabel("Text").press("Enter");
  await page.waitForURL(/q=prestop/);
  const draftRow = results.getByRole("row", { name: new RegExp(TITLES.rollout) });
  await expect(draftRow).toContainText("draft");
  await expect(draftRow).toContainText("Draft — Root cause");
  await expect(draftRow.locator("mark")).toHaveText("preStop");
  await shots(page, "search");
  await draftRow.getByRole("link", { name: /Draft — Root cause/ }).click();
  await page.waitForURL(new RegExp(`/incidents/${ids.rollout}/draft$`));

  // A human timeline entry opens the timeline on that record.
  await page.goto(`/search?q=${encodeURIComponent("rollout restart")}&from=2025-06-12&to=2025-06-12`);
  const timelineRow = page.getByRole("region", { name: "Results" }).getByRole("row").filter({ hasText: TITLES.rollout }).filter({ hasText: "timeline" });
  await timelineRow.getByRole("link", { name: /Timeline entry/ }).click();
  await page.waitForURL(new RegExp(`/incidents/${ids.rollout}/timeline\\?record=\\d+`));

  const api = await page.request.get(`/api/search?detector=iptables-rule-order&pageSize=100`);
  expect(api.status()).toBe(200);
  const body = (await api.json()) as { hits: Array<{ incidentId: string }> };
  expect(body.hits.map((h) => h.incidentId)).toContain(ids.reorder);
  expect((await page.request.get("/api/search")).status()).toBe(422);

  // For the README: a word found in several places of several incidents.
  await page.setViewportSize({ width: 1280, height: 1100 });
  await page.goto("/search?q=kube-proxy");
  await expect(page.getByRole("region", { name: "Results" }).getByRole("row").nth(3)).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/docs-search.png` });
});

test("overview: similar past incidents with a one-line reason and a compare link", async ({ page }) => {
  await page.goto(`/incidents/${ids.reorder}`);
  const similar = page.getByRole("region", { name: "Similar past incidents" });
  const item = similar.getByRole("listitem").filter({ hasText: TITLES.rollout });
  await expect(item).toContainText("same detector error-burst-after-change");
  await expect(similar).not.toContainText(TITLES.baseline);
  await similar.screenshot({ path: `${SHOTS}/similar.png` });
  await page.goto(`/?q=${encodeURIComponent(`cmp ${RUN}`)}`);
  await page.getByRole("checkbox", { name: `Select ${TITLES.reorder} for comparison` }).check();
  await page.screenshot({ path: `${SHOTS}/compare-list.png` });
  await page.goto(`/incidents/${ids.reorder}`);
  await item.getByRole("link", { name: `Compare with ${TITLES.rollout}` }).click();
  await page.waitForURL(new RegExp(`/compare\\?ids=${ids.reorder},${ids.rollout}`));
  await expect(page.getByRole("region", { name: "Key figures" })).toBeVisible();
});
