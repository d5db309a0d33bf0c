import pino, { type Level, type Logger } from "pino";

/**
 * The diagnostic log: one pino logger per process, and per worker thread (a thread has its own
 * globals), writing JSON lines to stderr — stdout stays free for what the CLIs print for users
 * (`hindsight analyze --json` writes only its report there).
 *
 *   {"level":40,"time":1729000000000,"pid":4242,"hostname":"web-1","incidentId":"…","msg":"view cache incomplete"}
 *
 * Writes are synchronous on the file descriptor (pino.destination sync): no transport, no thread of
 * its own, nothing lost when a process exits right after logging.
 *
 * Level: HINDSIGHT_LOG_LEVEL (fatal, error, warn, info, debug, trace or silent); by default info,
 * and silent under vitest (VITEST is set) so test output stays quiet. A test that asserts a log
 * line spies on the logger's method (vi.spyOn(log, "warn")): the spy sees the call at any level.
 *
 * Calls take the fields first, then the message: log.error({ err, runId }, "analysis failed");
 * `err` is serialised with its stack.
 */
const LEVELS: readonly (Level | "silent")[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

export function logLevel(env: Readonly<Record<string, string | undefined>> = process.env): Level | "silent" {
  const wanted = env.HINDSIGHT_LOG_LEVEL?.trim().toLowerCase();
  if (wanted && (LEVELS as readonly string[]).includes(wanted)) return wanted as Level | "silent";
  return env.VITEST ? "silent" : "info";
}

function createLogger(): Logger {
  const logger = pino({ level: logLevel() }, pino.destination({ dest: 2, sync: true }));
  const wanted = process.env.HINDSIGHT_LOG_LEVEL?.trim();
  if (wanted && logLevel() !== wanted.toLowerCase()) logger.warn({ HINDSIGHT_LOG_LEVEL: wanted, levels: LEVELS }, `HINDSIGHT_LOG_LEVEL is not a level: logging at ${logger.level}`);
  return logger;
}

// On globalThis so that every bundle of the web process (Next.js compiles route and
// instrumentation chunks separately) shares it, and scripts/server.mjs can use it after start-up.
const holder = globalThis as typeof globalThis & { __hindsightLog?: Logger };
export const log: Logger = (holder.__hindsightLog ??= createLogger());
