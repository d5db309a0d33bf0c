import { describe, expect, it } from "vitest";
import type { CounterRecord, IpvsRecord } from "@/lib/schemas/records";
import { epochMs } from "@/lib/schemas/time";
import { captureFor, CaptureObserver, timeFromFileName } from "@/lib/server/pipeline/capture-time";
import { seriesName } from "@/lib/server/parsers/name-time";
import { fileContext } from "@/lib/server/pipeline/file-context";

const iso = (s: string) => Date.parse(s);

describe("capture time: file names", () => {
  // [path, expected kind, expected value: ISO instant, or "HH:MM:SS" for a time of day, or a wall "YYYY-MM-DDTHH:MM:SS"]
  const cases: [string, "instant" | "wall" | "time-of-day" | null, string?][] = [
    ["node-a/conntrack-S-0905.txt", "time-of-day", "09:05:00"],
    ["nodes/n1/conntrack-1025", "time-of-day", "10:25:00"],
    ["ipvsadm-09-05-30.txt", "time-of-day", "09:05:30"],
    ["iptables_090530.save", "time-of-day", "09:05:30"],
    ["ipvs-09h05.txt", "time-of-day", "09:05:00"],
    ["conntrack-2025-03-12T09:05:00Z.txt", "instant", "2025-03-12T09:05:00Z"],
    ["conntrack-2025-03-12T09-05-00Z.txt", "instant", "2025-03-12T09:05:00Z"],
    ["iptables-2025-03-12T10:05:00+01:00.txt", "instant", "2025-03-12T09:05:00Z"],
    ["conntrack-20250312T090500Z.txt", "instant", "2025-03-12T09:05:00Z"],
    ["conntrack-20250312-090500.txt", "wall", "2025-03-12T09:05:00"],
    ["conntrack-2025-03-12_09:05.txt", "wall", "2025-03-12T09:05:00"],
    ["conntrack.1741770300.txt", "instant", "2025-03-12T09:05:00Z"],
    ["conntrack-1741770300000.txt", "instant", "2025-03-12T09:05:00Z"],
    // Not times: a date alone, IPs, versions, ports, counters, an impossible hour.
    ["conntrack-2025-03-12.txt", null],
    ["ip-10-20-12-15-conntrack.txt", null],
    ["iptables-v1.8.7.txt", null],
    ["envoy-15001.log", null],
    ["conntrack-S.txt", null],
    ["conntrack-2575.txt", null],
    ["nodes/ip-10-20-12-15/conntrack-S.txt", null],
    ["aks-nodepool1-12345678-vmss000002.iptables", null],
  ];
  it.each(cases)("%s → %s %s", (p, kind, value) => {
    const t = timeFromFileName(p);
    if (kind === null) return expect(t).toBeNull();
    expect(t?.kind).toBe(kind);
    if (t?.kind === "instant") expect(t.ts).toBe(iso(value!));
    else if (t?.kind === "time-of-day") expect([t.hour, t.minute, t.second].map((n) => String(n).padStart(2, "0")).join(":")).toBe(value);
    else if (t?.kind === "wall") expect(new Date(Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second)).toISOString().slice(0, 19)).toBe(value);
  });
});

describe("capture time: basis precedence", () => {
  const range = { min: iso("2025-03-12T09:00:00Z"), max: iso("2025-03-12T10:30:00Z") };
  it("a time of day takes its date from the other evidence, and says so", () => {
    expect(captureFor({ path: "a/conntrack-0905.txt" })).toEqual({ capture: null, needsDate: true });
    const r = captureFor({ path: "a/conntrack-0905.txt", evidence: range });
    expect(r.capture?.ts).toBe(iso("2025-03-12T09:05:00Z"));
    expect(r.capture?.basis).toBe("file name");
    expect(r.capture?.note).toMatch(/date 2025-03-12 taken from the bundle's other evidence.*UTC assumed/);
  });
  it("the day is the one nearest the evidence (across midnight), in the manifest's zone", () => {
    const night = { min: iso("2025-03-12T23:30:00Z"), max: iso("2025-03-13T00:40:00Z") };
    expect(captureFor({ path: "c-0005.txt", evidence: night }).capture?.ts).toBe(iso("2025-03-13T00:05:00Z"));
    expect(captureFor({ path: "c-2355.txt", evidence: night }).capture?.ts).toBe(iso("2025-03-12T23:55:00Z"));
    const r = captureFor({ path: "c-1005.txt", evidence: range, manifest: { timezone: "Europe/Berlin" } });
    expect(r.capture?.ts).toBe(iso("2025-03-12T09:05:00Z"));
    expect(r.capture?.note).toMatch(/Europe\/Berlin from the manifest/);
  });
  it("the manifest's date wins over the evidence for a time of day", () => {
    expect(captureFor({ path: "c-0905.txt", evidence: range, manifest: { date: "2025-03-11" } }).capture?.ts).toBe(iso("2025-03-11T09:05:00Z"));
  });
  it("user > manifest captureTimes > file name > archive mtime > manifest window end > nothing", () => {
    const mtime = new Date("2025-03-12T09:06:00Z");
    const manifest = { captureTimes: { "x/c-0905.txt": "2025-03-12T09:04:00Z" }, window: { end: "2025-03-12T11:00:00Z" } };
    const base = { path: "x/c-0905.txt", evidence: range, archiveMtime: mtime };
    expect(captureFor({ ...base, manifest, override: new Date("2025-03-12T08:00:00Z") }).capture).toMatchObject({ basis: "user", ts: iso("2025-03-12T08:00:00Z") });
    expect(captureFor({ ...base, manifest }).capture).toMatchObject({ basis: "manifest", ts: iso("2025-03-12T09:04:00Z") });
    expect(captureFor({ ...base, manifest: { window: manifest.window } }).capture).toMatchObject({ basis: "file name", ts: iso("2025-03-12T09:05:00Z") });
    expect(captureFor({ ...base, path: "x/c.txt", manifest: { window: manifest.window } }).capture).toMatchObject({ basis: "archive mtime", ts: mtime.getTime() });
    expect(captureFor({ path: "x/c.txt", manifest: { window: manifest.window } }).capture).toMatchObject({ basis: "manifest", ts: iso("2025-03-12T11:00:00Z") });
    expect(captureFor({ path: "x/c.txt" })).toEqual({ capture: null, needsDate: false });
  });
});

describe("capture time: what ingest records", () => {
  const counter = (ts: number | null): CounterRecord => ({ kind: "counter", name: "conntrack_insert_failed", labels: { cpu: "0" }, ts: ts === null ? null : epochMs(ts), value: 1, prov: { line: 1 } });
  const ipvs: IpvsRecord = { kind: "ipvs", capturedAt: null, services: [], prov: { line: 1 } };
  const at = { ts: epochMs(iso("2025-03-12T09:05:00Z")), basis: "file name" as const };
  it("stamps undated snapshot records, not conntrack's own undated earlier snapshots", () => {
    const o = new CaptureObserver("ipvsadm", at);
    expect((o.see(ipvs) as IpvsRecord).capturedAt).toBe(at.ts);
    expect(o.result()).toMatchObject({ basis: "file name", time: at.ts });
    const c = new CaptureObserver("conntrack-stats", at);
    expect((c.see(counter(null)) as CounterRecord).ts).toBeNull();
  });
  it("a time of the file's own makes the basis header; a user's time replaces it", () => {
    const own = iso("2025-03-12T09:07:00Z");
    const o = new CaptureObserver("conntrack-stats", at);
    expect((o.see(counter(own)) as CounterRecord).ts).toBe(own);
    expect(o.result()).toMatchObject({ basis: "header", time: own });
    const u = new CaptureObserver("conntrack-stats", { ...at, basis: "user" });
    expect((u.see(counter(own)) as CounterRecord).ts).toBe(at.ts);
    expect(u.result()?.basis).toBe("user");
  });
  it("nothing dates it: assumed name order; other formats have no basis", () => {
    const o = new CaptureObserver("conntrack-stats", null);
    o.see(counter(null));
    expect(o.result()?.basis).toBe("assumed (name order)");
    expect(new CaptureObserver("nginx-access", at).result()).toBeNull();
  });
});

describe("snapshot series and node from the path", () => {
  it.each([
    ["bundle/ip-10-0-144-10_conntrack-S-0446.txt", "bundle/ip-10-0-144-10_conntrack-S-*.txt"],
    ["n1/conntrack-2025-03-12T09:05:00Z.txt", "n1/conntrack-*.txt"],
    ["conntrack-S.txt", null],
  ])("series of %s is %s", (p, want) => expect(seriesName(p)).toBe(want));
  it.each([
    ["bundle/ip-10-0-144-10_conntrack-S-0446.txt", "ip-10-0-144-10"],
    ["ip-10-0-1-2.ec2.internal/conntrack.txt", "ip-10-0-1-2.ec2.internal"],
    ["x/gke-prod-pool-1-3f2a9c1d-x7k2/iptables.txt", "gke-prod-pool-1-3f2a9c1d-x7k2"],
    ["aks-nodepool1-12345678-vmss000002.iptables", "aks-nodepool1-12345678-vmss000002"],
    ["nodes/worker-1/ipvs.txt", "worker-1"],
    ["logs/app-10-0-1-2.log", undefined],
    ["plain/app.log", undefined],
  ])("node of %s is %s", (p, want) => expect(fileContext(p, null).node).toBe(want));
});
