import { execFileSync } from "node:child_process";
import path from "node:path";
import { expect, test } from "@playwright/test";

// A large analysed incident (100k records, one 50k-span trace) generated straight into the e2e
// server's database (scripts/gen-large-incident.ts; ~10 s). The full-size measurement (1M records,
// first-render times) is the bench: scripts/bench-ui.ts.
const EVENTS = 100_000;
const SPANS = 50_000;
const BIG_TRACE_ID = "b16b16b16b16b16b16b16b16b16b16b1";
const MAX_NODES = 3000;

let id = "";
test.beforeAll(() => {
  const db = path.join(process.env.E2E_DATA_DIR!, "hindsight.db");
  const out = execFileSync(process.execPath, ["--import", "tsx", "scripts/gen-large-incident.ts", db, String(EVENTS), String(SPANS)], { encoding: "utf8", timeout: 120_000 });
  id = out.trim().split(/\s+/)[0]!;
  expect(id).toBe(`large-${EVENTS}-${SPANS}`);
});

const nodes = (page: import("@playwright/test").Page) => page.evaluate(() => document.getElementsByTagName("*").length);

test("large incident: the timeline keeps the DOM small, also after loading pages by scrolling", async ({ page }) => {
  test.setTimeout(90_000);
  await page.setViewportSize({ width: 1400, height: 1000 });
  await page.goto(`/incidents/${id}/timeline`);
  const list = page.getByTestId("timeline-list");
  await expect(list.getByRole("option").first()).toBeVisible();
  // The chart starts on the incident window (the human timeline spans ~31 h), with a way out.
  await expect(page.getByRole("button", { name: "Show whole range" })).toBeVisible();
  expect(await nodes(page)).toBeLessThanOrEqual(MAX_NODES);
  for (let i = 0; i < 5; i++) {
    const before = await list.evaluate((el) => el.scrollHeight);
    await list.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
    await expect.poll(() => list.evaluate((el) => el.scrollHeight)).toBeGreaterThan(before);
  }
  expect(await list.evaluate((el) => el.scrollHeight / 28)).toBeGreaterThanOrEqual(1000);
  expect(await nodes(page)).toBeLessThanOrEqual(MAX_NODES);
});

test("large incident: the 50k-span trace waterfall keeps the DOM small", async ({ page }) => {
  test.setTimeout(90_000);
  await page.setViewportSize({ width: 1400, height: 1000 });
  await page.goto(`/incidents/${id}/traces?trace=${BIG_TRACE_ID}`);
  const tree = page.getByRole("tree");
  await expect(tree.getByRole("treeitem").first()).toBeVisible();
  await expect(tree).toHaveAttribute("aria-label", new RegExp(`${SPANS} spans`));
  expect(await nodes(page)).toBeLessThanOrEqual(MAX_NODES);
  await tree.evaluate((el) => el.scrollTo({ top: el.scrollHeight / 2 }));
  await page.waitForTimeout(300);
  expect(await nodes(page)).toBeLessThanOrEqual(MAX_NODES);
});

test("large incident: overview shows 3 evidence items per hypothesis with a Show all toggle", async ({ page }) => {
  await page.goto(`/incidents/${id}`);
  const first = page.getByRole("list", { name: /^Evidence for payments pods/ });
  await expect(first.getByRole("listitem")).toHaveCount(3);
  const toggle = page.getByRole("button", { name: /^Show all \d+$/ }).first();
  const total = Number((await toggle.textContent())!.match(/\d+/)![0]);
  expect(total).toBeGreaterThan(3);
  await toggle.click();
  await expect(first.getByRole("listitem")).toHaveCount(total);
  expect(await nodes(page)).toBeLessThanOrEqual(MAX_NODES);
});
