import { randomBytes } from "node:crypto";
import { betterAuth } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";
import { getPrisma, type Db } from "@/lib/server/db/client";
import { resolveDatabase } from "@/lib/server/db/provider";
import { cappedPassword } from "./password";
import { log } from "@/lib/server/log";

/**
 * The client address the auth route resolved (lib/server/http/client-address.ts) and wrote into the
 * request it hands to better-auth, replacing any value the client sent; better-auth reads no other
 * address header.
 */
export const CLIENT_ADDRESS_HEADER = "x-hindsight-client-address";

/**
 * The better-auth instance: email + password accounts (scrypt hashes, database sessions) stored by
 * its Prisma adapter in the User/Session/Account tables of our own schema and migrations.
 * Sign-up over HTTP is closed: accounts are created by /setup (first admin) and by admins
 * (lib/server/auth/users.ts), which call better-auth on the server.
 */
function createAuth(db: Db, provider: "sqlite" | "postgresql", secret: string, secure: boolean) {
  return betterAuth({
    appName: "Hindsight",
    secret,
    database: prismaAdapter(db, { provider }),
    // Hashing goes through a process-wide concurrency cap (./password.ts).
    emailAndPassword: { enabled: true, autoSignIn: false, minPasswordLength: 8, maxPasswordLength: 128, password: cappedPassword },
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
      // Sign-in has its own per-address and per-account limits with backoff, checked before any
      // hash (./throttle.ts, via ./endpoints.ts); a second, blunter counter here would only differ.
      customRules: { "/sign-in/email": false, "/change-password": { window: 60, max: 10 } },
    },
    advanced: {
      // `Secure` (and the __Secure- name) only for requests that arrived over HTTPS: on plain HTTP to a
      // LAN address a browser would drop such a cookie and nobody could sign in.
      useSecureCookies: secure,
      // Never X-Forwarded-For as the client sent it: the address resolved under the configured proxy trust.
      ipAddress: { ipAddressHeaders: [CLIENT_ADDRESS_HEADER] },
    },
    telemetry: { enabled: false },
    logger: {
      level: "warn",
      log: (level, message, ...args) => {
        // Deriving the base URL from each request is the intent (see trustedOrigins): not a warning.
        if (message.includes("Base URL is not set")) return;
        log[level === "error" ? "error" : "warn"]({ details: args }, `auth: ${message}`);
      },
    },
  });
}

export type Auth = ReturnType<typeof createAuth>;

const cache = globalThis as typeof globalThis & { __hindsightAuth?: Map<string, Promise<Auth>> };

/**
 * Whether the browser talks HTTPS to us (directly or through a proxy): Next.js fills
 * x-forwarded-proto when no proxy did.
 */
export function isHttps(headers: Headers): boolean {
  return (headers.get("x-forwarded-proto") ?? "").split(",")[0]!.trim().toLowerCase() === "https";
}

/**
 * The process-wide instance for the configured database and the request's scheme (created on first
 * use): two instances share the database and the secret and differ only in the cookie's Secure flag.
 */
export function getAuth(options: { secure?: boolean } = {}, env: NodeJS.ProcessEnv = process.env): Promise<Auth> {
  const config = resolveDatabase(env);
  const secure = options.secure ?? false;
  const key = `${config.url}|${secure}`;
  const instances = (cache.__hindsightAuth ??= new Map());
  const current = instances.get(key);
  if (current) return current;
  const db = getPrisma(env);
  const auth = authSecret(db, env).then((secret) => createAuth(db, config.provider, secret, secure));
  auth.catch(() => {
    if (instances.get(key) === auth) instances.delete(key);
  });
  instances.set(key, auth);
  return auth;
}

/** The instance for a request's headers (its scheme decides the cookie flavour). */
export function authFor(headers: Headers): Promise<Auth> {
  return getAuth({ secure: isHttps(headers) });
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
