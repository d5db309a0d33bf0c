/**
 * Record builders for detector tests: each test builds the evidence an incident would leave, in code,
 * and runs it through analyzeRecords (correlation + detectors + ranking) exactly like the worker does.
 */
import type { EvidenceRecord, RequestRecord, Rule, SpanRecord, EventRecord, ObjectRecord, IpvsRecord, CounterRecord, RulesetRecord } from "@/lib/schemas/records";
import { epochMs, durationMs } from "@/lib/schemas/time";
import { analyzeRecords, type AnalyzeResult } from "@/lib/server/analysis/analyze";
import type { Detector } from "@/lib/server/detectors/types";
import { mulberry32 } from "@/lib/prng";

export const T0 = Date.UTC(2024, 9, 15, 14, 0, 0);

/** Deterministic PRNG so "noise" is the same on every run. */
export const prng = mulberry32;

let line = 0;
const prov = () => ({ line: ++line });

export function req(p: Partial<Omit<RequestRecord, "ts" | "durationMs" | "connectMs">> & { ts: number; durationMs: number; connectMs?: number }): RequestRecord {
  const { ts, durationMs: d, connectMs, ...rest } = p;
  return { kind: "request", source: "envoy", status: 200, prov: prov(), ...rest, ts: epochMs(ts), durationMs: durationMs(d), ...(connectMs !== undefined ? { connectMs: durationMs(connectMs) } : {}) };
}
export function span(p: Partial<Omit<SpanRecord, "ts" | "durationMs">> & { traceId: string; spanId: string; ts: number; durationMs: number }): SpanRecord {
  const { ts, durationMs: d, ...rest } = p;
  return { kind: "span", parentSpanId: null, service: "svc", name: "call", spanKind: "client", status: "ok", attrs: {}, prov: prov(), ...rest, ts: epochMs(ts), durationMs: durationMs(d) };
}
export function ev(p: Partial<Omit<EventRecord, "ts">> & { ts: number; text: string }): EventRecord {
  const { ts, ...rest } = p;
  return { kind: "event", source: "k8s", severity: "info", prov: prov(), ...rest, ts: epochMs(ts) };
}
export function pod(name: string, ip: string, extra: Partial<ObjectRecord> = {}): ObjectRecord {
  return { kind: "object", k8sKind: "Pod", name, namespace: "default", ips: [ip], labels: { app: name.split("-")[0]! }, prov: prov(), ...extra };
}
export function slice(service: string, ips: string[]): ObjectRecord {
  return { kind: "object", k8sKind: "EndpointSlice", name: `${service}-abcde`, namespace: "default", ips: [], labels: { "kubernetes.io/service-name": service }, service, endpoints: ips.map((ip) => ({ ip, ready: true })), prov: prov() };
}
export function ipvs(node: string, reals: string[], capturedAt = T0, vip = "10.96.0.50"): IpvsRecord {
  return {
    kind: "ipvs",
    node,
    capturedAt: epochMs(capturedAt),
    services: [{ proto: "TCP", address: vip, port: 80, scheduler: "rr", flags: [], line: 3, reals: reals.map((a) => ({ address: a, port: 8080, forward: "Masq", weight: 1, activeConns: 0, inactiveConns: 2 })) }],
    prov: { line: 1 },
  };
}
export function counter(name: string, value: number, ts: number, labels: Record<string, string> = {}): CounterRecord {
  return { kind: "counter", name, value, ts: epochMs(ts), labels, prov: prov() };
}

/** Parses `-A CHAIN … -j TARGET` into a Rule (enough of iptables-save for tests). */
export function rule(raw: string, position: number, lineNo: number): Rule {
  const tok = raw.match(/"[^"]*"|\S+/g) ?? [];
  const chain = tok[1]!;
  const matches: Rule["matches"] = [];
  const targetOptions: Rule["targetOptions"] = [];
  let module: string | undefined;
  let target: string | undefined;
  let comment: string | undefined;
  let inTarget = false;
  let neg = false;
  for (let i = 2; i < tok.length; i++) {
    const t = tok[i]!;
    if (t === "!") { neg = true; continue; }
    if (t === "-j" || t === "-g") { target = tok[++i]; inTarget = true; continue; }
    if (t === "-m") { module = tok[++i]; continue; }
    if (t.startsWith("-")) {
      const option = t.replace(/^-+/, "");
      const value = (tok[i + 1] ?? "").replace(/^"|"$/g, "");
      i++;
      if (inTarget) targetOptions.push({ option, value });
      else {
        const builtin = option.length === 1;
        matches.push({ ...(builtin ? {} : { module }), option, value, negated: neg });
        if (option === "comment") comment = value;
      }
      neg = false;
    }
  }
  return { chain, position, matches, target, targetOptions, comment, line: lineNo, raw };
}
/** A ruleset for one table from `-A` lines (positions per chain, lines from 10). */
export function ruleset(node: string, table: string, lines: string[], extra: Partial<RulesetRecord> = {}): RulesetRecord {
  const pos = new Map<string, number>();
  const rules = lines.map((l, i) => {
    const chain = l.split(/\s+/)[1]!;
    pos.set(chain, (pos.get(chain) ?? 0) + 1);
    return rule(l, pos.get(chain)!, 10 + i);
  });
  return { kind: "ruleset", node, capturedAt: epochMs(T0), family: "ipv4", backend: "nf_tables", tables: [{ name: table, chains: [], rules }], prov: { line: 1 }, ...extra };
}

/** Steady healthy traffic: rps requests/s for `seconds`, latency ~ 20–60 ms. */
export function healthyTraffic(opts: { start?: number; seconds: number; rps: number; seed?: number; node?: string; namespace?: string; destIp?: string; source?: string; connect?: boolean }): RequestRecord[] {
  const r = prng(opts.seed ?? 1);
  const out: RequestRecord[] = [];
  const start = opts.start ?? T0;
  for (let s = 0; s < opts.seconds; s++)
    for (let k = 0; k < opts.rps; k++)
      out.push(
        req({
          ts: start + s * 1000 + Math.floor(r() * 1000),
          durationMs: 20 + Math.floor(r() * 40),
          ...(opts.connect ? { connectMs: Math.floor(r() * 3) } : {}),
          source: opts.source ?? "envoy",
          dest: { ip: opts.destIp ?? `10.0.1.${1 + Math.floor(r() * 5)}`, port: 8080, node: opts.node, namespace: opts.namespace },
        }),
      );
  return out;
}

export interface FileRecords { path: string; records: EvidenceRecord[]; node?: string; format?: string }
export function run(files: FileRecords[], detectors?: readonly Detector[], skewOverrides?: Record<string, number>): Promise<AnalyzeResult> {
  const infos = files.map((f, i) => ({ fileId: `f${i}`, path: f.path, format: f.format ?? null, node: f.node }));
  function* gen() {
    for (let i = 0; i < files.length; i++) for (const record of files[i]!.records) yield { fileId: `f${i}`, record };
  }
  return analyzeRecords({ files: infos, records: gen(), detectors, skewOverrides });
}
export const top = (r: AnalyzeResult) => r.hypotheses[0];
export const byDetector = (r: AnalyzeResult, id: string) => r.hypotheses.find((h) => h.detector === id);
