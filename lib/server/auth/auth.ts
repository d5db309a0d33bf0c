import { randomBytes } from "node:crypto";
import { betterAuth } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";
import { getPrisma, type Db } from "@/lib/server/db/client";
import { resolveDatabase } from "@/lib/server/db/provider";

/**
 * The better-auth instance: email + password accounts (scrypt hashes, database sessions) stored by
 * its Prisma adapter in the User/Session/Account tables of our own schema and migrations.
 * Sign-up over HTTP is closed: accounts are created by /setup (first admin) and by admins
 * (lib/server/auth/users.ts), which call better-auth on the server.
 */
function createAuth(db: Db, provider: "sqlite" | "postgresql", secret: string) {
  return betterAuth({
    appName: "Hindsight",
    secret,
    database: prismaAdapter(db, { provider }),
    emailAndPassword: { enabled: true, autoSignIn: false, minPasswordLength: 8, maxPasswordLength: 128 },
    user: {
      // input: false — no sign-up or update-user body can set its own role.
      additionalFields: { role: { type: "string", required: false, defaultValue: "viewer", input: false } },
    },
    session: { expiresIn: 7 * 86_400, updateAge: 86_400 },
    // The server answers on whatever host the operator gave it (localhost, an IP, a name behind a
    // proxy) and Next.js may report another one in request.url: trust the origin the request was
    // addressed to. Cross-site requests were already refused by assertSameOrigin in the route.
    trustedOrigins: (request) => {
      const host = request?.headers.get("host");
      return host ? [`http://${host}`, `https://${host}`] : [];
    },
    rateLimit: {
      enabled: true,
      window: 60,
      max: 300,
      // Password guessing: 10 sign-in attempts a minute per client address.
      customRules: { "/sign-in/email": { window: 60, max: 10 }, "/change-password": { window: 60, max: 10 } },
    },
    telemetry: { enabled: false },
    logger: {
      level: "warn",
      log: (level, message, ...args) => {
        // Deriving the base URL from each request is the intent (see trustedOrigins): not a warning.
        if (message.includes("Base URL is not set")) return;
        (level === "error" ? console.error : console.warn)(`[auth] ${message}`, ...args);
      },
    },
  });
}

export type Auth = ReturnType<typeof createAuth>;

type Cached = { key: string; auth: Promise<Auth> };
const cache = globalThis as typeof globalThis & { __hindsightAuth?: Cached };

/** The process-wide instance for the configured database (created on first use). */
export function getAuth(env: NodeJS.ProcessEnv = process.env): Promise<Auth> {
  const config = resolveDatabase(env);
  const current = cache.__hindsightAuth;
  if (current && current.key === config.url) return current.auth;
  const db = getPrisma(env);
  const auth = authSecret(db, env).then((secret) => createAuth(db, config.provider, secret));
  auth.catch(() => {
    if (cache.__hindsightAuth?.auth === auth) cache.__hindsightAuth = undefined;
  });
  cache.__hindsightAuth = { key: config.url, auth };
  return auth;
}

const SECRET_KEY = "auth.secret";

/**
 * HINDSIGHT_AUTH_SECRET when set; otherwise one generated at first start and kept in the database
 * (Setting "auth.secret"), so every web process of a PostgreSQL deployment signs cookies alike.
 */
export async function authSecret(db: Db, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const fromEnv = env.HINDSIGHT_AUTH_SECRET?.trim();
  if (fromEnv) {
    if (fromEnv.length < 32) throw new Error("HINDSIGHT_AUTH_SECRET must be at least 32 characters");
    return fromEnv;
  }
  const existing = await db.setting.findUnique({ where: { key: SECRET_KEY } });
  if (existing) return existing.value;
  try {
    await db.setting.create({ data: { key: SECRET_KEY, value: randomBytes(32).toString("base64url") } });
  } catch {
    // Another process created it first (unique key): use theirs.
  }
  return (await db.setting.findUniqueOrThrow({ where: { key: SECRET_KEY } })).value;
}
