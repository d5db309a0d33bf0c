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
  form.set("title", `${name} (latency e2e)`);
  for (const f of walk(root).filter((f) => !f.endsWith("expect.json"))) form.append("files", new Blob([fs.readFileSync(f)]), `${name}/${path.relative(root, f)}`);
  const res = await request.post("/api/incidents", { multipart: form });
  expect(res.status()).toBeLessThan(300);
  const { id } = (await res.json()) as { id: string };
  await expect.poll(async () => ((await (await request.get(`/api/incidents/${id}`)).json()) as { run?: { status: string } }).run?.status, { timeout: 90_000 }).toMatch(/completed|partial/);
  return id;
}

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

