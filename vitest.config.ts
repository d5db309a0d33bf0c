import path from "node:path";
import { defineConfig } from "vitest/config";

/** Test files that disturb shared services (restart PostgreSQL): run after every other file, alone. */
const DISRUPTIVE = ["tests/integration/pg-restart.test.ts"];

export default defineConfig({
  resolve: { alias: { "@": path.resolve(__dirname) } },
  test: {
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration suites share one PostgreSQL database; keep files from racing each other there.
    fileParallelism: true,
    pool: "forks",
    projects: [
      { extends: true, test: { name: "tests", include: ["tests/unit/**/*.test.ts", "tests/integration/**/*.test.ts"], exclude: DISRUPTIVE } },
      // A later group starts only when the earlier one has finished.
      { extends: true, test: { name: "disruptive", include: DISRUPTIVE, sequence: { groupOrder: 1 } } },
    ],
  },
});
