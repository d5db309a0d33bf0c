import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type RequestRecord } from "@/lib/schemas/records";
import { nginxAccessParser, parseSecondsList, parseTimeLocal } from "@/lib/server/parsers/nginx-access";
import { sniff } from "@/lib/server/parsers/registry";
import type { ParseItem, SkippedItem } from "@/lib/server/parsers/types";
import { parseChecked } from "../../helpers/parse";

const PUB = path.resolve(__dirname, "../../fixtures/public/nginx");
const OWN = path.resolve(__dirname, "../../fixtures/own/nginx");

const run = (text: string | Buffer): Promise<ParseItem[]> => parseChecked(nginxAccessParser, text, { path: "access.log" });
const requests = (xs: ParseItem[]) => xs.filter((x): x is RequestRecord => x.kind === "request");
const skipped = (xs: ParseItem[]) => xs.filter((x): x is SkippedItem => x.kind === "skipped");
const file = (dir: string, name: string) => readFileSync(path.join(dir, name));

describe("nginx-access: helpers", () => {
  it("parseTimeLocal converts the local offset to UTC", () => {
    expect(parseTimeLocal("14/Aug/2019:04:12:10 +0300")).toBe(Date.UTC(2019, 7, 14, 1, 12, 10));
    expect(parseTimeLocal("14/Aug/2019:04:12:10 -0130")).toBe(Date.UTC(2019, 7, 14, 5, 42, 10));
    expect(parseTimeLocal("14/Foo/2019:04:12:10 +0300")).toBeNull();
    expect(parseTimeLocal("garbage")).toBeNull();
  });
  it("parseSecondsList turns seconds lists (`, ` servers, ` : ` groups, `-`) into per-attempt ms", () => {
    expect(parseSecondsList("0.000, 0.052")).toEqual([0, 52]);
    expect(parseSecondsList("1.003 : 0.004, 3.001")).toEqual([1003, 4, 3001]);
    expect(parseSecondsList("-, 0.015")).toEqual([null, 15]);
    expect(parseSecondsList("-")).toEqual([null]);
    expect(parseSecondsList("")).toBeNull();
  });
});

describe("nginx-access: public samples", () => {
  it("main_ext (2024 and 2020 variants): seconds → ms, upstream address, trailing comma", async () => {
    const items = await run(file(PUB, "nginxinc-basics-workshops-main_ext.log"));
    const rs = requests(items);
    expect(rs).toHaveLength(2);
    expect(skipped(items)).toEqual([]);
    expect(rs[0]).toMatchObject({
      source: "nginx",
      status: 200,
      method: "GET",
      path: "/",
      protocol: "HTTP/1.1",
      durationMs: 1,
      connectMs: 0,
      upstreamMs: 0,
      attempts: 1,
      authority: "cafe.example.com",
      bytesSent: 651,
      bytesRecv: 471,
      client: { ip: "192.168.65.1" },
      dest: { ip: "172.18.0.3", port: 80 },
    });
    // time_local is the END of the request: ts = logTime − request_time.
    expect(rs[0]!.attrs!.logTime).toBe(Date.UTC(2024, 1, 19, 19, 14, 32));
    expect(rs[0]!.ts).toBe(Date.UTC(2024, 1, 19, 19, 14, 32) - 1);
    expect(rs[1]).toMatchObject({ authority: "www.example.com", dest: { ip: "10.1.1.5", port: 80 }, attrs: { cacheStatus: "MISS" } });
    expect(rs[1]!.error).toBeUndefined();
  });

  it("escape=json line: empty strings are absent, proxy_host is the upstream name", async () => {
    const rs = requests(await run(file(PUB, "nginxinc-basics-workshops-json-escape.log")));
    expect(rs).toHaveLength(1);
    expect(rs[0]).toMatchObject({ status: 200, durationMs: 1, upstreamMs: 0, bytesRecv: 548, bytesSent: 7221, dest: { ip: "10.1.1.6", port: 80, cluster: "nginx_hello" }, ts: Date.UTC(2020, 5, 30, 3, 38, 20) - 1 });
    expect(rs[0]!.connectMs).toBeUndefined(); // this format logs no connect time
    expect(rs[0]!.attrs!.xForwardedFor).toBeUndefined();
  });

  it("every public sample is claimed by nginx-access only", () => {
    for (const name of ["nginxinc-basics-workshops-main_ext.log", "nginxinc-basics-workshops-json-escape.log"]) {
      const r = sniff(file(PUB, name).toString("utf8"), name);
      expect(r.parser?.id, JSON.stringify(r.scores.slice(0, 3))).toBe("nginx-access");
      expect(r.scores.filter((s) => s.id !== "nginx-access" && s.confidence >= 0.5)).toEqual([]);
    }
  });
});

describe("nginx-access: own fixtures (seed 003)", () => {
  it("main_ext with 1 s / 3 s connects, retries, 499 and ` : ` groups with IPv6", async () => {
    const rs = requests(await run(file(OWN, "retries-slow-connect.log")));
    expect(rs).toHaveLength(5);
    expect(rs[0]).toMatchObject({ connectMs: 1003, upstreamMs: 1015, durationMs: 1016, attempts: 1 });
    expect(rs[0]!.ts).toBe(Date.UTC(2019, 7, 14, 1, 12, 10) - 1016);
    expect(rs[1]).toMatchObject({ connectMs: 0, attempts: 1 });
    const retried = rs[2]!;
    expect(retried).toMatchObject({ attempts: 2, connectMs: 3005, upstreamMs: 3027, durationMs: 3031, error: "upstream status 502, 200", dest: { ip: "10.2.7.20", port: 8080 } });
    expect(retried.attrs).toMatchObject({ upstreamConnectMs: "3001,4", upstreamHeaderMs: "-,25", upstreamResponseMs: "3001,26" });
    const gone = rs[3]!;
    expect(gone).toMatchObject({ status: 499, durationMs: 998, connectMs: null, upstreamMs: null, attrs: { clientClosed: true } });
    expect(gone.error).toMatch(/client closed/);
    expect(gone.attempts).toBeUndefined();
    expect(gone.dest).toBeUndefined();
    expect(rs[4]).toMatchObject({ attempts: 2, connectMs: 2, upstreamMs: 25, dest: { ip: "10.2.7.21", port: 8080 } });
    expect(rs[4]!.attrs!.upstreamAddr).toBe("[fd00:2::19]:8080 : 10.2.7.21:8080");
  });

  it("combined + rt/uct/uht/urt tail, TLS bytes as request, ingress-nginx upstreaminfo, junk", async () => {
    const items = await run(file(OWN, "combined-upstream-time.log"));
    const rs = requests(items);
    expect(rs).toHaveLength(4);
    expect(rs[0]).toMatchObject({ status: 200, connectMs: 1003, upstreamMs: 1015, durationMs: 1016, client: { ip: "10.0.4.12" }, method: "GET", path: "/api/presentations/42" });
    expect(rs[1]).toMatchObject({ status: 502, attempts: 2, connectMs: 3005, upstreamMs: 3017 });
    expect(rs[2]!.method).toBeUndefined();
    expect(rs[2]!.warnings).toContain("request line is not METHOD URI PROTOCOL");
    expect(String(rs[2]!.attrs!.request)).toMatch(/^\\x16\\x03/);
    expect(rs[3]).toMatchObject({
      status: 504,
      durationMs: 5003,
      bytesRecv: 410,
      attempts: 2,
      upstreamMs: 5003,
      requestId: "5c3f0b1a2d4e6f708192a3b4c5d6e7f8",
      error: "upstream status 504, 504",
      dest: { ip: "10.244.2.8", port: 80, cluster: "default-app-80" },
    });
    expect(skipped(items).map((s) => s.line)).toEqual([5]);
  });

  it("own fixtures are sniffed as nginx", () => {
    for (const name of ["retries-slow-connect.log", "combined-upstream-time.log"]) {
      expect(sniff(file(OWN, name).toString("utf8"), name).parser?.id, name).toBe("nginx-access");
    }
  });
});

describe("nginx-access: hostile lines", () => {
  it("CRI-wrapped combined lines parse; a bad time keeps the record with a warning", async () => {
    const rs = requests(await run('2024-01-01T00:00:01.000000000Z stdout F 10.0.0.1 - - [01/Jan/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "curl"\n10.0.0.1 - - [99/Xyz/2024:00:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "curl"\n'));
    expect(rs).toHaveLength(2);
    expect(rs[0]).toMatchObject({ ts: Date.UTC(2024, 0, 1), attrs: { writtenAt: Date.UTC(2024, 0, 1, 0, 0, 1) } });
    expect(rs[0]!.durationMs).toBeNull();
    expect(rs[1]!.ts).toBeNull();
    expect(rs[1]!.warnings?.[0]).toMatch(/unparsable time/);
  });

  it("a CRI-split line is re-joined and cites its first and last fragment", async () => {
    const rs = requests(await run('2024-01-01T00:00:01Z stdout P 10.0.0.1 - - [01/Jan/2024:00:00:00 +0000] "GET /long\n2024-01-01T00:00:01Z stdout F  HTTP/1.1" 200 5 "-" "curl" rt=0.002\n'));
    expect(rs).toHaveLength(1);
    expect(rs[0]).toMatchObject({ path: "/long", status: 200, durationMs: 2, prov: { line: 1, offset: 0, endLine: 2 } });
  });

  it("skips generic JSON and does not claim Envoy, ztunnel or generic JSON heads", async () => {
    const items = await run('{"level":"info","msg":"x"}\n');
    expect(skipped(items)[0]!.reason).toMatch(/without nginx keys/);
    for (const h of [
      '[2020-11-25T21:26:18.409Z] "GET /status/418 HTTP/1.1" 418 - via_upstream - "-" 0 135 4 4 "-" "curl" "id" "httpbin:8000" "10.44.1.27:80" outbound|8000||x 1.1.1.1:1 1.1.1.1:2 1.1.1.1:3 - default',
      "2024-05-04T09:59:05.028709Z info    access  connection complete src.addr=10.244.1.12:60059",
      '{"time":"2024-01-01T00:00:00Z","level":"info","message":"x","status":"200"}',
    ]) expect(nginxAccessParser.sniff(`${h}\n${h}\n`, "nginx.log"), h).toBeLessThan(0.5);
  });

  it("a 1 MiB upstream list stays one bounded record", async () => {
    const line = `remote_addr="1.2.3.4", [time_local=14/Aug/2019:04:12:10 +0300], request="GET / HTTP/1.1", status="502", request_time=1.0, upstream_connect_time="${"0.001, ".repeat(120_000)}0.001",\n`;
    const rs = requests(await run(line));
    expect(rs).toHaveLength(1);
    expect(rs[0]!.attempts).toBeGreaterThan(1000);
    expect(String(rs[0]!.attrs!.upstreamConnectMs).split(",").length).toBeLessThanOrEqual(1001);
  });
});
