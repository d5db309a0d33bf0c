import path from "node:path";
import { fileURLToPath } from "node:url";
import { dataDir } from "@/lib/server/config";

/**
 * The one place that knows which database Hindsight talks to. Everything else receives a
 * `DatabaseConfig`; only modules under lib/server/db/ branch on its `provider`.
 *
 *   DATABASE_URL unset               → SQLite file ${HINDSIGHT_DATA_DIR:-./data}/hindsight.db
 *   DATABASE_URL=file:…              → that SQLite file (relative paths resolve from the cwd)
 *   DATABASE_URL=postgres(ql)://…    → PostgreSQL
 */
export type DatabaseProvider = "sqlite" | "postgresql";

export type DatabaseConfig =
  | { provider: "sqlite"; url: string; sqlitePath: string }
  | { provider: "postgresql"; url: string; sqlitePath?: undefined };

export const SQLITE_FILE_NAME = "hindsight.db";

export function resolveDatabase(env: NodeJS.ProcessEnv = process.env): DatabaseConfig {
  const raw = env.DATABASE_URL?.trim();
  if (!raw) return sqliteConfig(path.join(dataDir(env), SQLITE_FILE_NAME));
  return databaseFromUrl(raw);
}

/** Same rules as resolveDatabase for an explicit URL (CLI, tests). A bare path means a SQLite file. */
export function databaseFromUrl(url: string): DatabaseConfig {
  if (/^postgres(ql)?:\/\//i.test(url)) return { provider: "postgresql", url };
  if (/^file:/i.test(url)) return sqliteConfig(sqlitePathFromFileUrl(url));
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    // A typo such as mysql:// or postgress:// must not silently fall back to a SQLite file
    // named after the URL.
    throw new Error(`DATABASE_URL: unsupported scheme in "${redact(url)}" (use postgres://…, postgresql://… or file:…)`);
  }
  return sqliteConfig(url);
}

function sqliteConfig(filePath: string): DatabaseConfig {
  const sqlitePath = path.resolve(filePath);
  return { provider: "sqlite", url: `file:${sqlitePath}`, sqlitePath };
}

/** file:./x.db, file:x.db, file:/abs/x.db, file:///abs/x.db; query strings (?mode=…) are dropped. */
function sqlitePathFromFileUrl(url: string): string {
  const noQuery = url.replace(/[?#].*$/, "");
  if (/^file:\/\//i.test(noQuery)) return fileURLToPath(noQuery);
  const p = decodeURIComponent(noQuery.slice("file:".length));
  if (!p) throw new Error("DATABASE_URL: file: URL without a path");
  return p;
}

/** For error messages and logs: never print a password. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@/]*@/, "//$1:***@");
}

/**
 * Where the job queue lives (lib/server/jobs): PostgreSQL serves pg-boss for any number of worker
 * processes; SQLite has one writer at a time, so its queue is Job rows polled inside the web process.
 */
export type QueueBackend = { kind: "pg-boss"; connectionString: string } | { kind: "embedded" };

export function queueBackend(db: DatabaseConfig): QueueBackend {
  return db.provider === "postgresql" ? { kind: "pg-boss", connectionString: db.url } : { kind: "embedded" };
}
