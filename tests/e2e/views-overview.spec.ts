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
  form.set("title", `${name} (overview e2e)`);
  for (const f of walk(root).filter((f) => !f.endsWith("expect.json"))) form.append("files", new Blob([fs.readFileSync(f)]), `${name}/${path.relative(root, f)}`);
  const res = await request.post("/api/incidents", { multipart: form });
  expect(res.status()).toBeLessThan(300);
  const { id } = (await res.json()) as { id: string };
  await expect.poll(async () => ((await (await request.get(`/api/incidents/${id}`)).json()) as { run?: { status: string } }).run?.status, { timeout: 90_000 }).toMatch(/completed|partial/);
  return id;
}

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

