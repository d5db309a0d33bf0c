import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { PageRenderer, RenderResult } from "@/lib/server/page-cache/self-render";
import { withTempPostgres } from "../helpers/db";
import { cookieHeader } from "../helpers/routes";

/**
 * The page cache (lib/server/page-cache) against a real SQLite database, real accounts and share
 * links: access is decided on every request, a copy is never served to another principal, and a
 * new run, an edit, a revoked or expired link show at once. The renderer stands in for the page:
 * it receives exactly what the self-render forwards, resolves the principal from it the way
 * pageAccess does and shows what the real pages show (title, status, role-dependent controls,
 * draft), with the placeholder where Next.js writes the nonce. The real pages behind the real
 * proxy: tests/e2e/page-cache.spec.ts.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hindsight-page-cache-"));
process.env.HINDSIGHT_DATA_DIR = dir;
process.env.DATABASE_URL = "";
delete process.env.HINDSIGHT_AUTH;

type Cache = typeof import("@/lib/server/page-cache/page-cache");
let pc: Cache;
let db: import("@/lib/server/db/client").Db;
let shares: typeof import("@/lib/server/services/shares");
let guard: typeof import("@/lib/server/auth/guard");
let tagOf: typeof import("@/lib/server/auth/guard").principalTag;
const cookies = { admin: "", editor: "", viewer: "" };
let viewerId = "";
let incidentA = "";
let incidentB = "";

/** Renders in the test run (what the cache asked the page for). */
let renders: string[] = [];
/** Runs inside a render, after the cache's own access check (a change made "meanwhile"). */
let duringRender: (() => Promise<void>) | null = null;

const fakePage: PageRenderer = async (pathname, headers, placeholder): Promise<RenderResult> => {
  renders.push(pathname);
  if (duringRender) await duringRender();
  // Only what renderViaSelf forwards reaches the page.
  const { renderHeaders } = await import("@/lib/server/page-cache/self-render");
  const f = renderHeaders(headers);
  const forwarded = new Headers({ ...f.shared, ...f.credentials });
  const principal = await guard.pagePrincipal(forwarded, db);
  const head = `<html><head><meta name="hindsight-principal" content="${tagOf(principal)}"/></head><body>`;
  const scripts = `<script nonce="${placeholder}">self.__next_f.push([1,"[\\"$\\",\\"script\\",null,{\\"nonce\\":\\"${placeholder}\\"}]"])</script></body></html>`;
  const html = (status: number, body: string): RenderResult => ({ status, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "private, no-cache, no-store, max-age=0, must-revalidate" }, body: head + body + scripts });
  const incident = /^\/incidents\/(.+)$/.exec(pathname);
  if (incident) {
    if (!principal) return { status: 307, headers: { location: "/login" }, body: "" };
    const row = await db.incident.findUnique({ where: { id: incident[1]! }, include: { runs: { orderBy: { createdAt: "desc" }, take: 1 } } });
    if (!row) return html(404, "<h1>Not found</h1>");
    const editor = principal.role !== "viewer";
    return html(200, `<h1>${row.title}</h1><p>status ${row.status}, run ${row.runs[0]?.id}</p><p>you: ${principal.name}</p>${editor ? "<section>Create share link</section>" : ""}`);
  }
  const data = await shares.getSharedIncident(decodeURIComponent(pathname.slice(3)), db);
  if (!data) return html(404, "<h1>Link not available</h1>");
  return html(200, `<h1>${data.incident.title}</h1><article>${data.draft?.markdown ?? "(no draft)"}</article><p>expires ${data.share.expiresAt}</p>`);
};

function request(pathname: string, cookie?: string, extra: Record<string, string> = {}) {
  const headers = new Headers({ host: "hindsight.test", "user-agent": "test", ...extra });
  if (cookie) headers.set("cookie", cookie);
  return { method: "GET", url: `http://hindsight.test${pathname}`, headers };
}

let cache: InstanceType<Cache["PageCache"]>;
/** Well after every write of the test data: copies live their full lifetime unless a test says otherwise. */
const later = () => Date.now() + 60_000;
const serve = (req: ReturnType<typeof request>, nonce: string, now = later) => pc.servePage(req, nonce, { db, cache, render: fakePage, now });
const text = (page: { chunks: Buffer[] } | null) => (page ? Buffer.concat(page.chunks).toString("utf8") : null);
const nonceA = "00000000000000000000000000000001";
const nonceB = "00000000000000000000000000000002";

async function finishedIncident(title: string): Promise<string> {
  const incident = await db.incident.create({ data: { title, status: "analysed" } });
  await db.analysisRun.create({ data: { incidentId: incident.id, status: "completed", stage: "done", progress: 1, startedAt: new Date(), finishedAt: new Date() } });
  return incident.id;
}

async function signIn(email: string, password: string): Promise<string> {
  const { getAuth } = await import("@/lib/server/auth/auth");
  const res = await (await getAuth()).api.signInEmail({ body: { email, password }, returnHeaders: true });
  return cookieHeader(res.headers.getSetCookie());
}

beforeAll(async () => {
  const { migrate } = await import("@/lib/server/db/migrate");
  const { resolveDatabase } = await import("@/lib/server/db/provider");
  await migrate(resolveDatabase());
  pc = await import("@/lib/server/page-cache/page-cache");
  shares = await import("@/lib/server/services/shares");
  guard = await import("@/lib/server/auth/guard");
  tagOf = (await import("@/lib/server/auth/guard")).principalTag;
  db = (await import("@/lib/server/db/client")).getPrisma();
  const users = await import("@/lib/server/auth/users");
  cookies.admin = cookieHeader((await users.setupAdmin({ name: "Ada Admin", email: "ada@example.test", password: "correct horse battery" })).setCookie);
  await users.createUser({ name: "Ed Editor", email: "ed@example.test", password: "editor-password", role: "editor" });
  viewerId = (await users.createUser({ name: "Vi Viewer", email: "vi@example.test", password: "viewer-password", role: "viewer" })).id;
  cookies.editor = await signIn("ed@example.test", "editor-password");
  cookies.viewer = await signIn("vi@example.test", "viewer-password");
  incidentA = await finishedIncident("Checkout 504s");
  incidentB = await finishedIncident("Another team's outage");
}, 120_000);

afterAll(async () => {
  await (await import("@/lib/server/db/client")).closePrisma();
  fs.rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  cache = new pc.PageCache(16 * 1024 * 1024);
  renders = [];
  duringRender = null;
  shares.sharePayloadMemo().clear();
});

describe("incident page", () => {
  it("renders once, then serves the copy with each response's own nonce; the placeholder never leaves", async () => {
    const first = text(await serve(request(`/incidents/${incidentA}`, cookies.viewer), nonceA));
    const second = text(await serve(request(`/incidents/${incidentA}`, cookies.viewer), nonceB));
    expect(renders).toHaveLength(1);
    expect(first).toContain("<h1>Checkout 504s</h1>");
    expect(first).toContain(`<script nonce="${nonceA}">`);
    expect(first).toContain(`\\"nonce\\":\\"${nonceA}\\"`);
    expect(second).toContain(`<script nonce="${nonceB}">`);
    expect(second).not.toContain(nonceA);
    expect(second!.replaceAll(nonceB, nonceA)).toBe(first);
    // Nothing in either response but the two nonces looks like a placeholder.
    expect(first!.match(/[0-9a-f]{32}/g)!.every((m) => m === nonceA)).toBe(true);
    expect(cache.snapshot()).toMatchObject({ entries: 1, hits: 1, fills: 1 });
  });

  it("concurrent misses share one render", async () => {
    const pages = await Promise.all(Array.from({ length: 20 }, (_, i) => serve(request(`/incidents/${incidentA}`, cookies.viewer), `${String(i).padStart(32, "0")}`)));
    expect(renders).toHaveLength(1);
    pages.forEach((p, i) => expect(text(p)).toContain(`nonce="${String(i).padStart(32, "0")}"`));
  });

  it("access runs on every request: nobody signed in, a bad token or a deleted session gets nothing from the cache", async () => {
    expect(await serve(request(`/incidents/${incidentA}`, cookies.viewer), nonceA)).not.toBeNull();
    expect(await serve(request(`/incidents/${incidentA}`), nonceA)).toBeNull();
    expect(await serve(request(`/incidents/${incidentA}`, undefined, { authorization: "Bearer hst_nonsense" }), nonceA)).toBeNull();
    expect(await serve(request(`/incidents/${incidentA}`, "better-auth.session_token=forged.value"), nonceA)).toBeNull();
    const { getAuth } = await import("@/lib/server/auth/auth");
    const throwaway = await signIn("vi@example.test", "viewer-password");
    expect(await serve(request(`/incidents/${incidentA}`, throwaway), nonceA)).not.toBeNull();
    await (await getAuth()).api.signOut({ headers: new Headers({ cookie: throwaway }) });
    expect(await serve(request(`/incidents/${incidentA}`, throwaway), nonceA)).toBeNull();
    expect(renders).toHaveLength(1);
  });

  it("each principal gets its own copy: a viewer never gets the editor's page, nor the editor the admin's", async () => {
    const editor = text(await serve(request(`/incidents/${incidentA}`, cookies.editor), nonceA));
    const viewer = text(await serve(request(`/incidents/${incidentA}`, cookies.viewer), nonceA));
    const admin = text(await serve(request(`/incidents/${incidentA}`, cookies.admin), nonceA));
    expect(renders).toHaveLength(3);
    expect(editor).toContain("Create share link");
    expect(editor).toContain("you: Ed Editor");
    expect(viewer).not.toContain("Create share link");
    expect(viewer).toContain("you: Vi Viewer");
    expect(admin).toContain("you: Ada Admin");
    // And again from the copies.
    expect(text(await serve(request(`/incidents/${incidentA}`, cookies.viewer), nonceA))).toBe(viewer);
    expect(text(await serve(request(`/incidents/${incidentA}`, cookies.editor), nonceA))).toBe(editor);
    expect(renders).toHaveLength(3);
  });

  it("a role changed between the cache's check and the render is not kept (nor served)", async () => {
    duringRender = async () => {
      await db.user.update({ where: { id: viewerId }, data: { role: "editor" } });
    };
    try {
      expect(await serve(request(`/incidents/${incidentA}`, cookies.viewer), nonceA)).toBeNull();
      expect(cache.snapshot()).toMatchObject({ entries: 0, rejected: 1 });
    } finally {
      await db.user.update({ where: { id: viewerId }, data: { role: "viewer" } });
    }
    duringRender = null;
    // The demotion back is a new key (the role is part of it): rendered for the viewer again.
    expect(text(await serve(request(`/incidents/${incidentA}`, cookies.viewer), nonceA))).not.toContain("Create share link");
  });

  it("no cross-incident mix-up", async () => {
    const a = text(await serve(request(`/incidents/${incidentA}`, cookies.viewer), nonceA));
    const b = text(await serve(request(`/incidents/${incidentB}`, cookies.viewer), nonceA));
    expect(a).toContain("Checkout 504s");
    expect(b).toContain("Another team's outage");
    expect(text(await serve(request(`/incidents/${incidentA}`, cookies.viewer), nonceA))).toBe(a);
    expect(text(await serve(request(`/incidents/${incidentB}`, cookies.viewer), nonceA))).toBe(b);
    expect(await serve(request("/incidents/does-not-exist", cookies.viewer), nonceA)).toBeNull();
  });

  it("a new analysis run: not cached while it runs, the new result as soon as it finishes", async () => {
    const id = await finishedIncident("Re-analysed");
    const before = text(await serve(request(`/incidents/${id}`, cookies.viewer), nonceA));
    const run = await db.analysisRun.create({ data: { incidentId: id } });
    await db.incident.update({ where: { id }, data: { status: "processing" } });
    expect(await serve(request(`/incidents/${id}`, cookies.viewer), nonceA)).toBeNull();
    await db.analysisRun.update({ where: { id: run.id }, data: { status: "running" } });
    expect(await serve(request(`/incidents/${id}`, cookies.viewer), nonceA)).toBeNull();
    await db.incident.update({ where: { id }, data: { status: "analysed" } });
    expect(await serve(request(`/incidents/${id}`, cookies.viewer), nonceA)).toBeNull(); // the run is still running
    await db.analysisRun.update({ where: { id: run.id }, data: { status: "completed", finishedAt: new Date() } });
    const after = text(await serve(request(`/incidents/${id}`, cookies.viewer), nonceA));
    expect(before).not.toContain(run.id);
    expect(after).toContain(`run ${run.id}`);
    expect(renders).toHaveLength(2);
  });

  it("any change of the incident, its files or bundles is a new copy", async () => {
    const id = await finishedIncident("Before the edit");
    expect(text(await serve(request(`/incidents/${id}`, cookies.viewer), nonceA))).toContain("Before the edit");
    await db.incident.update({ where: { id }, data: { title: "After the edit" } });
    expect(text(await serve(request(`/incidents/${id}`, cookies.viewer), nonceA))).toContain("After the edit");
    const bundle = await db.bundle.create({ data: { incidentId: id, name: "b.zip", size: 1n, sha256: "x", limits: {} } });
    await serve(request(`/incidents/${id}`, cookies.viewer), nonceA);
    await db.evidenceFile.create({ data: { incidentId: id, bundleId: bundle.id, path: "a.log", size: 1n, sha256: "y", storageKey: "y", status: "parsed" } });
    await serve(request(`/incidents/${id}`, cookies.viewer), nonceA);
    await db.evidenceFile.updateMany({ where: { incidentId: id }, data: { clockSkewMs: 250 } });
    await serve(request(`/incidents/${id}`, cookies.viewer), nonceA);
    expect(renders).toHaveLength(5);
    await serve(request(`/incidents/${id}`, cookies.viewer), nonceA);
    expect(renders).toHaveLength(5);
  });

  it("a copy of content written moments ago lives only until that write is SETTLE_MS old", async () => {
    const { SETTLE_MS } = await import("@/lib/server/page-cache/version");
    const id = await finishedIncident("Fresh");
    const t0 = Date.now();
    await serve(request(`/incidents/${id}`, cookies.viewer), nonceA, () => t0);
    await serve(request(`/incidents/${id}`, cookies.viewer), nonceA, () => t0 + 1);
    expect(renders).toHaveLength(1);
    await serve(request(`/incidents/${id}`, cookies.viewer), nonceA, () => t0 + SETTLE_MS + 10);
    expect(renders).toHaveLength(2);
    // Made after the settle time: it lives its full lifetime.
    await serve(request(`/incidents/${id}`, cookies.viewer), nonceA, () => t0 + SETTLE_MS + 10 + pc.ENTRY_TTL_MS - 1);
    expect(renders).toHaveLength(2);
    await serve(request(`/incidents/${id}`, cookies.viewer), nonceA, () => t0 + SETTLE_MS + 10 + pc.ENTRY_TTL_MS);
    expect(renders).toHaveLength(3);
  });

  it("keeps nothing it should not: errors, redirects, cookies, a page without the principal tag or with a stray placeholder", async () => {
    const base = fakePage;
    const variants: ((r: RenderResult, placeholder: string) => RenderResult | null)[] = [
      () => null,
      (r) => ({ ...r, status: 500 }),
      (r) => ({ ...r, headers: { ...r.headers, "set-cookie": ["a=b"] } }),
      (r) => ({ ...r, headers: { ...r.headers, "content-type": "application/json" } }),
      (r) => ({ ...r, body: r.body.replace(/<meta name="hindsight-principal"[^>]*>/, "") }),
      (r, p) => ({ ...r, body: r.body.replace("<h1>", `<h1 title="${p}">`) }),
    ];
    for (const variant of variants) {
      const render: PageRenderer = async (pathname, headers, placeholder) => {
        const r = await base(pathname, headers, placeholder);
        return r && variant(r, placeholder);
      };
      expect(await pc.servePage(request(`/incidents/${incidentA}`, cookies.viewer), nonceA, { db, cache, render, now: later })).toBeNull();
    }
    expect(cache.snapshot()).toMatchObject({ entries: 0, rejected: variants.length });
  });

  it("the cache's memory is bounded", async () => {
    const small = new pc.PageCache(1024 * 1024, 2);
    for (const id of [incidentA, incidentB, await finishedIncident("Third")]) {
      await pc.servePage(request(`/incidents/${id}`, cookies.viewer), nonceA, { db, cache: small, render: fakePage, now: later });
    }
    expect(small.snapshot().entries).toBe(2);
    expect(new pc.PageCache(0).enabled).toBe(false);
    expect(await pc.servePage(request(`/incidents/${incidentA}`, cookies.viewer), nonceA, { db, cache: new pc.PageCache(0), render: fakePage })).toBeNull();
  });
});

describe("share page", () => {
  async function newShare(incidentId: string, expiresAt?: string) {
    const principal = (await guard.getPrincipal(new Headers({ cookie: cookies.editor }), db))!;
    return shares.createShare(incidentId, principal, expiresAt ? { expiresAt: new Date(expiresAt) } : {}, "http://hindsight.test");
  }

  it("served from the copy while the link opens; revoked: nothing from the cache at once", async () => {
    const { token, id } = await newShare(incidentA);
    // The first view generates the draft (a write: a new content version, so one more render).
    await serve(request(`/s/${token}`), nonceA);
    renders = [];
    const first = text(await serve(request(`/s/${token}`), nonceA));
    expect(first).toContain("<h1>Checkout 504s</h1>");
    expect(text(await serve(request(`/s/${token}`), nonceB))).toBe(first!.replaceAll(nonceA, nonceB));
    expect(renders).toHaveLength(1);
    await shares.revokeShare(incidentA, id, db);
    expect(await serve(request(`/s/${token}`), nonceA)).toBeNull();
    expect(await shares.getSharedIncident(token, db)).toBeNull();
  });

  it("expired: nothing from the cache at once", async () => {
    const { token, id } = await newShare(incidentA, new Date(Date.now() + 3_600_000).toISOString());
    expect(text(await serve(request(`/s/${token}`), nonceA))).toContain("expires");
    await db.shareLink.update({ where: { id }, data: { expiresAt: new Date(Date.now() - 1) } });
    expect(await serve(request(`/s/${token}`), nonceA)).toBeNull();
    expect(await shares.getSharedIncident(token, db)).toBeNull();
  });

  it("a draft edit shows on the next request, in the page and in the payload", async () => {
    const { updateDraft } = await import("@/lib/server/services/draft");
    const { token } = await newShare(incidentB);
    const before = text(await serve(request(`/s/${token}`), nonceA));
    expect(before).not.toContain("Edited by a human");
    await updateDraft(incidentB, { sections: { summary: "Edited by a human" }, accept: [], dismiss: [], reset: [] }, db);
    expect(text(await serve(request(`/s/${token}`), nonceA))).toContain("Edited by a human");
    expect((await shares.getSharedIncident(token, db))!.draft!.markdown).toContain("Edited by a human");
  });

  it("two links to one incident, and a signed-in visitor, each get their own copy", async () => {
    const one = await newShare(incidentA);
    const two = await newShare(incidentA, new Date(Date.now() + 86_400_000).toISOString());
    const a = text(await serve(request(`/s/${one.token}`), nonceA));
    const b = text(await serve(request(`/s/${two.token}`), nonceA));
    expect(a).toContain("expires null");
    expect(b).not.toContain("expires null");
    const signedIn = text(await serve(request(`/s/${one.token}`, cookies.viewer), nonceA));
    expect(signedIn).toContain(tagOf((await guard.getPrincipal(new Headers({ cookie: cookies.viewer }), db))!));
    expect(renders).toHaveLength(3);
  });

  it("unknown and malformed tokens get nothing from the cache", async () => {
    for (const t of ["x", "A".repeat(43), "%E0%A4%A"]) expect(await serve(request(`/s/${t}`), nonceA)).toBeNull();
    expect(renders).toHaveLength(0);
  });

  it("the payload (analysis + draft) is built once per link and content version, never across a new run", async () => {
    const id = await finishedIncident("Payload");
    const { token } = await newShare(id);
    const memo = shares.sharePayloadMemo();
    await shares.getSharedIncident(token, db); // generates the draft: a new content version
    const p1 = await shares.getSharedIncident(token, db);
    const p2 = await shares.getSharedIncident(token, db);
    expect(p2).toBe(p1); // the same object: built once
    const size = memo.size;
    const run = await db.analysisRun.create({ data: { incidentId: id, status: "completed", finishedAt: new Date() } });
    const p3 = await shares.getSharedIncident(token, db);
    expect(p3).not.toBe(p1);
    expect(p3!.run!.finishedAt).toBe(run.finishedAt!.toISOString());
    expect(memo.size).toBe(size + 1);
    await db.analysisRun.update({ where: { id: run.id }, data: { status: "running" } });
    const p4 = await shares.getSharedIncident(token, db);
    const p5 = await shares.getSharedIncident(token, db);
    expect(p4!.run!.status).toBe("running");
    expect(p5).not.toBe(p4); // nothing kept while a run is in progress
  });
});

describe("the front door (scripts/server.mjs → front.ts) and proxy.ts", () => {
  it("a cached page's script nonces are the response's CSP nonce, new on every response, with every security header; the rest goes to Next.js", async () => {
    const http = await import("node:http");
    const { serveCachedPage } = await import("@/lib/server/page-cache/front");
    const global = pc.getPageCache();
    global.clear();
    global.renderer = fakePage;
    // Next.js stands behind: whatever the front does not answer gets 599 here.
    const server = http.createServer((req, res) => {
      void serveCachedPage(req, res).then((served) => {
        if (!served) res.writeHead(599).end("next");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as import("node:net").AddressInfo).port}`;
    try {
      const nonces: string[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${base}/incidents/${incidentA}`, { headers: { cookie: cookies.viewer, "user-agent": "test" } });
        expect(res.status).toBe(200);
        const csp = res.headers.get("content-security-policy")!;
        expect(csp).toContain("frame-ancestors 'none'");
        const nonce = /'nonce-([0-9a-f]{32})'/.exec(csp)![1]!;
        const html = await res.text();
        expect(html).toContain("<h1>Checkout 504s</h1>");
        expect(Number(res.headers.get("content-length"))).toBe(Buffer.byteLength(html));
        for (const tag of html.match(/<script\b[^>]*>/g)!) expect(tag).toContain(`nonce="${nonce}"`);
        expect(res.headers.get("x-frame-options")).toBe("DENY");
        expect(res.headers.get("x-content-type-options")).toBe("nosniff");
        expect(res.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
        expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
        expect(res.headers.get("cache-control")).toContain("no-store");
        nonces.push(nonce);
      }
      expect(new Set(nonces).size).toBe(3);
      expect(global.snapshot()).toMatchObject({ fills: 1, hits: 2 });
      const { token } = await shares.createShare(incidentA, (await guard.getPrincipal(new Headers({ cookie: cookies.editor }), db))!, {}, base);
      const shared = await fetch(`${base}/s/${token}`);
      expect(shared.status).toBe(200);
      expect(shared.headers.get("referrer-policy")).toBe("no-referrer");
      // Signed out, other methods and paths, a fill request: handed to Next.js untouched.
      expect((await fetch(`${base}/incidents/${incidentA}`)).status).toBe(599);
      expect((await fetch(`${base}/incidents/${incidentA}`, { method: "POST", headers: { cookie: cookies.viewer } })).status).toBe(599);
      expect((await fetch(`${base}/incidents/${incidentA}/timeline`, { headers: { cookie: cookies.viewer } })).status).toBe(599);
      expect((await fetch(`${base}/api/incidents/${incidentA}`, { headers: { cookie: cookies.viewer } })).status).toBe(599);
      const { FILL_HEADER, newPlaceholder, fillPlaceholder } = await import("@/lib/server/page-cache/self-render");
      fillPlaceholder(new Headers({ [FILL_HEADER]: "x:y" })); // makes sure the secret exists
      const secret = (globalThis as { __hindsightPageFillSecret?: string }).__hindsightPageFillSecret!;
      expect((await fetch(`${base}/incidents/${incidentA}`, { headers: { cookie: cookies.viewer, [FILL_HEADER]: `${secret}:${newPlaceholder()}` } })).status).toBe(599);
    } finally {
      server.close();
      global.clear();
    }
  });

  it("proxy.ts: a genuine fill request renders with its placeholder as nonce, anything else with a fresh one; the fill header never reaches the page", async () => {
    const { proxy } = await import("@/proxy");
    const { NextRequest } = await import("next/server");
    const { FILL_HEADER, newPlaceholder, fillPlaceholder } = await import("@/lib/server/page-cache/self-render");
    fillPlaceholder(new Headers({ [FILL_HEADER]: "x:y" })); // makes sure the secret exists
    const secret = (globalThis as { __hindsightPageFillSecret?: string }).__hindsightPageFillSecret!;
    const placeholder = newPlaceholder();
    const genuine = proxy(new NextRequest(`http://hindsight.test/incidents/${incidentA}`, { headers: { [FILL_HEADER]: `${secret}:${placeholder}` } }));
    expect(genuine.headers.get("content-security-policy")).toContain(`'nonce-${placeholder}'`);
    expect(genuine.headers.get("x-middleware-request-x-nonce")).toBe(placeholder);
    expect(genuine.headers.get(`x-middleware-request-${FILL_HEADER}`)).toBeNull();
    const spoofed = proxy(new NextRequest(`http://hindsight.test/incidents/${incidentA}`, { headers: { [FILL_HEADER]: `guess:${placeholder}` } }));
    expect(spoofed.headers.get("content-security-policy")).not.toContain(placeholder);
    expect(spoofed.headers.get("content-security-policy")).toMatch(/'nonce-[0-9a-f]{32}'/);
    expect(spoofed.headers.get(`x-middleware-request-${FILL_HEADER}`)).toBeNull();
    const api = proxy(new NextRequest(`http://hindsight.test/api/incidents/${incidentA}`, { headers: { [FILL_HEADER]: `${secret}:${placeholder}` } }));
    expect(api.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'; sandbox");
  });
});

describe("content version on PostgreSQL", () => {
  it("the same query and the same answers as on SQLite", async (ctx) => {
    const pg = await withTempPostgres();
    if (!pg) return ctx.skip();
    try {
      const { contentVersion } = await import("@/lib/server/page-cache/version");
      const pdb = pg.client();
      const incident = await pdb.incident.create({ data: { title: "pg", status: "analysed" } });
      expect(await contentVersion(pdb, "nope")).toBeNull();
      const v0 = (await contentVersion(pdb, incident.id))!;
      expect(v0.settled).toBe(false);
      await pdb.analysisRun.create({ data: { incidentId: incident.id, status: "completed", finishedAt: new Date() } });
      const v1 = (await contentVersion(pdb, incident.id, { draft: true }))!;
      expect(v1.settled).toBe(true);
      expect(v1.stamp).not.toBe(v0.stamp);
      const bundle = await pdb.bundle.create({ data: { incidentId: incident.id, name: "b", size: 1n, sha256: "x", limits: {} } });
      await pdb.evidenceFile.create({ data: { incidentId: incident.id, bundleId: bundle.id, path: "a", size: 1n, sha256: "y", storageKey: "y" } });
      const v2 = (await contentVersion(pdb, incident.id, { draft: true }))!;
      expect(v2.stamp).not.toBe(v1.stamp);
      expect(JSON.parse(v2.stamp)).toEqual(expect.arrayContaining([1]));
      await pdb.draft.create({ data: { incidentId: incident.id, sections: [], version: 1 } });
      const v3 = (await contentVersion(pdb, incident.id, { draft: true }))!;
      expect(v3.stamp).not.toBe(v2.stamp);
      expect((await contentVersion(pdb, incident.id))!.stamp).toBe((await contentVersion(pdb, incident.id))!.stamp);
      expect(Math.abs(v3.newestMs - Date.now())).toBeLessThan(60_000);
    } finally {
      await pg.cleanup();
    }
  });
});
