/**
 * Regenerates tests/fixtures/draft-golden/*.md from the seed scenarios (runs the golden test with
 * UPDATE_GOLDENS=1). Review the diff before committing: the goldens are the drafts users start from.
 *
 *   npx tsx scripts/update-draft-goldens.ts
 */
import { spawnSync } from "node:child_process";

const r = spawnSync("npx", ["vitest", "run", "tests/integration/draft-golden.test.ts"], { stdio: "inherit", env: { ...process.env, UPDATE_GOLDENS: "1" } });
process.exit(r.status ?? 1);
