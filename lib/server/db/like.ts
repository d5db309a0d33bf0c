import { rawSql } from "./client";

/**
 * The one way to filter by "contains this text" in SQL (security row 11). A user's `%` or `_` must
 * match a percent sign or an underscore, not everything: the term is escaped with `\` and every
 * LIKE built here says `ESCAPE '\'`. Prisma's `contains` cannot say ESCAPE, so no filter on user
 * text goes through it. Case-insensitive on both SQLite and PostgreSQL (LOWER on both sides).
 */
export function likePattern(term: string): string {
  return `%${term.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

type Sql = ReturnType<typeof rawSql.sql>;

/** `LOWER(<column>) LIKE '%term%' ESCAPE '\'`, for a column name we wrote (never user input). */
export function containsSql(column: string, term: string): Sql {
  if (!/^"?[A-Za-z_][A-Za-z0-9_]*"?(\."?[A-Za-z_][A-Za-z0-9_]*"?)?$/.test(column)) throw new Error(`containsSql: not a column name: ${column}`);
  return rawSql.sql`LOWER(${rawSql.raw(column)}) LIKE ${likePattern(term)} ESCAPE '\\'`;
}
