import fs from "node:fs";
import path from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import type { DatabaseConfig } from "./provider";

/**
 * Connection settings every SQLite connection needs, Prisma's or our own (raw.ts, bulk/):
 * - WAL: readers (web) never block on the writer (ingest worker thread) and vice versa.
 * - busy_timeout: a second writer waits up to 5 s for the lock instead of failing with SQLITE_BUSY.
 * - foreign_keys: SQLite ignores FOREIGN KEY clauses (so ON DELETE CASCADE) unless enabled per connection.
 */
export const SQLITE_PRAGMAS = ["journal_mode = WAL", "busy_timeout = 5000", "foreign_keys = ON", "synchronous = NORMAL"];

export function ensureSqliteDir(sqlitePath: string): void {
  fs.mkdirSync(path.dirname(sqlitePath), { recursive: true });
}

/**
 * A driver-adapter factory for the configured database. The better-sqlite3 adapter opens its own
 * connection and offers no hook for PRAGMAs, so its factory is wrapped to run them on every
 * connection it hands out (including the schema engine's).
 */
export function adapterFactory(db: DatabaseConfig): SqlMigrationAwareDriverAdapterFactory {
  if (db.provider === "postgresql") return new PrismaPg({ connectionString: db.url });
  ensureSqliteDir(db.sqlitePath);
  const inner = new PrismaBetterSqlite3({ url: db.sqlitePath, timeout: 5000 });
  const configure = async (adapter: SqlDriverAdapter): Promise<SqlDriverAdapter> => {
    await adapter.executeScript(SQLITE_PRAGMAS.map((p) => `PRAGMA ${p};`).join("\n"));
    return adapter;
  };
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    connect: async () => configure(await inner.connect()),
    connectToShadowDb: async () => configure(await inner.connectToShadowDb()),
  };
}
