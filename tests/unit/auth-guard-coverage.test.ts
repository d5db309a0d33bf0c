import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { listRouteFiles, routePattern, ROOT } from "../helpers/routes";

/**
 * Meta-test: authorization lives in every handler, not in middleware (hostile row 19). Fails when
 * a route handler under app/api or a page that loads data does not go through the guard, so a new
 * route cannot forget it. tests/integration/auth-shares.test.ts checks the same thing by behaviour.
 */
const HTTP = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
const WRITE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
/** Routes that are public on purpose: liveness, better-auth's own endpoints, first-start setup. */
const PUBLIC = /^\/api\/(health|auth\/:all\*|setup)$/;
/** Share links: decided by the token, never by a session. */
const SHARED = /^\/api\/s\//;

const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel), "utf8");

/** `export async function GET(…) { body }` / `export const GET = fn;` → { GET: body-or-alias } */
function handlers(source: string): Record<string, string> {
  const out: Record<string, string> = {};
  const starts = [...source.matchAll(/^export (?:async function (\w+)\s*\(|const (\w+)\s*=)/gm)];
  starts.forEach((m, i) => {
    const name = m[1] ?? m[2]!;
    if (!HTTP.includes(name)) return;
    out[name] = source.slice(m.index, starts[i + 1]?.index ?? source.length);
  });
  return out;
}

describe("every API route handler goes through the guard", () => {
  const files = listRouteFiles();

  it("finds the routes", () => {
    expect(files.length).toBeGreaterThan(25);
  });

  for (const file of files) {
    const pattern = routePattern(file);
    it(`${pattern}`, () => {
      const hs = handlers(read(file));
      expect(Object.keys(hs).length, `${file} exports no handler`).toBeGreaterThan(0);
      for (const [method, body] of Object.entries(hs)) {
        if (PUBLIC.test(pattern)) {
          if (WRITE.has(method) && !/=\s*handle;/.test(body)) expect(body, `${method} ${pattern}`).toMatch(/assertSameOrigin\(request\)/);
          continue;
        }
        if (SHARED.test(pattern)) {
          // GET resolves the token (and nothing else); every other method is refused outright.
          if (method === "GET") expect(body, `${method} ${pattern}`).toMatch(/getSharedIncident\(/);
          else expect(body, `${method} ${pattern}`).toMatch(/=\s*shareReadOnly;/);
          expect(body, `${method} ${pattern} must not take a session`).not.toMatch(/requireUser|getPrincipal|cookie/i);
          continue;
        }
        // The guard runs first thing in the try block, before any parsing or data access, and gets
        // the Request itself (so unsafe methods are origin-checked inside it).
        expect(body, `${method} ${pattern}: call requireUser(request[, role]) first`).toMatch(/try \{\n\s+(?:const \w+ = )?await requireUser\(request(?:, "(?:editor|admin)")?\);/);
        if (WRITE.has(method)) expect(body, `${method} ${pattern}: writes need editor or admin`).toMatch(/requireUser\(request, "(editor|admin)"\)|const me = await requireUser\(request\)/);
      }
    });
  }
});

describe("every page that loads data checks access first", () => {
  const pages: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== "api") walk(rel);
      } else if (/^(page|layout)\.tsx$/.test(e.name)) pages.push(rel);
    }
  };
  walk("app");
  const LOADS = /from "@\/lib\/server\/(?!auth\/(page|guard)")/;

  for (const file of pages) {
    it(file, () => {
      const source = read(file);
      if (file.startsWith(`${path.join("app", "s")}${path.sep}`)) {
        expect(source).toMatch(/getSharedIncident\(/);
        expect(source).not.toMatch(/pageAccess|requireUser/);
        return;
      }
      if (!LOADS.test(source)) return; // chrome or static: nothing to protect
      expect(source, `${file}: call pageAccess() before loading data`).toMatch(/await pageAccess\(/);
      if (/export async function generateMetadata/.test(source)) {
        const meta = source.slice(source.indexOf("export async function generateMetadata"));
        expect(meta.slice(0, meta.indexOf("\n}\n")), `${file}: generateMetadata loads data too`).toMatch(/await pageAccess\(/);
      }
    });
  }
});

describe("server actions", () => {
  it("any 'use server' module checks the user (and the origin) itself", () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
        const rel = path.join(dir, e.name);
        if (e.isDirectory()) {
          if (e.name !== "generated" && e.name !== "node_modules") walk(rel);
        } else if (/\.(ts|tsx)$/.test(e.name)) {
          const s = read(rel);
          if (/^\s*["']use server["']/m.test(s) && !/requireUser\(/.test(s)) offenders.push(rel);
        }
      }
    };
    for (const d of ["app", "components", "lib"]) walk(d);
    expect(offenders).toEqual([]);
  });
});
