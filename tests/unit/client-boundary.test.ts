import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * House rule: client components never import server code. Walks the import graph from every
 * module that starts with "use client" (transitively, through the project's own files) and fails
 * when it reaches lib/server/ — stronger than a per-file lint rule, which misses indirect imports.
 */
const ROOT = path.resolve(__dirname, "../..");
const SOURCE_DIRS = ["app", "components", "lib"];

function listSources(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== "generated" && e.name !== "node_modules") walk(p);
      } else if (/\.(ts|tsx)$/.test(e.name)) out.push(p);
    }
  };
  for (const d of SOURCE_DIRS) if (fs.existsSync(path.join(ROOT, d))) walk(path.join(ROOT, d));
  return out;
}

function resolveImport(from: string, spec: string): string | null {
  let base: string;
  if (spec.startsWith("@/")) base = path.join(ROOT, spec.slice(2));
  else if (spec.startsWith(".")) base = path.resolve(path.dirname(from), spec);
  else return null; // package
  for (const cand of [base, `${base}.ts`, `${base}.tsx`, path.join(base, "index.ts"), path.join(base, "index.tsx")]) {
    if (fs.existsSync(cand) && fs.statSync(cand).isFile()) return cand;
  }
  return null;
}

const IMPORT_RE = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT_RE)) {
    // `import type` is erased at compile time and cannot pull server code into the client bundle.
    if (/^\s*(import|export)\s+type\s/.test(m[0])) continue;
    const spec = m[1] ?? m[2] ?? m[3];
    const resolved = spec ? resolveImport(file, spec) : null;
    if (resolved) out.push(resolved);
  }
  return out;
}

describe("client/server boundary", () => {
  it("no 'use client' module reaches lib/server/ through its imports", () => {
    const clientModules = listSources().filter((f) => /^\s*["']use client["']/.test(fs.readFileSync(f, "utf8")));
    const violations: string[] = [];
    for (const start of clientModules) {
      const seen = new Set<string>();
      const stack: { file: string; chain: string[] }[] = [{ file: start, chain: [start] }];
      while (stack.length > 0) {
        const { file, chain } = stack.pop()!;
        if (seen.has(file)) continue;
        seen.add(file);
        if (file.startsWith(path.join(ROOT, "lib/server") + path.sep)) {
          violations.push(chain.map((c) => path.relative(ROOT, c)).join(" → "));
          continue;
        }
        for (const next of importsOf(file)) stack.push({ file: next, chain: [...chain, next] });
      }
    }
    expect(violations).toEqual([]);
  });

  it("detects a violation (the check itself works)", () => {
    const fake = path.join(ROOT, "components", "__boundary_probe.tsx");
    expect(resolveImport(fake, "@/lib/server/config")).toBe(path.join(ROOT, "lib/server/config.ts"));
  });
});
