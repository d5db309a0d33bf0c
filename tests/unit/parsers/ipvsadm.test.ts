import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { CounterRecord, IpvsRecord } from "@/lib/schemas/records";
import { epochMs } from "@/lib/schemas/time";
import { ipvsadmParser } from "@/lib/server/parsers/ipvsadm";
import { conntrackStatsParser } from "@/lib/server/parsers/conntrack-stats";
import { iptablesSaveParser } from "@/lib/server/parsers/iptables-save";
import type { ParseContext, ParseItem } from "@/lib/server/parsers/types";

const PUB = "tests/fixtures/public/ipvs/";
const OWN = "tests/fixtures/own/ipvs/";

async function parseFile(path: string, ctx: Partial<ParseContext> = {}): Promise<ParseItem[]> {
  const out: ParseItem[] = [];
  for await (const x of ipvsadmParser.parse(Readable.from([readFileSync(path)]), { path, ...ctx })) out.push(x);
  return out;
}
const ipvs = (items: ParseItem[]) => items.filter((x): x is IpvsRecord => x.kind === "ipvs");
const skippedReasons = (items: ParseItem[]) => items.flatMap((x) => (x.kind === "skipped" ? [x.reason] : []));
const svc = (r: IpvsRecord, proto: string, address: string, port: number) => {
  const s = r.services.find((x) => x.proto === proto && x.address === address && x.port === port);
  if (!s) throw new Error(`no ${proto} ${address}:${port}`);
  return s;
};
const reals = (s: IpvsRecord["services"][number]) => s.reals.map((r) => `${r.address}:${r.port} ${r.forward} w=${r.weight} a=${r.activeConns} i=${r.inactiveConns}`);

describe("ipvsadm -Ln (real samples)", () => {
  it("kind worker: ClusterIP + NodePort per node address, TCP and UDP DNS with inactive conns", async () => {
    const items = await parseFile(PUB + "tkng-kind-worker-ipvsadm-ln.txt", { node: "kind-worker", captureTime: epochMs(1_700_000_000_000) });
    expect(skippedReasons(items)).toEqual([]);
    const [r] = ipvs(items);
    expect(() => IpvsRecord.parse(r)).not.toThrow();
    expect(r!.node).toBe("kind-worker");
    expect(r!.capturedAt).toBe(1_700_000_000_000);
    expect(r!.services).toHaveLength(12);
    expect(reals(svc(r!, "UDP", "10.96.0.10", 53))).toEqual(["10.244.0.3:53 Masq w=1 a=0 i=8", "10.244.0.4:53 Masq w=1 a=0 i=8"]);
    // The same NodePort on three node addresses.
    expect(r!.services.filter((s) => s.port === 31730).map((s) => s.address)).toEqual(["192.168.224.4", "10.244.2.1", "127.0.0.1"]);
    expect(svc(r!, "TCP", "10.96.0.1", 443)).toMatchObject({ scheduler: "rr", flags: [], line: 7 });
  });

  it("persistent flag, service without real servers, header typo, prompt and elisions", async () => {
    const readme = ipvs(await parseFile(PUB + "k8s-proxy-ipvs-readme-ipvsadm-ln.txt"))[0]!;
    expect(svc(readme, "TCP", "10.0.0.1", 443)).toMatchObject({ persistentSeconds: 10800, flags: ["persistent"] });
    expect(reals(svc(readme, "TCP", "10.0.0.1", 443))).toEqual(["192.168.0.1:6443 Masq w=1 a=1 i=0"]);
    const pers = await parseFile(PUB + "k8s-kep265-ipvsadm-ln-persistent.txt");
    expect(skippedReasons(pers)).toEqual(["shell prompt or command line, not ipvsadm output"]);
    expect(ipvs(pers)[0]!.services).toEqual([expect.objectContaining({ address: "10.102.128.4", port: 3080, reals: [], persistentSeconds: 10800 })]);
    const typo = await parseFile(PUB + "k8s-kep265-ipvsadm-ln-port-remap.txt");
    expect(skippedReasons(typo)).toHaveLength(1);
    expect(ipvs(typo)[0]!.warnings?.some((w) => w.includes("typo"))).toBe(true);
    expect(reals(ipvs(typo)[0]!.services[0]!)).toEqual(["10.244.0.235:8080 Masq w=1 a=0 i=0", "10.244.1.237:8080 Masq w=1 a=0 i=0"]);
    const lb = ipvs(await parseFile(PUB + "k8s-kep265-ipvsadm-ln-lb-ingress.txt"))[0]!;
    expect(lb.services.map((s) => s.address)).toEqual(["10.102.128.4", "10.96.1.2", "10.96.1.3"]);
    const web = await parseFile(PUB + "k8s-website-debug-service-ipvsadm-ln.txt");
    expect(skippedReasons(web)).toEqual(["elision ('...') in a copied excerpt", "elision ('...') in a copied excerpt"]);
    expect(reals(ipvs(web)[0]!.services[0]!).map((x) => x.split(" ")[0])).toEqual(["10.244.0.5:9376", "10.244.0.6:9376", "10.244.0.7:9376"]);
  });

  it("/proc/net/ip_vs: hex addresses, ports and FWM mark", async () => {
    const [r] = ipvs(await parseFile(PUB + "node_exporter-fixture-proc-net-ip_vs.txt"));
    expect(r!.services.map((s) => `${s.proto} ${s.address}:${s.port}`)).toEqual(["TCP 192.168.0.22:3306", "TCP 192.168.0.57:3306", "TCP 192.168.0.55:3306", "FWM :0"]);
    expect(r!.services[3]!.fwmark).toBe(0x10001000);
    expect(reals(r!.services[0]!)[0]).toBe("192.168.82.22:3306 Tunnel w=100 a=248 i=2");
    expect(reals(r!.services[1]!)[0]).toBe("192.168.84.22:3306 Tunnel w=0 a=0 i=0");
  });

  it("/proc/net/ip_vs_stats: hex totals and rates become counters", async () => {
    const items = await parseFile(PUB + "node_exporter-fixture-proc-net-ip_vs_stats.txt", { node: "lb-1" });
    const counters = items.filter((x): x is CounterRecord => x.kind === "counter");
    expect(ipvs(items)).toEqual([]);
    expect(Object.fromEntries(counters.map((c) => [c.name, c.value]))).toEqual({
      ipvs_connections_total: 0x16aa370,
      ipvs_incoming_packets_total: 0xe33656e5,
      ipvs_outgoing_packets_total: 0,
      ipvs_incoming_bytes_total: 0x51d8c8883ab3,
      ipvs_outgoing_bytes_total: 0,
      ipvs_connections_per_second: 4,
      ipvs_incoming_packets_per_second: 0x1fb3c,
      ipvs_outgoing_packets_per_second: 0,
      ipvs_incoming_bytes_per_second: 0x1282a8f,
      ipvs_outgoing_bytes_per_second: 0,
    });
    expect(counters.every((c) => c.labels.node === "lb-1" && c.ts === null)).toBe(true);
    for (const c of counters) CounterRecord.parse(c);
  });
});

describe("ipvsadm (own fixtures)", () => {
  it("ipvsadm-save -n: services, persistence, weight 0 backend, service with no backends", async () => {
    const items = await parseFile(OWN + "ip-10-0-3-17-ipvsadm-save-n.txt");
    expect(skippedReasons(items)).toEqual([]);
    const [r] = ipvs(items);
    expect(r!.services).toHaveLength(6);
    const fe = svc(r!, "TCP", "10.104.51.160", 80);
    expect(fe).toMatchObject({ scheduler: "rr", persistentSeconds: 10800 });
    expect(reals(fe)).toEqual(["10.244.1.58:8080 Masq w=1 a=0 i=0", "10.244.2.41:8080 Masq w=0 a=0 i=0", "10.244.3.27:8080 Masq w=1 a=0 i=0"]);
    expect(svc(r!, "TCP", "10.100.77.12", 80).reals).toEqual([]);
    expect(r!.warnings?.some((w) => w.includes("no connection counts"))).toBe(true);
  });

  it("ipvsadm -Ln --stats: per-service and per-real stats, K suffix expanded", async () => {
    const [r] = ipvs(await parseFile(OWN + "ip-10-0-3-17-ipvsadm-Ln-stats.txt"));
    const fe = svc(r!, "TCP", "10.104.51.160", 80);
    expect(fe.stats).toEqual({ conns: 14233, inpkts: 1248812, outpkts: 1104556, inbytes: 101806000, outbytes: 1592407000 });
    expect(fe.reals.map((x) => x.stats?.conns)).toEqual([7120, 0, 7113]);
    expect(fe.reals[0]!.forward).toBe("unknown");
    expect(r!.warnings?.some((w) => w.includes("rounded"))).toBe(true);
  });

  it("ipvsadm -Ln --rate twice: two dumps, rate columns", async () => {
    const items = await parseFile(OWN + "ip-10-0-3-17-ipvsadm-Ln-rate.txt");
    const rs = ipvs(items);
    expect(rs).toHaveLength(2);
    expect(skippedReasons(items)).toHaveLength(2);
    expect(svc(rs[0]!, "TCP", "10.104.51.160", 80).stats).toEqual({ cps: 41, inpps: 3610, outpps: 3190, inbps: 294512, outbps: 4602871 });
    expect(svc(rs[1]!, "TCP", "10.104.51.160", 80).reals.map((x) => x.stats?.cps)).toEqual([20, 0, 19]);
  });

  it("bad lines are skipped, never thrown", async () => {
    const text = "TCP  nonsense rr\n  -> 10.0.0.1:80 Masq 1 0 0\n  -> 10.0.0.2 Warp x y z\n-a -t 10.9.9.9:80 -r 10.0.0.1:80 -m\nFWM zz wlc\n";
    const out: ParseItem[] = [];
    for await (const x of ipvsadmParser.parse(Readable.from([Buffer.from(text)]), { path: "x" })) out.push(x);
    expect(skippedReasons(out)).toEqual([
      "virtual service address:port not understood",
      "real server before any virtual service",
      "real server before any virtual service",
      "real server for a virtual service not declared with -A",
      "FWM service without a numeric mark",
    ]);
  });
});

describe("ipvsadm sniff", () => {
  it("claims every ipvs sample; iptables and conntrack do not", () => {
    for (const dir of [PUB, OWN])
      for (const f of readdirSafe(dir)) {
        const head = readFileSync(dir + f, "utf8");
        expect(ipvsadmParser.sniff(head, f), f).toBeGreaterThanOrEqual(0.5);
        expect(iptablesSaveParser.sniff(head, f), f).toBeLessThan(0.5);
        expect(conntrackStatsParser.sniff(head, f), f).toBeLessThan(0.5);
      }
  });
  it("does not claim iptables or conntrack text", () => {
    expect(ipvsadmParser.sniff(readFileSync("tests/fixtures/public/iptables/k8s-proxier_test-TestOverallIPTablesRules-expected.iptables-restore.txt", "utf8"), "x")).toBe(0);
    expect(ipvsadmParser.sniff(readFileSync("tests/fixtures/public/conntrack/node_exporter-fixture-proc-net-stat-nf_conntrack.txt", "utf8"), "x")).toBe(0);
  });
});

import { readdirSync } from "node:fs";
function readdirSafe(d: string): string[] {
  return readdirSync(d).filter((f) => !f.endsWith(".md"));
}
