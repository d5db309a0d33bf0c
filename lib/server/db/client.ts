import { PrismaClient as PostgresqlPrismaClient } from "./generated/postgresql/client";
import { Prisma as SqliteNamespace, PrismaClient as SqlitePrismaClient } from "./generated/sqlite/client";
import { adapterFactory } from "./adapters";
import { type DatabaseConfig, databaseFromUrl, resolveDatabase } from "./provider";

/**
 * The typed client callers use, whatever the provider. Both generated clients come from the same
 * models (prisma/schema.prisma and its derived PostgreSQL copy), so their model APIs are identical;
 * the SQLite client's type stands for both and the PostgreSQL client is cast to it below, once.
 */
export type Db = SqlitePrismaClient;
export type { Prisma } from "./generated/sqlite/client";

/**
 * Tagged-template SQL for raw queries built at run time (multi-row VALUES lists): Prisma renders the
 * placeholders for the provider in use ($1 on PostgreSQL, ? on SQLite), so the same Sql value works
 * with either client.
 */
export const rawSql = { sql: SqliteNamespace.sql, join: SqliteNamespace.join, raw: SqliteNamespace.raw };

/** A new client for a database (tests, CLI with a temporary SQLite file). The caller disconnects it. */
export function createPrisma(urlOrConfig: string | DatabaseConfig): Db {
  const db = typeof urlOrConfig === "string" ? databaseFromUrl(urlOrConfig) : urlOrConfig;
  const adapter = adapterFactory(db);
  if (db.provider === "postgresql") {
    // The one provider cast: same models, different generated class.
    return new PostgresqlPrismaClient({ adapter }) as unknown as Db;
  }
  return new SqlitePrismaClient({ adapter });
}

// Next.js dev re-evaluates modules on every change; keeping the client on globalThis stops each
// reload from opening another pool / SQLite handle.
type Cached = { key: string; client: Db };
const cache = globalThis as typeof globalThis & { __hindsightPrisma?: Cached };

/** The process-wide client for the configured database (DATABASE_URL / HINDSIGHT_DATA_DIR). */
export function getPrisma(env: NodeJS.ProcessEnv = process.env): Db {
  const db = resolveDatabase(env);
  const current = cache.__hindsightPrisma;
  if (current && current.key === db.url) return current.client;
  if (current) void current.client.$disconnect();
  const client = createPrisma(db);
  cache.__hindsightPrisma = { key: db.url, client };
  return client;
}

/** Disconnects the process-wide client (shutdown, end of tests). Safe to call when none exists. */
export async function closePrisma(): Promise<void> {
  const current = cache.__hindsightPrisma;
  cache.__hindsightPrisma = undefined;
  if (current) await current.client.$disconnect();
}
