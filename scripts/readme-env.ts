// Regenerates the configuration table in README.md from ENV_DOCS (lib/server/config.ts).
// tests/unit/config.test.ts fails when the README is out of date.
import fs from "node:fs";
import { ENV_DOCS } from "@/lib/server/config";

export function envTable(): string {
  return ENV_DOCS.map((e) => `| \`${e.name}\` | ${e.default} | ${e.doc} |`).join("\n");
}

if (process.argv[1]?.endsWith("readme-env.ts")) {
  const readme = fs.readFileSync("README.md", "utf8");
  const start = readme.indexOf("| variable | default | meaning |");
  const header = "| variable | default | meaning |\n|---|---|---|\n";
  const end = readme.indexOf("\n\n", start);
  const next = `${readme.slice(0, start)}${header}${envTable()}${readme.slice(end)}`;
  fs.writeFileSync("README.md", next);
  console.log("README configuration table updated");
}
