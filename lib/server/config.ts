import path from "node:path";

/**
 * Every environment variable Hindsight reads, with its default. README's configuration table
 * mirrors this list (tests/unit/config.test.ts keeps them in sync).
 */
export const ENV_DOCS = [
  { name: "PORT", default: "3000", doc: "HTTP port of the web app" },
  { name: "HOSTNAME", default: "0.0.0.0 (127.0.0.1 with HINDSIGHT_AUTH=off)", doc: "Address the web app binds to; with HINDSIGHT_AUTH=off anything but a loopback address is refused and 127.0.0.1 used" },
  { name: "HINDSIGHT_DATA_DIR", default: "./data", doc: "Where the SQLite database, uploaded blobs and temp files live" },
  { name: "DATABASE_URL", default: "(unset → SQLite file in the data dir)", doc: "postgres://… switches to PostgreSQL + pg-boss; file:… picks another SQLite file" },
  { name: "HINDSIGHT_EMBEDDED_WORKER", default: "on (SQLite), off (PostgreSQL)", doc: "Run the job worker inside the web process; with PostgreSQL run `npm run worker` processes instead" },
  { name: "HINDSIGHT_WORKER_CONCURRENCY", default: "1", doc: "Jobs processed at once per worker process" },
  { name: "HINDSIGHT_PIPELINE_NICE", default: "10 in the server and `npm run worker`, unset (0) elsewhere", doc: "Nice value (0–19) of the parse and analysis threads only (Linux; each thread has its own), so parsing a big bundle yields the CPU to the web's main thread; 0 leaves them at normal priority" },
  { name: "HINDSIGHT_JOB_MAX_ATTEMPTS", default: "5", doc: "Failed attempts (the handler threw) before a job is marked failed (retries back off exponentially)" },
  { name: "HINDSIGHT_JOB_MAX_LOSSES", default: "200", doc: "Deliveries lost to a dying or stopping worker (SIGKILL, crash, SIGTERM) that do not count as attempts; past them they do" },
  { name: "HINDSIGHT_JOB_EXPIRE_SECONDS", default: "1800", doc: "pg-boss: an active job older than this is considered dead (worker killed) and retried" },
  { name: "HINDSIGHT_JOB_MAINTENANCE_SECONDS", default: "30", doc: "pg-boss: how often expired jobs are detected" },
  { name: "HINDSIGHT_LOG_LEVEL", default: "info (silent under vitest)", doc: "Level of the diagnostic log (fatal, error, warn, info, debug, trace or silent): one JSON line per event on stderr, from the web, worker and CLI processes and their threads (lib/server/log.ts)" },
  { name: "HINDSIGHT_STOP_GRACE_MS", default: "20000 (worker), 10000 (web)", doc: "On SIGTERM: how long running jobs may finish before they are released" },
  { name: "HINDSIGHT_SUMMARISE_MIN_BYTES", default: "64 MiB", doc: "Access logs at least this big are *summarised*: notable requests and a sample become rows, the rest is aggregated exactly and read back from the file when a view needs it ([docs/DATABASE.md](docs/DATABASE.md#summarised-files))" },
  { name: "HINDSIGHT_SAMPLE_TARGET", default: "50000", doc: "Rows of the uniform sample of a summarised file" },
  { name: "HINDSIGHT_SUMMARISE_CHUNK_BYTES", default: "32 MiB", doc: "Chunk a parse thread takes at once when summarising" },
  { name: "HINDSIGHT_PARSE_THREADS", default: "CPUs (at most 4)", doc: "Parse threads per summarised file" },
  { name: "HINDSIGHT_AUTH", default: "on", doc: "Accounts and roles; `off` is single-user mode (everyone is admin) and the server then binds to 127.0.0.1 only" },
  { name: "HINDSIGHT_PAGE_CACHE_MB", default: "64", doc: "Memory for rendered copies of incident and share pages, per web process (a copy is served only to the same principal or share link while the incident's content is unchanged; docs/SECURITY.md); 0 turns the page cache off" },
  { name: "HINDSIGHT_TRUSTED_PROXIES", default: "(unset: the socket address)", doc: "Which peers are your reverse proxies, for the client address that sign-in limits count by: a hop count (`1`) or addresses/CIDRs (`10.0.0.0/8,::1`); `X-Forwarded-For` is read only back through these (docs/SECURITY.md)" },
  { name: "HINDSIGHT_AUTH_SECRET", default: "(generated at first start, kept in the database)", doc: "Secret that signs session cookies (at least 32 characters); set the same value on every web process if you prefer not to keep it in the database" },
  { name: "HINDSIGHT_TOKEN", default: "(unset)", doc: "CLI `hindsight upload`: API token sent as `Authorization: Bearer` (same as `--token`)" },
  { name: "HINDSIGHT_SAMPLE", default: "on", doc: "Import the sample incident on first start when the database is empty" },
  { name: "HINDSIGHT_MAX_UPLOAD_BYTES", default: "2 GiB", doc: "Largest upload accepted (413 above)" },
  { name: "HINDSIGHT_MAX_ENTRY_BYTES", default: "2 GiB", doc: "Largest inflated archive entry" },
  { name: "HINDSIGHT_MAX_BUNDLE_BYTES", default: "4 GiB", doc: "Largest total inflated bundle" },
  { name: "HINDSIGHT_MAX_RATIO", default: "200", doc: "Largest compression ratio, enforced after the first MiB of an entry" },
  { name: "HINDSIGHT_MAX_ENTRIES", default: "10000", doc: "Most entries in one bundle" },
  { name: "HINDSIGHT_MAX_DEPTH", default: "32", doc: "Deepest folder nesting inside a bundle" },
  { name: "HINDSIGHT_MAX_PATH_LENGTH", default: "1024", doc: "Longest path inside a bundle" },
  { name: "HINDSIGHT_SHADOW_DATABASE_URL", default: "(DATABASE_URL, else local PostgreSQL)", doc: "`npm run db:migration` only: scratch PostgreSQL server used to diff the schema" },
  { name: "HINDSIGHT_ROOT", default: "(the checkout)", doc: "Where Hindsight's files are; set by the CLI and npm start" },
  { name: "HINDSIGHT_REQUIRE_POSTGRES", default: "(unset; 1 in CI)", doc: "Tests only: fail instead of skipping when PostgreSQL is unreachable" },
  { name: "TEST_DATABASE_URL", default: "postgresql://postgres@127.0.0.1:5432/test", doc: "Tests only: PostgreSQL for the pg-boss integration suite" },
  { name: "MALLOC_ARENA_MAX", default: "2 (set by npm start)", doc: "glibc malloc arenas for the web process; 2 keeps RSS flat after worker threads end" },
  { name: "NEXT_TELEMETRY_DISABLED", default: "1 (set by npm start)", doc: "Next.js telemetry is always off" },
] as const;

export function dataDir(env: Record<string, string | undefined> = process.env): string {
  // Runtime location chosen by the operator: not something for the bundler to trace.
  const dir = env.HINDSIGHT_DATA_DIR?.trim();
  return path.resolve(/*turbopackIgnore: true*/ dir || "./data");
}
