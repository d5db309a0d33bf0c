import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { createPrisma, type Db } from "@/lib/server/db/client";
import { migrate, type MigrateResult } from "@/lib/server/db/migrate";
import { type DatabaseConfig, databaseFromUrl } from "@/lib/server/db/provider";

/**
 * Throw-away databases for integration tests. Each call gets its own SQLite file or PostgreSQL
 * database, so test files running in parallel never see each other's rows.
 *
 *   const t = await withTempSqlite();          // migrated unless { migrate: false }
 *   const prisma = t.client();                  // disconnected by cleanup()
 *   afterAll(() => t.cleanup());
 *
 *   const p = await withTempPostgres();         // null when no server answers (warns loudly)
 */
export interface TempDatabase {
  config: DatabaseConfig;
  url: string;
  /** Applies migrations (already done unless created with { migrate: false }). */
  migrate(options?: { force?: boolean }): Promise<MigrateResult>;
  /** A Prisma client for this database, created on first use. */
  client(): Db;
  /** Disconnects the client and deletes the database. Idempotent. */
  cleanup(): Promise<void>;
}

export interface TempOptions {
  /** Apply migrations before returning (default true). */
  migrate?: boolean;
}

export async function withTempSqlite(options: TempOptions = {}): Promise<TempDatabase> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hindsight-test-"));
  const config = databaseFromUrl(`file:${path.join(dir, "hindsight.db")}`);
  return finish(config, options, async () => fs.rmSync(dir, { recursive: true, force: true }));
}

/** The server tests use: TEST_DATABASE_URL, else the local trust-auth PostgreSQL. */
export function postgresAdminUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.TEST_DATABASE_URL || "postgresql://postgres@127.0.0.1:5432/test";
}

let reachable: Promise<boolean> | undefined;
/** One quick connection attempt per process (2 s timeout). */
export function postgresReachable(): Promise<boolean> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: postgresAdminUrl(), connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query("SELECT 1");
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return reachable;
}

let warned = false;
export async function withTempPostgres(options: TempOptions = {}): Promise<TempDatabase | null> {
  if (!(await postgresReachable())) {
    if (process.env.HINDSIGHT_REQUIRE_POSTGRES === "1") {
      throw new Error(`PostgreSQL is required (HINDSIGHT_REQUIRE_POSTGRES=1) but ${postgresAdminUrl()} is unreachable`);
    }
    if (!warned) {
      warned = true;
      console.warn(`\n!!! SKIPPING PostgreSQL tests: no server at ${postgresAdminUrl()} (set TEST_DATABASE_URL) !!!\n`);
    }
    return null;
  }
  const admin = postgresAdminUrl();
  const name = `hindsight_test_${crypto.randomBytes(6).toString("hex")}`;
  await adminQuery(admin, `CREATE DATABASE "${name}"`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return finish(databaseFromUrl(url.toString()), options, () => adminQuery(admin, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function finish(config: DatabaseConfig, options: TempOptions, drop: () => Promise<void>): Promise<TempDatabase> {
  let prisma: Db | undefined;
  let cleaned = false;
  const temp: TempDatabase = {
    config,
    url: config.url,
    migrate: (o) => migrate(config, o),
    client: () => (prisma ??= createPrisma(config)),
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      if (prisma) await prisma.$disconnect();
      await drop();
    },
  };
  if (options.migrate !== false) {
    try {
      await temp.migrate();
    } catch (e) {
      await temp.cleanup();
      throw e;
    }
  }
  return temp;
}
