import Database from "better-sqlite3";
import type pg from "pg";
import { ensureSqliteDir, SQLITE_PRAGMAS } from "./adapters";
import { connectPg } from "./pg-client";
import type { DatabaseConfig } from "./provider";

/**
 * Plain SQL on a connection of its own, off Prisma (pipeline threads, migration checks), whatever
 * the provider. Statements use `?` placeholders (rewritten to `$1…` for PostgreSQL, so a literal
 * `?` must not appear in the SQL text) and quoted, case-sensitive identifiers, which both providers
 * read alike. Values come back as the driver gives them (SQLite: timestamps as text, booleans as
 * 0/1; PostgreSQL: Date, boolean, bigint as text).
 *
 * One owner at a time: a connection runs one statement after the other, like the drivers do.
 */
export type SqlValue = string | number | bigint | boolean | null | Buffer;

export interface RawDb {
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /**
   * Rows one by one with bounded memory: SQLite steps a statement, PostgreSQL fetches a cursor in
   * pages (inside the caller's transaction, or one of its own while the iteration lasts). The
   * connection runs nothing else until the iteration ends (better-sqlite3 refuses it).
   */
  iterate<T>(sql: string, params?: readonly SqlValue[]): AsyncGenerator<T>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /**
   * Inserts rows (values in `columns` order) into `table`: SQLite one prepared INSERT per row,
   * PostgreSQL one `INSERT … SELECT FROM unnest($1::type[], …)` per PG_UNNEST_ROWS rows, so no
   * 65,535-parameter limit and one parse. `pgTypes` are the PostgreSQL column types.
   */
  insertMany(table: string, columns: readonly string[], pgTypes: readonly string[], rows: readonly (readonly SqlValue[])[]): Promise<void>;
  /** Runs `fn` in one transaction (committed when it resolves, rolled back when it throws). Not nestable. */
  tx<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface RawOptions {
  /** SQLite: open the existing file read-only (it must exist). PostgreSQL: no effect. */
  readonly?: boolean;
}

/** Rows PostgreSQL fetches per cursor round trip, and per unnest statement. */
const PG_PAGE = 5000;

export async function openRaw(db: DatabaseConfig, opts: RawOptions = {}): Promise<RawDb> {
  return db.provider === "sqlite" ? openSqlite(db.sqlitePath, opts.readonly === true) : openPg(await connectPg(db.url));
}

/** `?` → `$1`, `$2`, … (PostgreSQL's placeholder style); shared with client.ts's readRows. */
export function toPgPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export const quoteColumns = (columns: readonly string[]) => columns.map((c) => `"${c}"`).join(", ");

function openSqlite(sqlitePath: string, readonly: boolean): RawDb {
  if (!readonly) ensureSqliteDir(sqlitePath);
  const conn = new Database(sqlitePath, readonly ? { readonly: true, fileMustExist: true, timeout: 5000 } : { timeout: 5000 });
  // journal_mode and foreign_keys matter to writers only (WAL is a property of the file).
  if (!readonly) for (const p of SQLITE_PRAGMAS) conn.pragma(p);
  // Prepared once per SQL text: the same few statements run many times (readRows, insertMany).
  const statements = new Map<string, Database.Statement>();
  const prepare = (sql: string) => {
    let st = statements.get(sql);
    if (!st) statements.set(sql, (st = conn.prepare(sql)));
    return st;
  };
  // better-sqlite3 binds no booleans; SQLite stores them as 0/1 anyway (Prisma does the same).
  const bind = (params: readonly SqlValue[]) => params.map((v) => (typeof v === "boolean" ? (v ? 1 : 0) : v));
  return {
    all: async <T>(sql: string, params: readonly SqlValue[] = []) => prepare(sql).all(...bind(params)) as T[],
    async *iterate<T>(sql: string, params: readonly SqlValue[] = []) {
      // Its own statement: an iterating statement is busy until the iteration ends.
      yield* conn.prepare(sql).iterate(...bind(params)) as IterableIterator<T>;
    },
    run: async (sql, params = []) => prepare(sql).run(...bind(params)).changes,
    async insertMany(table, columns, _pgTypes, rows) {
      const st = prepare(`INSERT INTO "${table}" (${quoteColumns(columns)}) VALUES (${columns.map(() => "?").join(", ")})`);
      for (const r of rows) st.run(...bind(r));
    },
    tx: (fn) => transaction((sql) => void conn.exec(sql), fn),
    close: async () => {
      if (conn.open) conn.close();
    },
  };
}

function openPg(client: pg.Client): RawDb {
  let cursors = 0;
  let inTx = false;
  const query = <T extends pg.QueryResultRow>(sql: string, params: readonly SqlValue[] = []) => client.query<T>(toPgPlaceholders(sql), params as unknown[]);
  const raw: RawDb = {
    all: async <T>(sql: string, params: readonly SqlValue[] = []) => (await query(sql, params)).rows as T[],
    async *iterate<T>(sql: string, params: readonly SqlValue[] = []) {
      // A cursor lives in a transaction: the caller's, or one of its own.
      const own = !inTx;
      const name = `hindsight_cursor_${++cursors}`;
      if (own) await client.query("BEGIN");
      let done = false;
      try {
        await query(`DECLARE ${name} NO SCROLL CURSOR FOR ${sql}`, params);
        for (;;) {
          const page = await client.query(`FETCH ${PG_PAGE} FROM ${name}`);
          for (const row of page.rows) yield row as T;
          if (page.rows.length < PG_PAGE) break;
        }
        done = true;
      } finally {
        // Also when the consumer stops early (return) or the connection failed (errors ignored then).
        if (own) await client.query(done ? "COMMIT" : "ROLLBACK").catch(() => undefined);
        else await client.query(`CLOSE ${name}`).catch(() => undefined);
      }
    },
    run: async (sql, params = []) => (await query(sql, params)).rowCount ?? 0,
    async insertMany(table, columns, pgTypes, rows) {
      const sql = `INSERT INTO "${table}" (${quoteColumns(columns)}) SELECT * FROM unnest(${pgTypes.map((t, i) => `$${i + 1}::${t}[]`).join(", ")})`;
      for (let i = 0; i < rows.length; i += PG_PAGE) {
        const page = rows.slice(i, i + PG_PAGE);
        await client.query(sql, columns.map((_, c) => page.map((r) => r[c])));
      }
    },
    tx: async (fn) => {
      inTx = true;
      try {
        return await transaction(async (sql) => void (await client.query(sql)), fn);
      } finally {
        inTx = false;
      }
    },
    close: () => client.end(),
  };
  return raw;
}

async function transaction<T>(exec: (sql: string) => void | Promise<void>, fn: () => Promise<T>): Promise<T> {
  await exec("BEGIN");
  try {
    const result = await fn();
    await exec("COMMIT");
    return result;
  } catch (e) {
    await Promise.resolve()
      .then(() => exec("ROLLBACK"))
      .catch(() => undefined);
    throw e;
  }
}
