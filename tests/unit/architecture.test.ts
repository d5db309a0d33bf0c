import path from "node:path";
import { ESLint } from "eslint";
import { beforeAll, describe, expect, it } from "vitest";

/**
 * The layer order of docs/ARCHITECTURE.md "Layers" is enforced by eslint.config.mjs
 * (no-restricted-imports, and no-restricted-syntax for dynamic `import()`). This suite lints planted
 * imports as if they were written in a file of each layer: every import of a later layer must be
 * reported, every import of the same or an earlier one must not. The order is written out here again
 * on purpose, so a rule weakened in the config fails this test.
 */
const ROOT = path.resolve(__dirname, "../..");

/** Lowest first: [layer, a file in it, a module of it to import]. */
const ORDER: [string, string, string][] = [
  ["shared", "lib/schemas/planted.ts", "@/lib/schemas/records"],
  ["platform", "lib/server/audit.ts", "@/lib/server/config"],
  ["parsers", "lib/server/parsers/planted.ts", "@/lib/server/parsers/types"],
  ["correlate", "lib/server/correlate/planted.ts", "@/lib/server/correlate/requests"],
  ["detectors", "lib/server/detectors/planted.ts", "@/lib/server/detectors"],
  ["analysis", "lib/server/analysis/planted.ts", "@/lib/server/analysis/analyze"],
  ["draft", "lib/server/draft/planted.ts", "@/lib/server/draft/generate"],
  ["persistence", "lib/server/db/planted.ts", "@/lib/server/db/client"],
  ["pipeline", "lib/server/pipeline/planted.ts", "@/lib/server/pipeline/run-analysis"],
  ["access", "lib/server/auth/planted.ts", "@/lib/server/auth/guard"],
  ["page-cache", "lib/server/page-cache/planted.ts", "@/lib/server/page-cache/version"],
  ["views", "lib/server/views/planted.ts", "@/lib/server/views/warm"],
  ["jobs", "lib/server/jobs/planted.ts", "@/lib/server/jobs"],
  ["services", "lib/server/services/planted.ts", "@/lib/server/services/incidents"],
  ["entry", "lib/server/cli/planted.ts", "@/lib/server/cli/session"],
  ["app", "app/planted/route.ts", "@/app/layout"],
];

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: ROOT });
});

/** The layer-order messages ESLint reports for `code` as the contents of `filePath`. */
async function layerErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, filePath) });
  return result!.messages.filter((m) => m.ruleId === "no-restricted-imports" || m.ruleId === "no-restricted-syntax").map((m) => m.message);
}

describe("layer order (eslint.config.mjs)", () => {
  it("reports every import of a later layer and none of the same or an earlier one", async () => {
    const wrong: string[] = [];
    for (const [from, file] of ORDER.slice(0, -1)) {
      const at = ORDER.findIndex(([name]) => name === from);
      for (const [to, , spec] of ORDER) {
        const code = `import { x } from "${spec}";\nexport const y = x;\n`;
        const reported = (await layerErrors(file, code)).length > 0;
        const expected = ORDER.findIndex(([name]) => name === to) > at;
        if (reported !== expected) wrong.push(`${from} → ${to} (${spec}): ${reported ? "reported" : "not reported"}`);
      }
    }
    expect(wrong).toEqual([]);
  }, 120_000);

  it("names the rule's reason", async () => {
    const [message] = await layerErrors("lib/server/parsers/planted.ts", `import { isFailedRequest } from "@/lib/server/correlate";\nexport const f = isFailedRequest;\n`);
    expect(message).toMatch(/Layer order .*parsers may not import correlate/);
  });

  it("sees relative paths, re-exports, dynamic and type-only imports", async () => {
    // The cases of issue 16: a view importing a service, the pipeline warming views, a page cache resolving through a service.
    expect(await layerErrors("lib/server/views/planted.ts", `import { queryRecords } from "../services/records";\nexport const q = queryRecords;\n`)).toHaveLength(1);
    expect(await layerErrors("lib/server/pipeline/planted.ts", `export async function warm() {\n  return import("@/lib/server/views/warm");\n}\n`)).toHaveLength(1);
    expect(await layerErrors("lib/server/pipeline/planted.ts", `export async function warm() {\n  return import("../views/warm");\n}\n`)).toHaveLength(1);
    expect(await layerErrors("lib/server/page-cache/planted.ts", `export * from "@/lib/server/services/shares";\n`)).toHaveLength(1);
    expect(await layerErrors("lib/server/parsers/planted.ts", `import type { Db } from "@/lib/server/db/client";\nexport type D = Db;\n`)).toHaveLength(1);
    // db/migrate shares code with scripts through lib/server/db, never the other way round.
    expect(await layerErrors("lib/server/db/planted.ts", `import { x } from "../../../scripts/db-migrate";\nexport const y = x;\n`)).toHaveLength(1);
    expect(await layerErrors("lib/server/db/planted.ts", `import { x } from "@/scripts/db-migrate";\nexport const y = x;\n`)).toHaveLength(1);
    // Same-layer neighbours and lower layers, relative or aliased, stay allowed.
    expect(await layerErrors("lib/server/auth/planted.ts", `import { assertSameOrigin } from "../http/origin";\nexport const a = assertSameOrigin;\n`)).toEqual([]);
    expect(await layerErrors("lib/server/parsers/mesh/planted.ts", `import { excerpt } from "../lines";\nexport const e = excerpt;\n`)).toEqual([]);
    expect(await layerErrors("lib/server/views/planted.ts", `export async function m() {\n  return import("@/lib/server/pipeline/materialize");\n}\n`)).toEqual([]);
  });

  it("keeps the domain-error rules next to the layer rules", async () => {
    // Both use no-restricted-syntax: a layer block must not drop the other rule's selectors.
    const response = `export function f() {\n  return new Response("x");\n}\n`;
    expect(await layerErrors("lib/server/services/planted.ts", response)).toHaveLength(1);
    expect(await layerErrors("lib/server/views/planted.ts", `export function f() {\n  throw new NotReadyError(409, "x");\n}\nclass NotReadyError extends Error {}\n`)).toHaveLength(1);
    expect(await layerErrors("lib/server/services/planted.ts", `import { toErrorResponse } from "@/lib/server/http/errors";\nexport const t = toErrorResponse;\n`)).toHaveLength(1);
    expect(await layerErrors("lib/server/http/planted.ts", response)).toEqual([]);
  });

  it("keeps client components off server code, types excepted", async () => {
    expect(await layerErrors("components/planted/Planted.tsx", `import { getPrisma } from "@/lib/server/db/client";\nexport const p = getPrisma;\n`)).toHaveLength(1);
    expect(await layerErrors("components/planted/Planted.tsx", `import type { Db } from "@/lib/server/db/client";\nexport type D = Db;\n`)).toEqual([]);
    expect(await layerErrors("components/planted/Planted.tsx", `import { recordHref } from "@/lib/timeline-url";\nexport const r = recordHref;\n`)).toEqual([]);
  });
});
