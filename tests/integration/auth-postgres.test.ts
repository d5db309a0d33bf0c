import { afterAll, beforeAll, expect, it } from "vitest";
import { withTempPostgres, type TempDatabase } from "../helpers/db";
import { cookieHeader } from "../helpers/routes";

/**
 * The same accounts and share links on PostgreSQL (better-auth's Prisma adapter on the pg client,
 * the auth_shares migration of the postgresql history). Skips loudly without a server, like the
 * other PostgreSQL suites.
 */
let pg: TempDatabase | null = null;

beforeAll(async () => {
  pg = await withTempPostgres();
  if (pg) process.env.DATABASE_URL = pg.url;
  delete process.env.HINDSIGHT_AUTH;
}, 120_000);

afterAll(async () => {
  const { closePrisma } = await import("@/lib/server/db/client");
  await closePrisma();
  await pg?.cleanup();
});

it("PostgreSQL: first admin, an editor, sessions, a share link that resolves and then is revoked", async (ctx) => {
  if (!pg) return ctx.skip();
  const { setupAdmin, createUser, listUsers } = await import("@/lib/server/auth/users");
  const { getPrincipal } = await import("@/lib/server/auth/guard");
  const { getAuth } = await import("@/lib/server/auth/auth");
  const { createShare, listShares, revokeShare } = await import("@/lib/server/services/shares");
  const { resolveShare } = await import("@/lib/server/auth/share-links");
  const { getPrisma } = await import("@/lib/server/db/client");

  const admin = await setupAdmin({ name: "Pat Admin", email: "pat@example.test", password: "postgres-admin-pw" });
  await expect(setupAdmin({ name: "Again", email: "again@example.test", password: "postgres-admin-pw" })).rejects.toThrow(/already/);
  const editor = await createUser({ name: "Ed", email: "ED@Example.test", password: "postgres-editor", role: "editor" });
  expect(editor.email).toBe("ed@example.test");
  expect((await listUsers()).map((u) => u.role).sort()).toEqual(["admin", "editor"]);

  const adminPrincipal = await getPrincipal(new Headers({ cookie: cookieHeader(admin.setCookie) }));
  expect(adminPrincipal).toMatchObject({ email: "pat@example.test", role: "admin", via: "session" });
  const signIn = await (await getAuth()).api.signInEmail({ body: { email: "ed@example.test", password: "postgres-editor" }, returnHeaders: true });
  const editorPrincipal = await getPrincipal(new Headers({ cookie: cookieHeader(signIn.headers.getSetCookie()) }));
  expect(editorPrincipal).toMatchObject({ role: "editor", via: "session" });

  const incident = await getPrisma().incident.create({ data: { title: "pg share" } });
  const link = await createShare(incident.id, editorPrincipal!, {}, "http://hindsight.test");
  expect((await resolveShare(link.token))?.incidentId).toBe(incident.id);
  expect((await listShares(incident.id)).map((l) => l.createdBy)).toEqual(["Ed"]);
  await revokeShare(incident.id, link.id);
  expect(await resolveShare(link.token)).toBeNull();
}, 120_000);
