// npm run db:migration -- NAME
// Creates prisma/migrations/{sqlite,postgresql}/<timestamp>_NAME/migration.sql from the difference
// between prisma/schema.prisma and the existing migrations, using the WebAssembly schema engine
// (works offline). The PostgreSQL diff needs a reachable server for its scratch shadow database:
// HINDSIGHT_SHADOW_DATABASE_URL, else a postgres DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/postgres.
import { createMigration } from "@/lib/server/db/migrate";

async function main(): Promise<void> {
  const name = process.argv.slice(2).find((a) => !a.startsWith("-"));
  if (!name) {
    console.error("usage: npm run db:migration -- <name>   (e.g. add_evidence_tags)");
    process.exit(2);
  }
  const created = await createMigration(name);
  for (const c of created) {
    console.log(c.name ? `${c.provider}: wrote ${c.dir}/migration.sql` : `${c.provider}: schema and migrations already in sync, nothing written`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
