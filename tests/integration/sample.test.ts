import { afterAll, beforeAll, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "@/lib/schemas/limits";
import { EXAMPLE_SCENARIOS, importSampleIfEmpty, SAMPLE_FILES, SAMPLE_TITLE } from "@/lib/server/sample/sample-incident";
import { withTempSqlite, type TempDatabase } from "../helpers/db";
import { startPipeline, type PipelineHarness } from "../helpers/pipeline";

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

it("first start imports the sample and the four seed examples once; each is analysed", async () => {
  const deps = { db: h.db, queue: async () => h.queue, dataDir: h.dataDir, limits: DEFAULT_LIMITS };
  const ids = await importSampleIfEmpty(h.db, deps);
  expect(ids).toHaveLength(EXAMPLE_SCENARIOS.length + 1);
  expect(await importSampleIfEmpty(h.db, deps)).toEqual([]);

  const details = [];
  for (const id of ids) details.push(await h.waitDone(id, 120_000));
  const sample = details.find((d) => d.title === SAMPLE_TITLE)!;
  expect(sample.isSample).toBe(true);
  expect(sample.files).toHaveLength(SAMPLE_FILES.length);
  // Every real sample in the composed bundle is recognised by its parser.
  expect(sample.files.filter((f) => f.format === null).map((f) => f.path)).toEqual([]);
  const examples = details.filter((d) => d.title !== SAMPLE_TITLE);
  for (const e of examples) {
    expect(e.run?.status).toBe("completed");
    expect(e.topHypothesis, e.title).toBeTruthy();
    expect(e.topConfidence).toBeGreaterThanOrEqual(0.5);
  }
}, 300_000);
