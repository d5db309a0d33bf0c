import { PrismaClient as PostgresqlPrismaClient } from "./generated/postgresql/client";
import { Prisma as SqliteNamespace, PrismaClient as SqlitePrismaClient } from "./generated/sqlite/client";
import { adapterFactory } from "./adapters";
import { type DatabaseConfig, databaseFromUrl, resolveDatabase } from "./provider";
import { openRaw, type RawDb, toPgPlaceholders } from "./raw";

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
  // The one provider cast: same models, different generated class.
  const client = db.provider === "postgresql" ? (new PostgresqlPrismaClient({ adapter }) as unknown as Db) : new SqlitePrismaClient({ adapter });
  configs.set(client, db);
  return client;
}

// On globalThis, like the client itself: Next.js bundles this module more than once (instrumentation,
// pages, routes), and a client created by one copy is used by all.
const shared = globalThis as typeof globalThis & { __hindsightDbConfigs?: WeakMap<Db, DatabaseConfig>; __hindsightSqliteReaders?: Map<string, Promise<RawDb>> };
const configs = (shared.__hindsightDbConfigs ??= new WeakMap<Db, DatabaseConfig>());
const readers = shared;

/**
 * Rows of one read-only SQL query (`?` placeholders, identifiers quoted, portable between SQLite
 * and PostgreSQL) for hot paths that run on every request (lib/server/page-cache): on SQLite through
 * a read-only connection of the same file with its prepared statements (raw.ts) — through Prisma one
 * query costs ~0.5 ms of the web's main thread (query compiler, interpreter, a fresh prepare each
 * time), a prepared statement ~20 µs; WAL: it reads the last committed state, never blocks writers.
 * On PostgreSQL through Prisma's pool (its round trip dominates there). Values come as the driver
 * gives them (SQLite: timestamps as text, counts as numbers; PostgreSQL: Date, bigint).
 */
export async function readRows<T>(db: Db, sql: string, params: (string | number | null)[]): Promise<T[]> {
  const config = configs.get(db);
  if (!config) throw new Error("readRows: a client not made by createPrisma");
  if (config.provider === "sqlite") {
    const map = (readers.__hindsightSqliteReaders ??= new Map<string, Promise<RawDb>>());
    let reader = map.get(config.sqlitePath);
    if (!reader) {
      map.set(config.sqlitePath, (reader = openRaw(config, { readonly: true })));
      // A file that does not exist yet must not be remembered as unreadable.
      reader.catch(() => map.delete(config.sqlitePath));
    }
    return (await reader).all<T>(sql, params);
  }
  return (await db.$queryRawUnsafe(toPgPlaceholders(sql), ...params)) as T[];
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
  for (const reader of readers.__hindsightSqliteReaders?.values() ?? []) await reader.then((r) => r.close()).catch(() => undefined);
  readers.__hindsightSqliteReaders?.clear();
  if (current) await current.client.$disconnect();
}
