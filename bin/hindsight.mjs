#!/usr/bin/env node
// Hindsight CLI. The implementation is TypeScript (lib/server/cli); tsx loads it in-process.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { register as registerCjs } from "tsx/cjs/api";
import { register } from "tsx/esm/api";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.env.HINDSIGHT_ROOT ||= root;
process.env.NEXT_TELEMETRY_DISABLED = "1";
// Both loaders: .ts files without "type": "module" are CommonJS to Node, imports are ESM.
// The CommonJS loader takes its tsconfig (path aliases) from here, not from the cwd.
process.env.TSX_TSCONFIG_PATH = path.join(root, "tsconfig.json");
registerCjs();
register({ tsconfig: path.join(root, "tsconfig.json") });
const mod = await import("../lib/server/cli/main.ts");
// CommonJS interop: named exports may sit under `default`.
const main = mod.main ?? mod.default?.main;
process.exitCode = await main(process.argv.slice(2));
