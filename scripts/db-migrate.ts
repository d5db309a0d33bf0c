// npm run db:migrate — applies pending migrations to the configured database
// (DATABASE_URL, or the SQLite file in HINDSIGHT_DATA_DIR) with the WebAssembly schema engine.
// `--force` asks the engine even when the quick _prisma_migrations check says all is applied.
import { migrate } from "@/lib/server/db/migrate";
import { redact, resolveDatabase } from "@/lib/server/db/provider";

async function main(): Promise<void> {
  const db = resolveDatabase();
  const result = await migrate(db, { force: process.argv.includes("--force") });
  const what = result.applied.length ? `applied ${result.applied.join(", ")}` : "up to date";
  console.log(`db:migrate ${db.provider} ${redact(db.url)}: ${what} (${Math.round(result.ms)} ms)`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
