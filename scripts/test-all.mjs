#!/usr/bin/env node
// `npm test`: type check, lint (with the layer order), import cycles in lib/ (`npm run deps`), unit +
// integration (vitest: SQLite always, PostgreSQL + pg-boss when reachable), then end-to-end in real
// Chromium (Playwright). Stops at the first failing step.
import { spawnSync } from "node:child_process";

const steps = [
  ["typecheck", ["node_modules/typescript/bin/tsc", "--noEmit", "-p", "."]],
  ["lint", ["node_modules/eslint/bin/eslint.js", ".", "--quiet"]],
  ["import cycles", ["node_modules/dependency-cruiser/bin/dependency-cruise.mjs", "lib", "--config", ".dependency-cruiser.js"]],
  ["unit + integration", ["node_modules/vitest/vitest.mjs", "run"]],
  ["end-to-end", ["node_modules/@playwright/test/cli.js", "test"]],
];
for (const [name, args] of steps) {
  console.log(`\n▶ ${name}`);
  const started = Date.now();
  const r = spawnSync(process.execPath, args, { stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
  console.log(`◀ ${name}: ${r.status === 0 ? "ok" : "FAILED"} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (r.status !== 0) process.exit(r.status ?? 1);
}
