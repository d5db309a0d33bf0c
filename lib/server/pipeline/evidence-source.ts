import { openRaw } from "@/lib/server/db/raw";
import type { DatabaseConfig } from "@/lib/server/db/provider";
import { decodeRecordJson, type EvidenceRecord } from "@/lib/schemas/records";
import { FileDigestData } from "@/lib/schemas/digest";

/**
 * Streams an incident's stored records in insertion order (per file, in file order) with bounded
 * memory (a cursor on either provider: lib/server/db/raw.ts).
 */
export async function* iterateEvidence(db: DatabaseConfig, incidentId: string): AsyncGenerator<{ fileId: string; record: EvidenceRecord }> {
  const raw = await openRaw(db, { readonly: true });
  try {
    let n = 0;
    // ORDER BY the qualified integer column: an output alias of the same name (it was
    // `"id"::text AS id`) would sort as text ('10000' < '9999').
    for await (const row of raw.iterate<{ fileId: string; data: string }>(`SELECT "fileId", "data" FROM "Evidence" WHERE "incidentId" = ? ORDER BY "Evidence"."id"`, [incidentId])) {
      yield { fileId: row.fileId, record: decodeRecordJson(row.data) };
      // Give the thread's event loop a turn now and then (progress messages).
      if (++n % 50_000 === 0) await new Promise((r) => setImmediate(r));
    }
  } finally {
    await raw.close();
  }
}

/** The digests of an incident's summarised files (lib/server/pipeline/tiering.ts); invalid ones are left out. */
export async function readDigests(db: DatabaseConfig, incidentId: string): Promise<{ fileId: string; digest: FileDigestData }[]> {
  const raw = await openRaw(db, { readonly: true });
  let rows: { fileId: string; data: string }[];
  try {
    rows = await raw.all(`SELECT "fileId", "data" FROM "FileDigest" WHERE "incidentId" = ? ORDER BY "fileId"`, [incidentId]);
  } finally {
    await raw.close();
  }
  const out: { fileId: string; digest: FileDigestData }[] = [];
  for (const r of rows) {
    const parsed = FileDigestData.safeParse(JSON.parse(r.data));
    if (parsed.success) out.push({ fileId: r.fileId, digest: parsed.data });
  }
  return out;
}
