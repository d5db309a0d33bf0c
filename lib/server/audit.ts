import { log } from "@/lib/server/log";

/**
 * Security-relevant events (account lockouts and their clearing), one line each on the server's
 * log (lib/server/log.ts) at warn, marked `"audit": true` with the event name, so log shipping can
 * route them apart. Deliberately not a table: the events must be recorded even when the database
 * is what is failing.
 */
export function audit(event: string, fields: Record<string, string | number | boolean | null>): void {
  log.warn({ ...fields, audit: true, event }, `audit: ${event}`);
}
