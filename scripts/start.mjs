#!/usr/bin/env node
// `npm start`: build the app when the sources changed since the last build, then serve it
// (scripts/server.mjs: Next.js with the page cache in front).
// Migrations, the embedded worker and the first-start sample import run inside the server
// (instrumentation.ts → lib/server/boot.ts), so `npm start` is all a new user needs.
import { spawnSync, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bindHost } from "./bind-host.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(root);
process.env.NEXT_TELEMETRY_DISABLED = "1";
process.env.HINDSIGHT_ROOT ||= root;
const dev = process.argv.includes("--dev");
const nextBin = path.join(root, "node_modules/next/dist/bin/next");
const port = process.env.PORT || "3000";

function sourceHash() {
  const h = crypto.createHash("sha256");
  const visit = (p) => {
    const st = fs.statSync(p, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) {
      if (/(^|\/)(node_modules|\.next|data|generated)$/.test(p)) return;
      for (const e of fs.readdirSync(p).sort()) visit(path.join(p, e));
    } else h.update(`${path.relative(root, p)}:${st.size}:${st.mtimeMs}\n`);
  };
  for (const p of ["app", "components", "lib", "public", "instrumentation.ts", "instrumentation-client.ts", "proxy.ts", "next.config.js", "package.json", "postcss.config.mjs", "tsconfig.json"]) visit(path.join(root, p));
  return h.digest("hex");
}

if (!dev) {
  const stamp = path.join(root, ".next", "hindsight-source-hash");
  const want = sourceHash();
  const have = fs.existsSync(stamp) ? fs.readFileSync(stamp, "utf8") : "";
  if (have !== want || !fs.existsSync(path.join(root, ".next", "BUILD_ID"))) {
    console.log("[hindsight] building the web app (first start or sources changed)…");
    const r = spawnSync(process.execPath, [nextBin, "build"], { stdio: "inherit", env: process.env });
    if (r.status !== 0) process.exit(r.status ?? 1);
    fs.writeFileSync(stamp, want);
  }
}

// Production: Next.js behind the page cache's front door (scripts/server.mjs); dev: `next dev`.
const args = dev ? [nextBin, "dev", "-p", port] : [path.join(root, "scripts/server.mjs"), "--port", port];
// HINDSIGHT_AUTH=off (no accounts) listens on 127.0.0.1 only: scripts/bind-host.mjs.
const { host, authOff, warning } = bindHost(process.env);
if (warning) console.warn(warning);
if (authOff) console.log("[hindsight] single-user mode (HINDSIGHT_AUTH=off): no accounts, listening on this machine only");
if (host) args.push(dev ? "-H" : "--hostname", host);
console.log(`[hindsight] starting on http://${host && host !== "::1" ? host : "localhost"}:${port}`);
// A small young generation keeps the web process's RSS low while uploads stream through it
// (chunks die young; a big semi-space only delays their collection).
// glibc gives every thread that allocates its own malloc arena and rarely returns them: the
// pipeline's worker threads would leave ~40 MB behind per job in the web process. Two arenas keep
// RSS flat (measured: 280 → 245 MiB after a few analyses, and a 300 MB upload adds nothing).
const env = { ...process.env, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX || "2" };
const child = spawn(process.execPath, ["--max-semi-space-size=4", ...args], { stdio: "inherit", env });
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
