/**
 * Envoy %RESPONSE_FLAGS% vocabulary: short code ↔ long name (%RESPONSE_FLAGS_LONG%, JSON logs) ↔ plain
 * words for the UI and hypothesis text. From Envoy's access-log documentation (command operators,
 * RESPONSE_FLAGS). Records always carry the short code; long names are normalised on parse.
 */
export interface ResponseFlagInfo {
  short: string;
  long: string;
  /** What happened, in words an incident commander reads without the Envoy docs open. */
  explanation: string;
  /** HTTP only (true) or HTTP and TCP (false). */
  httpOnly: boolean;
}

const TABLE: readonly ResponseFlagInfo[] = [
  { short: "UH", long: "NoHealthyUpstream", explanation: "no healthy upstream host in the cluster (503)", httpOnly: false },
  { short: "UF", long: "UpstreamConnectionFailure", explanation: "upstream connection failure", httpOnly: false },
  { short: "UO", long: "UpstreamOverflow", explanation: "upstream overflow: circuit breaker open (503)", httpOnly: false },
  { short: "NR", long: "NoRouteFound", explanation: "no route configured for the request (404), or no matching filter chain", httpOnly: false },
  { short: "URX", long: "UpstreamRetryLimitExceeded", explanation: "upstream retry limit (HTTP) or maximum connect attempts (TCP) reached", httpOnly: false },
  { short: "NC", long: "NoClusterFound", explanation: "upstream cluster not found", httpOnly: false },
  { short: "DT", long: "DurationTimeout", explanation: "request or connection exceeded its maximum duration", httpOnly: false },
  { short: "DC", long: "DownstreamConnectionTermination", explanation: "downstream (client) connection terminated", httpOnly: true },
  { short: "LH", long: "FailedLocalHealthCheck", explanation: "local service failed its health check", httpOnly: true },
  { short: "UT", long: "UpstreamRequestTimeout", explanation: "upstream request timeout (504)", httpOnly: true },
  { short: "LR", long: "LocalReset", explanation: "connection reset locally by Envoy", httpOnly: true },
  { short: "UR", long: "UpstreamRemoteReset", explanation: "upstream reset the stream (remote reset)", httpOnly: true },
  { short: "UC", long: "UpstreamConnectionTermination", explanation: "upstream connection terminated (closed or reset mid-request)", httpOnly: true },
  { short: "DI", long: "DelayInjected", explanation: "request delayed by fault injection", httpOnly: true },
  { short: "FI", long: "FaultInjected", explanation: "request aborted by fault injection", httpOnly: true },
  { short: "RL", long: "RateLimited", explanation: "request rate-limited locally (429)", httpOnly: true },
  { short: "UAEX", long: "UnauthorizedExternalService", explanation: "request denied by the external authorization service", httpOnly: true },
  { short: "RLSE", long: "RateLimitServiceError", explanation: "rate-limit service error: request rejected", httpOnly: true },
  { short: "IH", long: "InvalidEnvoyRequestHeaders", explanation: "invalid x-envoy-* request header value (strict header check)", httpOnly: true },
  { short: "SI", long: "StreamIdleTimeout", explanation: "stream idle timeout", httpOnly: true },
  { short: "DPE", long: "DownstreamProtocolError", explanation: "downstream request had an HTTP protocol error", httpOnly: true },
  { short: "UPE", long: "UpstreamProtocolError", explanation: "upstream response had an HTTP protocol error", httpOnly: true },
  { short: "UMSDR", long: "UpstreamMaxStreamDurationReached", explanation: "upstream request reached its maximum stream duration", httpOnly: true },
  { short: "RFCF", long: "ResponseFromCacheFilter", explanation: "response served by the cache filter", httpOnly: true },
  { short: "NFCF", long: "NoFilterConfigFound", explanation: "no filter config found (ECDS): request terminated", httpOnly: true },
  { short: "OM", long: "OverloadManagerTerminated", explanation: "terminated by the overload manager", httpOnly: false },
  { short: "DF", long: "DnsResolutionFailed", explanation: "DNS resolution of the upstream failed", httpOnly: false },
  { short: "DO", long: "DropOverload", explanation: "request dropped by the load-balancer drop-overload policy", httpOnly: false },
  { short: "DR", long: "DownstreamRemoteReset", explanation: "downstream (client) reset the stream", httpOnly: true },
  { short: "UDO", long: "UnconditionalDropOverload", explanation: "request dropped unconditionally by drop-overload", httpOnly: false },
];

const BY_SHORT = new Map(TABLE.map((f) => [f.short, f]));
const BY_LONG = new Map(TABLE.map((f) => [f.long.toLowerCase(), f]));

/** All known flags, short code order as in the Envoy docs. */
export const RESPONSE_FLAGS: readonly ResponseFlagInfo[] = TABLE;

/** Short code for a short or long flag name (case-insensitive for long names); unknown names come back trimmed. */
export function normaliseFlag(name: string): string {
  const t = name.trim();
  if (BY_SHORT.has(t)) return t;
  return BY_LONG.get(t.toLowerCase())?.short ?? BY_SHORT.get(t.toUpperCase())?.short ?? t;
}

/**
 * Splits a RESPONSE_FLAGS value (`-`, `UF,URX`, `UpstreamConnectionFailure,UpstreamRetryLimitExceeded`)
 * into short codes. Returns [] for `-`/empty. Duplicates are dropped, order kept.
 */
export function parseResponseFlags(value: string | null | undefined): string[] {
  if (!value || value === "-") return [];
  if (value.length <= 4 && BY_SHORT.has(value)) return [value];
  const out: string[] = [];
  for (const part of value.split(",")) {
    if (part === "" || part === "-") continue;
    const f = normaliseFlag(part);
    if (f !== "" && !out.includes(f)) out.push(f);
  }
  return out;
}

/** True when `flag` (short or long) is in the Envoy table. */
export function isKnownFlag(flag: string): boolean {
  return BY_SHORT.has(normaliseFlag(flag));
}

/** Plain-words explanation of a short or long flag; unknown flags get a generic text naming them. */
export function explainFlag(flag: string): string {
  const info = BY_SHORT.get(normaliseFlag(flag));
  return info ? info.explanation : `unknown Envoy response flag ${flag}`;
}

/** Long name for a short or long flag, or undefined when unknown. */
export function longFlagName(flag: string): string | undefined {
  return BY_SHORT.get(normaliseFlag(flag))?.long;
}
