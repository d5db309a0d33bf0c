import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { expect, test, type Page } from "@playwright/test";

// Postmortem draft (issue 6): edit a section, regenerate, the edit survives; exports; the hostile
// Markdown corpus (hostile-inputs row 12) renders inert in the live preview.

const SHOTS = "test-results/draft";
const XSS = [
  "<script>alert('script')</script>",
  '<img src=x onerror="alert(\'img\')">',
  "[click me](javascript:alert('link'))",
  "[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
  "![img](data:image/svg+xml,<svg onload=alert('svg')>)",
  '<p style="background:url(javascript:alert(1))">styled</p>',
  '<a id="__proto__" href="javascript:alert(\'proto\')">proto</a>',
  "| a | b |\n|---|---|\n| <script>alert(1)</script> | [y](JaVaScRiPt:alert(2)) |",
].join("\n\n");

let incidentId = "";

test.beforeAll(async ({ baseURL, request }) => {
  const r = spawnSync(process.execPath, ["bin/hindsight.mjs", "upload", "tests/fixtures/scenarios/seed-000-mesh-iptables-reorder", "--server", baseURL!, "--json"], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  incidentId = (JSON.parse(r.stdout.trim().split("\n").pop()!) as { id: string }).id;
  await expect
    .poll(async () => ((await (await request.get(`/api/incidents/${incidentId}`)).json()) as { run?: { status: string } }).run?.status, { timeout: 90_000 })
    .toMatch(/completed|partial/);
  fs.mkdirSync(SHOTS, { recursive: true });
});

/** Records every dialog (and page error); the test asserts none fired. */
function failOnDialog(page: Page): string[] {
  const fired: string[] = [];
  page.on("dialog", (d) => {
    fired.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on("pageerror", (e) => fired.push(`pageerror: ${e.message}`));
  return fired;
}

/** No element in the subtree carries an on* handler, a style or id attribute, or a script-capable URL. */
async function assertInert(page: Page, selector: string) {
  const bad = await page.locator(selector).evaluate((root) => {
    const found: string[] = [];
    for (const el of [root, ...root.querySelectorAll("*")]) {
      const tag = el.tagName.toLowerCase();
      if (["script", "img", "svg", "iframe", "object", "embed", "style"].includes(tag)) found.push(`<${tag}>`);
      for (const a of el.getAttributeNames()) {
        const v = el.getAttribute(a) ?? "";
        if (/^on/i.test(a)) found.push(`${tag}[${a}]`);
        if ((a === "style" || a === "id") && root !== el) found.push(`${tag}[${a}]`);
        if (/^(href|src|action|formaction)$/.test(a) && /^\s*(javascript|vbscript|data):/i.test(v)) found.push(`${tag}[${a}=${v}]`);
      }
    }
    return found;
  });
  expect(bad).toEqual([]);
}

test("edit a section, regenerate: the edit survives; the hostile corpus is inert in the preview", async ({ page }) => {
  const errors = failOnDialog(page);
  await page.goto(`/incidents/${incidentId}/draft`);
  await expect(page.getByTestId("section-rootCause")).toContainText("iptables-rule-order");
  await expect(page.getByTestId("preview-rootCause").locator("a[href*='/timeline?file=']").first()).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/draft-editor.png`, fullPage: false });

  const lessons = page.getByTestId("editor-lessons");
  const edit = `Edited by the IC: the canary had no iptables diff check.\n\n${XSS}`;
  await lessons.fill(edit);
  await expect(page.getByTestId("save-state")).toContainText(/Saved · version \d+/);
  await expect(page.getByTestId("edited-lessons")).toBeVisible();
  await expect(page.getByTestId("preview-lessons")).toContainText("<script>alert('script')</script>");
  await assertInert(page, "[data-testid=preview-lessons]");
  await page.getByTestId("section-lessons").screenshot({ path: `${SHOTS}/draft-xss-inert.png` });

  await page.getByRole("button", { name: "Regenerate from analysis" }).click();
  await expect(page.getByTestId("save-state")).toContainText(/Saved · version \d+/);
  await page.reload();
  await expect(page.getByTestId("editor-lessons")).toHaveValue(edit);
  await expect(page.getByTestId("edited-lessons")).toBeVisible();
  // Unedited sections are still the generated text.
  await expect(page.getByTestId("edited-summary")).toHaveCount(0);
  await assertInert(page, "main");

  await page.getByRole("button", { name: "History" }).click();
  await expect(page.getByTestId("history-diff")).toContainText("Edited by the IC");
  await page.getByTestId("history").screenshot({ path: `${SHOTS}/draft-history.png` });
  expect(errors).toEqual([]);
});

test("export Markdown and redacted Markdown; print page is inert too", async ({ page, request }) => {
  const errors = failOnDialog(page);
  const md = await request.get(`/api/incidents/${incidentId}/draft.md`);
  expect(md.status()).toBe(200);
  expect(md.headers()["content-disposition"]).toMatch(/^attachment; filename="postmortem-.*\.md"$/);
  const text = await md.text();
  expect(text).toMatch(/^# Postmortem: /);
  expect(text).toContain("## Root cause");
  expect(text).toContain("Edited by the IC");
  expect(text).toContain("ip-10-0-3-21");

  const red = await request.get(`/api/incidents/${incidentId}/draft.md?redact=1`);
  expect(red.headers()["content-disposition"]).toContain("redacted");
  const redText = await red.text();
  expect(redText).not.toMatch(/ip-10-0-3-21|10\.244\.\d+\.\d+/);
  const alias = /iptables change on (node-\d+)/.exec(redText)?.[1];
  expect(alias).toBeTruthy();
  const json = await (await request.get(`/api/incidents/${incidentId}/draft/analysis.json?redact=1`)).text();
  expect(json).not.toMatch(/ip-10-0-3-21|10\.244\.\d+\.\d+/);
  expect(json).toContain(`change on ${alias}`);

  await page.goto(`/incidents/${incidentId}/print`);
  await expect(page.getByTestId("print-article")).toContainText("Root cause");
  await assertInert(page, "[data-testid=print-article]");
  await page.emulateMedia({ media: "print" });
  await page.screenshot({ path: `${SHOTS}/print.png`, fullPage: false });
  expect(errors).toEqual([]);
});
