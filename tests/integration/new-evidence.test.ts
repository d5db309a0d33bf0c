import { afterAll, beforeAll, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "@/lib/schemas/limits";
import { getDraft, updateDraft } from "@/lib/server/services/draft";
import { addBundle } from "@/lib/server/services/incidents";
import { withTempSqlite, type TempDatabase } from "../helpers/db";
import { scenarioUploads, startPipeline, type PipelineHarness } from "../helpers/pipeline";

/**
 * Issue 6 regeneration after new evidence, through the real pipeline: an incident first lacks the
 * iptables dumps (so retries look like the cause), a human edits a section, then the dumps arrive
 * as a second upload. The new analysis names the rule-order regression; the unedited root-cause
 * section follows it, the edited section keeps the human's words.
 */
const SCENARIO = "seed-000-mesh-iptables-reorder";

const uploads = (filter: (rel: string) => boolean) => scenarioUploads(SCENARIO, filter);
const isDump = (rel: string) => /iptables-save/.test(rel);

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

it("a second upload re-analyses; unedited sections follow the new root cause, edited ones are kept with a notice", async () => {
  const { id } = await h.create(uploads((r) => !isDump(r)));
  const first = await h.waitDone(id, 120_000);
  expect(first.hypotheses[0]?.detector).not.toBe("iptables-rule-order");
  const filesBefore = first.files.length;

  const draft1 = await getDraft(id, h.db);
  const root1 = draft1.sections.find((s) => s.id === "rootCause")!;
  expect(root1.markdown).not.toMatch(/iptables rule order/i);
  const humanText = "We will add a canary check that sends mesh traffic through every upgraded node.";
  await updateDraft(id, { sections: { lessons: humanText }, accept: [], dismiss: [], reset: [] }, h.db);

  const deps = { db: h.db, queue: async () => h.queue, dataDir: h.dataDir, limits: DEFAULT_LIMITS };
  const added = await addBundle(id, { uploads: uploads(isDump) }, deps);
  expect(added.id).toBe(id);
  const second = await h.waitDone(id, 120_000);
  expect(second.run?.id).toBe(added.runId);
  expect(second.files.length).toBe(filesBefore + uploads(isDump).length);
  expect(second.fileCount).toBe(second.files.length);
  expect(second.hypotheses[0]?.detector).toBe("iptables-rule-order");
  // Earlier files were not parsed again (no duplicate records).
  const rows = await h.db.evidence.count({ where: { incidentId: id } });
  expect(rows).toBe(second.files.reduce((s, f) => s + f.records, 0));

  const draft2 = await getDraft(id, h.db);
  const root2 = draft2.sections.find((s) => s.id === "rootCause")!;
  expect(root2.edited).toBe(false);
  expect(root2.markdown).toMatch(/iptables/i);
  const lessons = draft2.sections.find((s) => s.id === "lessons")!;
  expect(lessons.edited).toBe(true);
  expect(lessons.markdown).toBe(humanText);
  expect(draft2.version).toBeGreaterThan(draft1.version);
}, 300_000);
