import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EvidenceRecord, RequestRecord } from "@/lib/schemas/records";
import { durationMs, epochMs } from "@/lib/schemas/time";
import { type EvidenceRowInput, openRecordSink, toEvidenceRow, writeAggregates } from "@/lib/server/db/bulk";
import { localMigrationNames, pendingSchemaChange } from "@/lib/server/db/migrate";
import { type DatabaseConfig, databaseFromUrl, resolveDatabase } from "@/lib/server/db/provider";
import { postgresReachable, type TempDatabase, withTempPostgres, withTempSqlite } from "@/tests/helpers/db";

const T0 = Date.UTC(2024, 2, 14, 9, 30, 0);

function requestRecord(i: number): RequestRecord {
  return {
    kind: "request",
    ts: epochMs(T0 + i * 10),
    durationMs: durationMs((i % 97) * 3.5),
    source: "envoy",
    client: { workload: "frontend" },
    dest: { service: `svc-${i % 7}`, node: `node-${i % 3}` },
    method: "GET",
    path: `/api/items/${i}`,
    status: i % 10 === 0 ? 503 : 200,
    flags: i % 10 === 0 ? ["UF"] : undefined,
    traceId: `trace-${i % 500}`,
    prov: { line: i + 1 },
  };
}

function rows(n: number, offset = 0): EvidenceRowInput[] {
  return Array.from({ length: n }, (_, i) => toEvidenceRow(requestRecord(i + offset), i + 1));
}

/** Raw SQL against either provider, independent of the code under test. */
async function scalar(db: DatabaseConfig, sql: string, params: unknown[] = []): Promise<number> {
  if (db.provider === "sqlite") {
    const conn = new Database(db.sqlitePath, { readonly: true });
    try {
      const row = conn.prepare(sql.replace(/\$\d+/g, "?")).get(...params) as Record<string, unknown>;
      return Number(Object.values(row)[0]);
    } finally {
      conn.close();
    }
  }
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const res = await client.query(sql, params);
    return Number(Object.values(res.rows[0] as Record<string, unknown>)[0]);
  } finally {
    await client.end();
  }
}

// Next's types make NODE_ENV required on ProcessEnv; these tests only set what they exercise.
const env = (vars: Record<string, string>) => vars as unknown as NodeJS.ProcessEnv;

describe("resolveDatabase", () => {
  it("defaults to hindsight.db in the data dir and switches on DATABASE_URL", () => {
    const sqlite = resolveDatabase(env({ HINDSIGHT_DATA_DIR: "/srv/hs" }));
    expect(sqlite).toEqual({ provider: "sqlite", url: "file:/srv/hs/hindsight.db", sqlitePath: "/srv/hs/hindsight.db" });
    expect(resolveDatabase(env({ DATABASE_URL: "postgres://u:p@h/db" })).provider).toBe("postgresql");
    expect(resolveDatabase(env({ DATABASE_URL: "postgresql://h/db" })).provider).toBe("postgresql");
    expect(resolveDatabase(env({ DATABASE_URL: "file:///tmp/x.db" })).sqlitePath).toBe("/tmp/x.db");
    expect(databaseFromUrl("file:/tmp/y.db?mode=rwc").sqlitePath).toBe("/tmp/y.db");
    // A typo must not silently become a SQLite file named "mysql://…".
    expect(() => databaseFromUrl("mysql://u:secret@h/db")).toThrow(/unsupported scheme.*u:\*\*\*@/);
  });
});

describe("toEvidenceRow", () => {
  it("summarises a request on one line and fills the indexed columns", () => {
    const r = toEvidenceRow(
      { ...requestRecord(0), durationMs: durationMs(1203), client: { workload: "checkout" }, dest: { service: "payments" }, path: "/pay" },
      7,
    );
    expect(r).toMatchObject({ seq: 7, kind: "request", status: 503, severity: "error", service: "payments", traceId: "trace-0", line: 1 });
    expect(r.text).toBe("GET /pay 503 UF 1203ms checkout → payments");
    expect(JSON.parse(r.data)).toMatchObject({ kind: "request", path: "/pay" });
  });

  it("summarises spans and events", () => {
    const span: EvidenceRecord = {
      kind: "span",
      traceId: "t1",
      spanId: "s1",
      parentSpanId: null,
      service: "cart",
      name: "GET /cart",
      spanKind: "server",
      ts: epochMs(T0),
      durationMs: durationMs(12),
      status: "error",
      httpStatus: 500,
      attrs: {},
      prov: { pointer: "/resourceSpans/0" },
    };
    expect(toEvidenceRow(span, 1)).toMatchObject({ text: "cart GET /cart 12ms error 500", severity: "error", status: 500, line: null });
    const event: EvidenceRecord = {
      kind: "event",
      ts: epochMs(T0),
      source: "k8s",
      severity: "warning",
      reason: "BackOff",
      text: "Back-off restarting failed container\nsecond line",
      subject: { kind: "Pod", name: "cart-1", node: "node-2" },
      prov: { line: 3 },
    };
    expect(toEvidenceRow(event, 2)).toMatchObject({ text: "Back-off restarting failed container second line", node: "node-2", service: "cart-1" });
  });
});

const pgAvailable = await postgresReachable();
if (!pgAvailable) console.warn("\n!!! SKIPPING PostgreSQL integration tests: PostgreSQL is not reachable (TEST_DATABASE_URL / 127.0.0.1:5432) !!!\n");

const providers = [
  { name: "sqlite", open: () => withTempSqlite({ migrate: false }), skip: false },
  { name: "postgresql", open: async () => (await withTempPostgres({ migrate: false }))!, skip: !pgAvailable },
] as const;

for (const provider of providers) {
  describe.skipIf(provider.skip)(`database layer on ${provider.name}`, () => {
    let temp: TempDatabase;
    beforeAll(async () => {
      temp = await provider.open();
    });
    afterAll(async () => {
      await temp?.cleanup();
    });

    it("applies the migrations to a fresh database, then finds nothing to do", async () => {
      const first = await temp.migrate();
      expect(first.applied).toEqual(localMigrationNames(temp.config.provider));
      expect(first.applied.length).toBeGreaterThan(0);

      const second = await temp.migrate();
      expect(second).toMatchObject({ applied: [], upToDate: true });
      // Bypassing the quick check: the engine itself must agree there is nothing pending.
      const forced = await temp.migrate({ force: true });
      expect(forced).toMatchObject({ applied: [], upToDate: false });
      console.log(
        `[db] ${provider.name} migrate: fresh ${first.ms.toFixed(0)} ms, nothing pending ${second.ms.toFixed(1)} ms, forced engine check ${forced.ms.toFixed(0)} ms`,
      );
      expect(await scalar(temp.config, `SELECT count(*) FROM "_prisma_migrations"`)).toBe(first.applied.length);
    });

    it("has migrations in step with prisma/schema.prisma", async () => {
      // Fails when the schema was edited without `npm run db:migration -- <name>`: the app would
      // then query columns no migration creates.
      const pending = await pendingSchemaChange(temp.config.provider, { postgresUrl: temp.url });
      expect(pending, `schema.prisma differs from prisma/migrations/${temp.config.provider}; run npm run db:migration -- <name>`).toBe("");
    });

    it("survives two migrations racing on one fresh database", async () => {
      // Different options → two independent runs (same-options calls would share one promise).
      const fresh = await provider.open();
      try {
        const [a, b] = await Promise.all([fresh.migrate(), fresh.migrate({ force: true })]);
        expect([...a.applied, ...b.applied].sort()).toEqual(localMigrationNames(fresh.config.provider));
        expect(await scalar(fresh.config, `SELECT count(*) FROM "_prisma_migrations"`)).toBe(localMigrationNames(fresh.config.provider).length);
      } finally {
        await fresh.cleanup();
      }
    });

    it("creates, reads and cascades Incident → Bundle → EvidenceFile → AnalysisRun through Prisma", async () => {
      const prisma = temp.client();
      const incident = await prisma.incident.create({ data: { title: "503s on checkout", totalBytes: 5_000_000_000n } });
      const bundle = await prisma.bundle.create({
        data: { incidentId: incident.id, name: "bundle.zip", size: 1234n, sha256: "ab".repeat(32), limits: { maxEntries: 10 } },
      });
      const file = await prisma.evidenceFile.create({
        data: { incidentId: incident.id, bundleId: bundle.id, path: "logs/envoy.log", size: 99n, sha256: "cd".repeat(32), storageKey: "cd".repeat(32) },
      });
      const run = await prisma.analysisRun.create({ data: { incidentId: incident.id, status: "running", timings: { parse: 12 } } });

      const loaded = await prisma.incident.findUniqueOrThrow({ where: { id: incident.id }, include: { bundles: true, files: true, runs: true } });
      expect(loaded.totalBytes).toBe(5_000_000_000n);
      expect(loaded.bundles.map((b) => b.limits)).toEqual([{ maxEntries: 10 }]);
      // Json defaults come from the migration ('[]'), which is where SQLite used to break.
      expect(loaded.files[0]).toMatchObject({ id: file.id, warnings: [], skippedSamples: [], status: "pending" });
      expect(loaded.runs[0]).toMatchObject({ id: run.id, timings: { parse: 12 }, problems: [] });
      expect(loaded.createdAt).toBeInstanceOf(Date);

      await prisma.analysisRun.update({ where: { id: run.id }, data: { status: "completed", finishedAt: new Date(T0) } });
      expect((await prisma.analysisRun.findUniqueOrThrow({ where: { id: run.id } })).finishedAt?.getTime()).toBe(T0);

      // Duplicate path in one bundle is refused by @@unique([bundleId, path]).
      await expect(
        prisma.evidenceFile.create({
          data: { incidentId: incident.id, bundleId: bundle.id, path: "logs/envoy.log", size: 1n, sha256: "x", storageKey: "x" },
        }),
      ).rejects.toThrow();

      // ON DELETE CASCADE only works on SQLite with foreign_keys=ON, which the adapter wrapper sets.
      await prisma.incident.delete({ where: { id: incident.id } });
      expect(await prisma.bundle.count({ where: { incidentId: incident.id } })).toBe(0);
      expect(await prisma.evidenceFile.count({ where: { incidentId: incident.id } })).toBe(0);
      expect(await prisma.analysisRun.count({ where: { incidentId: incident.id } })).toBe(0);
    });

    it("bulk-writes 20k evidence rows and re-ingests a file without duplicates", async () => {
      const target = { incidentId: "inc-bulk", fileId: "file-a" };
      const other = { incidentId: "inc-bulk", fileId: "file-b" };
      const countFile = (fileId: string) => scalar(temp.config, `SELECT count(*) FROM "Evidence" WHERE "fileId" = $1`, [fileId]);

      // A neighbour file that clearFile must leave alone.
      const neighbour = await openRecordSink(temp.config, other);
      await neighbour.add(rows(10));
      await neighbour.close();

      // Pipelined: the ingest path (SQLite writes from a writer thread, PostgreSQL keeps a batch in flight).
      const sink = await openRecordSink(temp.config, target, { pipelined: true });
      const batch = rows(20_000);
      const started = performance.now();
      for (const row of batch) await sink.add(row);
      await sink.flush();
      const seconds = (performance.now() - started) / 1000;
      console.log(`[db] ${provider.name} bulk insert: ${Math.round(20_000 / seconds).toLocaleString("en")} rows/s (20,000 rows in ${(seconds * 1000).toFixed(0)} ms)`);
      expect(sink.written).toBe(20_000);
      expect(await countFile("file-a")).toBe(20_000);

      // Re-ingest: clear, write the same file again.
      await sink.clearFile();
      expect(await countFile("file-a")).toBe(0);
      await sink.add(batch);
      await sink.close();
      expect(await countFile("file-a")).toBe(20_000);
      expect(await scalar(temp.config, `SELECT count(DISTINCT "seq") FROM "Evidence" WHERE "fileId" = $1`, ["file-a"])).toBe(20_000);
      expect(await countFile("file-b")).toBe(10);

      // Writing a seq again without clearing is refused by the (fileId, seq) unique index: no duplicate,
      // and the failed batch leaves the stored rows as they were. (Ingest always clears first.)
      const again = await openRecordSink(temp.config, target);
      const changed = { ...batch[41]!, text: "replaced" };
      await expect(again.add([changed]).then(() => again.flush())).rejects.toThrow(/unique|duplicate/i);
      await again.close().catch(() => undefined);
      expect(await countFile("file-a")).toBe(20_000);
      expect(await scalar(temp.config, `SELECT count(*) FROM "Evidence" WHERE "fileId" = $1 AND "text" = 'replaced'`, ["file-a"])).toBe(0);

      // Indexed columns arrive intact.
      expect(await scalar(temp.config, `SELECT count(*) FROM "Evidence" WHERE "fileId" = $1 AND "status" = 503`, ["file-a"])).toBe(2000);
      expect(await scalar(temp.config, `SELECT max("ts") FROM "Evidence" WHERE "fileId" = $1`, ["file-a"])).toBe(T0 + 19_999 * 10);
    });

    it("upserts aggregates by primary key and clears them with the file", async () => {
      const target = { incidentId: "inc-agg", fileId: "file-agg" };
      const bucket = { second: T0 / 1000, source: "frontend", dest: "cart", status: 503, flag: "UF", count: 3, durationSumMs: 30 };
      const hist = { service: "cart", hop: "frontend -> cart", minute: Math.floor(T0 / 60_000), metric: "duration", count: 3, histogram: "HISTFAAAA" };
      await writeAggregates(temp.config, target, [bucket, { ...bucket, status: 200, flag: "-" }], [hist]);
      await writeAggregates(temp.config, target, [{ ...bucket, count: 5 }], [{ ...hist, count: 9 }]);
      expect(await scalar(temp.config, `SELECT count(*) FROM "RequestBucket" WHERE "fileId" = $1`, ["file-agg"])).toBe(2);
      expect(await scalar(temp.config, `SELECT "count" FROM "RequestBucket" WHERE "fileId" = $1 AND "status" = 503`, ["file-agg"])).toBe(5);
      expect(await scalar(temp.config, `SELECT "count" FROM "LatencyHistogram" WHERE "fileId" = $1`, ["file-agg"])).toBe(9);

      const sink = await openRecordSink(temp.config, target);
      await sink.clearFile();
      await sink.close();
      expect(await scalar(temp.config, `SELECT count(*) FROM "RequestBucket" WHERE "fileId" = $1`, ["file-agg"])).toBe(0);
      expect(await scalar(temp.config, `SELECT count(*) FROM "LatencyHistogram" WHERE "fileId" = $1`, ["file-agg"])).toBe(0);
    });

    it("stores hostile text (NUL bytes, out-of-range numbers) without failing the batch", async () => {
      const target = { incidentId: "inc-hostile", fileId: "file-hostile" };
      const sink = await openRecordSink(temp.config, target);
      const bad = { ...rows(1)[0]!, seq: 1, text: "a\u0000b", service: "svc\u0000", status: 1.5, line: 2 ** 40, ts: Number.NaN };
      await sink.add([bad, { ...rows(1)[0]!, seq: 2 }]);
      await sink.close();
      expect(await scalar(temp.config, `SELECT count(*) FROM "Evidence" WHERE "fileId" = $1`, ["file-hostile"])).toBe(2);
      expect(await scalar(temp.config, `SELECT count(*) FROM "Evidence" WHERE "fileId" = $1 AND "status" IS NULL AND "line" IS NULL AND "ts" IS NULL`, ["file-hostile"])).toBe(1);
    });
  });
}
