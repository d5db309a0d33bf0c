import { expect, test } from "@playwright/test";
import { SHOTS, uploadScenario } from "./helpers";

test("traces: slowest list → waterfall with the SNAT-race connect gap → comparison with a typical trace", async ({ page, request }) => {
  const id = await uploadScenario(request, "seed-003-conntrack-snat-race");
  await page.setViewportSize({ width: 1400, height: 1100 });
  await page.goto(`/incidents/${id}/traces`);
  const slowest = page.getByRole("region", { name: "Slowest traces" });
  await expect(slowest.getByRole("row")).not.toHaveCount(1);
  await slowest.getByRole("link", { name: /smartgateway/ }).first().click();
  await expect(page).toHaveURL(/trace=/);
  const tree = page.getByRole("tree");
  await expect(tree).toBeVisible();
  await expect(tree.getByRole("treeitem").filter({ hasText: /gap 3\.0 s/ })).toHaveCount(1);
  await expect(page.getByText(/1 connect gaps/)).toBeVisible();
  // Keyboard: focus the tree, walk down to the gap row; the selection lands in the URL.
  await tree.focus();
  for (let i = 0; i < 6; i++) await page.keyboard.press("ArrowDown");
  await expect(page).toHaveURL(/span=\d+/);
  await expect(page.getByText(/started 3\.0 s after its parent/)).toBeVisible();
  const cmp = page.getByRole("region", { name: /Where the time went/ });
  await expect(cmp.getByRole("row").nth(1)).toContainText("+3.0 s");
  await expect(cmp.getByRole("link").first()).toHaveAttribute("href", /\/timeline\?record=\d+/);
  await page.screenshot({ path: `${SHOTS}/traces.png`, fullPage: true });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: `${SHOTS}/traces-dark.png`, fullPage: true });
});

test("traces: a 50k-span trace keeps the DOM small", async ({ page, request }) => {
  const spans = [];
  const t0 = 1_700_000_000_000;
  spans.push({ traceId: "big", spanId: "s0", name: "GET /big", kind: 2, startTimeUnixNano: `${t0}000000`, endTimeUnixNano: `${t0 + 60_000}000000` });
  for (let i = 1; i < 50_000; i++) spans.push({ traceId: "big", spanId: `s${i}`, parentSpanId: "s0", name: `op ${i % 50}`, kind: 3, startTimeUnixNano: `${t0 + i}000000`, endTimeUnixNano: `${t0 + i + 5}000000` });
  const hex = (s: string, n: number) => Buffer.from(s).toString("hex").padEnd(n, "0").slice(0, n);
  const doc = { resourceSpans: [{ resource: { attributes: [{ key: "service.name", value: { stringValue: "big-svc" } }] }, scopeSpans: [{ spans: spans.map((s) => ({ ...s, traceId: hex(s.traceId, 32), spanId: hex(s.spanId, 16), ...(s.parentSpanId ? { parentSpanId: hex(s.parentSpanId, 16) } : {}) })) }] }] };
  const form = new FormData();
  form.set("title", "views e2e 50k spans");
  form.append("files", new Blob([JSON.stringify(doc)]), "big/traces/otlp-big.json");
  const res = await request.post("/api/incidents", { multipart: form });
  expect(res.status()).toBe(201);
  const { id } = (await res.json()) as { id: string };
  await expect.poll(async () => (await (await request.get(`/api/incidents/${id}`)).json()).run?.status, { timeout: 180_000, intervals: [1000] }).toMatch(/completed|partial/);
  const url = `/incidents/${id}/traces?trace=${hex("big", 32)}`;
  // The page carries a window of rows, not the trace (it was 15 MB for 50k spans).
  const html = await (await request.get(url)).text();
  expect(html.length).toBeLessThan(1_500_000);
  await page.goto(url);
  await expect(page.getByRole("tree")).toHaveAttribute("aria-label", /50000 spans/);
  const nodes = await page.evaluate(() => document.querySelectorAll("*").length);
  expect(nodes).toBeLessThan(3000);
  await page.getByRole("tree").focus();
  // End: the last row is fetched by index (its window was not in the page).
  await page.keyboard.press("End");
  await expect(page.getByRole("treeitem", { selected: true })).toContainText("op 49");
  expect(await page.evaluate(() => document.querySelectorAll("*").length)).toBeLessThan(3000);
  await page.keyboard.press("ArrowLeft"); // to the parent: the root
  await expect(page.getByRole("treeitem", { selected: true })).toContainText("GET /big");
  await page.keyboard.press("ArrowLeft"); // collapse the root: the server answers with one visible row
  await expect(page.getByRole("treeitem")).toHaveCount(1);
  await page.keyboard.press("ArrowRight");
  await expect(page.getByRole("treeitem").nth(5)).toContainText("op");
});
