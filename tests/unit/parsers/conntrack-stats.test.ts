import { readFileSync, readdirSync } from "node:fs";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { CounterRecord } from "@/lib/schemas/records";
import { epochMs } from "@/lib/schemas/time";
import { conntrackDeltas } from "@/lib/server/correlate/conntrack";
import { conntrackStatsParser } from "@/lib/server/parsers/conntrack-stats";
import { ipvsadmParser } from "@/lib/server/parsers/ipvsadm";
import { iptablesSaveParser } from "@/lib/server/parsers/iptables-save";
import type { ParseContext, ParseItem } from "@/lib/server/parsers/types";

const PUB = "tests/fixtures/public/conntrack/";
const OWN = "tests/fixtures/own/conntrack/";

async function parseText(text: string | Buffer, ctx: Partial<ParseContext> = {}): Promise<ParseItem[]> {
  const out: ParseItem[] = [];
  for await (const x of conntrackStatsParser.parse(Readable.from([Buffer.from(text)]), { path: "f", ...ctx })) out.push(x);
  return out;
}
const counters = (items: ParseItem[]) => items.filter((x): x is CounterRecord => x.kind === "counter");
const value = (cs: CounterRecord[], name: string, cpu: string) => cs.filter((c) => c.name === name && c.labels.cpu === cpu).map((c) => c.value);

describe("conntrack -S (real samples)", () => {
  it("older-kernel netlink output: per-cpu insert_failed/drop, ignore kept, no entries", async () => {
    const items = await parseText(readFileSync(PUB + "datadog-integrations-core-test_linux-conntrack-S-mock.txt"), { node: "n1", captureTime: epochMs(1_565_690_401_000) });
    const cs = counters(items);
    expect(cs).toHaveLength(18);
    for (const c of cs) CounterRecord.parse(c);
    expect(value(cs, "conntrack_insert_failed", "0")).toEqual([1]);
    expect(value(cs, "conntrack_ignore", "1")).toEqual([475938848]);
    expect(value(cs, "conntrack_search_restart", "0")).toEqual([39936711]);
    expect(cs.every((c) => c.labels.node === "n1" && c.ts === 1_565_690_401_000)).toBe(true);
    expect(items.filter((x) => x.kind === "warning")).toEqual([]);
  });

  it("new kernel via netlink (clash_resolve, chaintoolong) and the procfs fallback share key names", async () => {
    const root = counters(await parseText(readFileSync(PUB + "elastic-beats-conntrack_test-conntrack-S-root-netlink.txt")));
    const user = counters(await parseText(readFileSync(PUB + "elastic-beats-conntrack_test-conntrack-S-user-procfs-fallback.txt")));
    expect(value(root, "conntrack_invalid", "1")).toEqual([109]);
    expect(new Set(root.map((c) => c.name))).toContain("conntrack_clash_resolve");
    // procfs names mapped to netlink names: clashres→clash_resolve, chainlength→chaintoolong, icmp_error→error.
    const names = new Set(user.map((c) => c.name));
    for (const n of ["conntrack_clash_resolve", "conntrack_chaintoolong", "conntrack_error"]) expect(names).toContain(n);
    for (const n of ["conntrack_clashres", "conntrack_chainlength", "conntrack_icmp_error"]) expect(names).not.toContain(n);
    expect(value(user, "conntrack_search_restart", "1")).toEqual([3]);
    // entries is global: emitted once with cpu="all", never per CPU; the rows disagree → warning.
    const entries = user.filter((c) => c.name === "conntrack_entries");
    expect(entries.map((c) => [c.labels.cpu, c.value])).toEqual([["all", 42]]);
    expect(entries[0]!.warnings?.some((w) => w.includes("differs"))).toBe(true);
    // No timestamp and no capture time: ts null with a warning.
    expect(user.every((c) => c.ts === null)).toBe(true);
  });
});

describe("/proc/net/stat/nf_conntrack (real samples)", () => {
  it("maps hex columns by header name, one row per CPU", async () => {
    const cs = counters(await parseText(readFileSync(PUB + "node_exporter-fixture-proc-net-stat-nf_conntrack.txt")));
    expect(cs).toHaveLength(16 * 4 + 1);
    expect(value(cs, "conntrack_entries", "all")).toEqual([0x21]);
    expect(value(cs, "conntrack_entries", "0")).toEqual([]);
    expect(value(cs, "conntrack_ignore", "0")).toEqual([0x588a]);
    expect(value(cs, "conntrack_invalid", "3")).toEqual([0x2f]);
    expect(value(cs, "conntrack_search_restart", "3")).toEqual([4]);
    expect(value(cs, "conntrack_error", "0")).toEqual([0]);
    const beats = counters(await parseText(readFileSync(PUB + "elastic-beats-metricbeat-linux-conntrack-testdata-proc-net-stat-nf_conntrack.txt")));
    expect(value(beats, "conntrack_ignore", "2")).toEqual([0x1be264]);
    expect(value(beats, "conntrack_invalid", "2")).toEqual([0x53]);
  });

  it("maps by name when the header differs (5.15+: clashres/chainlength)", async () => {
    const text = [
      "entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart",
      "000003e8  00000002 00000000 00000000 00000010 00000000 00000000 00000001 00000000 0000abcd 0000abcd 00000000 00000000  00000000 00000000 00000000 00000005",
    ].join("\n");
    const cs = counters(await parseText(text));
    expect(value(cs, "conntrack_insert_failed", "0")).toEqual([0xabcd]);
    expect(value(cs, "conntrack_clash_resolve", "0")).toEqual([2]);
    expect(value(cs, "conntrack_chaintoolong", "0")).toEqual([1]);
    expect(value(cs, "conntrack_entries", "all")).toEqual([1000]);
  });
});

describe("conntrack snapshots and deltas (own fixture)", () => {
  it("3 dated snapshots × 2 CPUs: each snapshot has its own ts; deltas per cpu", async () => {
    const items = await parseText(readFileSync(OWN + "ip-10-0-3-17-conntrack-S-3-snapshots.txt"), { node: "ip-10-0-3-17" });
    expect(items.filter((x) => x.kind === "skipped")).toEqual([]);
    const cs = counters(items);
    expect(cs).toHaveLength(3 * 2 * 10);
    const t0 = Date.UTC(2024, 9, 15, 14, 2, 0);
    expect([...new Set(cs.map((c) => c.ts))]).toEqual([t0, t0 + 60_000, t0 + 120_000]);
    expect(value(cs, "conntrack_insert_failed", "1")).toEqual([121390, 123101, 124870]);
    const deltas = conntrackDeltas(cs).filter((d) => d.name === "conntrack_insert_failed");
    expect(deltas.map((d) => [d.labels.cpu, d.delta, d.perSecond])).toEqual([
      ["0", 1640, 1640 / 60],
      ["0", 1658, 1658 / 60],
      ["1", 1711, 1711 / 60],
      ["1", 1769, 1769 / 60],
    ]);
    expect(deltas.every((d) => d.labels.node === "ip-10-0-3-17" && !d.reset)).toBe(true);
  });

  it("ISO separators, repeated cpu=0 without a separator, resets", async () => {
    const text = [
      "--- 2019-08-13T10:00:01Z",
      "cpu=0 found=0 invalid=5 insert_failed=10 drop=10",
      "--- 2019-08-13T10:00:11Z",
      "cpu=0 found=0 invalid=7 insert_failed=30 drop=30",
      "cpu=0 found=0 invalid=1 insert_failed=2 drop=2",
    ].join("\n");
    const items = await parseText(text, { captureTime: epochMs(1_565_690_500_000) });
    const cs = counters(items);
    expect(value(cs, "conntrack_insert_failed", "0")).toEqual([10, 30, 2]);
    // Last snapshot has no separator: it is the capture moment.
    expect([...new Set(cs.map((c) => c.ts))]).toEqual([1_565_690_401_000, 1_565_690_411_000, 1_565_690_500_000]);
    const d = conntrackDeltas(cs).filter((x) => x.name === "conntrack_insert_failed");
    expect(d.map((x) => [x.delta, x.perSecond, x.reset])).toEqual([
      [20, 2, false],
      [null, null, true],
    ]);
  });

  it("zone-less date separators warn; lone numbers and junk are skipped", async () => {
    const items = await parseText("2024-10-15 14:02:00\ncpu=0 found=1 drop=3\n123\ngarbage here\ncpu=x\n");
    expect(items.some((x) => x.kind === "warning" && x.message.includes("assumed UTC"))).toBe(true);
    expect(items.filter((x) => x.kind === "skipped").map((x) => (x.kind === "skipped" ? x.line : 0))).toEqual([3, 4, 5]);
    expect(counters(items)[0]!.ts).toBe(Date.UTC(2024, 9, 15, 14, 2, 0));
  });
});

describe("conntrack sniff", () => {
  it("claims every conntrack sample (the lone-number sysctls by their file name), and no other netfilter parser claims them", () => {
    for (const f of readdirSync(PUB).concat(readdirSync(OWN).map((x) => `../../own/conntrack/${x}`))) {
      const head = readFileSync(PUB + f, "utf8");
      expect(conntrackStatsParser.sniff(head, f) >= 0.5, f).toBe(true);
      expect(ipvsadmParser.sniff(head, f), f).toBeLessThan(0.5);
      expect(iptablesSaveParser.sniff(head, f), f).toBeLessThan(0.5);
    }
  });
});

describe("nf_conntrack_count / nf_conntrack_max", () => {
  it("a lone number is claimed only with its file name and becomes one gauge counter", async () => {
    expect(conntrackStatsParser.sniff("123\n", "notes.txt")).toBe(0);
    const head = readFileSync(PUB + "node_exporter-fixture-proc-sys-net-netfilter-nf_conntrack_max.txt", "utf8");
    const path = "nodes/n1/proc/sys/net/netfilter/nf_conntrack_max";
    expect(conntrackStatsParser.sniff(head, path)).toBeGreaterThanOrEqual(0.5);
    const items = [];
    for await (const x of conntrackStatsParser.parse(Readable.from([Buffer.from(head)]), { path, node: "n1" })) items.push(x);
    const counters = items.filter((x) => x.kind === "counter");
    expect(counters).toEqual([expect.objectContaining({ name: "conntrack_max", value: Number(head.trim()), labels: { node: "n1" }, ts: null })]);
  });
});
