import Database from "better-sqlite3";
import { connectPg } from "@/lib/server/db/pg-client";
import type { DatabaseConfig } from "@/lib/server/db/provider";
import { decodeRecordJson, type EvidenceRecord } from "@/lib/schemas/records";
import { FileDigestData } from "@/lib/schemas/digest";

const PAGE = 5000;

/**
 * Streams an incident's stored records in insertion order (per file, in file order) with bounded
 * memory: SQLite iterates a cursor, PostgreSQL pages by primary key.
 */
export async function* iterateEvidence(db: DatabaseConfig, incidentId: string): AsyncGenerator<{ fileId: string; record: EvidenceRecord }> {
  if (db.provider === "sqlite") {
    const conn = new Database(db.sqlitePath, { readonly: true, fileMustExist: true });
    conn.pragma("busy_timeout = 5000");
    try {
      const stmt = conn.prepare(`SELECT "fileId" AS fileId, "data" AS data FROM "Evidence" WHERE "incidentId" = ? ORDER BY "id"`);
      let n = 0;
      for (const row of stmt.iterate(incidentId) as IterableIterator<{ fileId: string; data: string }>) {
        yield { fileId: row.fileId, record: decodeRecordJson(row.data) };
        // Give the thread's event loop a turn now and then (progress messages).
        if (++n % 50_000 === 0) await new Promise((r) => setImmediate(r));
      }
    } finally {
      conn.close();
    }
    return;
  }
  const client = await connectPg(db.url);
  try {
    let after = 0;
    for (;;) {
      // ORDER BY the integer column: an output alias of the same name (it was `"id"::text AS id`)
      // would sort as text ('10000' < '9999') and pages would repeat and skip rows.
      const res = await client.query<{ id: number; fileId: string; data: string }>(
        `SELECT "id", "fileId", "data" FROM "Evidence" WHERE "incidentId" = $1 AND "id" > $2 ORDER BY "Evidence"."id" LIMIT ${PAGE}`,
        [incidentId, after],
      );
      for (const row of res.rows) yield { fileId: row.fileId, record: decodeRecordJson(row.data) };
      if (res.rows.length < PAGE) break;
      after = res.rows[res.rows.length - 1]!.id;
    }
  } finally {
    await client.end();
  }
}

/** The digests of an incident's summarised files (lib/server/pipeline/tiering.ts); invalid ones are left out. */
export async function readDigests(db: DatabaseConfig, incidentId: string): Promise<{ fileId: string; digest: FileDigestData }[]> {
  let rows: { fileId: string; data: string }[];
  if (db.provider === "sqlite") {
    const conn = new Database(db.sqlitePath, { readonly: true, fileMustExist: true });
    try {
      conn.pragma("busy_timeout = 5000");
      rows = conn.prepare(`SELECT "fileId" AS fileId, "data" AS data FROM "FileDigest" WHERE "incidentId" = ? ORDER BY "fileId"`).all(incidentId) as typeof rows;
    } finally {
      conn.close();
    }
  } else {
    const client = await connectPg(db.url);
    try {
      rows = (await client.query<{ fileId: string; data: string }>(`SELECT "fileId", "data" FROM "FileDigest" WHERE "incidentId" = $1 ORDER BY "fileId"`, [incidentId])).rows;
    } finally {
      await client.end();
    }
  }
  const out: { fileId: string; digest: FileDigestData }[] = [];
  for (const r of rows) {
    const parsed = FileDigestData.safeParse(JSON.parse(r.data));
    if (parsed.success) out.push({ fileId: r.fileId, digest: parsed.data });
  }
  return out;
}
