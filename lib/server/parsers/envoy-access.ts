import { sniffEnvoy } from "./mesh/envoy-lines";
import { MeshAccessLines, parseMesh, parseMeshBatches } from "./mesh/router";
import type { Parser } from "./types";

/**
 * envoy-access: Envoy / istio-proxy access logs → `request` records, Envoy application log lines →
 * `event` records. The line formats are read by mesh/envoy-lines.ts; lines go through the mesh line
 * router (mesh/router.ts), which also keeps the ztunnel lines of a mixed data-plane dump.
 */
export const envoyAccessParser: Parser = {
  id: "envoy-access",
  title: "Envoy / istio-proxy access log",
  emits: ["request", "event"],
  sniff(head, name) {
    try {
      return sniffEnvoy(head, name);
    } catch {
      return 0;
    }
  },
  parse: (input, ctx) => parseMesh(input, ctx, "envoy"),
  parseBatches: (input, ctx) => parseMeshBatches(input, ctx, "envoy"),
  segments: (ctx) => new MeshAccessLines(ctx, "envoy"),
  samples: [
    {
      name: "istio-proxy.log",
      content:
        '[2020-11-25T21:26:18.409Z] "GET /status/418 HTTP/1.1" 418 - via_upstream - "-" 0 135 4 4 "-" "curl/7.73.0-DEV" "84961386-6d84-929d-98bd-c5aee93b5c88" "httpbin:8000" "10.44.1.27:80" outbound|8000||httpbin.foo.svc.cluster.local 10.44.1.23:37652 10.0.45.184:8000 10.44.1.23:46520 - default\n' +
        '[2020-11-25T21:26:18.409Z] "GET /status/418 HTTP/1.1" 418 - via_upstream - "-" 0 135 3 1 "-" "curl/7.73.0-DEV" "84961386-6d84-929d-98bd-c5aee93b5c88" "httpbin:8000" "127.0.0.1:80" inbound|8000|| 127.0.0.1:41854 10.44.1.27:80 10.44.1.23:37652 outbound_.8000_._.httpbin.foo.svc.cluster.local default\n',
      expect: {
        records: 2, skipped: 0, kinds: { request: 2 },
        fields: {
          // Istio's default format: … bytes received 0, sent 135, duration 4, upstream service time 4 …
          0: {
            ts: "2020-11-25T21:26:18.409Z", method: "GET", path: "/status/418", protocol: "HTTP/1.1", status: 418, durationMs: 4, upstreamMs: 4, bytesRecv: 0, bytesSent: 135,
            requestId: "84961386-6d84-929d-98bd-c5aee93b5c88", authority: "httpbin:8000", direction: "outbound",
            dest: { ip: "10.44.1.27", port: 80, cluster: "outbound|8000||httpbin.foo.svc.cluster.local" }, client: { ip: "10.44.1.23", port: 46520 },
          },
          1: { direction: "inbound", durationMs: 3, upstreamMs: 1, dest: { ip: "127.0.0.1", port: 80, cluster: "inbound|8000||" }, client: { ip: "10.44.1.23", port: 37652 }, prov: { line: 2 } },
        },
      },
    },
    {
      name: "compose.log",
      content:
        'envoy-1         | 2024-07-20T07:09:48.471209278Z [2024-07-20T07:09:48.470Z] "GET /upstream-connection-failure HTTP/1.1" 503 UF upstream_reset_before_response_started{connection_failure,delayed_connect_error:_111} 0 145 0 - "-" "curl/8.4.0" "44898dba-8d8e-48f4-93f7-23e4b4c592c0" "localhost:8000" "172.28.0.2:801"\n' +
        "envoy-1         | [2021-03-12 15:31:30.492][1][warning][runtime] [source/common/runtime/runtime_features.cc:31] Unable to use runtime singleton\n",
      expect: {
        records: 2, skipped: 0, kinds: { request: 1, event: 1 },
        fields: {
          0: { ts: "2024-07-20T07:09:48.470Z", path: "/upstream-connection-failure", status: 503, flags: ["UF"], error: "upstream_reset_before_response_started{connection_failure,delayed_connect_error:_111}", durationMs: 0, bytesSent: 145, authority: "localhost:8000", dest: { ip: "172.28.0.2", port: 801 } },
          // Envoy's own log line: no zone in its time (UTC assumed)
          1: { kind: "event", ts: "2021-03-12T15:31:30.492Z", severity: "warning", reason: "runtime", text: "[source/common/runtime/runtime_features.cc:31] Unable to use runtime singleton", prov: { line: 2 } },
        },
      },
    },
    {
      name: "envoy-json.log",
      content:
        '{"start_time":"2024-10-15T14:12:03.118Z","method":"GET","path":"/api/pay","protocol":"HTTP/1.1","response_code":503,"response_flags":"UF,URX","response_code_details":"upstream_reset_before_response_started{connection_failure}","connection_termination_details":null,"upstream_transport_failure_reason":"delayed_connect_error:_111","bytes_received":0,"bytes_sent":91,"duration":612,"upstream_service_time":null,"x_forwarded_for":null,"user_agent":"Go-http-client/1.1","request_id":"7f1c","authority":"payments:8080","upstream_host":"10.8.3.14:8080","upstream_cluster":"outbound|8080||payments.prod.svc.cluster.local","upstream_local_address":null,"downstream_local_address":"10.96.4.2:8080","downstream_remote_address":"10.8.1.7:51234","requested_server_name":null,"route_name":"default"}\n',
      expect: {
        records: 1, skipped: 0, kinds: { request: 1 },
        fields: {
          0: {
            ts: "2024-10-15T14:12:03.118Z", method: "GET", path: "/api/pay", status: 503, flags: ["UF", "URX"], durationMs: 612, bytesRecv: 0, bytesSent: 91, requestId: "7f1c", authority: "payments:8080",
            error: "upstream_reset_before_response_started{connection_failure}; delayed_connect_error:_111",
            dest: { ip: "10.8.3.14", port: 8080, cluster: "outbound|8080||payments.prod.svc.cluster.local" }, client: { ip: "10.8.1.7", port: 51234 },
          },
        },
      },
    },
  ],
};
