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

it("upload sends --token (or HINDSIGHT_TOKEN) as a bearer token; a 401 before the body is sent is reported with what to do", async () => {
  const http = await import("node:http");
  const { spawn } = await import("node:child_process");
  const seen: Array<string | undefined> = [];
  // A server with accounts: refuses at once without a token, as requireUser does before reading the body.
  const server = http.createServer((req, res) => {
    seen.push(req.headers.authorization);
    if (req.headers.authorization !== "Bearer hst_good") {
      res.writeHead(401, { "Content-Type": "application/json", Connection: "close" });
      res.end(JSON.stringify({ error: { code: "unauthenticated", message: "Sign in first." } }));
      return;
    }
    req.resume();
    req.on("end", () => {
      res.writeHead(201, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ id: "inc1", runId: "run1" }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  const run = (args: string[], env: Record<string, string> = {}) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, "upload", path.join(ROOT, "tests/fixtures/public/ztunnel"), "--server", `http://127.0.0.1:${port}`, ...args], { cwd: os.tmpdir(), env: { ...process.env, HINDSIGHT_ROOT: "", HINDSIGHT_TOKEN: "", ...env } });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d));
      child.stderr.on("data", (d: Buffer) => (stderr += d));
      child.on("exit", (code) => resolve({ code, stdout, stderr }));
    });
  try {
    const refused = await run([]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("HTTP 401");
    expect(refused.stderr).toContain("--token");
    const flag = await run(["--token", "hst_good", "--json"]);
    expect(flag.code, flag.stderr).toBe(0);
    expect(JSON.parse(flag.stdout)).toMatchObject({ id: "inc1" });
    const fromEnv = await run([], { HINDSIGHT_TOKEN: "hst_good" });
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    expect(seen).toEqual([undefined, "Bearer hst_good", "Bearer hst_good"]);
  } finally {
    server.close();
  }
}, 120_000);
