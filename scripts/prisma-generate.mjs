// Generates both Prisma clients (SQLite and PostgreSQL) offline. Runs at `npm install` (postinstall).
//
// Why not plain `prisma generate`: Prisma's CLI wants to download a schema-engine binary on first
// use, which cannot work offline. Generation itself never runs that engine, so pointing
// PRISMA_SCHEMA_ENGINE_BINARY at any existing file (node itself) satisfies the check.
// Migrations use the WebAssembly schema engine instead (lib/server/db/migrate.ts).
//
// Each client is regenerated only when its schema or the Prisma version changed (stamp file in the
// output directory), so re-running is fast and idempotent. `--force` regenerates regardless.
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { POSTGRESQL_SCHEMA_PATH, ROOT, SQLITE_SCHEMA_PATH, writeDerivedSchemas } from "../lib/server/db/prisma-schema.mjs";

const require = createRequire(import.meta.url);
const force = process.argv.includes("--force");

function prismaCli() {
  const pkgPath = require.resolve("prisma/package.json", { paths: [ROOT] });
  const pkg = JSON.parse(fs.readFileSync(pkgPath, "utf8"));
  return { cli: path.join(path.dirname(pkgPath), "build", "index.js"), version: pkg.version };
}

function run(cli, schemaPath) {
  const env = {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || process.execPath,
    PRISMA_HIDE_UPDATE_MESSAGE: "1",
    PRISMA_GENERATE_SKIP_AUTOINSTALL: "1",
    PRISMA_SKIP_POSTINSTALL_GENERATE: "1",
    CHECKPOINT_DISABLE: "1",
    PRISMA_TELEMETRY_DISABLED: "1",
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, "generate", "--schema", schemaPath], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`prisma generate ${path.relative(ROOT, schemaPath)} failed (${code}):\n${out}`)),
    );
  });
}

async function main() {
  const started = Date.now();
  const { sqlite, postgresql } = writeDerivedSchemas();
  const { cli, version } = prismaCli();
  const targets = [
    { name: "sqlite", schemaPath: SQLITE_SCHEMA_PATH, content: sqlite },
    { name: "postgresql", schemaPath: POSTGRESQL_SCHEMA_PATH, content: postgresql },
  ];
  // Both generations are independent; run them side by side to halve install time.
  const results = await Promise.all(
    targets.map(async ({ name, schemaPath, content }) => {
      const outDir = path.join(ROOT, "lib", "server", "db", "generated", name);
      const stampPath = path.join(outDir, ".hindsight-stamp");
      const stamp = crypto.createHash("sha256").update(`${version}\n${content}`).digest("hex");
      const upToDate =
        !force &&
        fs.existsSync(path.join(outDir, "client.ts")) &&
        fs.existsSync(stampPath) &&
        fs.readFileSync(stampPath, "utf8") === stamp;
      if (upToDate) return `${name}: up to date`;
      await run(cli, schemaPath);
      fs.writeFileSync(stampPath, stamp);
      return `${name}: generated`;
    }),
  );
  console.log(`prisma generate (${results.join(", ")}) in ${Date.now() - started} ms`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
