/**
 * Security-relevant events (account lockouts and their clearing), one JSON line each on the
 * server's log with an `[audit]` prefix, so log shipping can route them apart. Deliberately not a
 * table: the events must be recorded even when the database is what is failing.
 */
export function audit(event: string, fields: Record<string, string | number | boolean | null>): void {
  console.warn(`[audit] ${JSON.stringify({ at: new Date().toISOString(), event, ...fields })}`);
}
