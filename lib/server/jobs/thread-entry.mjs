// Worker-thread bootstrap: the pipeline is TypeScript loaded from disk (not from Next's bundle),
// so the thread registers tsx itself before importing the real entry point.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { register as registerCjs } from "tsx/cjs/api";
import { register } from "tsx/esm/api";

const here = path.dirname(fileURLToPath(import.meta.url));
// The CommonJS loader takes its tsconfig (path aliases) from here, not from the cwd.
process.env.TSX_TSCONFIG_PATH = path.resolve(here, "../../../tsconfig.json");
registerCjs();
register({ tsconfig: path.resolve(here, "../../../tsconfig.json") });
// Below the web's priority before the pipeline loads (HINDSIGHT_PIPELINE_NICE; no-op where unsupported).
// tsx loads the TypeScript module as CommonJS: its exports arrive as `default`.
const priority = await import("../thread-priority.ts");
(priority.lowerThreadPriority ?? priority.default.lowerThreadPriority)();
await import("./thread-main.ts");
