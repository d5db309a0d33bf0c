import type { RequestRecord } from "@/lib/schemas/records";

/**
 * The one definition of a failed request, and the one name of a request's destination and client,
 * used by correlation (window, impact), the per-second aggregates the views read, the stored rows'
 * severity and service columns, and the detectors.
 *
 * Failed =
 *   - an HTTP status ≥ 500;
 *   - no HTTP status (0 = Envoy's "no response sent", null = a TCP record) with an error text or a
 *     response flag, unless the only flags say the client went away (Envoy DC/DPE — its 499);
 *   - a failure response flag (UF upstream connect failure, UH no healthy upstream, UT timeout,
 *     URX retry limit, UC/UR upstream reset, UO overflow, NR no route, LR local reset, UPE, SI, DT);
 *   - an error text on a record without a successful status (ztunnel `error="connection refused"`).
 * Not failed: 4xx including 499 (the client's side), a TCP flow (status 0 or null) that closed
 * without an error or flag, an error text next to a 2xx/3xx/4xx status (a note on an answered request).
 */
export const FAILURE_FLAGS: ReadonlySet<string> = new Set(["UF", "UH", "UT", "URX", "UC", "UO", "NR", "UR", "LR", "UPE", "SI", "DT"]);
/** Response flags that say the *client* ended the exchange: not a failure of the service. */
export const CLIENT_SIDE_FLAGS: ReadonlySet<string> = new Set(["DC", "DPE"]);

const hasError = (error: string | undefined) => !!error && error.trim() !== "" && error !== "-";

export function isFailedOutcome(status: number | null, flags: readonly string[], error: string | undefined): boolean {
  if (status !== null && status >= 500) return true;
  if (flags.some((f) => FAILURE_FLAGS.has(f))) return true;
  if (status !== null && status >= 100) return false;
  // No HTTP status: 0 is Envoy's "no response sent" — and also what it logs for a TCP flow, which
  // is fine unless a flag or an error says otherwise; null is a TCP record (ztunnel).
  if (hasError(error)) return true;
  return flags.some((f) => f !== "-" && !CLIENT_SIDE_FLAGS.has(f));
}

export function isFailedRequest(r: Pick<RequestRecord, "status" | "flags" | "error">): boolean {
  return isFailedOutcome(r.status, r.flags ?? [], r.error);
}

/**
 * What the per-second aggregates (RequestBucket rows) keep of a request's outcome: its status
 * (−1 = no HTTP status but an error) and one flag — the first failure flag if any, else the first
 * flag, else "error" / "-". `isFailedBucket` over this pair agrees with `isFailedRequest` on the
 * request (property-tested), so the views' counts and the analysis' counts cannot disagree.
 */
export function bucketOutcome(r: Pick<RequestRecord, "status" | "flags" | "error">): { status: number; flag: string } {
  const flags = r.flags ?? [];
  const failedErrorText = (r.status === null || r.status < 100) && hasError(r.error);
  const status = r.status ?? (hasError(r.error) ? -1 : 0);
  const flag = flags.find((f) => FAILURE_FLAGS.has(f)) ?? (failedErrorText ? "error" : (flags[0] ?? "-"));
  return { status, flag };
}

export function isFailedBucket(status: number, flag: string): boolean {
  if (status === -1) return true;
  const flags = flag === "-" || flag === "error" ? [] : [flag];
  return isFailedOutcome(status < 0 ? null : status, flags, flag === "error" ? "error" : undefined);
}

/** The destination a request is counted under: service, else workload, else upstream cluster, else ip:port, else authority. */
export function destName(r: Pick<RequestRecord, "dest" | "authority">): string {
  const d = r.dest;
  if (!d) return r.authority ?? "unknown";
  return d.service ?? d.workload ?? d.cluster ?? (d.ip ? `${d.ip}${d.port ? `:${d.port}` : ""}` : r.authority ?? "unknown");
}

export function clientName(r: Pick<RequestRecord, "client">): string {
  const c = r.client;
  if (!c) return "unknown";
  return c.workload ?? c.service ?? c.ip ?? "unknown";
}
