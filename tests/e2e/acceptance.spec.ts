import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test, type APIRequestContext } from "@playwright/test";
import { deflatedZeros, makeOverlapZip, makeTar, makeZip } from "../unit/bundle/make-archives";

/**
 * Issue 2 acceptance, end to end against the production server (`npm start`):
 * upload through the page and see each file's format; hostile bundles refused with a clear
 * message and nothing written outside storage; a 300 MB log uploaded with the web RSS < 300 MB.
 */
const SHOTS = "test-results/screens";
fs.mkdirSync(SHOTS, { recursive: true });
const dataDir = process.env.E2E_DATA_DIR!;

function listTree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listTree(p));
    else out.push(p);
  }
  return out;
}

const blobs = () => listTree(path.join(dataDir, "blobs")).sort();
const temps = () => listTree(path.join(dataDir, "tmp"));

test("upload a mixed bundle through the page and see every file's detected format", async ({ page }) => {
  await page.goto("/incidents/new");
  const files = [
    "tests/fixtures/public/ztunnel/istio-io-docs-troubleshoot-ztunnel-access.log",
    "tests/fixtures/public/envoy/istio-io-docs-access-log-default-format.log",
    "tests/fixtures/public/iptables/istio-iptables-capture-golden-tproxy.txt",
    "tests/fixtures/public/otlp/otel-proto-examples-trace.json",
    "tests/fixtures/public/k8s-events/k9s-render-testdata-ev.json",
    "tests/fixtures/public/ipvs/tkng-kind-worker-ipvsadm-ln.txt",
  ];
  await page.getByLabel("Choose files").setInputFiles(files);
  await page.getByLabel(/Title/).fill("E2E mixed bundle");
  await page.screenshot({ path: `${SHOTS}/new-incident-selected.png`, fullPage: true });
  await page.getByRole("button", { name: "Upload and analyse" }).click();
  await page.waitForURL(/\/incidents\/(?!new$)[^/]+$/);
  await expect(page.locator("section[aria-labelledby=run-heading]")).toContainText(/completed|partial/);
  const expected: Record<string, string> = {
    "istio-io-docs-troubleshoot-ztunnel-access.log": "ztunnel-access",
    "istio-io-docs-access-log-default-format.log": "envoy-access",
    "istio-iptables-capture-golden-tproxy.txt": "iptables-save",
    "otel-proto-examples-trace.json": "otlp-json",
    "k9s-render-testdata-ev.json": "k8s-events",
    "tkng-kind-worker-ipvsadm-ln.txt": "ipvsadm",
  };
  for (const [name, format] of Object.entries(expected)) {
    const row = page.getByRole("row").filter({ hasText: name });
    await expect(row).toContainText(format);
  }
  await page.screenshot({ path: `${SHOTS}/incident-mixed.png`, fullPage: true });
});

async function postBundle(request: APIRequestContext, name: string, buffer: Buffer) {
  return request.post("/api/incidents", { multipart: { title: `hostile ${name}`, files: { name, mimeType: "application/octet-stream", buffer } } });
}

test("hostile bundles are refused with a clear message and leave nothing behind", async ({ request, page }) => {
  const before = blobs();
  const parent = path.dirname(dataDir);
  const outsideBefore = new Set(fs.readdirSync(parent));

  const slip = makeZip([{ name: "logs/ok.log", data: Buffer.from("hello\n") }, { name: "../evil", data: Buffer.from("pwned\n") }]);
  const r1 = await postBundle(request, "slip.zip", slip);
  expect(r1.status()).toBe(422);
  expect((await r1.json()).error.message).toMatch(/\.\.\/evil|outside|unsafe/i);

  const linked = await makeTar([
    { name: "dir", type: "symlink", linkname: "/" },
    { name: "dir/etc/x", data: "through the link\n" },
  ]);
  const r2 = await postBundle(request, "linked.tar", linked);
  expect(r2.status()).toBe(422);
  expect((await r2.json()).error.message).toMatch(/link/i);

  const bomb = makeOverlapZip(deflatedZeros(10), 205); // ~25 KB that inflates to 2 GiB
  expect(bomb.length).toBeLessThan(40 * 1024);
  const r3 = await postBundle(request, "bomb.zip", bomb);
  expect(r3.status()).toBe(413);
  expect((await r3.json()).error.message).toMatch(/inflat|ratio|limit/i);

  // Nothing stored, nothing left in tmp, nothing written next to the data dir.
  expect(blobs()).toEqual(before);
  expect(temps()).toEqual([]);
  expect(new Set(fs.readdirSync(parent))).toEqual(outsideBefore);
  expect(fs.existsSync(path.join(parent, "evil"))).toBe(false);

  // The same refusal is readable in the UI.
  await page.goto("/incidents/new");
  await page.getByLabel("Choose files").setInputFiles({ name: "slip.zip", mimeType: "application/zip", buffer: slip });
  await page.getByRole("button", { name: "Upload and analyse" }).click();
  const alert = page.getByRole("alert").filter({ hasText: "Upload failed" });
  await expect(alert).toContainText(/evil/);
  await page.screenshot({ path: `${SHOTS}/upload-refused.png`, fullPage: true });
});

test("a 300 MB log uploads while the web process RSS stays under 300 MB", async ({ baseURL, request }) => {
  test.setTimeout(600_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hindsight-big-"));
  const file = path.join(dir, "big-ztunnel.log");
  const line =
    '2024-10-15T14:02:00.123456Z\tinfo\taccess\tconnection complete\tsrc.addr=10.244.1.5:43210 src.workload="productpage-v1" dst.addr=10.244.2.7:15008 dst.hbone_addr="10.244.2.7:9080" dst.service="reviews.default.svc.cluster.local" direction="outbound" bytes_sent=120 bytes_recv=800 duration="13ms"\n';
  const block = line.repeat(Math.floor((4 * 1024 * 1024) / line.length));
  const fd = fs.openSync(file, "w");
  for (let written = 0; written < 300 * 1024 * 1024; written += block.length) fs.writeSync(fd, block);
  fs.closeSync(fd);

  let peak = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const res = await request.get("/api/health");
      peak = Math.max(peak, (await res.json()).rssBytes as number);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  // The criterion is about the upload: stop sampling when the server has answered 201 (the CLI
  // prints the URL then). Parsing starts right after, in the worker thread; its memory is measured
  // by the bench, not here.
  const code = await new Promise<number>((resolve) => {
    const cli = spawn(process.execPath, ["bin/hindsight.mjs", "upload", file, "--server", baseURL!, "--title", "300 MB log"], { stdio: ["ignore", "pipe", "inherit"] });
    cli.stdout.on("data", (d: Buffer) => {
      if (d.toString().includes("Uploaded:")) sampling = false;
      process.stdout.write(d);
    });
    cli.on("exit", (c) => resolve(c ?? 1));
  });
  sampling = false;
  await sampler;
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`web process peak RSS during a 300 MB upload: ${(peak / 1048576).toFixed(0)} MiB`);
  expect(code).toBe(0);
  expect(peak).toBeGreaterThan(0);
  expect(peak).toBeLessThan(300 * 1024 * 1024);

  // And the whole file is then parsed (every line a record), without blocking the queue for later tests.
  const list = await (await request.get("/api/incidents?q=300%20MB%20log")).json();
  const id = list.items[0].id as string;
  const lines = Math.floor((4 * 1024 * 1024) / line.length) * Math.ceil((300 * 1024 * 1024) / block.length);
  await expect
    .poll(async () => (await (await request.get(`/api/incidents/${id}`)).json()).run?.status, { timeout: 480_000, intervals: [2000] })
    .toBe("completed");
  const detail = await (await request.get(`/api/incidents/${id}`)).json();
  expect(detail.files[0]).toMatchObject({ format: "ztunnel-access", status: "parsed", records: lines });
});
