import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withTempSqlite, type TempDatabase } from "../helpers/db";
import { FIXTURES, fixtureUploads, startPipeline, type PipelineHarness } from "../helpers/pipeline";
import { exportDraft, getDraft } from "@/lib/server/services/draft";
import { normaliseDraft } from "../unit/draft/normalise";

/**
 * Golden drafts of the seed scenarios, produced by the real pipeline. Refresh with
 * `UPDATE_GOLDENS=1 npx vitest run tests/integration/draft-golden.test.ts` (or scripts/update-draft-goldens.ts)
 * and review the diff: it is the draft an incident commander would start from.
 */
const GOLDEN = path.join(FIXTURES, "draft-golden");
const SCENARIOS = fs.readdirSync(path.join(FIXTURES, "scenarios")).filter((d) => d.startsWith("seed-")).sort();

function filesOf(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(FIXTURES, rel), { withFileTypes: true })) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else if (e.name !== "expect.json") out.push(r);
    }
  };
  walk(dir);
  return out.sort();
}

describe("draft goldens of the seed scenarios", () => {
  let temp: TempDatabase;
  let h: PipelineHarness;
  beforeAll(async () => {
    temp = await withTempSqlite();
    h = await startPipeline(temp.client(), temp.config);
  });
  afterAll(async () => {
    await h?.stop();
    await temp?.cleanup();
  });

  it("has a seed scenario to check", () => expect(SCENARIOS.length).toBeGreaterThanOrEqual(4));

  for (const scenario of SCENARIOS) {
    it(`${scenario}: the generated draft matches its golden file`, async () => {
      const dir = `scenarios/${scenario}`;
      // Named as a folder drop of the scenario: bundle.yaml at the root, short paths.
      const uploads = fixtureUploads(filesOf(dir)).map((u, i) => ({ ...u, name: `${scenario}/${filesOf(dir)[i]!.slice(dir.length + 1)}` }));
      const { id } = await h.create(uploads);
      const done = await h.waitDone(id);
      expect(["completed", "partial"]).toContain(done.run?.status);
      const draft = await getDraft(id, h.db);
      const actual = normaliseDraft(draft.markdown, { incidentId: id, generatedAt: draft.generatedAt });
      const expectJson = JSON.parse(fs.readFileSync(path.join(FIXTURES, "scenarios", scenario, "expect.json"), "utf8")) as { top: string; topEvidenceFile?: string };
      // Cited: the root cause names the expected detector and links its evidence file.
      const root = draft.sections.find((s) => s.id === "rootCause")!;
      expect(root.markdown).toContain(`detector \`${expectJson.top}\``);
      if (expectJson.topEvidenceFile) expect(root.citations.some((c) => c.file?.endsWith(expectJson.topEvidenceFile!) && c.href?.includes(`/incidents/${id}/timeline?file=`))).toBe(true);
      expect(actual).not.toContain(id);

      const file = path.join(GOLDEN, `${scenario}.md`);
      if (process.env.UPDATE_GOLDENS === "1" || !fs.existsSync(file)) {
        if (process.env.CI && !fs.existsSync(file)) throw new Error(`missing golden ${file}`);
        fs.mkdirSync(GOLDEN, { recursive: true });
        fs.writeFileSync(file, actual);
      }
      expect(actual).toBe(fs.readFileSync(file, "utf8"));

      // Redacted variant: no node name or IP of the scenario left; same alias in Markdown and JSON.
      const red = await exportDraft(id, { redact: true }, h.db);
      const json = JSON.stringify(red.analysis);
      for (const m of draft.markdown.matchAll(/\b(?:\d{1,3}\.){3}\d{1,3}\b|\bip-\d+-\d+-\d+-\d+\b/g)) {
        expect(red.markdown).not.toContain(m[0]);
        expect(json).not.toContain(m[0]);
      }
      for (const alias of new Set(red.markdown.match(/\b(?:node|ip|pod|host)-\d+\b/g) ?? [])) expect(json).toContain(alias);
    });
  }
});
