import type { Readable } from "node:stream";
import type { CounterRecord, IpvsRecord } from "@/lib/schemas/records";
import { epochMs } from "@/lib/schemas/time";
import { excerpt, readLineBatches, type Line } from "./lines";
import type { ParseContext, ParseItem, Parser } from "./types";

type Service = IpvsRecord["services"][number];
type Real = Service["reals"][number];

const MAX_LINE = 8 * 1024;
const VERSION = /^IP Virtual Server version \d/;
// "Prot LocalAddress:Port Scheduler Flags", the KEP typo "Port LocalAddress:Port", --stats/--rate headers.
const SVC_HEADER = /^(?:Prot|Port|Proto)\s+LocalAddress:Port\b(.*)$/;
const REAL_HEADER = /^->\s*RemoteAddress:Port\b(.*)$/;
const SERVICE = /^(TCP|UDP|SCTP|FWM)\s+(\S+)(?:\s+(.*))?$/;
const REAL = /^->\s+(\S+)(?:\s+(.*))?$/;
const ELISION = /^(?:\.{3,}|…)$/;
const PROMPT = /^(?:#\s*(?:sudo\s+)?ipvsadm\b|\$\s|\S{1,64}[#$]\s|```)/;
const HEX_V4 = /^([0-9A-Fa-f]{8}):([0-9A-Fa-f]{4})$/;
const STATS_TOTALS = /^Total\s+Incoming\s+Outgoing/;
const STATS_RATES = /^Conns\/s\s/;
const FORWARDS: Record<string, string> = { masq: "Masq", route: "Route", tunnel: "Tunnel", local: "Local", bypass: "Bypass" };
/** Port names ipvsadm prints without -n (getservbyport); only the ones Kubernetes nodes use. */
const PORT_NAMES: Record<string, number> = { http: 80, https: 443, domain: 53, "domain-s": 853, ssh: 22, "sun-rpc": 111, "http-alt": 8080, "9153": 9153 };

/** Numbers in --stats/--rate without --exact are rounded to K/M/G/T (base 1000, print_largenum). */
function largeNum(s: string): number | null {
  const m = /^(\d+)([KMGT]?)$/.exec(s);
  if (!m) return null;
  const mult = { "": 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2] as "" | "K" | "M" | "G" | "T"];
  return Number(m[1]) * mult;
}

function parseHostPort(text: string, hex: boolean): { address: string; port: number } | null {
  if (hex) {
    const h = HEX_V4.exec(text);
    if (h) {
      const n = Number.parseInt(h[1]!, 16);
      return { address: [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join("."), port: Number.parseInt(h[2]!, 16) };
    }
  }
  let host: string;
  let portText: string;
  if (text.startsWith("[")) {
    const close = text.indexOf("]:");
    if (close < 0) return null;
    host = text.slice(1, close);
    portText = text.slice(close + 2);
  } else {
    const colon = text.lastIndexOf(":");
    if (colon <= 0) return null;
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(":")) return null;
  }
  let port: number | undefined;
  if (hex && /^[0-9A-Fa-f]{4}$/.test(portText)) port = Number.parseInt(portText, 16);
  else if (/^\d{1,5}$/.test(portText)) port = Number(portText);
  else port = PORT_NAMES[portText.toLowerCase()];
  if (port === undefined || port > 65535 || host === "") return null;
  return { address: host, port };
}

interface Dump {
  services: Service[];
  firstLine: number;
  lastLine: number;
  /** Column names after LocalAddress:Port when the listing is --stats / --rate. */
  statsColumns: string[] | null;
  /** /proc/net/ip_vs prints addresses, ports and FWM marks in hex. */
  hex: boolean | null;
  fwmPending: { svc: Service; raw: string }[];
  warnings: Set<string>;
  saveFormat: boolean;
}

/**
 * Reads ipvsadm listings line by line. One `ipvs` record per dump; a dump ends at the next
 * "IP Virtual Server version"/"Prot LocalAddress" header or prompt line after services, or EOF.
 *
 *   IP Virtual Server version 1.2.1 (size=4096)      ← starts a dump
 *   Prot LocalAddress:Port Scheduler Flags           ← column set (normal, --stats, --rate)
 *     -> RemoteAddress:Port Forward Weight ActiveConn InActConn
 *   TCP  10.96.0.1:443 rr persistent 10800           ← service
 *     -> 10.0.3.4:6443  Masq 1 3 0                   ← its real servers
 *
 * ipvsadm-save (`-A -t vip:port -s rr` / `-a -t vip:port -r rip:port -m -w 1`) and
 * /proc/net/ip_vs (hex) build the same services; /proc/net/ip_vs_stats yields counters.
 */
class IpvsReader {
  private dump: Dump | null = null;
  private statsMode: "totals" | "rates" | null = null;
  private sawStats = false;
  constructor(
    private readonly ctx: ParseContext,
    private readonly hexHint: boolean,
  ) {}

  private newDump(no: number): Dump {
    return { services: [], firstLine: no, lastLine: no, statsColumns: null, hex: this.hexHint ? true : null, fwmPending: [], warnings: new Set(), saveFormat: false };
  }
  private ensure(no: number): Dump {
    if (!this.dump) this.dump = this.newDump(no);
    this.dump.lastLine = Math.max(this.dump.lastLine, no);
    return this.dump;
  }

  push(line: Line): ParseItem[] {
    const out: ParseItem[] = [];
    const text = line.text.trim();
    if (text === "") return out;
    const skip = (reason: string) => out.push({ kind: "skipped", line: line.no, reason, excerpt: excerpt(text) });
    // Real ipvsadm lines are < 200 characters; anything near this is hostile or corrupt.
    if (line.truncated || text.length > MAX_LINE) return skip("line too long for ipvsadm output; not parsed"), out;

    if (STATS_TOTALS.test(text)) {
      this.statsMode = "totals";
      this.sawStats = true;
      return out;
    }
    if (STATS_RATES.test(text)) {
      this.statsMode = "rates";
      return out;
    }
    if (this.statsMode && /^Conns\s+Packets/.test(text)) return out;
    if (this.statsMode && /^[0-9A-Fa-f]{1,16}(?:\s+[0-9A-Fa-f]{1,16}){4}$/.test(text)) {
      out.push(...this.statsRow(text.split(/\s+/), line.no));
      return out;
    }

    if (VERSION.test(text)) {
      if (this.dump && this.dump.services.length) out.push(...this.finish());
      this.ensure(line.no);
      return out;
    }
    const sh = SVC_HEADER.exec(text);
    if (sh) {
      if (this.dump && this.dump.services.length) out.push(...this.finish());
      const d = this.ensure(line.no);
      const cols = sh[1]!.trim().split(/\s+/).filter(Boolean);
      d.statsColumns = cols.length && !/^Scheduler$/i.test(cols[0]!) ? cols.map((c) => c.toLowerCase()) : null;
      if (/^Port\s/.test(text)) d.warnings.add('header reads "Port LocalAddress:Port" (typo for "Prot"); accepted');
      return out;
    }
    if (REAL_HEADER.test(text)) {
      this.ensure(line.no);
      return out;
    }
    if (ELISION.test(text)) return skip("elision ('...') in a copied excerpt"), out;
    if (PROMPT.test(text)) {
      if (this.dump && this.dump.services.length) out.push(...this.finish());
      return skip("shell prompt or command line, not ipvsadm output"), out;
    }
    if (text.startsWith("-A ") || text.startsWith("-a ") || text.startsWith("--add-")) {
      this.saveLine(text, line.no, out);
      return out;
    }
    const sv = SERVICE.exec(text);
    if (sv) {
      this.serviceLine(sv, text, line.no, out);
      return out;
    }
    const rl = REAL.exec(text);
    if (rl) {
      this.realLine(rl, text, line.no, out);
      return out;
    }
    skip("not an ipvsadm line");
    return out;
  }

  private decideHex(d: Dump, addr: string): boolean {
    if (d.hex === null) d.hex = HEX_V4.test(addr);
    return d.hex;
  }

  private serviceLine(m: RegExpExecArray, text: string, no: number, out: ParseItem[]): void {
    const d = this.ensure(no);
    const proto = m[1]!;
    const rest = (m[3] ?? "").trim().split(/\s+/).filter(Boolean);
    const svc: Service = { proto, address: "", port: 0, scheduler: "", flags: [], reals: [], line: no };
    if (proto === "FWM") {
      if (!/^[0-9A-Fa-f]+$/.test(m[2]!)) {
        out.push({ kind: "skipped", line: no, reason: "FWM service without a numeric mark", excerpt: excerpt(text) });
        return;
      }
      d.fwmPending.push({ svc, raw: m[2]! });
    } else {
      const hp = parseHostPort(m[2]!, this.decideHex(d, m[2]!));
      if (!hp) {
        out.push({ kind: "skipped", line: no, reason: "virtual service address:port not understood", excerpt: excerpt(text) });
        return;
      }
      svc.address = hp.address;
      svc.port = hp.port;
    }
    if (d.statsColumns) {
      svc.stats = this.statsValues(d, rest, no, out, text);
    } else {
      svc.scheduler = rest[0] ?? "";
      for (let i = 1; i < rest.length; i++) {
        const tok = rest[i]!;
        if (tok === "persistent" && /^\d+$/.test(rest[i + 1] ?? "")) {
          svc.persistentSeconds = Number(rest[i + 1]);
          svc.flags.push("persistent");
          i++;
        } else if (tok === "mask" && rest[i + 1]) {
          svc.flags.push(`mask ${rest[i + 1]}`);
          i++;
        } else if (tok === "pe" && rest[i + 1]) {
          svc.flags.push(`pe ${rest[i + 1]}`);
          i++;
        } else svc.flags.push(tok);
      }
    }
    d.services.push(svc);
  }

  private statsValues(d: Dump, vals: string[], no: number, out: ParseItem[], text: string): Record<string, number> {
    const stats: Record<string, number> = {};
    const cols = d.statsColumns!;
    if (vals.length !== cols.length) out.push({ kind: "warning", line: no, message: `expected ${cols.length} stats columns, got ${vals.length}: ${excerpt(text, 80)}` });
    cols.forEach((c, i) => {
      const v = vals[i] === undefined ? null : largeNum(vals[i]!);
      if (v !== null) stats[c] = v;
      if (vals[i] && /[KMGT]$/.test(vals[i]!)) d.warnings.add("--stats/--rate values with K/M/G/T suffixes are rounded (base 1000); use --exact for exact counts");
    });
    return stats;
  }

  private realLine(m: RegExpExecArray, text: string, no: number, out: ParseItem[]): void {
    const d = this.dump;
    const svc = d?.services.at(-1);
    if (!d || !svc) {
      out.push({ kind: "skipped", line: no, reason: "real server before any virtual service", excerpt: excerpt(text) });
      return;
    }
    d.lastLine = no;
    const hp = parseHostPort(m[1]!, this.decideHex(d, m[1]!));
    if (!hp) {
      out.push({ kind: "skipped", line: no, reason: "real server address:port not understood", excerpt: excerpt(text) });
      return;
    }
    const rest = (m[2] ?? "").trim().split(/\s+/).filter(Boolean);
    const real: Real = { address: hp.address, port: hp.port, forward: "unknown", weight: 0, activeConns: 0, inactiveConns: 0 };
    if (d.statsColumns) {
      real.stats = this.statsValues(d, rest, no, out, text);
      d.warnings.add("--stats/--rate listing has no forward/weight/connection columns; those are reported as unknown/0");
    } else {
      const [fwd, w, a, i] = rest;
      const forward = fwd ? FORWARDS[fwd.toLowerCase()] : undefined;
      const nums = [w, a, i].map((x) => (x !== undefined && /^-?\d+$/.test(x) ? Number(x) : null));
      if (!forward || nums.some((x) => x === null)) {
        out.push({ kind: "skipped", line: no, reason: "real server line needs Forward Weight ActiveConn InActConn", excerpt: excerpt(text) });
        return;
      }
      real.forward = forward;
      real.weight = nums[0]!;
      real.activeConns = nums[1]!;
      real.inactiveConns = nums[2]!;
    }
    svc.reals.push(real);
  }

  /** ipvsadm-save / ipvsadm -S rules: -A adds a virtual service, -a a real server to it. */
  private saveLine(text: string, no: number, out: ParseItem[]): void {
    const toks = text.split(/\s+/);
    const addReal = toks[0] === "-a" || toks[0] === "--add-server";
    let proto: string | undefined;
    let vip: string | undefined;
    const opts = new Map<string, string | true>();
    for (let i = 1; i < toks.length; i++) {
      const t = toks[i]!;
      const next = toks[i + 1];
      const hasVal = next !== undefined && !/^-[a-zA-Z-]/.test(next);
      const key = t.replace(/^--?/, "");
      if (["t", "tcp-service", "u", "udp-service", "sctp-service", "f", "fwmark-service"].includes(key) && next) {
        proto = key.startsWith("t") ? "TCP" : key.startsWith("u") ? "UDP" : key.startsWith("s") ? "SCTP" : "FWM";
        vip = next;
        i++;
      } else if (hasVal) {
        opts.set(key, next!);
        i++;
      } else opts.set(key, true);
    }
    if (!proto || !vip) {
      out.push({ kind: "skipped", line: no, reason: "ipvsadm-save line without -t/-u/-f service", excerpt: excerpt(text) });
      return;
    }
    const d = this.ensure(no);
    d.saveFormat = true;
    let address = "";
    let port = 0;
    let fwmark: number | undefined;
    if (proto === "FWM") {
      if (!/^\d+$/.test(vip)) {
        out.push({ kind: "skipped", line: no, reason: "FWM service without a numeric mark", excerpt: excerpt(text) });
        return;
      }
      fwmark = Number(vip);
    } else {
      const hp = parseHostPort(vip, false);
      if (!hp) {
        out.push({ kind: "skipped", line: no, reason: "virtual service address:port not understood", excerpt: excerpt(text) });
        return;
      }
      ({ address, port } = hp);
    }
    const find = () => d.services.find((s) => s.proto === proto && (proto === "FWM" ? s.fwmark === fwmark : s.address === address && s.port === port));
    if (!addReal) {
      const p = opts.get("p") ?? opts.get("persistent");
      const svc: Service = { proto, address, port, scheduler: String(opts.get("s") ?? opts.get("scheduler") ?? "wlc"), flags: [], reals: [], line: no };
      if (fwmark !== undefined) svc.fwmark = fwmark;
      if (p !== undefined) {
        svc.flags.push("persistent");
        // `-p` alone means the default 300 s timeout.
        svc.persistentSeconds = p === true ? 300 : Number(p);
      }
      const b = opts.get("b") ?? opts.get("sched-flags");
      if (typeof b === "string") svc.flags.push(...b.split(","));
      if (opts.has("o") || opts.has("ops")) svc.flags.push("ops");
      d.services.push(svc);
      return;
    }
    const svc = find();
    if (!svc) {
      out.push({ kind: "skipped", line: no, reason: "real server for a virtual service not declared with -A", excerpt: excerpt(text) });
      return;
    }
    const r = opts.get("r") ?? opts.get("real-server");
    const hp = typeof r === "string" ? parseHostPort(r, false) ?? (/^[\d.]+$/.test(r) ? { address: r, port: svc.port } : null) : null;
    if (!hp) {
      out.push({ kind: "skipped", line: no, reason: "real server address not understood", excerpt: excerpt(text) });
      return;
    }
    // Forwarding defaults to direct routing (-g) in ipvsadm.
    const forward = opts.has("m") || opts.has("masquerading") ? "Masq" : opts.has("i") || opts.has("ipip") ? "Tunnel" : "Route";
    const w = opts.get("w") ?? opts.get("weight");
    svc.reals.push({ address: hp.address, port: hp.port, forward, weight: typeof w === "string" && /^\d+$/.test(w) ? Number(w) : 1, activeConns: 0, inactiveConns: 0 });
    d.warnings.add("ipvsadm-save has no connection counts; active/inactive connections reported as 0");
  }

  private statsRow(vals: string[], no: number): ParseItem[] {
    const names =
      this.statsMode === "totals"
        ? ["ipvs_connections_total", "ipvs_incoming_packets_total", "ipvs_outgoing_packets_total", "ipvs_incoming_bytes_total", "ipvs_outgoing_bytes_total"]
        : ["ipvs_connections_per_second", "ipvs_incoming_packets_per_second", "ipvs_outgoing_packets_per_second", "ipvs_incoming_bytes_per_second", "ipvs_outgoing_bytes_per_second"];
    this.statsMode = null;
    const out: ParseItem[] = [];
    const labels: Record<string, string> = {};
    if (this.ctx.node) labels.node = this.ctx.node;
    vals.forEach((v, i) => {
      const big = BigInt(`0x${v}`);
      const rec: CounterRecord = { kind: "counter", name: names[i]!, labels: { ...labels }, ts: this.ctx.captureTime ?? null, value: Number(big), prov: { line: no } };
      const warnings: string[] = [];
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) warnings.push("value above 2^53 rounded");
      if (rec.ts === null) warnings.push("capture time unknown");
      if (warnings.length) rec.warnings = warnings;
      out.push(rec);
    });
    return out;
  }

  finish(): ParseItem[] {
    const d = this.dump;
    this.dump = null;
    if (!d) return [];
    if (d.services.length === 0 && this.sawStats) return [];
    for (const { svc, raw } of d.fwmPending) svc.fwmark = d.hex ? Number.parseInt(raw, 16) : Number(raw);
    const warnings = [...d.warnings];
    const capturedAt = this.ctx.captureTime ?? null;
    if (capturedAt === null) warnings.push("capture time unknown (ipvsadm prints none and none was given)");
    const rec: IpvsRecord = { kind: "ipvs", capturedAt: capturedAt === null ? null : epochMs(capturedAt), services: d.services, prov: { line: d.firstLine, endLine: Math.max(d.firstLine, d.lastLine) } };
    if (this.ctx.node) rec.node = this.ctx.node;
    if (warnings.length) rec.warnings = warnings;
    return [rec];
  }
}

const SNIFF_LINES = 300;

function sniff(head: string, name: string): number {
  let version = false;
  let header = false;
  let realHeader = false;
  let services = 0;
  let reals = 0;
  let saveSvc = 0;
  let saveReal = 0;
  let statsHdr = 0;
  let start = 0;
  for (let n = 0; n < SNIFF_LINES && start < head.length; n++) {
    let end = head.indexOf("\n", start);
    if (end === -1) end = head.length;
    const line = head.slice(start, Math.min(end, start + 1024)).trim();
    start = end + 1;
    if (VERSION.test(line)) version = true;
    else if (SVC_HEADER.test(line)) header = true;
    else if (REAL_HEADER.test(line)) realHeader = true;
    else if (/^(?:TCP|UDP|SCTP)\s+[\w.:[\]]{3,64}:[0-9A-Fa-f]{1,5}(?:\s|$)/.test(line) || /^FWM\s+[0-9A-Fa-f]{1,10}\s+\w/.test(line)) services++;
    else if (/^->\s+[\w.:[\]]{3,64}:[0-9A-Fa-f]{1,5}\s+(?:Masq|Route|Tunnel|Local)\s/i.test(line)) reals++;
    else if (/^-A\s+-[tuf]\s+\S+\s+-s\s+\w+/.test(line)) saveSvc++;
    else if (/^-a\s+-[tuf]\s+\S+\s+-r\s+\S+/.test(line)) saveReal++;
    else if (/^Total\s+Incoming\s+Outgoing/.test(line) || /^Conns\s+Packets\s+Packets\s+Bytes\s+Bytes$/.test(line) || /^Conns\/s\s+Pkts\/s/.test(line)) statsHdr++;
  }
  if (version || (header && realHeader)) return 0.95;
  if (statsHdr >= 2) return 0.9;
  if (saveSvc > 0 && (saveReal > 0 || saveSvc >= 2)) return 0.9;
  if (saveSvc > 0) return 0.7;
  if ((header || realHeader) && (services > 0 || reals > 0)) return 0.9;
  if (services > 0 && reals > 0) return 0.8;
  if (/ip_vs/.test(name) && services > 0) return 0.6;
  return 0;
}

async function* parse(input: Readable, ctx: ParseContext): AsyncIterable<ParseItem> {
  const reader = new IpvsReader(ctx, /(?:^|\/)ip_vs$/.test(ctx.path));
  for await (const batch of readLineBatches(input)) {
    for (const line of batch) {
      const items = reader.push(line);
      if (items.length) yield* items;
    }
  }
  yield* reader.finish();
}

export const ipvsadmParser: Parser = {
  id: "ipvsadm",
  title: "ipvsadm -Ln / ipvsadm-save / /proc/net/ip_vs(_stats)",
  emits: ["ipvs", "counter"],
  sniff,
  parse,
  samples: [
    {
      // Real kind worker (networkop/tkng), trimmed.
      name: "nodes/kind-worker/ipvsadm-ln.txt",
      content: [
        "IP Virtual Server version 1.2.1 (size=4096)",
        "Prot LocalAddress:Port Scheduler Flags",
        "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
        "TCP  10.96.0.10:53 rr",
        "  -> 10.244.0.3:53                Masq    1      0          0",
        "  -> 10.244.0.4:53                Masq    1      0          0",
        "UDP  10.96.0.10:53 rr",
        "  -> 10.244.0.3:53                Masq    1      0          8",
        "  -> 10.244.0.4:53                Masq    1      0          8",
        "",
      ].join("\n"),
      expect: {
        records: 1, skipped: 0, kinds: { ipvs: 1 },
        fields: {
          0: {
            capturedAt: null,
            services: [
              { proto: "TCP", address: "10.96.0.10", port: 53, scheduler: "rr", line: 4, reals: [{ address: "10.244.0.3", port: 53, forward: "Masq", weight: 1, activeConns: 0, inactiveConns: 0 }, { address: "10.244.0.4", port: 53 }] },
              { proto: "UDP", address: "10.96.0.10", port: 53, scheduler: "rr", line: 7, reals: [{ address: "10.244.0.3", inactiveConns: 8 }, { address: "10.244.0.4", inactiveConns: 8 }] },
            ],
          },
        },
      },
    },
    {
      name: "ipvsadm-save-n.txt",
      content: ["-A -t 10.96.0.1:443 -s rr -p 10800", "-a -t 10.96.0.1:443 -r 10.0.3.4:6443 -m -w 1", "-A -u 10.96.0.10:53 -s rr", "-a -u 10.96.0.10:53 -r 10.244.1.33:53 -m -w 1", ""].join("\n"),
      expect: {
        records: 1, skipped: 0, kinds: { ipvs: 1 },
        fields: {
          // -t TCP, -u UDP, -p 10800 persistent, -m masquerading, -w weight
          0: {
            services: [
              { proto: "TCP", address: "10.96.0.1", port: 443, scheduler: "rr", flags: ["persistent"], persistentSeconds: 10800, reals: [{ address: "10.0.3.4", port: 6443, forward: "Masq", weight: 1 }] },
              { proto: "UDP", address: "10.96.0.10", port: 53, scheduler: "rr", reals: [{ address: "10.244.1.33", port: 53, forward: "Masq", weight: 1 }] },
            ],
          },
        },
      },
    },
    {
      // prometheus/node_exporter fixture proc/net/ip_vs_stats.
      name: "proc/net/ip_vs_stats",
      content: [
        "   Total Incoming Outgoing         Incoming         Outgoing",
        "   Conns  Packets  Packets            Bytes            Bytes",
        " 16AA370 E33656E5        0     51D8C8883AB3                0",
        "",
        " Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s",
        "       4    1FB3C        0          1282A8F                0",
        "",
      ].join("\n"),
      expect: {
        records: 10, skipped: 0, kinds: { counter: 10 },
        fields: {
          // hex totals (line 3) and rates (line 6)
          0: { name: "ipvs_connections_total", value: 0x16aa370, prov: { line: 3 } },
          1: { name: "ipvs_incoming_packets_total", value: 0xe33656e5 },
          3: { name: "ipvs_incoming_bytes_total", value: 0x51d8c8883ab3 },
          5: { name: "ipvs_connections_per_second", value: 4, prov: { line: 6 } },
          6: { name: "ipvs_incoming_packets_per_second", value: 0x1fb3c },
          8: { name: "ipvs_incoming_bytes_per_second", value: 0x1282a8f },
        },
      },
    },
  ],
};
