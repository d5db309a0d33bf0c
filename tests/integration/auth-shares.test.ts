import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, cookieHeader, HOST, listRouteFiles, loadRoute, METHODS, routePattern } from "../helpers/routes";

/**
 * Accounts, roles and share links against the real route handlers on a throw-away SQLite database,
 * called directly (no server, no middleware): authorization must hold where data is read and
 * written. Hostile-input rows 15–20 (../shared/checklists/hostile-inputs.md).
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hindsight-auth-"));
process.env.HINDSIGHT_DATA_DIR = dir;
process.env.DATABASE_URL = "";
delete process.env.HINDSIGHT_AUTH;

type Mods = typeof import("@/lib/server/auth/users") & typeof import("@/lib/server/db/client");
let m: Mods;
let incidentA: string;
let incidentB: string;
const cookies: Record<"admin" | "editor" | "viewer", string> = { admin: "", editor: "", viewer: "" };
const ADMIN = { name: "Ada Admin", email: "ada@example.test", password: "correct horse battery" };

async function signIn(email: string, password: string): Promise<string> {
  const { getAuth } = await import("@/lib/server/auth/auth");
  const res = await (await getAuth()).api.signInEmail({ body: { email, password }, returnHeaders: true });
  return cookieHeader(res.headers.getSetCookie());
}

const route = (file: string) => loadRoute(file);
const SHARES = "app/api/incidents/[id]/shares/route.ts";
const SHARE_ONE = "app/api/incidents/[id]/shares/[token]/route.ts";
const SHARED_JSON = "app/api/s/[[...token]]/route.ts";
const INCIDENT = "app/api/incidents/[id]/route.ts";
const REANALYZE = "app/api/incidents/[id]/reanalyze/route.ts";
const DRAFT = "app/api/incidents/[id]/draft/route.ts";

async function createShare(incidentId: string, body: unknown = {}): Promise<{ token: string; url: string; id: string }> {
  const res = await call((await route(SHARES)).POST, "POST", `/api/incidents/${incidentId}/shares`, { headers: { cookie: cookies.editor }, body, params: { id: incidentId } });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as { token: string; url: string; id: string };
}

async function openShared(token: string | string[] | undefined): Promise<Response> {
  const tokens = token === undefined ? undefined : Array.isArray(token) ? token : [token];
  return call((await route(SHARED_JSON)).GET, "GET", `/api/s/${tokens?.join("/") ?? ""}`, { params: tokens ? { token: tokens } : {} });
}

beforeAll(async () => {
  const { migrate } = await import("@/lib/server/db/migrate");
  const { resolveDatabase } = await import("@/lib/server/db/provider");
  await migrate(resolveDatabase());
  m = { ...(await import("@/lib/server/auth/users")), ...(await import("@/lib/server/db/client")) };
  const db = m.getPrisma();
  incidentA = (await db.incident.create({ data: { title: "Checkout 504s", status: "analysed" } })).id;
  incidentB = (await db.incident.create({ data: { title: "Another team's outage", status: "analysed" } })).id;
  const setup = await m.setupAdmin(ADMIN);
  cookies.admin = cookieHeader(setup.setCookie);
  await m.createUser({ name: "Ed Editor", email: "ed@example.test", password: "editor-password", role: "editor" });
  await m.createUser({ name: "Vi Viewer", email: "vi@example.test", password: "viewer-password", role: "viewer" });
  cookies.editor = await signIn("ed@example.test", "editor-password");
  cookies.viewer = await signIn("vi@example.test", "viewer-password");
}, 120_000);

afterAll(async () => {
  await m?.closePrisma();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("accounts and roles", () => {
  it("first start creates one admin; a second setup is refused (409)", async () => {
    expect(cookies.admin).toMatch(/session_token=/);
    const again = await call((await route("app/api/setup/route.ts")).POST, "POST", "/api/setup", { body: { name: "Eve", email: "eve@example.test", password: "another password" } });
    expect(again.status).toBe(409);
    const users = await m.listUsers();
    expect(users.filter((u) => u.role === "admin").map((u) => u.email)).toEqual([ADMIN.email]);
  });

  it("passwords are stored as better-auth scrypt hashes, never in clear", async () => {
    const accounts = await m.getPrisma().account.findMany();
    expect(accounts.length).toBe(3);
    for (const a of accounts) {
      expect(a.password).toBeTruthy();
      expect(a.password).not.toContain("password");
      expect(a.password).toMatch(/^[0-9a-f]+:[0-9a-f]+$/);
    }
  });

  it("a viewer reads but every write is refused with 403, at the handler", async () => {
    const read = await call((await route(INCIDENT)).GET, "GET", `/api/incidents/${incidentA}`, { headers: { cookie: cookies.viewer }, params: { id: incidentA } });
    expect(read.status).toBe(200);
    const writes: Array<[string, "POST" | "PUT" | "PATCH" | "DELETE", Record<string, string>, unknown]> = [
      [REANALYZE, "POST", { id: incidentA }, undefined],
      [DRAFT, "PUT", { id: incidentA }, { sections: { summary: "vandalised" } }],
      ["app/api/incidents/[id]/draft/regenerate/route.ts", "POST", { id: incidentA }, undefined],
      ["app/api/incidents/[id]/files/[fileId]/route.ts", "PATCH", { id: incidentA, fileId: "f" }, { clockSkewMs: 5 }],
      ["app/api/incidents/route.ts", "POST", {}, undefined],
      ["app/api/incidents/[id]/bundles/route.ts", "POST", { id: incidentA }, undefined],
      [SHARES, "POST", { id: incidentA }, {}],
      [SHARE_ONE, "DELETE", { id: incidentA, token: "x" }, undefined],
      ["app/api/users/route.ts", "POST", {}, { name: "x", email: "x@example.test", password: "12345678", role: "admin" }],
      ["app/api/users/[id]/route.ts", "PATCH", { id: "x" }, { role: "admin" }],
    ];
    for (const [file, method, params, body] of writes) {
      const res = await call((await route(file))[method], method, routePattern(file), { headers: { cookie: cookies.viewer }, params, body });
      expect(res.status, `${method} ${routePattern(file)}`).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("forbidden");
    }
    expect((await call((await route(SHARES)).GET, "GET", "/", { headers: { cookie: cookies.viewer }, params: { id: incidentA } })).status).toBe(403);
  });

  it("an editor may not manage accounts; an admin may, but never remove or demote the last admin", async () => {
    const users = await route("app/api/users/route.ts");
    expect((await call(users.GET, "GET", "/api/users", { headers: { cookie: cookies.editor } })).status).toBe(403);
    expect((await call(users.GET, "GET", "/api/users", { headers: { cookie: cookies.admin } })).status).toBe(200);
    const admin = (await m.listUsers()).find((u) => u.role === "admin")!;
    const one = await route("app/api/users/[id]/route.ts");
    const demote = await call(one.PATCH, "PATCH", `/api/users/${admin.id}`, { headers: { cookie: cookies.admin }, params: { id: admin.id }, body: { role: "viewer" } });
    expect(demote.status).toBe(409);
    const remove = await call(one.DELETE, "DELETE", `/api/users/${admin.id}`, { headers: { cookie: cookies.admin }, params: { id: admin.id } });
    expect(remove.status).toBe(409);
  });

  it("a role change applies to the very next request (no role cached in the cookie)", async () => {
    const temp = await m.createUser({ name: "Tem Porary", email: "temp@example.test", password: "temporary-password", role: "editor" });
    const cookie = await signIn("temp@example.test", "temporary-password");
    const me = await route("app/api/me/route.ts");
    expect(((await (await call(me.GET, "GET", "/api/me", { headers: { cookie } })).json()) as { role: string }).role).toBe("editor");
    await m.updateUser(temp.id, { role: "viewer" });
    expect(((await (await call(me.GET, "GET", "/api/me", { headers: { cookie } })).json()) as { role: string }).role).toBe("viewer");
    await m.deleteUser(temp.id);
    expect((await call(me.GET, "GET", "/api/me", { headers: { cookie } })).status).toBe(401);
  });

  it("API tokens act as their owner (Bearer), are stored hashed and stop at once when revoked", async () => {
    const tokens = await route("app/api/tokens/route.ts");
    const created = await call(tokens.POST, "POST", "/api/tokens", { headers: { cookie: cookies.editor }, body: { name: "ci" } });
    expect(created.status).toBe(201);
    const { token, id } = (await created.json()) as { token: string; id: string };
    expect(token).toMatch(/^hst_[A-Za-z0-9_-]{43}$/);
    const stored = await m.getPrisma().apiToken.findUniqueOrThrow({ where: { id } });
    expect(stored.tokenHash).not.toContain(token);
    const me = await route("app/api/me/route.ts");
    const asToken = await call(me.GET, "GET", "/api/me", { headers: { authorization: `Bearer ${token}` } });
    expect(await asToken.json()).toMatchObject({ email: "ed@example.test", role: "editor", via: "token" });
    const revoke = await call((await route("app/api/tokens/[id]/route.ts")).DELETE, "DELETE", `/api/tokens/${id}`, { headers: { cookie: cookies.editor }, params: { id } });
    expect(revoke.status).toBe(204);
    expect((await call(me.GET, "GET", "/api/me", { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
  });

  it("session cookies are HttpOnly and SameSite; Secure only when the request came over HTTPS (plain-HTTP LAN installs can sign in)", async () => {
    const { authFor } = await import("@/lib/server/auth/auth");
    const { getPrincipal } = await import("@/lib/server/auth/guard");
    const body = { email: "vi@example.test", password: "viewer-password" };
    const http = new Headers({ "x-forwarded-proto": "http" });
    const plain = (await (await authFor(http)).api.signInEmail({ body, headers: http, returnHeaders: true })).headers.getSetCookie();
    expect(plain.join("\n")).toMatch(/HttpOnly/i);
    expect(plain.join("\n")).toMatch(/SameSite=Lax/i);
    expect(plain.join("\n")).not.toMatch(/Secure/i);
    const https = new Headers({ "x-forwarded-proto": "https" });
    const secure = (await (await authFor(https)).api.signInEmail({ body, headers: https, returnHeaders: true })).headers.getSetCookie();
    expect(secure.join("\n")).toMatch(/__Secure-better-auth\.session_token=.*;.*Secure/i);
    https.set("cookie", cookieHeader(secure));
    expect(await getPrincipal(https)).toMatchObject({ email: "vi@example.test", role: "viewer" });
  });

  it("HINDSIGHT_AUTH=off: single-user mode acts as admin without any credential, for loopback Host names only", async () => {
    process.env.HINDSIGHT_AUTH = "off";
    try {
      const me = (await route("app/api/me/route.ts")).GET;
      for (const host of ["127.0.0.1:3000", "localhost:3000", "[::1]:3000", "localhost"]) {
        const res = await call(me, "GET", "/api/me", { headers: { host } });
        expect(await res.json(), host).toMatchObject({ role: "admin", via: "local" });
      }
      // DNS rebinding: a page at evil.example re-resolved to 127.0.0.1 sends its own name as Host.
      for (const host of ["evil.example:3000", "127.0.0.1.evil.example", "10.0.0.5:3000"]) {
        expect((await call(me, "GET", "/api/me", { headers: { host } })).status, host).toBe(401);
      }
    } finally {
      delete process.env.HINDSIGHT_AUTH;
    }
  });
});

describe("hostile inputs: authorization where data is read and written", () => {
  const EXEMPT = /^\/api\/(health|auth|setup|s)(\/|$)/;

  it("row 19: every guarded API route denies a request without credentials, even with x-middleware-subrequest", async () => {
    const checked: string[] = [];
    for (const file of listRouteFiles()) {
      const pattern = routePattern(file);
      if (EXEMPT.test(pattern)) continue;
      const mod = await loadRoute(file);
      for (const method of METHODS) {
        const handler = mod[method];
        if (!handler) continue;
        const res = await call(handler, method, pattern, {
          headers: { "x-middleware-subrequest": "middleware:middleware:middleware:middleware:middleware", "x-forwarded-user": "admin" },
          params: { id: incidentA, fileId: "f", version: "1", recordId: "1", token: "t" },
        });
        expect(res.status, `${method} ${pattern}`).toBe(401);
        checked.push(`${method} ${pattern}`);
      }
    }
    expect(checked.length).toBeGreaterThan(20);
  });

  it("row 20: cross-site writes (Origin: evil, Origin: null) are refused by every write handler, even for an admin", async () => {
    let checked = 0;
    for (const file of listRouteFiles()) {
      const pattern = routePattern(file);
      if (/^\/api\/(s|health)(\/|$)/.test(pattern)) continue;
      const mod = await loadRoute(file);
      for (const method of ["POST", "PUT", "PATCH", "DELETE"] as const) {
        const handler = mod[method];
        if (!handler) continue;
        for (const origin of ["https://evil.example", "null"]) {
          const res = await call(handler, method, pattern, { headers: { cookie: cookies.admin, origin }, params: { id: incidentA, fileId: "f", token: "t" }, body: {} });
          expect(res.status, `${method} ${pattern} Origin: ${origin}`).toBe(403);
          expect(((await res.json()) as { error: { code: string } }).error.code, `${method} ${pattern}`).toBe("cross_origin");
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(15);
    // The same write from the app's own origin gets past the origin check.
    const same = await call((await route(SHARES)).POST, "POST", "/", { headers: { cookie: cookies.editor, origin: `http://${HOST}` }, params: { id: incidentA }, body: {} });
    expect(same.status).toBe(201);
  });
});

describe("hostile inputs: share links", () => {
  it("row 15: tokens are 256-bit CSPRNG base64url, stored only as a hash; guessed, sequential, empty and literal `:token` values all get one identical 404", async () => {
    const a = await createShare(incidentA);
    const b = await createShare(incidentA);
    for (const t of [a.token, b.token]) expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/); // 43 × 6 bits ≥ 256 bits of randomBytes(32)
    expect(a.token).not.toBe(b.token);
    expect(a.url).toBe(`http://${HOST}/s/${a.token}`);
    const rows = await m.getPrisma().shareLink.findMany();
    expect(JSON.stringify(rows)).not.toContain(a.token);

    const ok = await openShared(a.token);
    expect(ok.status).toBe(200);
    const last = a.token.at(-1)!;
    const sequential = a.token.slice(0, -1) + (last === "A" ? "B" : "A");
    const guesses: Array<string | string[] | undefined> = [
      undefined,
      "",
      ":token",
      "%3Atoken",
      "1",
      "00000000000000000000000000000000000000000000",
      sequential,
      a.token.toLowerCase() === a.token ? a.token.toUpperCase() : a.token.toLowerCase(),
      `${a.token}x`,
      [a.token, incidentB],
      "x".repeat(5000),
    ];
    const bodies = new Set<string>();
    for (const g of guesses) {
      const res = await openShared(g);
      expect(res.status, String(g).slice(0, 50)).toBe(404);
      expect(res.headers.get("cache-control")).toBe("no-store");
      bodies.add(await res.text());
    }
    expect(bodies.size).toBe(1);
  });

  it("row 16: a revoked or expired link is 404 at once, with the same body; shared responses are no-store", async () => {
    const unknown = await (await openShared("A".repeat(43))).text();
    const link = await createShare(incidentA);
    const open = await openShared(link.token);
    expect(open.status).toBe(200);
    expect(open.headers.get("cache-control")).toBe("no-store");
    const del = await call((await route(SHARE_ONE)).DELETE, "DELETE", "/", { headers: { cookie: cookies.editor }, params: { id: incidentA, token: link.id } });
    expect(del.status).toBe(204);
    const revoked = await openShared(link.token);
    expect(revoked.status).toBe(404);
    expect(await revoked.text()).toBe(unknown);

    const soon = await createShare(incidentA, { expiresAt: new Date(Date.now() + 60_000).toISOString() });
    expect((await openShared(soon.token)).status).toBe(200);
    await m.getPrisma().shareLink.update({ where: { id: soon.id }, data: { expiresAt: new Date(Date.now() - 1) } });
    const expired = await openShared(soon.token);
    expect(expired.status).toBe(404);
    expect(await expired.text()).toBe(unknown);
    const past = await call((await route(SHARES)).POST, "POST", "/", { headers: { cookie: cookies.editor }, params: { id: incidentA }, body: { expiresAt: "2001-01-01T00:00:00Z" } });
    expect(past.status).toBe(422);

    const list = (await (await call((await route(SHARES)).GET, "GET", "/", { headers: { cookie: cookies.editor }, params: { id: incidentA } })).json()) as Array<{ id: string; createdBy: string; lastUsedAt: string | null }>;
    expect(list.map((l) => l.id)).not.toContain(link.id);
    expect(list.map((l) => l.id)).not.toContain(soon.id);
    expect(list.every((l) => l.createdBy === "Ed Editor")).toBe(true);
  });

  it("row 17: a share token is read-only and scoped to its incident", async () => {
    const link = await createShare(incidentA);
    // Writes on the share API itself: refused whatever the token.
    const mod = await route(SHARED_JSON);
    for (const method of ["POST", "PUT", "PATCH", "DELETE"] as const) {
      const res = await call(mod[method], method, `/api/s/${link.token}`, { params: { token: [link.token] }, body: {} });
      expect(res.status, method).toBe(403);
    }
    // As a credential on the real API: recognised and refused, for writes and for other incidents.
    const bearer = { authorization: `Bearer ${link.token}` };
    expect((await call((await route(REANALYZE)).POST, "POST", "/", { headers: bearer, params: { id: incidentA } })).status).toBe(403);
    expect((await call((await route(DRAFT)).PUT, "PUT", "/", { headers: bearer, params: { id: incidentA }, body: { sections: {} } })).status).toBe(403);
    expect((await call((await route(INCIDENT)).GET, "GET", "/", { headers: bearer, params: { id: incidentB } })).status).toBe(403);
    // The incident comes from the link's row, never from the request.
    const shared = (await (await openShared(link.token)).json()) as { incident: { title: string } };
    expect(shared.incident.title).toBe("Checkout 504s");
    expect((await openShared([link.token, incidentB])).status).toBe(404);
    // Revoking through another incident's URL does not touch it.
    const cross = await call((await route(SHARE_ONE)).DELETE, "DELETE", "/", { headers: { cookie: cookies.editor }, params: { id: incidentB, token: link.token } });
    expect(cross.status).toBe(404);
    expect((await openShared(link.token)).status).toBe(200);
    // Last use is recorded.
    const row = await m.getPrisma().shareLink.findUniqueOrThrow({ where: { id: link.id } });
    expect(row.lastUsedAt).not.toBeNull();
  });

  it("row 18: the shared JSON carries no secrets or internal paths and is sent with Referrer-Policy: no-referrer", async () => {
    const link = await createShare(incidentA);
    const res = await openShared(link.token);
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    const text = await res.text();
    const users = await m.getPrisma().user.findMany();
    for (const secret of [dir, os.tmpdir(), "blobs", "storageKey", "tokenHash", link.token, ...users.map((u) => u.email), ...users.map((u) => u.id), incidentA]) {
      expect(text, secret).not.toContain(secret);
    }
  });
});
