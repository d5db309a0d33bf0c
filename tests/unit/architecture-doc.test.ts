import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * docs/ARCHITECTURE.md stays true about where things live: every file it names (`lib/server/db/raw.ts`,
 * `correlate/requests.ts`, `lib/server/{config,paths}.ts`, or a bare `rank.ts` in a folder's row) must
 * exist — under the repository root, `lib/`, `lib/server/`, or, for a bare file name, somewhere in the
 * source folders. A file moved or deleted without the page being updated fails here.
 */
const ROOT = path.resolve(__dirname, "../..");
const BASES = ["", "lib/", "lib/server/", "components/", "app/", "scripts/", "tests/", "docs/", "prisma/"];
const SOURCE_DIRS = ["lib", "scripts", "app", "components", "prisma", "bin", "tests"];

function expand(token: string): string[] {
  const m = /\{([^}]*)\}/.exec(token);
  if (!m) return [token];
  return m[1]!.split(",").flatMap((alt) => expand(token.slice(0, m.index) + alt + token.slice(m.index + m[0].length)));
}

function allFileNames(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir)) {
      if (e === "node_modules" || e === "generated" || e.startsWith(".")) continue;
      const p = path.join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else names.add(e);
    }
  };
  for (const d of SOURCE_DIRS) if (existsSync(path.join(ROOT, d))) walk(path.join(ROOT, d));
  return names;
}

describe("docs/ARCHITECTURE.md", () => {
  it("names only files that exist", () => {
    const text = readFileSync(path.join(ROOT, "docs/ARCHITECTURE.md"), "utf8");
    // Path-like tokens ending in a source extension; a brace group split over two lines is skipped.
    const tokens = new Set(text.match(/(?<![\w/.-])(?:[\w.-]+\/)*[\w.{},-]*\.(?:tsx?|mjs|js|prisma)(?!\w)/g) ?? []);
    const names = allFileNames();
    const missing: string[] = [];
    let checked = 0;
    for (const token of tokens) {
      if (token.includes("}") !== token.includes("{") || token.startsWith(".") || /^Next\.js$/.test(token)) continue;
      for (const file of expand(token)) {
        checked++;
        const found = BASES.some((b) => existsSync(path.join(ROOT, b + file))) || (!file.includes("/") && names.has(file));
        if (!found) missing.push(file);
      }
    }
    expect(checked).toBeGreaterThan(40);
    expect(missing).toEqual([]);
  });
});
