import fs from "node:fs";
import path from "node:path";
import { expect, type APIRequestContext } from "@playwright/test";

export const SHOTS = "test-results/screens";
fs.mkdirSync(SHOTS, { recursive: true });

/** Uploads a scenario folder through the API (named as a folder drop would) and waits for its run. */
export async function uploadScenario(request: APIRequestContext, name: string, title = `views e2e ${name}`): Promise<string> {
  const root = path.join("tests/fixtures/scenarios", name);
  const walk = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
  const form = new FormData();
  form.set("title", title);
  for (const f of walk(root).filter((f) => !f.endsWith("expect.json"))) form.append("files", new Blob([fs.readFileSync(f)]), `${name}/${path.relative(root, f)}`);
  const res = await request.post("/api/incidents", { multipart: form });
  expect(res.status()).toBe(201);
  const { id } = (await res.json()) as { id: string };
  await expect
    .poll(async () => ((await (await request.get(`/api/incidents/${id}`)).json()) as { run?: { status: string } }).run?.status, { timeout: 120_000, intervals: [500] })
    .toMatch(/completed|partial/);
  return id;
}
