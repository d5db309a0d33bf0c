import os from "node:os";
import path from "node:path";
import { defineConfig } from "@playwright/test";

const port = Number(process.env.E2E_PORT || 3210);
// Set once in the runner process; workers inherit it, so tests can inspect the server's storage.
process.env.E2E_DATA_DIR ||= path.join(os.tmpdir(), `hindsight-e2e-${Date.now()}`);
const dataDir = process.env.E2E_DATA_DIR;

export default defineConfig({
  testDir: "tests/e2e",
  timeout: 120_000,
  expect: { timeout: 60_000 },
  workers: 1,
  reporter: [["list"]],
  // Creates the first admin on the fresh server and saves its session for every test (accounts are on).
  globalSetup: "./tests/e2e/global-setup.ts",
  outputDir: "test-results",
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    storageState: path.join(dataDir, "e2e-admin-state.json"),
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    },
  },
  webServer: {
    command: "node scripts/start.mjs",
    url: `http://127.0.0.1:${port}/api/health`,
    timeout: 600_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    env: { PORT: String(port), HINDSIGHT_DATA_DIR: dataDir, NEXT_TELEMETRY_DISABLED: "1", DATABASE_URL: "" },
  },
});
