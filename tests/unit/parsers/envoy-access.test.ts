import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type EventRecord, type RequestRecord } from "@/lib/schemas/records";
import { envoyAccessParser } from "@/lib/server/parsers/envoy-access";
import { sniff } from "@/lib/server/parsers/registry";
import type { ParseItem, SkippedItem } from "@/lib/server/parsers/types";
import { parseChecked } from "../../helpers/parse";

const PUB = path.resolve(__dirname, "../../fixtures/public/envoy");
const OWN = path.resolve(__dirname, "../../fixtures/own/envoy");

const run = (text: string | Buffer): Promise<ParseItem[]> => parseChecked(envoyAccessParser, text, { path: "envoy.log" });
const requests = (xs: ParseItem[]) => xs.filter((x): x is RequestRecord => x.kind === "request");
const events = (xs: ParseItem[]) => xs.filter((x): x is EventRecord => x.kind === "event");
const skipped = (xs: ParseItem[]) => xs.filter((x): x is SkippedItem => x.kind === "skipped");
const file = (dir: string, name: string) => readFileSync(path.join(dir, name));

describe("envoy-access: public samples", () => {
  it("Istio default format (22 fields): outbound and inbound sides of one request", async () => {
    const rs = requests(await run(file(PUB, "istio-io-docs-access-log-default-format.log")));
    expect(rs).toHaveLength(2);
    const [out, inb] = rs;
    expect(out).toMatchObject({
      ts: Date.parse("2020-11-25T21:26:18.409Z"),
      durationMs: 4,
      upstreamMs: 4,
      status: 418,
      method: "GET",
      path: "/status/418",
      protocol: "HTTP/1.1",
      authority: "httpbin:8000",
      requestId: "84961386-6d84-929d-98bd-c5aee93b5c88",
      direction: "outbound",
      bytesRecv: 0,
      bytesSent: 135,
      client: { ip: "10.44.1.23", port: 46520 },
      dest: { ip: "10.44.1.27", port: 80, cluster: "outbound|8000||httpbin.foo.svc.cluster.local", service: "httpbin.foo.svc.cluster.local", namespace: "foo" },
    });
    expect(out!.flags).toBeUndefined();
    expect(out!.error).toBeUndefined();
    expect(out!.attrs).toMatchObject({ responseCodeDetails: "via_upstream", routeName: "default", upstreamLocalAddress: "10.44.1.23:37652" });
    expect(inb).toMatchObject({ direction: "inbound", durationMs: 3, upstreamMs: 1, dest: { ip: "127.0.0.1", port: 80, cluster: "inbound|8000||" }, client: { ip: "10.44.1.23", port: 37652 } });
    expect(inb!.attrs!.requestedServerName).toBe("outbound_.8000_._.httpbin.foo.svc.cluster.local");
    expect(out!.requestId).toBe(inb!.requestId);
  });

  it("old Istio (19 fields), plain Envoy default (13 fields) and an application log line", async () => {
    const items = await run(file(PUB, "datadog-envoy-tests-samples.log"));
    const rs = requests(items);
    expect(rs).toHaveLength(4);
    expect(rs[0]).toMatchObject({ durationMs: 11, upstreamMs: 10, direction: "outbound", dest: { ip: "172.30.146.73", port: 80, service: "httpbin.default.svc.cluster.local" }, client: { ip: "172.30.146.82", port: 60290 } });
    expect(rs[1]).toMatchObject({ direction: "inbound", dest: { cluster: "inbound|8000|http|httpbin.default.svc.cluster.local", service: "httpbin.default.svc.cluster.local" } });
    expect(rs[2]).toMatchObject({ status: 200, durationMs: 107, upstreamMs: 107, authority: "api.giphy.com", dest: { ip: "127.0.0.1", port: 8000 } });
    expect(rs[2]!.attrs!.xForwardedFor).toBe("173.252.99.154, 23.235.39.44, 23.235.46.35");
    expect(rs[3]).toMatchObject({ durationMs: 1, status: 200 });
    expect(rs[3]!.upstreamMs).toBeUndefined();
    expect(rs[3]!.dest).toBeUndefined();
    const ev = events(items);
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ source: "envoy-app", severity: "warning", reason: "runtime", ts: Date.UTC(2021, 2, 12, 15, 31, 30, 492) });
    expect(skipped(items)).toEqual([]);
  });

  it("docker-compose captures (14 fields): one record per flag, details as error, START_TIME not the write time", async () => {
    const rs = requests(await run(file(PUB, "renuka-examples-envoy-simple-docker-compose.log")));
    expect(rs.map((r) => [r.status, r.flags?.join(",") ?? "-", r.error ?? "-"])).toEqual([
      [504, "UT", "response_timeout"],
      [503, "UH", "no_healthy_upstream"],
      [503, "UF", "upstream_reset_before_response_started{connection_failure,delayed_connect_error:_111}"],
      [200, "UPE", "upstream_reset_after_response_started{protocol_error}"],
      [503, "UO", "upstream_reset_before_response_started{overflow}"],
      [200, "-", "-"],
      [503, "NC", "cluster_not_found"],
      [500, "URX", "-"],
      [101, "DC", "downstream_remote_disconnect"],
      [101, "SI", "stream_idle_timeout"],
    ]);
    expect(rs[0]).toMatchObject({ ts: Date.parse("2024-07-20T07:05:54.173Z"), durationMs: 4497, dest: { ip: "172.27.0.2", port: 8080 } });
    expect(rs[0]!.upstreamMs).toBeUndefined();
    expect(rs[0]!.attrs!.writtenAt).toBeCloseTo(Date.parse("2024-07-20T07:05:58.670Z") + 0.998585, 3);
    expect(rs[5]!.upstreamMs).toBe(5001);
    expect(rs[9]!.durationMs).toBe(413322);
  });

  it("every public sample is claimed by envoy-access only", () => {
    for (const name of ["istio-io-docs-access-log-default-format.log", "datadog-envoy-tests-samples.log", "renuka-examples-envoy-simple-docker-compose.log"]) {
      const r = sniff(file(PUB, name).toString("utf8"), name);
      expect(r.parser?.id, JSON.stringify(r.scores.slice(0, 3))).toBe("envoy-access");
      expect(r.scores.filter((s) => s.id !== "envoy-access" && s.confidence >= 0.5)).toEqual([]);
    }
  });
});

describe("envoy-access: own fixtures (seed 000)", () => {
  it("UF,URX / UT / UC on 15006 / TCP via 15001 / probe / agent lines", async () => {
    const items = await run(file(OWN, "sidecar-504-retries.log"));
    const rs = requests(items);
    expect(rs).toHaveLength(6);
    const retry = rs[1]!;
    expect(retry).toMatchObject({ status: 503, flags: ["UF", "URX"], durationMs: 612, dest: { ip: "10.8.3.14", port: 8080, service: "payments.prod.svc.cluster.local" } });
    expect(retry.error).toBe("upstream_reset_before_response_started{connection_failure,delayed_connect_error:_111}; delayed_connect_error:_111");
    expect(retry.attrs!.upstreamTransportFailureReason).toBe("delayed_connect_error:_111");
    expect(rs[2]).toMatchObject({ status: 504, flags: ["UT"], durationMs: 1000, error: "response_timeout" });
    expect(rs[3]).toMatchObject({ status: 503, flags: ["UC"], direction: "inbound", dest: { ip: "10.8.3.21", port: 15006, cluster: "inbound|15006||" }, client: { ip: "10.8.1.7", port: 49322 } });
    expect(rs[3]!.attrs!.upstreamLocalAddress).toBe("127.0.0.6:41023");
    // `"- - -"` is a TCP proxy line: status null, no method.
    expect(rs[4]).toMatchObject({ status: null, protocol: "tcp", flags: ["UF", "URX"], durationMs: 1003, direction: "outbound", dest: { port: 15001, cluster: "PassthroughCluster" } });
    expect(rs[4]!.method).toBeUndefined();
    expect(rs[5]!.dest).toBeUndefined();
    expect(rs[5]!.requestId).toBeUndefined();
    expect(events(items)).toMatchObject([{ severity: "warning", reason: "envoy config", source: "envoy-app" }]);
    expect(skipped(items).map((s) => s.line)).toEqual([8]);
  });

  it("JSON access logs: long flag names, nulls, string upstream_service_time, attempt count, IPv6", async () => {
    const items = await run(file(OWN, "json-long-flags.log"));
    const rs = requests(items);
    expect(rs).toHaveLength(2);
    expect(rs[0]).toMatchObject({ flags: ["UF", "URX"], attempts: 3, status: 503, durationMs: 803, protocol: "HTTP/2", client: { ip: "10.8.1.7", port: 51500 } });
    expect(rs[0]!.upstreamMs).toBeUndefined();
    expect(rs[0]!.attrs!.responseFlagsRaw).toBe("UpstreamConnectionFailure,UpstreamRetryLimitExceeded");
    expect(rs[1]).toMatchObject({ upstreamMs: 920, durationMs: 921, dest: { ip: "fd00:10:8::21", port: 8080 }, client: { ip: "fd00:10:8::7", port: 49400 } });
    expect(rs[1]!.flags).toBeUndefined();
    expect(rs[1]!.attrs!.traceparent).toMatch(/^00-4bf92f/);
    expect(skipped(items)).toHaveLength(1);
  });

  it("CRI and docker json-file wrapped lines parse like bare ones", async () => {
    const wrapped = requests(await run(file(OWN, "cri-docker-wrapped.log")));
    const bare = requests(await run(file(OWN, "sidecar-504-retries.log"))).slice(0, 3);
    expect(wrapped).toHaveLength(4);
    for (let i = 0; i < 3; i++) {
      const { prov: _p, attrs: a, ...rest } = wrapped[i]!;
      const { prov: _q, attrs: b, ...restBare } = bare[i]!;
      expect(rest).toEqual(restBare);
      // Only the wrapper adds the runtime's write time; everything else is identical.
      expect(a!.writtenAt).toBeGreaterThan(Date.parse("2024-10-15T14:12:09Z"));
      expect(b!.writtenAt).toBeUndefined();
      const { writtenAt: _w, ...aRest } = a!;
      expect(aRest).toEqual(b);
    }
    expect(wrapped[3]).toMatchObject({ status: 504, flags: ["UT"], durationMs: 1001, attrs: { writtenAt: Date.parse("2024-10-15T14:12:10.123Z") + 0.456789 } });
  });

  it("own fixtures are sniffed as envoy", () => {
    for (const name of ["sidecar-504-retries.log", "json-long-flags.log", "cri-docker-wrapped.log"]) {
      expect(sniff(file(OWN, name).toString("utf8"), name).parser?.id, name).toBe("envoy-access");
    }
  });
});

describe("envoy-access: layouts and hostile lines", () => {
  it("custom field counts fall back to the structural walk with one warning", async () => {
    // Envoy default + RESPONSE_CODE_DETAILS + CONNECTION_TERMINATION_DETAILS + an extra quoted failure reason.
    const line = '[2024-01-01T00:00:00.000Z] "GET /a HTTP/2" 503 UF,URX upstream_reset_before_response_started{connection_failure} - "delayed_connect_error:_111" 0 91 30 - "-" "ua" "rid-1" "svc:80" "10.0.0.9:80" outbound|80||svc.ns.svc.cluster.local\n';
    const items = await run(line + line);
    const rs = requests(items);
    expect(rs).toHaveLength(2);
    expect(rs[0]).toMatchObject({ flags: ["UF", "URX"], durationMs: 30, requestId: "rid-1", dest: { ip: "10.0.0.9", port: 80, service: "svc.ns.svc.cluster.local", namespace: "ns" } });
    expect(items.filter((x) => x.kind === "warning")).toHaveLength(1);
  });

  it("quoted user agents containing unescaped quotes (not before a space) stay one field", async () => {
    // Envoy does not escape `"`; a quote ends a field only when a space or the line end follows it.
    const rs = requests(await run('[2024-01-01T00:00:00.000Z] "GET / HTTP/1.1" 200 - 0 5 1 1 "-" "Mozilla/5.0 (X; "beta") Gecko" "rid" "host" "10.0.0.1:80"\n'));
    expect(rs[0]).toMatchObject({ requestId: "rid", authority: "host", attrs: { userAgent: 'Mozilla/5.0 (X; "beta") Gecko' } });
  });

  it("skips junk with reasons and never claims ztunnel, nginx or generic JSON", async () => {
    const items = await run('[not a time] "GET / HTTP/1.1" 200\n{"a":1}\n[2024-01-01T00:00:00.000Z]\nhello\n');
    expect(requests(items)).toHaveLength(0);
    expect(skipped(items).map((s) => s.line)).toEqual([1, 2, 3, 4]);
    for (const h of [
      "2024-05-04T09:59:05.028709Z info    access  connection complete src.addr=10.244.1.12:60059 dst.addr=10.244.1.10:9080 duration=\"1ms\"",
      '10.0.0.1 - - [14/Aug/2019:04:12:10 +0300] "GET / HTTP/1.1" 200 1 "-" "curl"',
      '{"time":"2024-01-01T00:00:00Z","level":"info","message":"x","status":200}',
    ]) expect(envoyAccessParser.sniff(`${h}\n${h}\n`, "envoy.log"), h).toBeLessThan(0.5);
  });

  it("a 1 MiB line of quoted fields is skipped, not parsed field by field", async () => {
    const big = `[2024-01-01T00:00:00.000Z] ${'"a" '.repeat(260_000)}`;
    const items = await run(`${big}\n`);
    expect(skipped(items)[0]!.reason).toMatch(/more than 64 fields/);
  });
});
