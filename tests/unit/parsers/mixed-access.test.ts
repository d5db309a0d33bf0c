import { describe, expect, it } from "vitest";
import { type RequestRecord } from "@/lib/schemas/records";
import { envoyAccessParser } from "@/lib/server/parsers/envoy-access";
import { sniff } from "@/lib/server/parsers/registry";
import type { ParseItem, Parser } from "@/lib/server/parsers/types";
import { ztunnelAccessParser } from "@/lib/server/parsers/ztunnel-access";
import { parseChecked } from "../../helpers/parse";

/**
 * A combined data-plane log dump: ztunnel and Envoy (istio-proxy) access lines interleaved in one
 * file, in every shape each parser knows (text, JSON, wrapped fmt lines, CRI wrapper, legacy spans).
 */
const MIXED = [
  '2024-10-15T14:00:00.100000Z\tinfo\taccess\tconnection complete\tsrc.addr=10.244.1.12:60059 src.workload="curl-1" dst.addr=10.244.2.10:15008 dst.hbone_addr="10.244.2.10:9080" dst.service="reviews.default.svc.cluster.local" direction="outbound" bytes_sent=175 bytes_recv=80 duration="12ms"',
  '[2024-10-15T14:00:00.050Z] "GET /api/reviews/1 HTTP/1.1" 200 - via_upstream - "-" 0 135 11 10 "-" "curl/8.1.2" "req-1" "reviews:9080" "10.244.2.10:9080" outbound|9080||reviews.default.svc.cluster.local 10.244.1.12:50001 10.244.2.10:9080 10.244.1.12:40001 - default',
  '2024-10-15T14:00:01.204518Z  INFO access: connection complete src.addr=10.244.1.12:51022 src.workload="curl-1"',
  '    dst.addr=10.244.2.18:15008 dst.service="ratings.default.svc.cluster.local"',
  '    direction="outbound" bytes_sent=0 bytes_recv=0 duration="3ms"',
  '[2024-10-15T14:00:01.300Z] "GET /api/ratings/2 HTTP/1.1" 503 UF,URX upstream_reset_before_response_started{connection_failure} - "-" 0 91 612 - "-" "curl/8.1.2" "req-2" "ratings:9080" "10.244.2.18:9080" outbound|9080||ratings.default.svc.cluster.local - 10.96.4.2:9080 10.244.1.12:40002 - default',
  '{"time":"2024-10-15T14:00:02.000123Z","level":"info","scope":"access","message":"connection complete","src.addr":"10.244.0.31:51044","dst.addr":"10.244.1.9:15008","dst.service":"details.default.svc.cluster.local","direction":"outbound","duration":"4ms"}',
  '{"start_time":"2024-10-15T14:00:02.118Z","method":"GET","path":"/api/details","protocol":"HTTP/1.1","response_code":200,"response_flags":"-","bytes_received":0,"bytes_sent":91,"duration":6,"upstream_host":"10.244.1.9:9080","upstream_cluster":"outbound|9080||details.default.svc.cluster.local","downstream_remote_address":"10.244.0.31:51044"}',
  "2024-10-15T14:00:03.226403Z  INFO outbound{id=9d99723a61c9496532d34acec5c77126}: ztunnel::proxy::outbound: proxy to 10.240.1.11:80 using HBONE via 10.240.1.11:15008 type Direct",
  '2024-10-15T14:00:03.300000000Z stdout F [2024-10-15T14:00:03.250Z] "GET /api/cart HTTP/1.1" 200 - via_upstream - "-" 0 20 5 5 "-" "curl/8.1.2" "req-3" "cart:80" "10.244.3.3:80" outbound|80||cart.default.svc.cluster.local 10.244.1.12:50003 10.244.3.3:80 10.244.1.12:40003 - default',
  "2024-10-15T14:00:03.273268Z  INFO outbound{id=9d99723a61c9496532d34acec5c77126}: ztunnel::proxy::outbound: complete dur=46.9099ms",
  "[2024-10-15 14:00:04.492][1][warning][upstream] [source/common/upstream/cluster_manager_impl.cc:1100] cluster ratings removed",
  "",
].join("\n");

const run = (parser: Parser, text: string, batches = false): Promise<ParseItem[]> => parseChecked(parser, text, { path: "dataplane.log" }, { batches });
const summary = (xs: ParseItem[]) =>
  xs.map((x) => (x.kind === "request" ? `${x.source} ${x.prov.line}${x.prov.endLine ? `-${x.prov.endLine}` : ""} ${(x as RequestRecord).durationMs}` : x.kind === "event" ? `event ${x.source} ${x.prov.line}` : `${x.kind}`));

describe("mixed ztunnel + Envoy access log", () => {
  it("is claimed by one parser", () => {
    const s = sniff(MIXED, "dataplane.log");
    expect(["ztunnel-access", "envoy-access"]).toContain(s.parser?.id);
  });

  for (const parser of [ztunnelAccessParser, envoyAccessParser]) {
    it(`${parser.id} keeps the other format's lines, in line order`, async () => {
      const items = await run(parser, MIXED);
      expect(items.filter((x) => x.kind === "skipped")).toEqual([]);
      expect(summary(items)).toEqual([
        "ztunnel 1 12",
        "envoy 2 11",
        "ztunnel 3-5 3",
        "envoy 6 612",
        "ztunnel 7 4",
        "envoy 8 6",
        "envoy 10 5",
        "ztunnel 9-11 46.9099",
        "event envoy-app 12",
      ]);
      const envoy = items.filter((x): x is RequestRecord => x.kind === "request" && x.source === "envoy");
      expect(envoy.map((r) => r.status)).toEqual([200, 503, 200, 200]);
      expect(envoy[1]!.flags).toEqual(["UF", "URX"]);
      const zt = items.filter((x): x is RequestRecord => x.kind === "request" && x.source === "ztunnel");
      expect(zt.map((r) => r.dest?.service ?? r.dest?.ip)).toEqual(["reviews.default.svc.cluster.local", "ratings.default.svc.cluster.local", "details.default.svc.cluster.local", "10.240.1.11"]);
    });

    it(`${parser.id}: parseBatches yields the same items as parse`, async () => {
      expect(await run(parser, MIXED, true)).toEqual(await run(parser, MIXED));
    });
  }
});
