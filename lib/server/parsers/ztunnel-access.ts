import { sniffZtunnel } from "./mesh/ztunnel-lines";
import { MeshAccessLines, parseMesh, parseMeshBatches } from "./mesh/router";
import type { Parser } from "./types";

/**
 * ztunnel-access: Istio ambient ztunnel logs → `request` records (one per connection) and `event`
 * records. The line formats are read by mesh/ztunnel-lines.ts; lines go through the mesh line router
 * (mesh/router.ts), which also keeps the Envoy lines of a mixed data-plane dump.
 */
export const ztunnelAccessParser: Parser = {
  id: "ztunnel-access",
  title: "Istio ztunnel access log (ambient)",
  emits: ["request", "event"],
  sniff(head, name) {
    try {
      return sniffZtunnel(head, name);
    } catch {
      return 0;
    }
  },
  parse: (input, ctx) => parseMesh(input, ctx, "ztunnel"),
  parseBatches: (input, ctx) => parseMeshBatches(input, ctx, "ztunnel"),
  segments: (ctx) => new MeshAccessLines(ctx, "ztunnel"),
  samples: [
    {
      name: "bundle/nodes/worker-1/ztunnel.log",
      content:
        '2024-05-04T09:59:05.028709Z info    access  connection complete src.addr=10.244.1.12:60059 src.workload="curl-7656cf8794-r7zb9" src.namespace="default" src.identity="spiffe://cluster.local/ns/default/sa/curl" dst.addr=10.244.1.10:9080 dst.hbone_addr="10.244.1.10:9080" dst.service="productpage.default.svc.cluster.local" dst.workload="productpage-v1-87d54dd59-fn6vw" dst.namespace="productpage" dst.identity="spiffe://cluster.local/ns/default/sa/bookinfo-productpage" direction="inbound" bytes_sent=175 bytes_recv=80 duration="1ms"\n' +
        '2024-05-04T09:59:05.028771Z info    access  connection complete src.addr=10.244.1.12:58508 src.workload="curl-7656cf8794-r7zb9" src.namespace="default" src.identity="spiffe://cluster.local/ns/default/sa/curl" dst.addr=10.244.1.10:15008 dst.hbone_addr="10.244.1.10:9080" dst.service="productpage.default.svc.cluster.local" dst.workload="productpage-v1-87d54dd59-fn6vw" dst.namespace="productpage" dst.identity="spiffe://cluster.local/ns/default/sa/bookinfo-productpage" direction="outbound" bytes_sent=80 bytes_recv=175 duration="1ms"\n',
      expect: {
        records: 2, skipped: 0, kinds: { request: 2 },
        fields: {
          // "connection complete" is logged at the end: 09:59:05.028709 − duration="1ms"
          0: {
            ts: "2024-05-04T09:59:05.027709Z", durationMs: 1, direction: "inbound", status: null, protocol: "tcp", bytesSent: 175, bytesRecv: 80,
            client: { ip: "10.244.1.12", port: 60059, workload: "curl-7656cf8794-r7zb9", namespace: "default", identity: "spiffe://cluster.local/ns/default/sa/curl" },
            dest: { ip: "10.244.1.10", port: 9080, service: "productpage.default.svc.cluster.local", workload: "productpage-v1-87d54dd59-fn6vw", namespace: "productpage" },
          },
          // to the HBONE port 15008: the destination is the tunnelled (hbone) address
          1: { ts: "2024-05-04T09:59:05.027771Z", direction: "outbound", client: { port: 58508 }, dest: { ip: "10.244.1.10", port: 9080 }, bytesSent: 80, bytesRecv: 175, prov: { line: 2 } },
        },
      },
    },
    {
      name: "ztunnel-rollout.log",
      content:
        '2025-03-02T14:10:01.204518Z\terror\taccess\tconnection complete\tsrc.addr=10.244.0.31:51022 src.workload="istio-gateway-7f9c-abcde" src.namespace="istio-ingress" src.identity="spiffe://cluster.local/ns/istio-ingress/sa/gateway" dst.addr=10.244.2.18:15008 dst.hbone_addr="10.244.2.18:8080" dst.service="httpbin.default.svc.cluster.local" dst.workload="httpbin-6d4f8-x2k9q" dst.namespace="default" direction="outbound" bytes_sent=0 bytes_recv=0 duration="0ms" error="connection failed: Connection refused (os error 111)"\n' +
        "2025-03-02T14:10:01.311002Z\twarn\taccess\tconnection failed\tsrc.addr=10.244.0.31:51030 dst.addr=10.244.2.18:15008 direction=\"outbound\" error=\"connection failed: Connection refused (os error 111)\"\n" +
        '{"time":"2025-03-02T14:10:02.000123Z","level":"info","scope":"access","message":"connection complete","src.addr":"10.244.0.31:51044","dst.addr":"10.244.1.9:15008","dst.hbone_addr":"10.244.1.9:8080","dst.service":"httpbin.default.svc.cluster.local","direction":"outbound","bytes_sent":120,"bytes_recv":512,"duration":"4ms"}\n',
      expect: {
        records: 3, skipped: 0, kinds: { request: 3 },
        fields: {
          0: {
            ts: "2025-03-02T14:10:01.204518Z", durationMs: 0, direction: "outbound", error: "connection failed: Connection refused (os error 111)", bytesSent: 0, bytesRecv: 0,
            client: { ip: "10.244.0.31", port: 51022, workload: "istio-gateway-7f9c-abcde" }, dest: { ip: "10.244.2.18", port: 8080, workload: "httpbin-6d4f8-x2k9q", service: "httpbin.default.svc.cluster.local" },
          },
          // no duration: ts is the log time
          1: { ts: "2025-03-02T14:10:01.311002Z", durationMs: null, error: "connection failed: Connection refused (os error 111)", client: { ip: "10.244.0.31", port: 51030 }, dest: { ip: "10.244.2.18", port: 15008 }, prov: { line: 2 } },
          // JSON: 14:10:02.000123 − 4ms
          2: { ts: "2025-03-02T14:10:01.996123Z", durationMs: 4, dest: { ip: "10.244.1.9", port: 8080, service: "httpbin.default.svc.cluster.local" }, bytesSent: 120, bytesRecv: 512, prov: { line: 3 } },
        },
      },
    },
    {
      name: "ztunnel-legacy.log",
      content:
        "2023-08-14T09:33:25.226403Z  INFO outbound{id=9d99723a61c9496532d34acec5c77126}: ztunnel::proxy::outbound: proxy to 10.240.1.11:80 using HBONE via 10.240.1.11:15008 type Direct\n" +
        "2023-08-14T09:33:25.273268Z  INFO outbound{id=9d99723a61c9496532d34acec5c77126}: ztunnel::proxy::outbound: complete dur=46.9099ms\n",
      expect: {
        records: 1, skipped: 0, kinds: { request: 1 },
        fields: {
          // one connection over two lines (id=9d99…): complete at 09:33:25.273268 after dur=46.9099ms
          0: { ts: "2023-08-14T09:33:25.2263581Z", durationMs: 46.9099, direction: "outbound", dest: { ip: "10.240.1.11", port: 80 }, attrs: { via: "10.240.1.11:15008", mode: "HBONE" }, prov: { line: 1, endLine: 2 } },
        },
      },
    },
  ],
};
