import type { Attrs, EventRecord, Subject } from "@/lib/schemas/records";
import { type EpochMs, epochMs, parseIsoUtc } from "@/lib/schemas/time";
import { excerpt, readLineBatches, stripAnsi } from "./lines";
import { UTC_ZONE, type Zone, parseDateOnly, resolveZone, wallClockToUtc } from "./tz";
import type { ParseContext, ParseItem, Parser } from "./types";

/**
 * klog / glog lines from kube-proxy, kubelet and other Kubernetes components:
 *
 *   Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg
 *   E0819 03:14:07.123456       1 proxier.go:1234] "Failed to delete …" err="…" ip="10.244.3.7"
 *
 * optionally wrapped by the CRI log format (`<RFC3339Nano> stdout|stderr F|P <line>`) or the
 * Docker json-file driver. The header has no year and no zone: the CRI timestamp supplies both
 * when present, otherwise ctx.referenceDate / ctx.captureTime and ctx.timezone, with warnings.
 * See docs/parsers/klog.md.
 */

const KLOG = /^([IWEF])(\d{2})(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))? {1,32}(\d{1,10}) ([^\s:\]]{1,256}):(\d{1,7})\] ?(.*)$/s;
const CRI = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})) (stdout|stderr) ([FP]) (.*)$/s;

const SEVERITY: Record<string, EventRecord["severity"]> = { I: "info", W: "warning", E: "error", F: "critical" };

interface Unwrapped {
  text: string;
  writtenAt: EpochMs | null;
  stream?: string;
}

/** Removes the CRI / Docker json-file wrapper a container runtime adds around each line. */
function unwrap(line: string): Unwrapped {
  const m = CRI.exec(line);
  if (m) return { text: m[4]!, writtenAt: parseIsoUtc(m[1]), stream: m[2] };
  if (line.startsWith('{"log":')) {
    try {
      const j = JSON.parse(line) as { log?: unknown; time?: unknown; stream?: unknown };
      if (typeof j.log === "string") {
        return { text: j.log.replace(/\n$/, ""), writtenAt: typeof j.time === "string" ? parseIsoUtc(j.time) : null, ...(typeof j.stream === "string" ? { stream: j.stream } : {}) };
      }
    } catch {
      /* not docker json: fall through */
    }
  }
  return { text: line, writtenAt: null };
}

/**
 * Splits klog's structured tail: `"msg" key="quoted \"value\"" key2=bare key3=<nil>`.
 * One left-to-right pass, no backtracking. Returns the message and the pairs; for
 * unstructured (printf-style) messages it returns the whole text as the message.
 */
export function splitStructured(body: string): { msg: string; kv: Record<string, string> } {
  const kv: Record<string, string> = {};
  if (!body.startsWith('"')) return { msg: body, kv };
  const q = readQuoted(body, 0);
  if (!q) return { msg: body, kv };
  let i = q.end;
  while (i < body.length) {
    while (i < body.length && body[i] === " ") i++;
    const eq = body.indexOf("=", i);
    if (eq <= i) break;
    const key = body.slice(i, eq);
    if (!/^[A-Za-z_][\w.\-/]{0,127}$/.test(key)) break;
    i = eq + 1;
    if (body[i] === '"') {
      const v = readQuoted(body, i);
      if (!v) break;
      kv[key] = v.value;
      i = v.end;
    } else {
      let j = i;
      while (j < body.length && body[j] !== " ") j++;
      kv[key] = body.slice(i, j);
      i = j;
    }
  }
  return { msg: q.value, kv };
}

function readQuoted(s: string, start: number): { value: string; end: number } | null {
  let out = "";
  let i = start + 1;
  let seg = i;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 92 && i + 1 < s.length) {
      out += s.slice(seg, i);
      const n = s[i + 1]!;
      out += n === "n" ? "\n" : n === "t" ? "\t" : n;
      i += 2;
      seg = i;
      continue;
    }
    if (c === 34) return { value: out + s.slice(seg, i), end: i + 1 };
    i++;
  }
  return null;
}

/** IPVS-era kube-proxy (1.11–1.13 graceful termination) printf messages; see seed 002. */
function legacyIpvs(msg: string, attrs: Attrs, subject: Subject): string | undefined {
  let m: RegExpExecArray | null;
  // rs.String() = "<vip>:<port>/<proto>/<rip>:<port>"
  if ((m = /^(Trying to delete rs|Deleting rs|Not deleting, RS|Try delete rs|Failed to delete rs)[: ]\s*"?([0-9a-fA-F.:[\]]{2,64})\/(TCP|UDP|SCTP)\/([0-9a-fA-F.:[\]]{2,64})"?/.exec(msg))) {
    attrs.virtualServer = m[2]!;
    attrs.protocol = m[3]!;
    const rs = m[4]!.replace(/:$/, ""); // "Not deleting, RS a/TCP/b:8080: 0 ActiveConn"
    attrs.realServer = rs;
    subject.ip = hostOf(rs);
    return m[1]!.startsWith("Not deleting") ? "IPVSDeleteDeferred" : m[1]!.startsWith("Failed") ? "IPVSDeleteFailed" : "IPVSGracefulDelete";
  }
  if ((m = /^Failed to delete destination:? ?\{?([0-9a-fA-F.:[\]]{2,64})/.exec(msg))) {
    attrs.realServer = m[1]!;
    subject.ip = hostOf(m[1]!);
    const err = /error: (.{1,512})$/.exec(msg);
    if (err) attrs.err = err[1]!;
    return "IPVSDeleteFailed";
  }
  if (/^Failed to delete /.test(msg)) return "DeleteFailed";
  return undefined;
}

function hostOf(hostPort: string): string {
  if (hostPort.startsWith("[")) return hostPort.slice(1, hostPort.indexOf("]") > 0 ? hostPort.indexOf("]") : undefined);
  const colons = hostPort.split(":").length - 1;
  return colons === 1 ? hostPort.slice(0, hostPort.indexOf(":")) : hostPort;
}

function structuredSubject(kv: Record<string, string>, subject: Subject): void {
  const split = (v: string) => {
    const i = v.indexOf("/");
    return i > 0 ? { namespace: v.slice(0, i), name: v.slice(i + 1) } : { name: v };
  };
  if (kv.pod) {
    Object.assign(subject, split(kv.pod));
    subject.kind = "Pod";
  }
  if (kv.podUID) subject.uid = kv.podUID;
  if (kv.node) subject.node = kv.node;
  else if (kv.nodeName) subject.node = kv.nodeName;
  // servicePortName is "ns/svc:port-name": the service is the part before the port name.
  if (kv.service) subject.service = kv.service;
  else if (kv.servicePortName) subject.service = kv.servicePortName.replace(/:[^:/]*$/, "");
  const ip = kv.ip ?? kv.podIP ?? kv.IP ?? kv.address;
  if (ip) subject.ip = ip;
  else if (kv.endpoint) subject.ip = hostOf(kv.endpoint);
}

interface YearGuess {
  year: number | null;
  source: "reference" | "capture" | null;
}

async function* parse(input: Parameters<Parser["parse"]>[0], ctx: ParseContext): AsyncIterable<ParseItem> {
  const ctxZone: Zone | null = resolveZone(ctx.timezone);
  const ref = parseDateOnly(ctx.referenceDate);
  const captureYear = ctx.captureTime !== undefined && Number.isFinite(ctx.captureTime) ? new Date(ctx.captureTime).getUTCFullYear() : null;
  const guess: YearGuess = ref ? { year: ref.year, source: "reference" } : captureYear !== null ? { year: captureYear, source: "capture" } : { year: null, source: null };
  let warnedYear = false;
  let warnedZone = false;
  let warnedNoYear = false;
  let pending: EventRecord | null = null;

  for await (const batch of readLineBatches(input)) {
    const out: ParseItem[] = [];
    for (const line of batch) {
      const raw = line.text;
      if (raw.trim() === "") continue;
      const u = unwrap(stripAnsi(raw));
      const m = KLOG.exec(u.text);
      if (!m) {
        // Multi-line values (`key=<` blocks, stack traces) continue the previous record.
        if (pending && (/^[\s>]/.test(u.text) || u.text.startsWith("goroutine "))) {
          if (pending.text.length < 4096) pending.text += `\n${u.text.slice(0, 4096 - pending.text.length)}`;
          pending.prov.endLine = line.no;
          continue;
        }
        out.push({ kind: "skipped", line: line.no, reason: "not a klog line", excerpt: excerpt(raw) });
        continue;
      }
      if (pending) out.push(pending);
      const [, sev, mo, dd, hh, mi, ss, frac, thread, file, fileLine, body] = m;
      const month = Number(mo);
      const day = Number(dd);
      const ms = frac ? Number(`0.${frac}`) * 1000 : 0;
      const wall = { month, day, hour: Number(hh), minute: Number(mi), second: Number(ss), ms };
      const warnings: string[] = [];
      let ts: EpochMs | null = null;

      if (u.writtenAt !== null) {
        // The runtime's timestamp is UTC with a year: take the year from it (the klog line can be
        // from 31 Dec while the runtime wrote it on 1 Jan) and the zone from the difference.
        const w = new Date(u.writtenAt);
        let year = w.getUTCFullYear();
        if (month === 12 && w.getUTCMonth() === 0) year--;
        else if (month === 1 && w.getUTCMonth() === 11) year++;
        const asUtc = wallClockToUtc({ year, ...wall }, ctxZone ?? UTC_ZONE);
        if (asUtc !== null) {
          if (ctxZone) ts = asUtc;
          else {
            const asUtcNaive = wallClockToUtc({ year, ...wall }, UTC_ZONE)!;
            const offsetMin = Math.round((asUtcNaive - u.writtenAt) / 900000) * 15;
            ts = Math.abs(offsetMin) <= 14 * 60 ? epochMs(asUtcNaive - offsetMin * 60000) : epochMs(asUtcNaive);
          }
        }
      } else if (guess.year !== null) {
        let year = guess.year;
        // A December line in a January capture belongs to the previous year.
        if (guess.source === "capture" && ctx.captureTime !== undefined) {
          const probe = wallClockToUtc({ year, ...wall }, ctxZone ?? UTC_ZONE);
          if (probe !== null && probe > ctx.captureTime + 86400000) year--;
        }
        ts = wallClockToUtc({ year, ...wall }, ctxZone ?? UTC_ZONE);
        warnings.push(`year ${year} assumed from the ${guess.source === "reference" ? "reference date" : "capture time"}`);
        if (!warnedYear) {
          warnedYear = true;
          out.push({ kind: "warning", line: line.no, message: `klog lines have no year: ${year} assumed from the ${guess.source === "reference" ? "reference date" : "capture time"}` });
        }
        if (!ctxZone && !warnedZone) {
          warnedZone = true;
          out.push({ kind: "warning", line: line.no, message: ctx.timezone ? `unknown timezone ${JSON.stringify(ctx.timezone)}: klog times read as UTC` : "klog times have no zone: UTC assumed (set timezone in the manifest if the node logs local time)" });
        }
        if (!ctxZone) warnings.push("timezone UTC assumed");
      } else {
        warnings.push("year unknown (no reference date or capture time): ts left empty");
        if (!warnedNoYear) {
          warnedNoYear = true;
          out.push({ kind: "warning", line: line.no, message: "klog lines have no year and neither a reference date nor a capture time is known: timestamps left empty (klog time kept in attrs.klogTime)" });
        }
      }
      if (ts === null && (u.writtenAt !== null || guess.year !== null)) warnings.push("impossible klog date");

      const { msg, kv } = splitStructured(body ?? "");
      const attrs: Attrs = { klogTime: `${mo}${dd} ${hh}:${mi}:${ss}${frac ? `.${frac}` : ""}`, thread: Number(thread), file: file!, fileLine: Number(fileLine) };
      if (u.stream) attrs.stream = u.stream;
      if (ctx.node) attrs.loggedOn = ctx.node;
      const subject: Subject = {};
      for (const [k, v] of Object.entries(kv)) if (!(k in attrs)) attrs[k] = v.length > 2048 ? v.slice(0, 2048) : v;
      structuredSubject(kv, subject);
      let reason = legacyIpvs(msg, attrs, subject);
      if (!reason && Object.keys(kv).length > 0 && /^Failed to delete/.test(msg)) reason = "DeleteFailed";
      const rec: EventRecord = {
        kind: "event",
        ts,
        source: "klog",
        severity: SEVERITY[sev!]!,
        text: msg,
        attrs,
        prov: { line: line.no, offset: line.offset },
      };
      if (reason) rec.reason = reason;
      if (Object.keys(subject).length > 0) rec.subject = subject;
      if (warnings.length > 0) rec.warnings = warnings;
      pending = rec;
    }
    if (out.length > 0) yield* out;
  }
  if (pending) yield pending;
}

const HEADER_TEST = /^(?:\S+ (?:stdout|stderr) [FP] )?[IWEF]\d{4} \d{2}:\d{2}:\d{2}(?:\.\d{1,9})? +\d+ [^\s:\]]+:\d+\] /;

function sniff(head: string): number {
  const lines = head.split("\n", 60).filter((l) => l.trim() !== "");
  if (lines.length === 0) return 0;
  let hits = 0;
  for (const l of lines) {
    let t = l;
    if (t.startsWith('{"log":"')) t = t.slice(8);
    if (HEADER_TEST.test(t)) hits++;
  }
  const ratio = hits / lines.length;
  if (hits >= 1 && ratio >= 0.5) return 0.9;
  if (hits >= 3 && ratio >= 0.2) return 0.6;
  return 0;
}

const KUBE_PROXY = `E0819 03:14:07.123456       1 proxier.go:1234] "Failed to delete endpoint connections" err="error deleting conntrack entries for udp peer {10.96.0.10, 10.244.3.7}" servicePortName="kube-system/kube-dns:dns" ip="10.244.3.7"
I0819 03:14:08.000001       1 graceful_termination.go:160] Trying to delete rs: 10.96.0.10:53/UDP/10.244.3.7:53
W0819 03:14:09.500000       1 proxier.go:1001] "Stale endpoint" endpoint="10.244.3.7:53"
`;

const CRI_KUBELET = `2024-10-15T14:02:17.123456789Z stderr F I1015 14:02:17.123000    2201 prober.go:107] "Probe failed" probeType="Readiness" pod="demo/go-httpbin-7d9c5b7f4-x2k8p" podUID="0b6f3c2e" containerName="go-httpbin" probeResult="failure" output="Get \\"http://10.244.3.7:8080/status/200\\": dial tcp 10.244.3.7:8080: connect: connection refused"
2024-10-15T14:02:18.000000000Z stderr F E1015 14:02:18.000000    2201 kuberuntime_container.go:750] "Kill container failed" pod="demo/go-httpbin-7d9c5b7f4-x2k8p" containerName="go-httpbin"
`;

export const klogParser: Parser = {
  id: "klog",
  title: "klog / glog lines (kube-proxy, kubelet; plain or CRI-wrapped)",
  emits: ["event"],
  sniff,
  parse,
  samples: [
    {
      name: "nodes/worker-1/kube-proxy.log",
      content: KUBE_PROXY,
      expect: {
        records: 3, skipped: 0, kinds: { event: 3 },
        fields: {
          // klog has no year: ts left empty, the klog time kept
          0: {
            ts: null, severity: "error", text: "Failed to delete endpoint connections",
            attrs: { klogTime: "0819 03:14:07.123456", file: "proxier.go", fileLine: 1234, err: "error deleting conntrack entries for udp peer {10.96.0.10, 10.244.3.7}", servicePortName: "kube-system/kube-dns:dns", ip: "10.244.3.7" },
          },
          1: { ts: null, severity: "info", text: "Trying to delete rs: 10.96.0.10:53/UDP/10.244.3.7:53", attrs: { file: "graceful_termination.go", fileLine: 160 }, prov: { line: 2 } },
          2: { ts: null, severity: "warning", text: "Stale endpoint", attrs: { endpoint: "10.244.3.7:53" } },
        },
      },
    },
    {
      name: "pods/kubelet.log",
      content: CRI_KUBELET,
      expect: {
        records: 2, skipped: 0, kinds: { event: 2 },
        fields: {
          // the klog time (14:02:17.123000), the year from the CRI wrapper's timestamp
          0: {
            ts: "2024-10-15T14:02:17.123Z", severity: "info", text: "Probe failed",
            attrs: { thread: 2201, file: "prober.go", fileLine: 107, probeType: "Readiness", pod: "demo/go-httpbin-7d9c5b7f4-x2k8p", containerName: "go-httpbin", probeResult: "failure" },
            subject: { kind: "Pod", namespace: "demo", name: "go-httpbin-7d9c5b7f4-x2k8p" },
          },
          1: { ts: "2024-10-15T14:02:18Z", severity: "error", text: "Kill container failed", attrs: { file: "kuberuntime_container.go", fileLine: 750 }, prov: { line: 2 } },
        },
      },
    },
  ],
};
