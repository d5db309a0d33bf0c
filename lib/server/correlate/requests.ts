import type { RequestRecord } from "@/lib/schemas/records";

/**
 * The one definition of a failed request, and the one name of a request's destination and client,
 * used by correlation (window, impact), the per-second aggregates the views read, the stored rows'
 * severity and service columns, and the detectors.
 *
 * The HTTP status decides when there is one:
 *   - ≥ 500 failed; 1xx–4xx not (4xx including 404 NR and 499 are the client's side; a flag or an
 *     error text next to an answered request is a note on it, not a failure).
 * Without an HTTP status (0 = Envoy's "no response sent" — also what it logs for a TCP flow; null
 * = a TCP record such as ztunnel's) the request failed when
 *   - a response flag says so (UF upstream connect failure, UH no healthy upstream, UT timeout, URX,
 *     UC/UR resets, UO, NR, LR, UPE, SI, DT…), or
 *   - there is no flag and an error text says so (ztunnel `error="connection refused"`).
 * When the only flags say the client went away (DC/DPE: Envoy's 499) it did not fail, whatever the
 * error text: Envoy writes its response-code details there (`0 DC downstream_remote_disconnect`),
 * which name the same client hang-up, not a second failure.
 * A TCP flow that closed without an error or a flag is fine.
 */
/** Response flags that say the *client* ended the exchange: not a failure of the service. */
export const CLIENT_SIDE_FLAGS: ReadonlySet<string> = new Set(["DC", "DPE"]);

const hasError = (error: string | undefined) => !!error && error.trim() !== "" && error !== "-";

const realFlags = (flags: readonly string[]) => flags.filter((f) => f !== "-");

export function isFailedOutcome(status: number | null, flags: readonly string[], error: string | undefined): boolean {
  if (status !== null && status >= 100) return status >= 500;
  const set = realFlags(flags);
  if (set.some((f) => !CLIENT_SIDE_FLAGS.has(f))) return true;
  if (set.length > 0) return false; // only the client's flags: the error text is their details
  return hasError(error);
}

export function isFailedRequest(r: Pick<RequestRecord, "status" | "flags" | "error">): boolean {
  return isFailedOutcome(r.status, r.flags ?? [], r.error);
}

/**
 * What the per-second aggregates (RequestBucket rows) keep of a request's outcome: its status
 * (−1 = no HTTP status but an error) and one flag — the first that is not the client's, else
 * "error" for an error text, else the first flag, else "-". `isFailedBucket` over this pair agrees with `isFailedRequest` on the
 * request (property-tested), so the views' counts and the analysis' counts cannot disagree.
 */
export function bucketOutcome(r: Pick<RequestRecord, "status" | "flags" | "error">): { status: number; flag: string } {
  const flags = r.flags ?? [];
  const failedErrorText = (r.status === null || r.status < 100) && realFlags(flags).length === 0 && hasError(r.error);
  const status = r.status ?? (failedErrorText ? -1 : 0);
  const flag = flags.find((f) => f !== "-" && !CLIENT_SIDE_FLAGS.has(f)) ?? (failedErrorText ? "error" : (flags[0] ?? "-"));
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
