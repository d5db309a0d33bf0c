import { spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { CliReport } from "@/lib/schemas/api";

const ROOT = path.resolve(__dirname, "../..");
const BIN = path.join(ROOT, "bin/hindsight.mjs");

function cli(args: string[]) {
  // Run from a foreign directory: the CLI must not depend on the cwd.
  return spawnSync(process.execPath, [BIN, ...args], { cwd: os.tmpdir(), encoding: "utf8", timeout: 240_000, env: { ...process.env, HINDSIGHT_ROOT: "" } });
}

it("analyze --json prints only a valid report on stdout, naming each known sample's format", () => {
  const dir = path.join(ROOT, "tests/fixtures/public");
  const r = cli(["analyze", path.join(dir, "ztunnel"), path.join(dir, "envoy"), path.join(dir, "iptables/istio-iptables-capture-golden-tproxy.txt"), "--json"]);
  expect(r.status, r.stderr).toBe(0);
  const report = CliReport.parse(JSON.parse(r.stdout));
  expect(report.status).toBe("completed");
  const formats = Object.fromEntries(report.files.map((f) => [f.path.split("/").pop(), f.format]));
  expect(formats["istio-io-docs-troubleshoot-ztunnel-access.log"]).toBe("ztunnel-access");
  expect(formats["renuka-examples-envoy-simple-docker-compose.log"]).toBe("envoy-access");
  expect(formats["istio-iptables-capture-golden-tproxy.txt"]).toBe("iptables-save");
  expect(report.files.every((f) => f.records > 0)).toBe(true);
}, 300_000);

it("analyze prints ranked hypotheses with cited evidence for a seed scenario", () => {
  const r = cli(["analyze", path.join(ROOT, "tests/fixtures/scenarios/seed-002-ipvs-stale-backends"), "--json"]);
  expect(r.status, r.stderr).toBe(0);
  const report = CliReport.parse(JSON.parse(r.stdout));
  expect(report.hypotheses[0]?.detector).toBe("ipvs-stale-backends");
  expect(report.hypotheses[0]?.evidence.some((e) => e.file.includes("ipvsadm") && (e.line ?? 0) > 0)).toBe(true);
}, 300_000);

it("usage errors exit 2 with the usage text; a missing path exits 1", () => {
  const u = cli(["analyze"]);
  expect(u.status).toBe(2);
  expect(u.stderr).toContain("Usage:");
  const m = cli(["analyze", "/nonexistent/bundle.zip"]);
  expect(m.status).toBe(1);
  expect(m.stderr).toMatch(/nonexistent/);
}, 120_000);
