import { iso, timeLocal } from "./time";

/**
 * One proxied HTTP request as the generator models it; the writers below print it in the access-log
 * formats of fixtures/public/README.md §7 (Envoy/Istio) and §10 (nginx).
 */
export interface Req {
  /** Request start, UTC epoch ms (Envoy START_TIME). */
  ts: number;
  method: string;
  path: string;
  /** 0 = no response sent (downstream disconnect). */
  status: number;
  /** Envoy RESPONSE_FLAGS ("-" when none). */
  flags: string;
  /** Envoy RESPONSE_CODE_DETAILS. */
  details: string;
  durMs: number;
  /** Upstream service time; null when no upstream answered. */
  upstreamMs: number | null;
  /** TCP connect to the upstream (nginx $upstream_connect_time), null when none was made. */
  connectMs: number | null;
  upstreamHost: string | null;
  /** `outbound|80||svc.ns.svc.cluster.local` */
  cluster: string;
  authority: string;
  reqId: string;
  client: string;
  ua: string;
  bytesOut: number;
  /** The proxy's own address (DOWNSTREAM_LOCAL_ADDRESS). */
  local: string;
  /** Request protocol; HTTP/1.1 when absent (gRPC: HTTP/2). */
  protocol?: string;
}

export type AccessFormat = "envoy-text" | "envoy-json" | "nginx-timings" | "nginx-main-ext" | "nginx-json";
export type Wrapper = "none" | "cri" | "docker-json";

const q = (v: string | null) => `"${v ?? "-"}"`;
const dash = (v: string | number | null) => (v === null ? "-" : String(v));

/** Istio's default TEXT format (22 tokens, Istio ≥ 1.8). */
function envoyText(r: Req): string {
  const failure = r.flags.includes("UF") ? "delayed_connect_error:_111" : "-";
  return (
    `[${iso(r.ts)}] "${r.method} ${r.path} ${r.protocol ?? "HTTP/1.1"}" ${r.status} ${r.flags} ${r.details} - ${q(failure)} 0 ${r.bytesOut} ${r.durMs} ${dash(r.upstreamMs)} ` +
    `"-" "${r.ua}" "${r.reqId}" "${r.authority}" ${q(r.upstreamHost)} ${r.cluster} ${r.upstreamHost ? "10.0.0.1:40000" : "-"} ${r.local} ${r.client} - default`
  );
}

/** Istio's JSON encoding: snake_case, null for missing, upstream_service_time a string. */
function envoyJson(r: Req): string {
  return JSON.stringify({
    authority: r.authority,
    bytes_received: 0,
    bytes_sent: r.bytesOut,
    connection_termination_details: null,
    downstream_local_address: r.local,
    downstream_remote_address: r.client,
    duration: r.durMs,
    method: r.method,
    path: r.path,
    protocol: r.protocol ?? "HTTP/1.1",
    request_id: r.reqId,
    requested_server_name: null,
    response_code: r.status,
    response_code_details: r.details,
    response_flags: r.flags,
    route_name: "default",
    start_time: iso(r.ts),
    upstream_cluster: r.cluster,
    upstream_host: r.upstreamHost,
    upstream_local_address: r.upstreamHost ? "10.0.0.1:40000" : null,
    upstream_service_time: r.upstreamMs === null ? null : String(r.upstreamMs),
    upstream_transport_failure_reason: r.flags.includes("UF") ? "delayed_connect_error:_111" : null,
    user_agent: r.ua,
    x_forwarded_for: null,
  });
}

const sec = (ms: number | null) => (ms === null ? "-" : (ms / 1000).toFixed(3));
/** nginx writes $time_local when the request ends. */
const endOf = (r: Req) => r.ts + r.durMs;
const clientIp = (r: Req) => r.client.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");

/** combined + the NGINX-blog timing tail (`rt= uct= uht= urt=`). */
function nginxTimings(r: Req, offsetMin: number): string {
  const header = r.upstreamMs === null ? null : Math.max(0, r.upstreamMs - 1);
  return (
    `${clientIp(r)} - - [${timeLocal(endOf(r), offsetMin)}] "${r.method} ${r.path} HTTP/1.1" ${r.status} ${r.bytesOut} "-" "${r.ua}" "-" ` +
    `rt=${sec(r.durMs)} uct="${sec(r.connectMs)}" uht="${sec(header)}" urt="${sec(r.upstreamMs)}"`
  );
}

/** NGINX Inc `main_ext` key="value" format. */
function nginxMainExt(r: Req, offsetMin: number): string {
  const header = r.upstreamMs === null ? null : Math.max(0, r.upstreamMs - 1);
  return (
    `remote_addr="${clientIp(r)}", [time_local=${timeLocal(endOf(r), offsetMin)}], request="${r.method} ${r.path} HTTP/1.1", status="${r.status}", http_referer="-", ` +
    `body_bytes_sent="${r.bytesOut}", Host="${r.authority}", sn="${r.authority}", request_time=${sec(r.durMs)}, http_user_agent="${r.ua}", http_x_forwarded_for="-", ` +
    `request_length="120", upstream_address="${r.upstreamHost ?? "-"}", upstream_status="${r.upstreamHost ? r.status : "-"}", upstream_connect_time="${sec(r.connectMs)}", ` +
    `upstream_header_time="${sec(header)}", upstream_response_time="${sec(r.upstreamMs)}", upstream_response_length="${r.bytesOut}",`
  );
}

/** `log_format escape=json`: every value a string, "" when missing. */
function nginxJson(r: Req, offsetMin: number): string {
  const s = (ms: number | null) => (ms === null ? "" : (ms / 1000).toFixed(3));
  return JSON.stringify({
    remote_addr: clientIp(r),
    remote_user: "",
    time_local: timeLocal(endOf(r), offsetMin),
    request: `${r.method} ${r.path} HTTP/1.1`,
    status: String(r.status),
    body_bytes_sent: String(r.bytesOut),
    http_referer: "",
    http_user_agent: r.ua,
    request_time: s(r.durMs),
    upstream_addr: r.upstreamHost ?? "",
    upstream_connect_time: s(r.connectMs),
    upstream_response_time: s(r.upstreamMs),
    upstream_status: r.upstreamHost ? String(r.status) : "",
    request_id: r.reqId,
  });
}

export function accessLine(r: Req, format: AccessFormat, offsetMin: number): string {
  switch (format) {
    case "envoy-text":
      return envoyText(r);
    case "envoy-json":
      return envoyJson(r);
    case "nginx-timings":
      return nginxTimings(r, offsetMin);
    case "nginx-main-ext":
      return nginxMainExt(r, offsetMin);
    case "nginx-json":
      return nginxJson(r, offsetMin);
  }
}

/**
 * Container runtime wrappers around an app's stdout line. The wrapper's time is the write time,
 * later than the record's own time by the write delay.
 */
export function wrap(line: string, wrapper: Wrapper, writtenMs: number): string {
  switch (wrapper) {
    case "none":
      return line;
    case "cri":
      return `${iso(writtenMs, 9)} stdout F ${line}`;
    case "docker-json":
      return JSON.stringify({ log: `${line}\n`, stream: "stdout", time: iso(writtenMs, 9) });
  }
}
