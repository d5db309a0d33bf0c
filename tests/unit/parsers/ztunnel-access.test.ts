import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type EventRecord, type RequestRecord } from "@/lib/schemas/records";
import { sniff } from "@/lib/server/parsers/registry";
import type { ParseItem, SkippedItem } from "@/lib/server/parsers/types";
import { MAX_OPEN_LEGACY_SPANS, parseDurationText } from "@/lib/server/parsers/mesh/ztunnel-lines";
import { ztunnelAccessParser } from "@/lib/server/parsers/ztunnel-access";
import { parseChecked } from "../../helpers/parse";

const PUB = path.resolve(__dirname, "../../fixtures/public/ztunnel");
const OWN = path.resolve(__dirname, "../../fixtures/own/ztunnel");

const run = (text: string | Buffer): Promise<ParseItem[]> => parseChecked(ztunnelAccessParser, text, { path: "ztunnel.log" });
const requests = (xs: ParseItem[]) => xs.filter((x): x is RequestRecord => x.kind === "request");
const skipped = (xs: ParseItem[]) => xs.filter((x): x is SkippedItem => x.kind === "skipped");
const file = (dir: string, name: string) => readFileSync(path.join(dir, name));
const iso = (s: string) => Date.parse(s);

describe("ztunnel-access: public samples", () => {
  it("current format (istio.io troubleshoot page): all fields, hbone port, ts = log time − duration", async () => {
    const items = await run(file(PUB, "istio-io-docs-troubleshoot-ztunnel-access.log"));
    const rs = requests(items);
    expect(rs).toHaveLength(6);
    expect(skipped(items)).toEqual([]);
    const [inbound, outbound] = rs;
    expect(inbound).toMatchObject({
      source: "ztunnel",
      direction: "inbound",
      status: null,
      durationMs: 1,
      bytesSent: 175,
      bytesRecv: 80,
      client: { ip: "10.244.1.12", port: 60059, workload: "curl-7656cf8794-r7zb9", namespace: "default", identity: "spiffe://cluster.local/ns/default/sa/curl" },
      dest: { ip: "10.244.1.10", port: 9080, service: "productpage.default.svc.cluster.local", workload: "productpage-v1-87d54dd59-fn6vw", namespace: "productpage" },
      prov: { line: 1, offset: 0 },
    });
    expect(inbound!.attrs).toMatchObject({ outcome: "ok", level: "info", message: "connection complete" });
    // Outbound goes to the HBONE port 15008; the app port comes from dst.hbone_addr.
    expect(outbound!.dest).toMatchObject({ ip: "10.244.1.10", port: 9080 });
    expect(outbound!.attrs!["dst.addr.port"]).toBe(15008);
    const logTime = iso("2024-05-04T09:59:05.028Z") + 0.771;
    expect(outbound!.attrs!.logTime).toBeCloseTo(logTime, 3);
    expect(outbound!.ts).toBeCloseTo(logTime - 1, 3);
    expect(rs.slice(2).map((r) => [r.durationMs, r.dest?.workload])).toEqual([
      [2, "reviews-v3-7d99fd7978-zznnq"],
      [2, "reviews-v3-7d99fd7978-zznnq"],
      [2, "reviews-v1-5fd6d4f8f8-26j92"],
      [2, "reviews-v2-6f9b55c5db-c2dtw"],
    ]);
    expect(rs.every((r) => r.error === undefined)).toBe(true);
  });

  it("README example wrapped over 4 lines is joined into one record with an endLine", async () => {
    const rs = requests(await run(file(PUB, "ztunnel-readme-access-log-example.multiline.txt")));
    expect(rs).toHaveLength(1);
    expect(rs[0]).toMatchObject({
      direction: "outbound",
      durationMs: 13,
      bytesSent: 67,
      bytesRecv: 490,
      client: { ip: "10.244.0.24", port: 46238, workload: "shell-6d8bcd654d-t88gp", identity: "spiffe://cluster.local/ns/default/sa/default" },
      // Unquoted dst.hbone_addr (service VIP) gives the port; the ip stays the pod's dst.addr.
      dest: { ip: "10.244.0.42", port: 80, service: "echo.default.svc.cluster.local" },
      prov: { line: 1, endLine: 4 },
    });
    expect(rs[0]!.attrs!["dst.hbone_addr"]).toBe("10.96.108.116:80");
    expect(rs[0]!.ts).toBeCloseTo(iso("2024-04-11T15:38:42.182Z") + 0.974 - 13, 3);
  });

  it("legacy span format: lines grouped by id=, µs durations, RBAC rejections, open spans flushed", async () => {
    const rs = requests(await run(file(PUB, "istio-io-docs-ops-ambient-ztunnel-legacy-2023.log")));
    expect(rs).toHaveLength(7);
    const byId = new Map(rs.map((r) => [r.attrs!.spanId, r]));
    const fast = byId.get("7d344076d398339f1e51a74803d6c854")!;
    expect(fast).toMatchObject({ direction: "outbound", dest: { ip: "10.240.2.10", port: 80 }, prov: { line: 1, endLine: 2 } });
    expect(fast.durationMs).toBeCloseTo(0.269272, 9);
    expect(fast.attrs!.mode).toBe("node local fast path");
    const hbone = byId.get("9d99723a61c9496532d34acec5c77126")!;
    expect(hbone.durationMs).toBeCloseTo(46.9099, 6);
    expect(hbone.attrs).toMatchObject({ via: "10.240.1.11:15008", outcome: "ok" });
    expect(hbone.ts).toBeCloseTo(iso("2023-08-14T09:33:25.273Z") + 0.268 - 46.9099, 3);
    const rbac = byId.get("cc493da5e89877489a786fd3886bd2cf")!;
    expect(rbac).toMatchObject({ direction: "inbound", client: { ip: "10.240.2.2", identity: "spiffe://cluster.local/ns/ambient-demo/sa/notsleep" }, dest: { ip: "10.240.1.2", port: 80 } });
    expect(rbac.error).toMatch(/^RBAC rejected/);
    expect(rbac.attrs!.outcome).toBe("error");
    const open = byId.get("ec177a563e4899869359422b5cdd1df4")!;
    expect(open.durationMs).toBeNull();
    expect(open.warnings?.[0]).toMatch(/without a completion line/);
  });

  it("every public sample is claimed by ztunnel-access only", () => {
    for (const name of ["istio-io-docs-troubleshoot-ztunnel-access.log", "ztunnel-readme-access-log-example.multiline.txt", "istio-io-docs-ops-ambient-ztunnel-legacy-2023.log"]) {
      const r = sniff(file(PUB, name).toString("utf8"), name);
      expect(r.parser?.id, JSON.stringify(r.scores.slice(0, 3))).toBe("ztunnel-access");
      expect(r.scores.filter((s) => s.id !== "ztunnel-access" && s.confidence >= 0.5)).toEqual([]);
    }
  });
});

describe("ztunnel-access: own fixtures", () => {
  it("rollout burst (seed 001): connection refused errors, early denies, events and skipped info lines", async () => {
    const items = await run(file(OWN, "rollout-connection-refused.log"));
    const rs = requests(items);
    expect(rs).toHaveLength(6);
    const failed = rs.filter((r) => r.attrs!.outcome === "error");
    expect(failed).toHaveLength(4);
    for (const r of failed) {
      expect(r.error).toBe("connection failed: Connection refused (os error 111)");
      expect(r.dest?.ip).toBe("10.244.2.18");
    }
    // The WARN `connection failed` early deny has no duration and no hbone address.
    const deny = failed.find((r) => r.attrs!.message === "connection failed")!;
    expect(deny).toMatchObject({ durationMs: null, dest: { ip: "10.244.2.18", port: 15008 }, client: { ip: "10.244.0.31", port: 51030 } });
    expect(deny.ts).toBe(deny.attrs!.logTime);
    const ok = rs.filter((r) => r.attrs!.outcome === "ok").map((r) => r.dest?.workload);
    expect(ok).toEqual(["httpbin-6d4f8c7b9-x2k9q", "httpbin-6d4f8c7b9-7hn2m"]);
    const events = items.filter((x): x is EventRecord => x.kind === "event");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ source: "ztunnel", severity: "warning", reason: "xds::client", prov: { line: 6 } });
    expect(skipped(items).map((s) => s.line)).toEqual([7]);
  });

  it("JSON logs: flat dotted keys, tracing `fields` nesting, numeric bytes, non-access and broken lines", async () => {
    const items = await run(file(OWN, "json-access.log"));
    const rs = requests(items);
    expect(rs).toHaveLength(3);
    expect(rs[0]).toMatchObject({ durationMs: 4, bytesSent: 120, bytesRecv: 512, dest: { port: 8080, workload: "httpbin-6d4f8c7b9-7hn2m" }, client: { workload: "istio-gateway-7f9c5d8b4-q2kzp" } });
    expect(rs[1]).toMatchObject({ error: "connection failed: Connection refused (os error 111)", attrs: { outcome: "error", level: "error" } });
    expect(rs[2]).toMatchObject({ direction: "inbound", durationMs: 3, dest: { ip: "10.244.1.22", port: 8080 } });
    expect(items.filter((x) => x.kind === "event")).toHaveLength(1);
    expect(skipped(items).map((s) => [s.line, s.reason])).toEqual([
      [5, "ztunnel info log line that is not an access record"],
      [6, "invalid JSON"],
    ]);
  });

  it("CRI-wrapped, CRI-split (P+F) and kubectl-prefixed lines", async () => {
    const rs = requests(await run(file(OWN, "cri-wrapped.log")));
    expect(rs).toHaveLength(3);
    expect(rs[0]!.error).toMatch(/Connection refused/);
    expect(rs[0]!.attrs!.logTime).toBeCloseTo(iso("2025-03-02T14:10:01.300Z") + 0.1, 3);
    // The split line was re-joined: fields from both fragments are present.
    expect(rs[1]).toMatchObject({ client: { port: 51042 }, dest: { ip: "10.244.1.22", port: 8080 }, durationMs: 7, bytesRecv: 1190 });
    expect(rs[1]!.prov).toMatchObject({ line: 2, endLine: 3 });
    expect(rs[2]).toMatchObject({ client: { port: 51050 }, durationMs: 2 });
  });

  it("own fixtures are sniffed as ztunnel", () => {
    for (const name of ["rollout-connection-refused.log", "json-access.log", "cri-wrapped.log"]) {
      expect(sniff(file(OWN, name).toString("utf8"), name).parser?.id, name).toBe("ztunnel-access");
    }
  });
});

describe("ztunnel-access: edge cases", () => {
  it("parseDurationText handles units and mojibake micro signs", () => {
    expect(parseDurationText("13ms")).toBe(13);
    expect(parseDurationText("1.5s")).toBe(1500);
    expect(parseDurationText("269.272µs")).toBeCloseTo(0.269272, 9);
    expect(parseDurationText("269.272μs")).toBeCloseTo(0.269272, 9);
    expect(parseDurationText("269.272Âµs")).toBeCloseTo(0.269272, 9);
    expect(parseDurationText("269.272Â¬µs")).toBeCloseTo(0.269272, 9);
    expect(parseDurationText("5ns")).toBeCloseTo(5e-6, 12);
    expect(parseDurationText("abc")).toBeNull();
    expect(parseDurationText("12parsecs")).toBeNull();
  });

  it("a bad duration keeps the record with a warning", async () => {
    const rs = requests(await run('2024-05-04T09:59:05.028709Z\tinfo\taccess\tconnection complete\tsrc.addr=1.2.3.4:5 duration="soon"\n'));
    expect(rs[0]!.durationMs).toBeNull();
    expect(rs[0]!.warnings?.join(" ")).toMatch(/unparsable duration/);
  });

  it("evicts the oldest open legacy span beyond the bound, with a skipped reason", async () => {
    const lines: string[] = [];
    for (let i = 0; i <= MAX_OPEN_LEGACY_SPANS; i++) lines.push(`2023-08-14T09:15:46.542651Z  INFO outbound{id=${i.toString(16).padStart(32, "0")}}: ztunnel::proxy::outbound: proxying to 10.0.0.1:80 using node local fast path`);
    const items = await run(lines.join("\n"));
    const evicted = skipped(items);
    expect(evicted).toHaveLength(1);
    expect(evicted[0]).toMatchObject({ line: 1 });
    expect(evicted[0]!.reason).toMatch(/evicted/);
    expect(requests(items)).toHaveLength(MAX_OPEN_LEGACY_SPANS);
  });

  it("skips non-ztunnel lines with reasons and keeps going", async () => {
    const items = await run('hello world\n  src.addr=1.2.3.4:5\n2024-13-99T00:00:00Z info access x\n[2020-11-25T21:26:18.409Z] "GET / HTTP/1.1" 200\n');
    expect(requests(items)).toHaveLength(0);
    expect(skipped(items).map((s) => s.line)).toEqual([1, 2, 3, 4]);
    expect(skipped(items)[1]!.reason).toMatch(/continuation line without/);
  });

  it("does not claim Envoy, nginx, klog or generic JSON logs", () => {
    const others = [
      '[2020-11-25T21:26:18.409Z] "GET /status/418 HTTP/1.1" 418 - via_upstream - "-" 0 135 4 4 "-" "curl" "id" "httpbin:8000" "10.44.1.27:80" outbound|8000||httpbin.foo.svc.cluster.local 10.44.1.23:37652 10.0.45.184:8000 10.44.1.23:46520 - default',
      '10.0.0.1 - - [14/Aug/2019:04:12:10 +0300] "GET / HTTP/1.1" 200 1 "-" "curl"',
      "I0504 09:59:05.028709       1 proxier.go:812] \"SyncProxyRules complete\" elapsed=\"1ms\"",
      '{"time":"2024-01-01T00:00:00Z","level":"info","message":"started","component":"api"}',
      "2024-05-04T09:59:05.028709Z\tinfo\txdsproxy\tconnected to upstream XDS server",
    ];
    for (const h of others) expect(ztunnelAccessParser.sniff(`${h}\n${h}\n`, "x.log"), h).toBeLessThan(0.5);
  });

  it("a 1 MiB line of pairs is parsed once, with attrs capped", async () => {
    const big = `2024-05-04T09:59:05.028709Z info access connection complete src.addr=1.2.3.4:5 ${"k=v ".repeat(262_000)}`;
    const rs = requests(await run(`${big}\n`));
    expect(rs).toHaveLength(1);
    expect(Object.keys(rs[0]!.attrs!).length).toBeLessThan(50);
  });
});
