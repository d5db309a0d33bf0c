import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { ENV_DOCS } from "@/lib/server/config";

describe("configuration docs", () => {
  it("README lists every environment variable with its default (run scripts/readme-env.ts to refresh)", () => {
    const readme = fs.readFileSync("README.md", "utf8");
    for (const e of ENV_DOCS) expect(readme, e.name).toContain(`| \`${e.name}\` | ${e.default} |`);
  });
  it("every HINDSIGHT_* variable read in lib/ is documented", () => {
    const names = new Set<string>();
    const walk = (dir: string) => {
      for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = `${dir}/${ent.name}`;
        if (ent.isDirectory()) {
          if (ent.name !== "generated") walk(p);
        } else if (/\.(ts|tsx|mjs)$/.test(ent.name)) {
          for (const m of fs.readFileSync(p, "utf8").matchAll(/\bHINDSIGHT_[A-Z_]*[A-Z]\b/g)) names.add(m[0]);
        }
      }
    };
    walk("lib");
    walk("tests");
    const documented = new Set<string>(ENV_DOCS.map((e) => e.name));
    expect([...names].filter((n) => !documented.has(n)).sort()).toEqual([]);
  });
});
