import { expect, test, type Page } from "@playwright/test";

/**
 * Hostile-inputs row 12: a bundle whose manifest title, file names, log lines and timeline
 * Markdown carry `<script>`, `<img onerror>`, `javascript:` and `data:` links, `style=` and
 * `id="__proto__"` renders inert in real Chromium on every page that shows them: no dialog, no
 * handler or script-capable URL in the DOM, no injected element — and the text is still shown.
 * (The draft editor's live preview has its own corpus test in draft.spec.ts.)
 */

const TITLE = `<script>alert('title')</script><img src=x onerror="alert('title-img')"> row 12`;
const NAME = `logs/<img src=x onerror=alert('name')>.log`;
const PAYLOADS = [
  "<script>alert('line')</script>",
  `<img src=x onerror="alert('img')">`,
  "[click](javascript:alert('link'))",
  "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
  `<span style="background:url(javascript:alert('style'))">styled</span>`,
  `<a id="__proto__" href="javascript:alert('proto')">proto</a>`,
];

function bundle(): { name: string; mimeType: string; buffer: Buffer }[] {
  const manifest = [
    `title: ${JSON.stringify(TITLE)}`,
    `summary: ${JSON.stringify(PAYLOADS.join(" "))}`,
    "date: 2024-10-15",
    "timezone: UTC",
  ].join("\n");
  const timeline = [
    "# Incident timeline <script>alert('heading')</script>",
    "",
    ...PAYLOADS.map((p, i) => `- 14:0${i}: ${p} step ${i}`),
    "",
  ].join("\n");
  const t0 = Date.UTC(2024, 9, 15, 14, 0, 0);
  const log = PAYLOADS.map((p, i) => {
    const ts = new Date(t0 + i * 1000).toISOString();
    return `${ts}\terror\taccess\tconnection complete\tsrc.addr=10.244.1.5:4321${i} src.workload="${p.replace(/"/g, "'")}" dst.addr=10.244.2.7:15008 dst.service="reviews.default.svc.cluster.local" direction="outbound" bytes_sent=1 bytes_recv=2 duration="1${i}ms" error="${p.replace(/"/g, "'")}"`;
  }).join("\n");
  const nginx = PAYLOADS.map((p, i) => `10.0.0.${i} - - [15/Oct/2024:14:0${i}:00 +0000] "GET /${encodeURI(p)} HTTP/1.1" 502 12 "-" "${p.replace(/"/g, "'")}" "-"`).join("\n");
  return [
    { name: "row12/bundle.yaml", mimeType: "text/yaml", buffer: Buffer.from(manifest) },
    { name: "row12/timeline.md", mimeType: "text/markdown", buffer: Buffer.from(timeline) },
    { name: `row12/${NAME}`, mimeType: "text/plain", buffer: Buffer.from(`${log}\n`) },
    { name: "row12/logs/nginx-access.log", mimeType: "text/plain", buffer: Buffer.from(`${nginx}\n`) },
  ];
}

function watch(page: Page): string[] {
  const fired: string[] = [];
  page.on("dialog", (d) => {
    fired.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on("pageerror", (e) => fired.push(`pageerror: ${e.message}`));
  return fired;
}

/** Nothing in the page body that could run: handlers, script-capable URLs, injected elements. */
async function assertInert(page: Page, where: string): Promise<void> {
  const bad = await page.locator("body").evaluate((root) => {
    const found: string[] = [];
    for (const el of root.querySelectorAll("*")) {
      const tag = el.tagName.toLowerCase();
      // Next's own scripts carry the request's nonce or are its chunks; anything else was injected.
      const script = el as HTMLScriptElement;
      if (tag === "script" && !script.nonce && !script.src.startsWith(`${location.origin}/_next/`)) found.push(`<script>${el.textContent?.slice(0, 40)}`);
      if (["iframe", "object", "embed"].includes(tag)) found.push(`<${tag}>`);
      if (tag === "img" && el.getAttribute("src") === "x") found.push("<img src=x>");
      for (const a of el.getAttributeNames()) {
        const v = el.getAttribute(a) ?? "";
        if (/^on/i.test(a)) found.push(`${tag}[${a}=${v.slice(0, 30)}]`);
        if (/^(href|src|action|formaction|xlink:href)$/i.test(a) && /^\s*(javascript|vbscript|data):/i.test(v)) found.push(`${tag}[${a}=${v.slice(0, 30)}]`);
        if (a === "style" && /javascript:/i.test(v)) found.push(`${tag}[style=${v.slice(0, 30)}]`);
        if (a === "id" && v === "__proto__") found.push(`${tag}[id=__proto__]`);
      }
    }
    return found;
  });
  expect(bad, where).toEqual([]);
  // Nothing polluted the prototype chain through a clobbered id.
  expect(await page.evaluate(() => Object.keys(Object.prototype).length), where).toBe(0);
}

test("row 12: hostile title, file names, log lines and timeline Markdown render inert in Chromium", async ({ page, request }) => {
  test.setTimeout(240_000);
  const form = new FormData();
  for (const f of bundle()) form.append("files", new Blob([new Uint8Array(f.buffer)], { type: f.mimeType }), f.name);
  const res = await request.post("/api/incidents", { multipart: form });
  expect(res.status(), await res.text()).toBe(201);
  const { id } = (await res.json()) as { id: string };
  await expect
    .poll(async () => ((await (await request.get(`/api/incidents/${id}`)).json()) as { run?: { status: string } }).run?.status, { timeout: 120_000, intervals: [500] })
    .toMatch(/completed|partial/);
  const detail = (await (await request.get(`/api/incidents/${id}`)).json()) as { title: string; files: { path: string; records: number }[] };
  expect(detail.title).toBe(TITLE);
  expect(detail.files.map((f) => f.path)).toContain(`row12/${NAME}`);

  const fired = watch(page);
  const views = ["", "/timeline", "/latency", "/traces", "/network", "/rules", "/draft", "/print"];
  for (const v of views) {
    await page.goto(`/incidents/${id}${v}`);
    await page.waitForLoadState("networkidle");
    await assertInert(page, v || "overview");
  }
  // The list shows the title; the overview shows title and file name as text.
  await page.goto(`/?q=${encodeURIComponent("row 12")}`);
  await page.waitForLoadState("networkidle");
  await assertInert(page, "incident list");
  await expect(page.getByText("<script>alert('title')</script>", { exact: false }).first()).toBeVisible();
  await page.goto(`/incidents/${id}`);
  await expect(page.getByText("<script>alert('title')</script>", { exact: false }).first()).toBeVisible();
  await expect(page.getByText("<img src=x onerror=alert('name')>.log", { exact: false }).first()).toBeVisible();
  // A log line's text as stored, shown in the timeline as text.
  await page.goto(`/incidents/${id}/timeline`);
  await page.waitForLoadState("networkidle");
  await assertInert(page, "timeline");
  expect(fired).toEqual([]);
});
