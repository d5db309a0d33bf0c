import { decodeRecordJson, type EvidenceRecord } from "@/lib/schemas/records";
import type { RecordPageDto, RecordQuery, RecordRowDto } from "@/lib/schemas/records-api";
import { getPrisma, rawSql, type Db } from "@/lib/server/db/client";
import { containsSql } from "@/lib/server/db/like";
import { materializeForPage, materializeLine } from "@/lib/server/pipeline/materialize";

/**
 * Queries an incident's stored records: time range, kind, service/workload, node, source,
 * severity, file, trace and free text, ordered by time then id, paged by keyset cursor (never by
 * OFFSET, so page 1000 is as fast as page 1). The indexes on Evidence (incidentId, kind, ts) and
 * (incidentId, ts) serve these queries.
 */
export async function queryRecords(incidentId: string, q: RecordQuery, db: Db = getPrisma()): Promise<RecordPageDto> {
  const cursor = decodeCursor(q.cursor);
  // The page's ids in SQL (so the service and text filters can be literal substrings: LIKE with
  // ESCAPE, which Prisma's `contains` cannot express — lib/server/db/like.ts), then their rows.
  const { sql, join } = rawSql;
  const conditions = [sql`"incidentId" = ${incidentId}`];
  if (q.kind?.length) conditions.push(sql`kind IN (${join(q.kind)})`);
  if (q.from !== undefined) conditions.push(sql`ts >= ${q.from}`);
  if (q.to !== undefined) conditions.push(sql`ts < ${q.to}`);
  if (q.service) conditions.push(containsSql("service", q.service));
  if (q.node) conditions.push(sql`node = ${q.node}`);
  if (q.source?.length) conditions.push(sql`source IN (${join(q.source)})`);
  if (q.severity?.length) conditions.push(sql`severity IN (${join(q.severity)})`);
  if (q.fileId) conditions.push(sql`"fileId" = ${q.fileId}`);
  if (q.traceId) conditions.push(sql`"traceId" = ${q.traceId}`);
  if (q.q) conditions.push(containsSql("text", q.q));
  if (cursor) {
    // Rows with a null ts sort first (asc); the cursor carries ts=null for them.
    const asc = q.order === "asc";
    conditions.push(
      cursor.ts === null
        ? asc
          ? sql`((ts IS NULL AND id > ${cursor.id}) OR ts IS NOT NULL)`
          : sql`(ts IS NULL AND id < ${cursor.id})`
        : asc
          ? sql`(ts > ${cursor.ts} OR (ts = ${cursor.ts} AND id > ${cursor.id}))`
          : sql`(ts < ${cursor.ts} OR (ts = ${cursor.ts} AND id < ${cursor.id}) OR ts IS NULL)`,
    );
  }
  const order = q.order === "asc" ? sql`ts ASC NULLS FIRST, id ASC` : sql`ts DESC NULLS LAST, id DESC`;
  const read = async () => {
    const ids = await db.$queryRaw<{ id: number | bigint }[]>(sql`SELECT id FROM "Evidence" WHERE ${join(conditions, " AND ")} ORDER BY ${order} LIMIT ${q.limit + 1}`);
    const wanted = ids.map((r) => Number(r.id));
    const found = await db.evidence.findMany({
      where: { id: { in: wanted } },
      select: { id: true, fileId: true, kind: true, ts: true, durationMs: true, source: true, service: true, node: true, status: true, severity: true, traceId: true, text: true, line: true },
    });
    const byId = new Map(found.map((r) => [r.id, r]));
    return wanted.flatMap((id) => byId.get(id) ?? []);
  };
  // Summarised files: bring in the blocks whose healthy records belong on this page first.
  let rows: Awaited<ReturnType<typeof read>> | null = null;
  const { boundary } = await materializeForPage(
    db,
    incidentId,
    { order: q.order, from: q.from, to: q.to, cursorTs: cursor?.ts, fileId: q.fileId, kinds: q.kind },
    async () => {
      rows = await read();
      return rows.length > q.limit ? (rows[q.limit]!.ts ?? null) : null;
    },
  );
  // The last horizon() read came after the last materialisation; read only if it never ran.
  rows ??= await read();
  let page = rows.slice(0, q.limit);
  let more = rows.length > q.limit;
  if (boundary !== null) {
    // Past the blocks this request could materialise: serve the complete part, continue from there.
    page = page.filter((r) => r.ts !== null && (q.order === "asc" ? r.ts < boundary : r.ts > boundary));
    more = true;
  }
  const paths = await filePaths(db, incidentId, page.map((r) => r.fileId));
  const last = page[page.length - 1];
  const resume = boundary !== null && !last ? encodeCursor(boundary, q.order === "asc" ? -1 : Number.MAX_SAFE_INTEGER) : null;
  return {
    rows: page.map((r) => ({ ...r, path: paths.get(r.fileId) ?? "" })),
    nextCursor: more && last ? encodeCursor(last.ts, last.id) : resume,
  };
}

/** One record with its full normalised form (for evidence links and the detail panel). */
export async function getRecord(incidentId: string, id: number, db: Db = getPrisma()): Promise<{ row: RecordRowDto; record: EvidenceRecord } | null> {
  const r = await db.evidence.findFirst({ where: { incidentId, id } });
  if (!r) return null;
  const paths = await filePaths(db, incidentId, [r.fileId]);
  const { data, seq: _seq, incidentId: _i, ...rest } = r;
  return { row: { ...rest, path: paths.get(r.fileId) ?? "" }, record: decodeRecordJson(data) };
}

/** Finds the stored record behind an evidence citation (file path + line). */
export async function findRecordByLine(incidentId: string, path: string, line: number, db: Db = getPrisma()): Promise<number | null> {
  const file = await db.evidenceFile.findFirst({ where: { incidentId, path }, select: { id: true } });
  if (!file) return null;
  const find = () => db.evidence.findFirst({ where: { incidentId, fileId: file.id, line: { lte: line } }, orderBy: { line: "desc" }, select: { id: true, line: true } });
  let r = await find();
  // A healthy record of a summarised file is a row once its block is materialised.
  if (r?.line !== line && (await materializeLine(db, incidentId, file.id, line))) r = await find();
  return r?.id ?? null;
}

async function filePaths(db: Db, incidentId: string, ids: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const files = await db.evidenceFile.findMany({ where: { incidentId, id: { in: unique } }, select: { id: true, path: true } });
  return new Map(files.map((f) => [f.id, f.path]));
}

function encodeCursor(ts: number | null, id: number): string {
  return Buffer.from(JSON.stringify([ts, id])).toString("base64url");
}

function decodeCursor(c: string | undefined): { ts: number | null; id: number } | null {
  if (!c) return null;
  try {
    const [ts, id] = JSON.parse(Buffer.from(c, "base64url").toString("utf8")) as [unknown, unknown];
    if ((ts === null || typeof ts === "number") && typeof id === "number") return { ts, id };
  } catch {
    /* fall through */
  }
  return null;
}
