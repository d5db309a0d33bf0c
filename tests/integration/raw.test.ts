import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRaw, type RawDb } from "@/lib/server/db/raw";
import { postgresReachable, type TempDatabase, withTempPostgres, withTempSqlite } from "../helpers/db";

const pgAvailable = await postgresReachable();
if (!pgAvailable) console.warn("\n!!! SKIPPING PostgreSQL raw-connection tests: PostgreSQL is not reachable !!!\n");

const providers = [
  { name: "sqlite", open: () => withTempSqlite({ migrate: false }), skip: false },
  { name: "postgresql", open: async () => (await withTempPostgres({ migrate: false }))!, skip: !pgAvailable },
] as const;

// More rows than one PostgreSQL cursor page (5,000), so iterate() must fetch again.
const N = 5_003;

for (const provider of providers) {
  describe.skipIf(provider.skip)(`openRaw on ${provider.name}`, () => {
    let temp: TempDatabase;
    let raw: RawDb;
    beforeAll(async () => {
      temp = await provider.open();
      raw = await openRaw(temp.config);
      await raw.run(`CREATE TABLE "Thing" ("id" INTEGER PRIMARY KEY, "name" TEXT NOT NULL, "flag" BOOLEAN NOT NULL, "blob" BYTEA)`.replace("BYTEA", provider.name === "sqlite" ? "BLOB" : "BYTEA"));
    });
    afterAll(async () => {
      await raw?.close();
      await temp?.cleanup();
    });

    it("inserts many rows in a transaction and reads them with ? placeholders", async () => {
      const rows = Array.from({ length: N }, (_, i) => [i + 1, `thing ${i + 1}`, i % 2 === 0, i === 0 ? Buffer.from([1, 2, 3]) : null]);
      await raw.tx(() => raw.insertMany("Thing", ["id", "name", "flag", "blob"], ["int4", "text", "bool", "bytea"], rows));
      const some = await raw.all<{ id: number; name: string; blob: Buffer | null }>(`SELECT "id", "name", "blob" FROM "Thing" WHERE "id" >= ? AND "name" <> ? ORDER BY "id" LIMIT 2`, [1, "thing 2"]);
      expect(some.map((r) => [r.id, r.name])).toEqual([
        [1, "thing 1"],
        [3, "thing 3"],
      ]);
      expect([...some[0]!.blob!]).toEqual([1, 2, 3]);
      expect(await raw.all(`SELECT "id" FROM "Thing" WHERE "flag" = ?`, [true])).toHaveLength(Math.ceil(N / 2));
    });

    it("iterates every row in order, and a stopped iteration leaves the connection usable", async () => {
      let n = 0;
      let last = 0;
      for await (const row of raw.iterate<{ id: number }>(`SELECT "id" FROM "Thing" WHERE "id" > ? ORDER BY "id"`, [0])) {
        expect(row.id).toBe(last + 1);
        last = row.id;
        n++;
      }
      expect(n).toBe(N);
      for await (const row of raw.iterate<{ id: number }>(`SELECT "id" FROM "Thing" ORDER BY "id"`)) if (row.id >= 3) break;
      expect(await raw.run(`UPDATE "Thing" SET "name" = ? WHERE "id" = ?`, ["renamed", 1])).toBe(1);
    });

    it("rolls a failed transaction back", async () => {
      await expect(
        raw.tx(async () => {
          await raw.run(`DELETE FROM "Thing"`);
          throw new Error("boom");
        }),
      ).rejects.toThrow("boom");
      expect(await raw.all<{ n: number | string }>(`SELECT COUNT(*) AS "n" FROM "Thing"`)).toEqual([{ n: provider.name === "sqlite" ? N : String(N) }]);
    });

    it("opens an existing database read-only", async () => {
      const reader = await openRaw(temp.config, { readonly: true });
      try {
        expect(await reader.all<{ name: string }>(`SELECT "name" FROM "Thing" WHERE "id" = ?`, [1])).toEqual([{ name: "renamed" }]);
        if (provider.name === "sqlite") await expect(reader.run(`DELETE FROM "Thing"`)).rejects.toThrow(/readonly/);
      } finally {
        await reader.close();
      }
    });
  });
}
