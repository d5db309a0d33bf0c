import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, listRouteFiles, loadRoute, type Method, METHODS, ROOT, routePattern } from "../helpers/routes";

/**
 * Meta-test: authorization lives in every handler, not in middleware (hostile row 19). Every route
 * handler under app/api — found by walking the folder, so a new route is checked without anyone
 * adding it here — is called directly (no server, no proxy) for every method it exports, against a
 * throw-away SQLite database with accounts:
 *
 *   nobody signed in   → 401 `unauthenticated`, before it reads its input or touches data (the body
 *                        is not JSON, the id is a real incident: a handler that parsed or acted
 *                        first would answer something else, or change a row);
 *   a viewer writing   → 403 `forbidden` (writes need editor or admin), except SELF_SERVICE;
 *   PUBLIC routes      → the answer documented below for an anonymous caller, each with why it is
 *                        public; their writes still refuse a cross-site Origin (no login CSRF).
 *
 * tests/integration/auth-shares.test.ts checks roles, tokens and share links in depth.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hindsight-guard-"));
process.env.HINDSIGHT_DATA_DIR = dir;
process.env.DATABASE_URL = "";
delete process.env.HINDSIGHT_AUTH;

const WRITES = new Set<Method>(["POST", "PUT", "PATCH", "DELETE"]);
const NOT_JSON = "{not json";
const EVIL = "https://evil.example";

interface AnonymousCall {
  /** The URL path asked (catch-all routes decide by it). */
  path: string;
  params?: Record<string, string | string[]>;
  body?: unknown;
  status: number;
  code?: string;
}

/** Routes an anonymous caller may reach on purpose, and what each method answers them. */
const PUBLIC: Record<string, { why: string; anonymous: Partial<Record<Method, AnonymousCall>> }> = {
  "/api/health": {
    why: "liveness and database reachability for load balancers and `npm start`'s readiness wait; the load counters are for admins only",
    anonymous: { GET: { path: "/api/health", status: 200 } },
  },
  "/api/auth/:all*": {
    why: "better-auth's session endpoints are the way in (sign-in, sign-out, get-session, change-password); anything else it offers is 404",
    anonymous: {
      GET: { path: "/api/auth/get-session", params: { all: ["get-session"] }, status: 200 },
      POST: { path: "/api/auth/sign-up/email", params: { all: ["sign-up", "email"] }, body: { name: "x", email: "x@example.test", password: "a long password" }, status: 404, code: "not_found" },
    },
  },
  "/api/setup": {
    why: "first start creates the first admin; refused once any account exists",
    anonymous: { POST: { path: "/api/setup", body: { name: "Eve", email: "eve@example.test", password: "another password" }, status: 409, code: "already_setup" } },
  },
  "/api/s/:token*": {
    why: "share links: the token in the URL decides, never a session; an unknown token is one uniform 404 and nothing but GET is served",
    anonymous: {
      GET: { path: "/api/s/not-a-token", params: { token: ["not-a-token"] }, status: 404, code: "not_found" },
      POST: { path: "/api/s/not-a-token", params: { token: ["not-a-token"] }, status: 403, code: "read_only" },
      PUT: { path: "/api/s/not-a-token", params: { token: ["not-a-token"] }, status: 403, code: "read_only" },
      PATCH: { path: "/api/s/not-a-token", params: { token: ["not-a-token"] }, status: 403, code: "read_only" },
      DELETE: { path: "/api/s/not-a-token", params: { token: ["not-a-token"] }, status: 403, code: "read_only" },
    },
  },
};

/** Writes any signed-in user may make: they act on the caller's own things only. */
const SELF_SERVICE: Record<string, string> = {
  "POST /api/tokens": "a user's own API tokens (acting with the owner's role)",
  "DELETE /api/tokens/:id": "revoking one of the caller's own API tokens",
};

type Mods = typeof import("@/lib/server/auth/users") & typeof import("@/lib/server/auth/api-tokens") & typeof import("@/lib/server/db/client");
let m: Mods;
let incidentId: string;
let viewerToken: string;

/** Every row count and the incident itself: what a refused request must leave as it was. */
async function dataSnapshot(): Promise<unknown> {
  const db = m.getPrisma();
  return {
    incident: await db.incident.findUnique({ where: { id: incidentId } }),
    incidents: await db.incident.count(),
    bundles: await db.bundle.count(),
    files: await db.evidenceFile.count(),
    runs: await db.analysisRun.count(),
    jobs: await db.job.count(),
    drafts: await db.draft.count(),
    draftVersions: await db.draftVersion.count(),
    shares: await db.shareLink.count(),
    users: await db.user.count(),
    tokens: await db.apiToken.count(),
  };
}

/** Route parameters for a pattern: the real incident for `:id`, something for every other segment. */
function paramsFor(pattern: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [, name] of pattern.matchAll(/:(\w+)(?![\w*])/g)) out[name!] = name === "id" ? incidentId : "x";
  return out;
}

const filled = (pattern: string, params: Record<string, string>) => pattern.replace(/:(\w+)/g, (_, name: string) => params[name] ?? name);

const errorCode = async (res: Response) => ((await res.clone().json().catch(() => null)) as { error?: { code?: string } } | null)?.error?.code;

beforeAll(async () => {
  const { migrate } = await import("@/lib/server/db/migrate");
  const { resolveDatabase } = await import("@/lib/server/db/provider");
  await migrate(resolveDatabase());
  m = { ...(await import("@/lib/server/auth/users")), ...(await import("@/lib/server/auth/api-tokens")), ...(await import("@/lib/server/db/client")) };
  incidentId = (await m.getPrisma().incident.create({ data: { title: "Checkout 504s", status: "analysed" } })).id;
  await m.createUser({ name: "Ada Admin", email: "ada@example.test", password: "correct horse battery", role: "admin" });
  const viewer = await m.createUser({ name: "Vi Viewer", email: "vi@example.test", password: "viewer-password", role: "viewer" });
  viewerToken = (await m.createApiToken({ id: viewer.id, name: viewer.name, email: viewer.email, role: "viewer", via: "session" }, { name: "guard-coverage" })).token;
}, 120_000);

afterAll(async () => {
  await m?.closePrisma();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("every API route handler goes through the guard (by behaviour)", () => {
  const files = listRouteFiles();

  it("finds the routes, and every allow-list entry names a route that exists", async () => {
    expect(files.length).toBeGreaterThan(25);
    const exported = new Set<string>();
    for (const file of files) {
      const mod = await loadRoute(file);
      for (const method of METHODS) if (mod[method]) exported.add(`${method} ${routePattern(file)}`);
    }
    for (const [pattern, { anonymous }] of Object.entries(PUBLIC)) {
      for (const method of Object.keys(anonymous)) expect(exported, `PUBLIC ${method} ${pattern}`).toContain(`${method} ${pattern}`);
    }
    for (const key of Object.keys(SELF_SERVICE)) expect(exported, `SELF_SERVICE ${key}`).toContain(key);
  });

  for (const file of files) {
    const pattern = routePattern(file);
    it(pattern, async () => {
      const mod = await loadRoute(file);
      const methods = METHODS.filter((method) => mod[method]);
      expect(methods.length, `${file} exports no handler`).toBeGreaterThan(0);
      const before = await dataSnapshot();
      const pub = PUBLIC[pattern];

      for (const method of methods) {
        const handler = mod[method];
        if (pub) {
          const spec = pub.anonymous[method];
          expect(spec, `${method} ${pattern} is public: say what an anonymous caller gets (PUBLIC)`).toBeDefined();
          const res = await call(handler, method, spec!.path, { params: spec!.params ?? {}, body: spec!.body });
          expect(res.status, `anonymous ${method} ${spec!.path} (${pub.why})`).toBe(spec!.status);
          if (spec!.code) expect(await errorCode(res), `anonymous ${method} ${spec!.path}`).toBe(spec!.code);
          if (WRITES.has(method) && spec!.status !== 403) {
            const crossSite = await call(handler, method, spec!.path, { params: spec!.params ?? {}, body: spec!.body, headers: { origin: EVIL } });
            expect(crossSite.status, `cross-site ${method} ${spec!.path}`).toBe(403);
            expect(await errorCode(crossSite)).toBe("cross_origin");
          }
          continue;
        }

        const params = paramsFor(pattern);
        const url = filled(pattern, params);
        const body = WRITES.has(method) ? NOT_JSON : undefined;
        const anonymous = await call(handler, method, url, { params, body });
        expect(anonymous.status, `anonymous ${method} ${pattern}`).toBe(401);
        expect(await errorCode(anonymous), `anonymous ${method} ${pattern}`).toBe("unauthenticated");

        if (!WRITES.has(method)) continue;
        const asViewer = await call(handler, method, url, { params, body, headers: { authorization: `Bearer ${viewerToken}` } });
        if (SELF_SERVICE[`${method} ${pattern}`]) {
          expect([401, 403], `viewer ${method} ${pattern}: ${SELF_SERVICE[`${method} ${pattern}`]}`).not.toContain(asViewer.status);
        } else {
          expect(asViewer.status, `viewer ${method} ${pattern}: writes need editor or admin`).toBe(403);
          expect(await errorCode(asViewer), `viewer ${method} ${pattern}`).toBe("forbidden");
        }
      }
      // Refused or public, nothing was written (self-service calls above are refused for their body).
      expect(await dataSnapshot(), `${pattern} changed data`).toEqual(before);
    });
  }

  it("the health answer for an anonymous caller is liveness only", async () => {
    const res = await call((await loadRoute("app/api/health/route.ts")).GET, "GET", "/api/health");
    expect(await res.json()).toEqual({ ok: true });
  });
});

// Pages and server actions render inside Next.js's request scope (pageAccess reads next/headers),
// which a test cannot enter without a server: they are checked by their source.
const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel), "utf8");

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
