#!/usr/bin/env node
// Hindsight CLI. The implementation is TypeScript (lib/server/cli); tsx loads it in-process.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.env.HINDSIGHT_ROOT ??= root;
process.env.NEXT_TELEMETRY_DISABLED = "1";
register({ tsconfig: path.join(root, "tsconfig.json") });
const { main } = await import("../lib/server/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
