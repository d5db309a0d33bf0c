import type { Readable } from "node:stream";
import type { CounterRecord } from "@/lib/schemas/records";
import type { EpochMs } from "@/lib/schemas/time";
import { excerpt, readLineBatches, type Line } from "./lines";
import type { ParseContext, ParseItem, Parser } from "./types";
import { parseCtime, parseIsoWall, resolveWallClock, type ResolvedTime } from "./iptables/time";

/**
 * procfs header names and old conntrack-tools names mapped to the netlink names conntrack -S
 * prints as root, so both variants give one series per counter:
 *   icmp_error ↔ error, clashres ↔ clash_resolve, chainlength ↔ chaintoolong (kernel ≥ 5.15).
 */
const KEY_ALIASES: Record<string, string> = { icmp_error: "error", clashres: "clash_resolve", chainlength: "chaintoolong" };
const canonKey = (k: string) => KEY_ALIASES[k] ?? k;

const MAX_LINE = 8 * 1024;
const CPU_LINE = /^cpu=(\d{1,5})\s+(.*)$/;
const PAIR = /^([a-z_][a-z0-9_]{0,40})=(\d{1,20})$/;
const PROC_HEADER = /^entries\s+(?:searched|clashres)\s+found\s+new\s+invalid\b/;
const HEX_ROW = /^[0-9a-fA-F]{8}(?:\s+[0-9a-fA-F]{8}){3,40}$/;
const SEPARATOR = /^(?:-{2,}|#|==+|>+)\s*(.*?)\s*(?:-{2,}|==+)?$/;

interface Row {
  cpu: string;
  values: [string, number][];
  line: number;
}
interface Snapshot {
  rows: Row[];
  ts: ResolvedTime | null;
  /** Line of the date separator that opened it. */
  line?: number;
}

/**
 * conntrack -S and /proc/net/stat/nf_conntrack, possibly several snapshots per file:
 *
 *   Tue Aug 13 10:00:01 UTC 2019     ← date(1) output: opens snapshot 1 at 10:00:01
 *   cpu=0 found=… insert_failed=…    ← one row per CPU
 *   cpu=1 …
 *   --- 2019-08-13T10:01:01Z         ← snapshot 2
 *   cpu=0 …                          (a repeated cpu=0 or procfs header also starts a new one)
 *
 * Each snapshot is emitted when the next one starts (or at EOF) as one counter per (key, cpu),
 * plus the global `entries` once with cpu="all".
 */
class ConntrackReader {
  private snap: Snapshot = { rows: [], ts: null };
  private header: string[] | null = null;
  private snapshots = 0;
  private pendingTime: { ts: ResolvedTime; line: number } | null = null;
  constructor(private readonly ctx: ParseContext) {}

  push(line: Line): ParseItem[] {
    const out: ParseItem[] = [];
    const text = line.text.trim();
    if (text === "") return out;
    const skip = (reason: string) => out.push({ kind: "skipped", line: line.no, reason, excerpt: excerpt(text) });
    // conntrack -S lines are ~300 characters, procfs rows ~170: longer is hostile or corrupt.
    if (line.truncated || text.length > MAX_LINE) return skip("line too long for conntrack statistics; not parsed"), out;

    const cpu = CPU_LINE.exec(text);
    if (cpu) {
      if (this.snap.rows.some((r) => r.cpu === cpu[1])) out.push(...this.flush());
      this.openIfTimed();
      const values: [string, number][] = [];
      const bad: string[] = [];
      for (const tok of cpu[2]!.split(/\s+/)) {
        const m = PAIR.exec(tok);
        if (m) values.push([canonKey(m[1]!), Number(m[2])]);
        else if (tok) bad.push(tok);
      }
      if (values.length === 0) return skip("cpu= line without key=value counters"), out;
      // conntrack -S prints ≤ ~20 keys; hundreds mean this is not its output (and would flood records).
      if (values.length > 64) return skip(`cpu= line with ${values.length} counters is not conntrack -S output`), out;
      if (bad.length) out.push({ kind: "warning", line: line.no, message: `ignored malformed conntrack -S fields: ${excerpt(bad.join(" "), 80)}` });
      this.snap.rows.push({ cpu: cpu[1]!, values, line: line.no });
      return out;
    }
    if (PROC_HEADER.test(text)) {
      if (this.snap.rows.length) out.push(...this.flush());
      this.openIfTimed();
      this.header = text.split(/\s+/).map(canonKey);
      return out;
    }
    if (HEX_ROW.test(text)) {
      if (!this.header) return skip("hex counter row before the /proc/net/stat/nf_conntrack header"), out;
      const cols = text.split(/\s+/);
      if (cols.length !== this.header.length) return skip(`expected ${this.header.length} columns (header), got ${cols.length}`), out;
      this.openIfTimed();
      // Rows are one per possible CPU in order, so the row index is the CPU number.
      const cpuNo = this.snap.rows.filter((r) => r.cpu !== "all").length;
      this.snap.rows.push({ cpu: String(cpuNo), values: cols.map((v, i) => [this.header![i]!, Number.parseInt(v, 16)]), line: line.no });
      return out;
    }
    const ts = this.timeOf(text);
    if (ts) {
      if (this.snap.rows.length) out.push(...this.flush());
      this.pendingTime = { ts, line: line.no };
      return out;
    }
    if (/^\d+$/.test(text)) return skip("lone number (nf_conntrack_count/max?) is not conntrack -S output"), out;
    if (/^(?:\$|#)\s|^conntrack\s+-S|^cat\s+\/proc/.test(text)) return skip("shell prompt or command line"), out;
    skip("not a conntrack statistics line");
    return out;
  }

  private openIfTimed(): void {
    if (this.pendingTime && this.snap.rows.length === 0) {
      this.snap.ts = this.pendingTime.ts;
      this.snap.line = this.pendingTime.line;
      this.pendingTime = null;
    }
  }

  private timeOf(text: string): ResolvedTime | null {
    let t = text;
    const sep = SEPARATOR.exec(t);
    if (sep && sep[1]) t = sep[1];
    if (t.length > 64) return null;
    const iso = parseIsoWall(t, this.ctx, "snapshot time");
    if (iso) return iso;
    if (/^\d{10}(?:\.\d+)?$/.test(t)) return { ts: (Number(t) * 1000) as EpochMs, warnings: [] };
    const wall = parseCtime(t);
    return wall ? resolveWallClock(wall, this.ctx, "snapshot time") : null;
  }

  flush(last = false): ParseItem[] {
    const snap = this.snap;
    this.snap = { rows: [], ts: null };
    if (snap.rows.length === 0) return [];
    this.snapshots++;
    const out: ParseItem[] = [];
    let ts: EpochMs | null = snap.ts?.ts ?? null;
    const recWarnings: string[] = [...(snap.ts?.warnings ?? [])];
    for (const w of snap.ts?.warnings ?? []) out.push({ kind: "warning", message: w, line: snap.line });
    if (!snap.ts) {
      // Only the last snapshot can be the moment the file was captured.
      if (last && this.ctx.captureTime !== undefined) ts = this.ctx.captureTime;
      else {
        const msg = `conntrack snapshot ${this.snapshots} has no timestamp${last ? " and no capture time was given" : ""}; ts left null`;
        recWarnings.push(msg);
        out.push({ kind: "warning", message: msg, line: snap.rows[0]!.line });
      }
    }
    const base = (name: string, cpu: string, value: number, line: number): CounterRecord => {
      const labels: Record<string, string> = { cpu };
      if (this.ctx.node) labels.node = this.ctx.node;
      const r: CounterRecord = { kind: "counter", name: `conntrack_${name}`, labels, ts, value, prov: { line } };
      if (recWarnings.length) r.warnings = [...recWarnings];
      return r;
    };
    let entries: { value: number; line: number; differs: number[] } | null = null;
    for (const row of snap.rows) {
      for (const [k, v] of row.values) {
        if (k === "entries") {
          // Global table size repeated on every CPU row: summing it would multiply it by #CPUs.
          if (!entries) entries = { value: v, line: row.line, differs: [] };
          else if (v !== entries.value) entries.differs.push(v);
          continue;
        }
        out.push(base(k, row.cpu, v, row.line));
      }
    }
    if (entries) {
      const r = base("entries", "all", entries.value, entries.line);
      if (entries.differs.length) r.warnings = [...(r.warnings ?? []), `entries differs across CPU rows (${[entries.value, ...entries.differs].slice(0, 8).join(", ")}); kept the first row's value`];
      out.push(r);
    }
    return out;
  }
}

/**
 * /proc/sys/net/netfilter/nf_conntrack_count and _max are a single number each; only the file
 * name says what it is, so they are claimed by name + content together (count vs max tells how
 * close the table is to full).
 */
const GAUGE_FILE = /(?:^|[/_.-])nf_conntrack_(count|max)(?:\.txt)?$/;
const SINGLE_NUMBER = /^\s*\d{1,15}\s*$/;

function sniff(head: string, name = ""): number {
  if (GAUGE_FILE.test(name) && SINGLE_NUMBER.test(head)) return 0.9;
  let cpuLines = 0;
  let procHeader = false;
  let hexRows = 0;
  let start = 0;
  for (let n = 0; n < 200 && start < head.length; n++) {
    let end = head.indexOf("\n", start);
    if (end === -1) end = head.length;
    const line = head.slice(start, Math.min(end, start + 2048)).trim();
    start = end + 1;
    if (/^cpu=\d{1,5}\s+[a-z_]{2,30}=\d/.test(line) && /\b(?:found|invalid|insert_failed|drop|early_drop|search_restart|entries)=\d/.test(line)) cpuLines++;
    else if (PROC_HEADER.test(line)) procHeader = true;
    else if (HEX_ROW.test(line)) hexRows++;
  }
  if (procHeader && hexRows > 0) return 0.95;
  if (procHeader) return 0.8;
  if (cpuLines > 0) return 0.95;
  return 0;
}

async function* parse(input: Readable, ctx: ParseContext): AsyncIterable<ParseItem> {
  const gauge = GAUGE_FILE.exec(ctx.path);
  if (gauge) {
    // A single number; read at most a few lines.
    for await (const batch of readLineBatches(input, 4096)) {
      for (const line of batch) {
        if (!SINGLE_NUMBER.test(line.text)) {
          if (line.text.trim()) yield { kind: "skipped", line: line.no, reason: `expected a single number in nf_conntrack_${gauge[1]}`, excerpt: line.text.slice(0, 200) };
          continue;
        }
        const labels: Record<string, string> = ctx.node ? { node: ctx.node } : {};
        if (ctx.captureTime === undefined) yield { kind: "warning", message: `nf_conntrack_${gauge[1]} has no capture time; ts left null`, line: line.no };
        yield { kind: "counter", name: `conntrack_${gauge[1]}`, labels, ts: ctx.captureTime ?? null, value: Number(line.text.trim()), prov: { line: line.no } };
        return;
      }
    }
    return;
  }
  const reader = new ConntrackReader(ctx);
  for await (const batch of readLineBatches(input)) {
    for (const line of batch) {
      const items = reader.push(line);
      if (items.length) yield* items;
    }
  }
  yield* reader.flush(true);
}

export const conntrackStatsParser: Parser = {
  id: "conntrack-stats",
  title: "conntrack -S / /proc/net/stat/nf_conntrack",
  emits: ["counter"],
  sniff,
  parse,
  samples: [
    {
      // DataDog integrations-core mock of conntrack -S (older kernel: ignore=).
      name: "nodes/ip-10-0-3-17/conntrack-S.txt",
      content:
        "cpu=0 found=27644 invalid=19060 ignore=485633411 insert=0 insert_failed=1 drop=1 early_drop=0 error=0 search_restart=39936711\n" +
        "cpu=1 found=21960 invalid=17288 ignore=475938848 insert=0 insert_failed=1 drop=1 early_drop=0 error=0 search_restart=36983181",
      expect: {
        records: 18, skipped: 0, kinds: { counter: 18 },
        fields: {
          // cpu=0 found=27644 … insert_failed=1 …; cpu=1 … ignore=475938848 … search_restart=36983181
          0: { name: "conntrack_found", labels: { cpu: "0" }, value: 27644, ts: null, prov: { line: 1 } },
          4: { name: "conntrack_insert_failed", labels: { cpu: "0" }, value: 1 },
          11: { name: "conntrack_ignore", labels: { cpu: "1" }, value: 475938848, prov: { line: 2 } },
          17: { name: "conntrack_search_restart", labels: { cpu: "1" }, value: 36983181 },
        },
      },
    },
    {
      // node_exporter fixture proc/net/stat/nf_conntrack (2 of 4 CPU rows).
      name: "proc/net/stat/nf_conntrack",
      content: [
        "entries  searched found new invalid ignore delete delete_list insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart",
        "00000021  00000000 00000000 00000000 00000003 0000588a 00000000 00000000 00000000 00000000 00000000 00000000 00000000  00000000 00000000 00000000 00000000",
        "00000021  00000000 00000000 00000000 00000002 000056a4 00000000 00000000 00000000 00000000 00000000 00000000 00000000  00000000 00000000 00000000 00000002",
        "",
      ].join("\n"),
      // 16 per-cpu columns × 2 rows + entries once.
      expect: {
        records: 33, skipped: 0, kinds: { counter: 33 },
        fields: {
          // hex columns under the header; icmp_error is conntrack -S's error; entries is global
          3: { name: "conntrack_invalid", labels: { cpu: "0" }, value: 3, prov: { line: 2 } },
          4: { name: "conntrack_ignore", labels: { cpu: "0" }, value: 0x588a },
          11: { name: "conntrack_error", labels: { cpu: "0" }, value: 0 },
          20: { name: "conntrack_ignore", labels: { cpu: "1" }, value: 0x56a4, prov: { line: 3 } },
          31: { name: "conntrack_search_restart", labels: { cpu: "1" }, value: 2 },
          32: { name: "conntrack_entries", labels: { cpu: "all" }, value: 0x21 },
        },
      },
    },
    {
      // node_exporter fixture proc/sys/net/netfilter/nf_conntrack_count: one number, named by the file.
      name: "proc/sys/net/netfilter/nf_conntrack_count",
      content: "123\n",
      expect: {
        records: 1, skipped: 0, kinds: { counter: 1 },
        fields: {
          0: { name: "conntrack_count", value: 123, ts: null, prov: { line: 1 } },
        },
      },
    },
  ],
};
