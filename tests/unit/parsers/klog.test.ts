import { readFileSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { EventRecord } from "@/lib/schemas/records";
import { klogParser, splitStructured } from "@/lib/server/parsers/klog";
import { sniff } from "@/lib/server/parsers/registry";
import type { ParseContext, ParseItem } from "@/lib/server/parsers/types";

const OWN = path.resolve(__dirname, "../../fixtures/own/klog");

async function run(content: string, ctx: Partial<ParseContext> = {}): Promise<ParseItem[]> {
  const out: ParseItem[] = [];
  for await (const x of klogParser.parse(Readable.from([Buffer.from(content)]), { path: "kube-proxy.log", ...ctx })) out.push(x);
  return out;
}
const events = (items: ParseItem[]) => items.filter((x): x is EventRecord => x.kind === "event");

describe("klog: IPVS-era kube-proxy (seed 002 style)", () => {
  const text = readFileSync(path.join(OWN, "kube-proxy-ipvs-stale-rs.log"), "utf8");

  it("is sniffed as klog", () => {
    expect(sniff(text, "kube-proxy.log").parser?.id).toBe("klog");
  });

  it("repeated failed deletes keep the real server and become error events", async () => {
    const items = await run(text, { referenceDate: "2018-12-12", node: "worker-3" });
    const evs = events(items);
    for (const e of evs) expect(EventRecord.safeParse(e).success).toBe(true);
    expect(evs).toHaveLength(11);
    const failed = evs.filter((e) => e.reason === "IPVSDeleteFailed");
    expect(failed).toHaveLength(3);
    expect(failed.every((e) => e.severity === "error" && e.subject?.ip === "10.2.14.7" && e.attrs?.err === "no such process")).toBe(true);
    expect(failed[0]!.ts).toBe(Date.parse("2018-12-12T09:58:14.501Z") + 0.022);
    const deferred = evs.filter((e) => e.reason === "IPVSDeleteDeferred");
    expect(deferred.map((e) => e.attrs?.realServer)).toEqual(["10.2.14.7:8080", "10.2.14.7:8080"]);
    expect(evs.filter((e) => e.reason === "IPVSGracefulDelete").map((e) => e.attrs?.virtualServer)).toEqual(["10.100.42.17:80", "10.100.42.17:80", "10.100.42.17:80"]);
    expect(evs[0]!.attrs).toMatchObject({ file: "server_others.go", fileLine: 189, thread: 1, loggedOn: "worker-3" });
    expect(items.filter((x) => x.kind === "skipped").map((x) => (x as { line?: number }).line)).toEqual([11]);
    // one warning per assumption, not one per line
    expect(items.filter((x) => x.kind === "warning").map((x) => (x as { message: string }).message)).toEqual([expect.stringMatching(/2018 assumed/), expect.stringMatching(/UTC assumed/)]);
  });

  it("without any year hint, timestamps stay null and the klog time is kept", async () => {
    const items = await run(text);
    const evs = events(items);
    expect(evs.every((e) => e.ts === null)).toBe(true);
    expect(evs[2]!.attrs?.klogTime).toBe("1212 09:58:14.501022");
    expect(items.filter((x) => x.kind === "warning")).toHaveLength(1);
  });

  it("uses ctx.timezone for zone-less klog times and the capture year (previous year across New Year)", async () => {
    const evs = events(await run("I1231 23:00:00.000000       1 a.go:1] x\n", { captureTime: Date.parse("2019-01-01T02:00:00Z") as never, timezone: "Europe/Berlin" }));
    expect(evs[0]!.ts).toBe(Date.parse("2018-12-31T22:00:00Z"));
  });
});

describe("klog: CRI-wrapped structured lines", () => {
  it("takes the year and the zone from the runtime timestamp", async () => {
    const items = await run(readFileSync(path.join(OWN, "kube-proxy-cri.log"), "utf8"));
    const evs = events(items);
    expect(evs).toHaveLength(3);
    expect(items.filter((x) => x.kind === "warning")).toHaveLength(0);
    // Dec 31 line written on Jan 1: previous year
    expect(evs[0]!.ts).toBe(Date.parse("2024-12-31T23:59:59.900Z"));
    expect(evs[0]).toMatchObject({ severity: "error", reason: "DeleteFailed", subject: { ip: "10.96.0.10", service: "kube-system/kube-dns" } });
    expect(evs[0]!.attrs).toMatchObject({ err: "error deleting connection tracking state for UDP service IP: 10.96.0.10", stream: "stderr" });
    // klog at 01:00 local, runtime at 00:00Z: a +01:00 node clock
    expect(evs[1]!.ts).toBe(Date.parse("2025-01-01T00:00:02Z"));
    expect(evs[1]!.attrs).toMatchObject({ numServices: "12", numEndpoints: "30" });
    // multi-line err=< block continues the record
    expect(evs[2]!.text).toContain("iptables-restore: line 42 failed");
    expect(evs[2]!.prov).toMatchObject({ line: 3, endLine: 4 });
  });

  it("kubelet probe lines give pod and ip subjects", async () => {
    const evs = events(await run(klogParser.samples[1]!.content));
    expect(evs[0]!.subject).toMatchObject({ kind: "Pod", namespace: "demo", name: "go-httpbin-7d9c5b7f4-x2k8p", uid: "0b6f3c2e" });
    expect(evs[0]!.attrs?.output).toBe('Get "http://10.244.3.7:8080/status/200": dial tcp 10.244.3.7:8080: connect: connection refused');
  });
});

describe("klog: structured tail and hostile input", () => {
  it("splits quoted messages and key=value pairs", () => {
    expect(splitStructured('"Failed to delete" err="a \\"b\\" c" ip=10.0.0.1 n=3')).toEqual({ msg: "Failed to delete", kv: { err: 'a "b" c', ip: "10.0.0.1", n: "3" } });
    expect(splitStructured("plain printf message: x=1")).toEqual({ msg: "plain printf message: x=1", kv: {} });
    expect(splitStructured('"unterminated')).toEqual({ msg: '"unterminated', kv: {} });
  });
  it("does not claim timelines or access logs", () => {
    expect(klogParser.sniff("- 14:02: First alert\n- 14:05: Rollback\n", "t.md")).toBe(0);
    expect(klogParser.sniff('10.0.0.1 - - [15/Oct/2024:14:02:17 +0000] "GET / HTTP/1.1" 200 1', "access.log")).toBe(0);
  });
  it("survives long and odd lines quickly", async () => {
    const hostile = [`I0101 00:00:00.000000 ${" ".repeat(50_000)}1 a.go:1] "${"\\".repeat(100_000)}`, `E9999 99:99:99.9 1 x.go:1] bad date`, "\u0000\uFFFD".repeat(1000)].join("\n");
    const t0 = Date.now();
    const items = await run(hostile, { referenceDate: "2024-01-01" });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(items.length).toBeGreaterThan(0);
    const bad = events(items).find((e) => e.attrs?.klogTime === "9999 99:99:99.9");
    expect(bad?.ts).toBeNull();
  });
});
