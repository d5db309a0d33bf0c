/**
 * Deterministic generator for detector scenario bundles (tests/fixtures/scenarios/<name>/).
 *
 *   node --import tsx scripts/gen-scenarios.ts
 *
 * Each scenario is what an incident commander would collect for one of the seed incidents
 * (../shared/seeds), in the tools' real output formats: iptables-save -c, Envoy (Istio TEXT and
 * JSON) and ztunnel access logs, nginx with upstream timings, kubectl get … -o json/yaml,
 * ipvsadm -Ln per node, conntrack -S snapshots, OTLP/JSON and X-Ray BatchGetTraces, kube-proxy
 * klog, a hand-written timeline.md and a bundle.yaml manifest. `expect.json` says which detector
 * must rank first (and cite which file), which must not fire, and which parser must claim each file.
 * A seeded PRNG makes every run byte-identical; keep each scenario < 1 MB.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "..", "tests", "fixtures", "scenarios");

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const hex = (r: Rand, n: number) => Array.from({ length: n }, () => "0123456789abcdef"[Math.floor(r() * 16)]).join("");
const uuid = (r: Rand) => `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-${pick(r, ["8", "9", "a", "b"])}${hex(r, 3)}-${hex(r, 12)}`;
const isoMs = (t: number) => new Date(t).toISOString();
const isoUs = (t: number, r: Rand) => new Date(t).toISOString().replace("Z", `${String(int(r, 0, 999)).padStart(3, "0")}Z`);
const isoS = (t: number) => new Date(Math.floor(t / 1000) * 1000).toISOString().replace(".000Z", "Z");
const ctime = (t: number) => {
  const d = new Date(t);
  const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const mons = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const p = (n: number) => String(n).padStart(2, "0");
  return `${days[d.getUTCDay()]} ${mons[d.getUTCMonth()]} ${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
};

interface Expect {
  description: string;
  seed: string | null;
  /** Detector that must rank first with confidence ≥ 0.5, or null: nothing may reach 0.5. */
  top: string | null;
  /** A file the top hypothesis must cite. */
  topEvidenceFile?: string;
  /** Must also produce a hypothesis (any rank, any confidence). */
  alsoFires?: string[];
  /** Must not produce a hypothesis at ≥ 0.5. */
  mustNotFire: string[];
  /** path → parser id that must claim it (the scenario test skips until these parsers land). */
  formats: Record<string, string>;
  /**
   * Figures the named detectors must report: an exact JSON value, {min,max}, {each:{min,max}} for
   * number arrays, or {match: regex}. `skew` (path → {min,max}) checks applied clock-skew corrections.
   */
  facts?: Record<string, Record<string, unknown>>;
  skew?: Record<string, { min: number; max: number }>;
}

class Bundle {
  readonly files = new Map<string, string>();
  constructor(readonly name: string) {}
  add(p: string, content: string): void {
    this.files.set(p, content);
  }
  write(expect: Expect): void {
    const dir = path.join(ROOT, this.name);
    rmSync(dir, { recursive: true, force: true });
    let total = 0;
    for (const [p, c] of this.files) {
      mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
      writeFileSync(path.join(dir, p), c);
      total += Buffer.byteLength(c);
    }
    writeFileSync(path.join(dir, "expect.json"), `${JSON.stringify(expect, null, 2)}\n`);
    if (total > 1_000_000) throw new Error(`${this.name} is ${total} bytes (> 1 MB)`);
    console.log(`${this.name}: ${this.files.size} files, ${total} bytes`);
  }
}

// ───────────────────────────── format writers ─────────────────────────────

/** Istio default TEXT access-log format (22 fields). */
function envoyText(o: {
  start: number;
  method: string;
  path: string;
  status: number;
  flags?: string;
  details: string;
  utfr?: string;
  recv?: number;
  sent: number;
  duration: number;
  upstreamTime?: number | null;
  ua: string;
  reqId: string;
  authority: string;
  upstreamHost: string;
  cluster: string;
  upLocal: string;
  downLocal: string;
  downRemote: string;
  route?: string;
}): string {
  return `[${isoMs(o.start)}] "${o.method} ${o.path} HTTP/1.1" ${o.status} ${o.flags ?? "-"} ${o.details} - "${o.utfr ?? "-"}" ${o.recv ?? 0} ${o.sent} ${o.duration} ${o.upstreamTime ?? "-"} "-" "${o.ua}" "${o.reqId}" "${o.authority}" "${o.upstreamHost}" ${o.cluster} ${o.upLocal} ${o.downLocal} ${o.downRemote} - ${o.route ?? "default"}`;
}

function iptablesSave(o: { at: number; tables: { name: string; chains: [string, string][]; rules: string[] }[] }, r: Rand): string {
  const out = [`# Generated by iptables-save v1.8.9 (nf_tables) on ${ctime(o.at)}`];
  for (const t of o.tables) {
    out.push(`*${t.name}`);
    for (const [c, pol] of t.chains) out.push(`:${c} ${pol} [${pol === "-" ? 0 : int(r, 1000, 90000)}:${pol === "-" ? 0 : int(r, 100000, 9000000)}]`);
    for (const rule of t.rules) out.push(rule);
    out.push("COMMIT", `# Completed on ${ctime(o.at)}`);
  }
  return `${out.join("\n")}\n`;
}
/** `[pkts:bytes] -A …` as printed by iptables-save -c. */
const c = (pk: number, rule: string) => `[${pk}:${pk * 60 + (pk ? 40 : 0)}] ${rule}`;

function k8sEventList(items: object[]): string {
  return `${JSON.stringify({ apiVersion: "v1", kind: "List", items, metadata: { resourceVersion: "" } }, null, 4)}\n`;
}
function k8sEvent(r: Rand, o: { ns: string; kind: string; name: string; uid?: string; reason: string; message: string; type?: string; ts: number; first?: number; count?: number; component: string; host?: string; fieldPath?: string }): object {
  const id = hex(r, 16);
  return {
    apiVersion: "v1",
    count: o.count ?? 1,
    eventTime: null,
    firstTimestamp: isoS(o.first ?? o.ts),
    involvedObject: { apiVersion: o.kind === "Node" ? "v1" : "v1", kind: o.kind, name: o.name, namespace: o.kind === "Node" ? undefined : o.ns, uid: o.uid ?? uuid(r), ...(o.fieldPath ? { fieldPath: o.fieldPath } : {}) },
    kind: "Event",
    lastTimestamp: isoS(o.ts),
    message: o.message,
    metadata: { creationTimestamp: isoS(o.first ?? o.ts), name: `${o.name}.${id}`, namespace: o.kind === "Node" ? "default" : o.ns, resourceVersion: String(int(r, 100000, 999999)), uid: uuid(r) },
    reason: o.reason,
    reportingComponent: o.component,
    reportingInstance: o.host ?? "",
    source: { component: o.component, ...(o.host ? { host: o.host } : {}) },
    type: o.type ?? "Normal",
  };
}

function podYaml(o: { name: string; ns: string; ip: string; node: string; app: string; hash: string; created: number; deleted?: number; labels?: Record<string, string>; phase?: string; uid: string }): string {
  const labels = { app: o.app, "pod-template-hash": o.hash, ...(o.labels ?? {}) };
  return [
    "- apiVersion: v1",
    "  kind: Pod",
    "  metadata:",
    `    creationTimestamp: "${isoS(o.created)}"`,
    ...(o.deleted ? [`    deletionGracePeriodSeconds: 30`, `    deletionTimestamp: "${isoS(o.deleted)}"`] : []),
    `    generateName: ${o.app}-${o.hash}-`,
    "    labels:",
    ...Object.entries(labels).map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`),
    `    name: ${o.name}`,
    `    namespace: ${o.ns}`,
    "    ownerReferences:",
    "    - apiVersion: apps/v1",
    "      blockOwnerDeletion: true",
    "      controller: true",
    "      kind: ReplicaSet",
    `      name: ${o.app}-${o.hash}`,
    `      uid: ${o.uid}-rs`,
    `    uid: ${o.uid}`,
    "  spec:",
    "    containers:",
    `    - image: ${o.app === "go-httpbin" ? "mccutchen/go-httpbin:v2.15.0" : `registry.example.com/${o.app}:1.4.2`}`,
    `      name: ${o.app}`,
    "      ports:",
    "      - containerPort: 8080",
    "        protocol: TCP",
    `    nodeName: ${o.node}`,
    "    terminationGracePeriodSeconds: 30",
    "  status:",
    `    phase: ${o.phase ?? "Running"}`,
    `    hostIP: 10.0.${int(prng(o.ip.length), 1, 3)}.${10 + o.node.length}`,
    `    podIP: ${o.ip}`,
    "    podIPs:",
    `    - ip: ${o.ip}`,
    `    startTime: "${isoS(o.created)}"`,
  ].join("\n");
}
const podList = (pods: string[]) => `apiVersion: v1\nitems:\n${pods.join("\n")}\nkind: List\nmetadata:\n  resourceVersion: ""\n`;

function otlpSpan(o: { traceId: string; spanId: string; parent?: string; name: string; kind: number; start: number; end: number; attrs: Record<string, string | number>; error?: string }): object {
  const ns = (ms: number) => `${Math.round(ms * 1000)}000`;
  return {
    traceId: o.traceId,
    spanId: o.spanId,
    ...(o.parent ? { parentSpanId: o.parent } : { parentSpanId: "" }),
    name: o.name,
    kind: o.kind,
    startTimeUnixNano: ns(o.start),
    endTimeUnixNano: ns(o.end),
    attributes: Object.entries(o.attrs).map(([key, v]) => ({ key, value: typeof v === "number" ? { intValue: String(v) } : { stringValue: v } })),
    status: o.error ? { code: 2, message: o.error } : {},
  };
}
function otlpDoc(byService: Map<string, object[]>): string {
  return `${JSON.stringify({
    resourceSpans: [...byService.entries()].map(([svc, spans]) => ({
      resource: { attributes: [{ key: "service.name", value: { stringValue: svc } }, { key: "k8s.namespace.name", value: { stringValue: "shop-canary" } }] },
      scopeSpans: [{ scope: { name: "io.opentelemetry.contrib.envoy", version: "1.21.2" }, spans }],
    })),
  })}\n`;
}

function timelineMd(title: string, dateLine: string, entries: string[]): string {
  return `# ${title}\n\n${dateLine}\n\n## Incident Timeline (All Times UTC)\n\n${entries.map((e) => `- ${e}`).join("\n")}\n`;
}

// ───────────────────────────── shared iptables content ─────────────────────────────

const FILTER_CHAINS: [string, string][] = [
  ["INPUT", "ACCEPT"], ["FORWARD", "ACCEPT"], ["OUTPUT", "ACCEPT"], ["KUBE-EXTERNAL-SERVICES", "-"], ["KUBE-FIREWALL", "-"], ["KUBE-FORWARD", "-"],
  ["KUBE-KUBELET-CANARY", "-"], ["KUBE-NODEPORTS", "-"], ["KUBE-PROXY-CANARY", "-"], ["KUBE-PROXY-FIREWALL", "-"], ["KUBE-SERVICES", "-"],
];
function filterRules(r: Rand, order: "safe" | "regressed", traffic: { meshPkts: number; rejectPkts: number }): string[] {
  const head = [
    c(int(r, 900, 5000), '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL'),
    c(int(r, 100000, 900000), '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS'),
    c(int(r, 900, 5000), '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES'),
    c(int(r, 100000, 900000), "-A INPUT -j KUBE-FIREWALL"),
    c(int(r, 900, 5000), '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL'),
    c(int(r, 10000, 90000), '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD'),
    c(int(r, 900, 5000), '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES'),
    c(int(r, 900, 5000), '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES'),
    c(int(r, 100000, 900000), "-A OUTPUT -j KUBE-FIREWALL"),
    c(0, '-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP'),
    c(int(r, 0, 20), "-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP"),
    c(int(r, 100, 900), '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT'),
    c(int(r, 1000, 9000), '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT'),
    c(0, '-A KUBE-SERVICES -d 10.96.114.9/32 -p tcp -m comment --comment "shop-canary/legacy-reports:http has no endpoints" -m tcp --dport 8080 -j REJECT --reject-with icmp-port-unreachable'),
  ];
  const mesh = [
    c(traffic.meshPkts, '-A KUBE-SERVICES -p tcp -m tcp --dport 15001 -m comment --comment "istio-system/istio-sidecar: outbound capture" -j ACCEPT'),
    c(traffic.meshPkts * 2, '-A KUBE-SERVICES -p tcp -m tcp --dport 15006 -m comment --comment "istio-system/istio-sidecar: inbound capture" -j ACCEPT'),
    c(Math.floor(traffic.meshPkts / 3), '-A KUBE-SERVICES -p tcp -m tcp --dport 15008 -m comment --comment "istio-system/istio-sidecar: HBONE" -j ACCEPT'),
  ];
  const reject = c(traffic.rejectPkts, '-A KUBE-SERVICES -d 10.96.0.0/12 -p tcp -m comment --comment "kube-proxy: reject unmatched service traffic" -j REJECT --reject-with icmp-port-unreachable');
  const catchAll = c(traffic.rejectPkts, '-A KUBE-SERVICES -p tcp -m comment --comment "kube-proxy: default reject for unmatched NodePort/mesh traffic" -j REJECT --reject-with icmp-port-unreachable');
  const tail = [c(int(r, 10, 90), '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS')];
  return order === "safe" ? [...head, ...mesh, reject, catchAll, ...tail] : [...head, catchAll, reject, ...mesh, ...tail];
}
function natRules(r: Rand): { chains: [string, string][]; rules: string[] } {
  const svcs = [
    { ns: "shop-canary", name: "checkout", ip: "10.96.41.17", ch: "KUBE-SVC-7HQZ3XMGK2TRPLWA", eps: [["KUBE-SEP-CK3QF6XW2JYDN4TB", "10.244.3.31"], ["KUBE-SEP-P5M4LZGQH6YV2RAE", "10.244.1.31"]] },
    { ns: "shop-canary", name: "payment", ip: "10.96.52.203", ch: "KUBE-SVC-QD3MZ7V5N2KXJ4FH", eps: [["KUBE-SEP-W2XGJQ6T4K7M3NPL", "10.244.3.44"], ["KUBE-SEP-Z7B4RW3LQ2H6KXEC", "10.244.1.44"]] },
  ] as const;
  const chains: [string, string][] = [["PREROUTING", "ACCEPT"], ["INPUT", "ACCEPT"], ["OUTPUT", "ACCEPT"], ["POSTROUTING", "ACCEPT"], ["KUBE-MARK-MASQ", "-"], ["KUBE-NODEPORTS", "-"], ["KUBE-POSTROUTING", "-"], ["KUBE-SERVICES", "-"]];
  const rules = [
    c(int(r, 10000, 90000), '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES'),
    c(int(r, 10000, 90000), '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES'),
    c(int(r, 10000, 90000), '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING'),
    c(int(r, 10, 900), "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000"),
    c(int(r, 10000, 90000), "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN"),
    c(int(r, 10, 900), "-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0"),
    c(int(r, 10, 900), '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully'),
  ];
  for (const s of svcs) {
    chains.push([s.ch, "-"]);
    rules.push(c(int(r, 100, 9000), `-A KUBE-SERVICES -d ${s.ip}/32 -p tcp -m comment --comment "${s.ns}/${s.name}:http cluster IP" -m tcp --dport 8080 -j ${s.ch}`));
    rules.push(c(int(r, 0, 9), `-A ${s.ch} ! -s 10.244.0.0/16 -d ${s.ip}/32 -p tcp -m comment --comment "${s.ns}/${s.name}:http cluster IP" -m tcp --dport 8080 -j KUBE-MARK-MASQ`));
    s.eps.forEach(([sep, ip], i) => {
      chains.push([sep, "-"]);
      rules.push(c(int(r, 50, 4000), `-A ${s.ch} -m comment --comment "${s.ns}/${s.name}:http -> ${ip}:8080" ${i === 0 ? "-m statistic --mode random --probability 0.50000000000 " : ""}-j ${sep}`));
    });
    for (const [sep, ip] of s.eps) {
      rules.push(c(0, `-A ${sep} -s ${ip}/32 -m comment --comment "${s.ns}/${s.name}:http" -j KUBE-MARK-MASQ`));
      rules.push(c(int(r, 50, 4000), `-A ${sep} -p tcp -m comment --comment "${s.ns}/${s.name}:http" -m tcp -j DNAT --to-destination ${ip}:8080`));
    }
  }
  rules.push(c(int(r, 10, 90), '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS'));
  return { chains, rules };
}

// ───────────────────────────── seed 000: iptables rule order + retries ─────────────────────────────

function seed000(): void {
  const r = prng(0x000);
  const b = new Bundle("seed-000-mesh-iptables-reorder");
  const T = (h: number, m: number, s = 0) => Date.UTC(2024, 9, 15, h, m, s);
  const CANARY = "ip-10-0-3-21";
  const STABLE = "ip-10-0-1-11";
  const SKEW = 650; // the checkout node's clock runs 650 ms ahead (chrony was stepping after the node upgrade)

  b.add("bundle.yaml", [
    "title: 504s on east-west traffic after Kubernetes 1.32 canary",
    "summary: Frontend 504s (up to 32%) while the shop-canary namespace ran on 1.32 nodes. Rolled back at 14:25.",
    "window:",
    '  start: "2024-10-15T13:55:00Z"',
    '  end: "2024-10-15T14:52:00Z"',
    "timezone: UTC",
    "date: 2024-10-15",
    "nodes:",
    `  "nodes/${CANARY}/": ${CANARY}`,
    `  "nodes/${STABLE}/": ${STABLE}`,
    "iptables:",
    "  before:",
    `    - nodes/${CANARY}/iptables-save-c.before-upgrade.txt`,
    "  after:",
    `    - nodes/${CANARY}/iptables-save-c.1432.txt`,
    "",
  ].join("\n"));

  b.add("timeline.md", timelineMd("Postmortem: Kubernetes 1.32 service mesh latency", "Incident Date: October 15, 2024", [
    `13:56: Canary node pool (${CANARY}) upgraded to Kubernetes 1.32; shop-canary namespace rescheduled onto it.`,
    "14:02: First alert triggered for elevated HTTP 504 errors from the frontend service, with error rate climbing to 12% in 3 minutes.",
    "14:05: On-call engineers confirm timeouts are isolated to the Kubernetes 1.32 canary namespace; legacy 1.31 namespaces report normal latency.",
    "14:12: Metrics show p99 latency for service mesh traffic spiked from 120ms to 920ms, with p999 latency exceeding 2.1 seconds.",
    "14:18: Istio sidecar logs show repeated TCP connection resets for inbound traffic on ports 15001 and 15006.",
    "14:25: Rollback of the canary namespace to Kubernetes 1.31 initiated.",
    "14:47: Rollback complete, error rate drops to 0.1% baseline, latency returns to pre-incident levels.",
  ]));

  const nat = natRules(r);
  const dump = (at: number, order: "safe" | "regressed", traffic: { meshPkts: number; rejectPkts: number }) =>
    iptablesSave({ at, tables: [{ name: "nat", chains: nat.chains, rules: nat.rules }, { name: "filter", chains: FILTER_CHAINS, rules: filterRules(r, order, traffic) }] }, r);
  b.add(`nodes/${CANARY}/iptables-save-c.before-upgrade.txt`, dump(T(13, 50, 12), "safe", { meshPkts: 48211, rejectPkts: 3 }));
  b.add(`nodes/${CANARY}/iptables-save-c.1432.txt`, dump(T(14, 15, 40), "regressed", { meshPkts: 0, rejectPkts: 91734 }));
  b.add(`nodes/${STABLE}/iptables-save-c.txt`, dump(T(14, 16, 5), "safe", { meshPkts: 210377, rejectPkts: 11 }));

  // Error probability over time, as the seed describes (12 % by 14:05, 32 % peak 14:10–14:30, back to 0.1 % at 14:47).
  const pErr = (t: number) => (t < T(14, 2) ? 0.001 : t < T(14, 10) ? 0.12 : t < T(14, 30) ? 0.32 : t < T(14, 47) ? 0.12 : 0.001);
  const front: string[] = [];
  const checkout: string[] = [];
  const traces = new Map<string, object[]>([["frontend", []], ["checkout", []]]);
  let tracesBad = 0;
  let tracesGood = 0;
  const paths = ["/api/cart", "/api/cart/items", "/api/checkout/quote", "/api/products/recommended"];
  for (let t = T(13, 55) + int(r, 0, 3000); t < T(14, 52); t += int(r, 2500, 7500)) {
    const reqId = uuid(r);
    const p = pick(r, paths);
    const bad = r() < pErr(t);
    const retriedOk = !bad && r() < pErr(t) * 0.8;
    const canary = bad || retriedOk || r() < 0.5;
    const ck = canary ? "10.244.3.31" : "10.244.1.31";
    let status = 200;
    let flags = "-";
    let details = "via_upstream";
    let dur = int(r, 18, 70) + (r() < 0.02 ? int(r, 40, 60) : 0);
    let attempts = 1;
    if (bad) {
      status = 504;
      flags = "UT";
      details = "response_timeout";
      dur = 1000 + int(r, 0, 3);
      attempts = 5;
    } else if (retriedOk) {
      attempts = int(r, 2, 4);
      dur = (attempts - 1) * (200 + int(r, 0, 4)) + int(r, 20, 60);
    } else if (r() < 0.002) {
      status = 404;
      details = "via_upstream";
    }
    front.push(envoyText({ start: t, method: "GET", path: p, status, flags, details, sent: status === 504 ? 24 : int(r, 300, 4000), duration: dur, upstreamTime: bad ? null : dur - int(r, 1, 3), ua: "frontend/2.8.1", reqId, authority: "checkout.shop-canary.svc.cluster.local:8080", upstreamHost: `${ck}:8080`, cluster: "outbound|8080||checkout.shop-canary.svc.cluster.local", upLocal: `10.244.1.20:${int(r, 32768, 60999)}`, downLocal: "10.96.41.17:8080", downRemote: `10.244.1.20:${int(r, 32768, 60999)}` }));
    // checkout's sidecar (custom JSON format with the attempt count) logs its call to payment for canary-routed requests.
    if (canary && (bad || retriedOk || r() < 0.3)) {
      const cs = t + 3 + SKEW;
      const cdur = bad ? 4 * (200 + int(r, 0, 3)) + int(r, 2, 6) : dur - int(r, 5, 12);
      checkout.push(JSON.stringify({
        start_time: isoMs(cs),
        method: "POST",
        path: "/api/v1/authorize",
        protocol: "HTTP/1.1",
        response_code: bad ? 503 : 200,
        response_flags: bad ? "UF,URX" : "-",
        response_code_details: bad ? "upstream_reset_before_response_started{connection_failure}" : "via_upstream",
        connection_termination_details: null,
        upstream_transport_failure_reason: bad ? "delayed_connect_error:_111" : null,
        bytes_received: 212,
        bytes_sent: bad ? 91 : 148,
        duration: Math.max(5, cdur),
        upstream_service_time: bad ? null : String(Math.max(4, cdur - 2)),
        x_forwarded_for: null,
        user_agent: "checkout/3.2.0",
        request_id: reqId,
        authority: "payment.shop-canary.svc.cluster.local:8080",
        upstream_host: bad || retriedOk ? "10.244.3.44:8080" : pick(r, ["10.244.3.44:8080", "10.244.1.44:8080"]),
        upstream_cluster: "outbound|8080||payment.shop-canary.svc.cluster.local",
        upstream_local_address: `10.244.3.31:${int(r, 32768, 60999)}`,
        downstream_local_address: "10.96.52.203:8080",
        downstream_remote_address: `10.244.3.31:${int(r, 32768, 60999)}`,
        requested_server_name: null,
        route_name: "default",
        x_envoy_attempt_count: bad ? 4 : attempts,
      }));
    }
    // Traces: the failing ones during the peak plus a few healthy ones.
    const wantBad = bad && t >= T(14, 8) && t < T(14, 32) && tracesBad < 18;
    const wantGood = !bad && !retriedOk && t < T(14, 1) && tracesGood < 6;
    if (wantBad || wantGood) {
      wantBad ? tracesBad++ : tracesGood++;
      const tid = hex(r, 32);
      const root = hex(r, 16);
      const cli = hex(r, 16);
      const srv = hex(r, 16);
      const fe = traces.get("frontend")!;
      const co = traces.get("checkout")!;
      fe.push(otlpSpan({ traceId: tid, spanId: root, name: `GET ${p}`, kind: 2, start: t - 2, end: t + dur + 2, attrs: { "http.request.method": "GET", "url.path": p, "http.response.status_code": status }, error: bad ? "upstream request timeout" : undefined }));
      fe.push(otlpSpan({ traceId: tid, spanId: cli, parent: root, name: "checkout.shop-canary.svc.cluster.local:8080/*", kind: 3, start: t, end: t + dur, attrs: { "peer.service": "checkout", "server.address": "checkout.shop-canary.svc.cluster.local", "http.response.status_code": status }, error: bad ? "response_timeout" : undefined }));
      co.push(otlpSpan({ traceId: tid, spanId: srv, parent: cli, name: `GET ${p}`, kind: 2, start: t + 2, end: t + (bad ? 1000 : dur - 1), attrs: { "http.request.method": "GET", "http.response.status_code": bad ? 0 : 200 }, error: bad ? "downstream_remote_disconnect" : undefined }));
      const tries = bad ? 4 : 1;
      for (let a = 0; a < tries; a++) {
        const st = t + 4 + a * 201;
        co.push(otlpSpan({ traceId: tid, spanId: hex(r, 16), parent: srv, name: "payment.shop-canary.svc.cluster.local:8080/api/v1/authorize", kind: 3, start: st, end: st + (bad ? 198 + int(r, 0, 4) : dur - 8), attrs: { "peer.service": "payment", "server.address": "payment.shop-canary.svc.cluster.local", "upstream_cluster": "outbound|8080||payment.shop-canary.svc.cluster.local", "http.response.status_code": bad ? 503 : 200 }, error: bad ? "upstream connect error or disconnect/reset before headers. reset reason: connection termination" : undefined }));
      }
    }
  }
  b.add("logs/frontend-istio-proxy.log", `${front.join("\n")}\n`);
  b.add(`nodes/${CANARY}/checkout-istio-proxy.json.log`, `${checkout.join("\n")}\n`);
  b.add("traces/otlp-frontend-checkout.json", otlpDoc(traces));

  const nodeUid = uuid(r);
  const events = [
    k8sEvent(r, { ns: "default", kind: "Node", name: CANARY, uid: nodeUid, reason: "Starting", message: "Starting kubelet.", ts: T(13, 55, 41), component: "kubelet", host: CANARY }),
    k8sEvent(r, { ns: "default", kind: "Node", name: CANARY, uid: nodeUid, reason: "NodeReady", message: `Node ${CANARY} status is now: NodeReady`, ts: T(13, 55, 58), component: "kubelet", host: CANARY }),
    k8sEvent(r, { ns: "default", kind: "Node", name: CANARY, uid: nodeUid, reason: "Starting", message: "", ts: T(13, 56, 3), component: "kube-proxy", host: CANARY }),
    k8sEvent(r, { ns: "shop-canary", kind: "Pod", name: "checkout-6f8d9c7b5-q7x2m", reason: "Scheduled", message: `Successfully assigned shop-canary/checkout-6f8d9c7b5-q7x2m to ${CANARY}`, ts: T(13, 56, 20), component: "default-scheduler" }),
    k8sEvent(r, { ns: "shop-canary", kind: "Pod", name: "checkout-6f8d9c7b5-q7x2m", reason: "Started", message: "Started container checkout", ts: T(13, 56, 31), component: "kubelet", host: CANARY, fieldPath: "spec.containers{checkout}" }),
    k8sEvent(r, { ns: "shop-canary", kind: "Pod", name: "payment-5c7b8d4f9-k2w8r", reason: "Started", message: "Started container payment", ts: T(13, 56, 34), component: "kubelet", host: CANARY, fieldPath: "spec.containers{payment}" }),
    k8sEvent(r, { ns: "shop-canary", kind: "Pod", name: "frontend-7d9f8b6c4-lx9tz", reason: "Unhealthy", message: "Readiness probe failed: HTTP probe failed with statuscode: 503", type: "Warning", ts: T(14, 11, 2), first: T(14, 3, 40), count: 14, component: "kubelet", host: STABLE, fieldPath: "spec.containers{istio-proxy}" }),
    k8sEvent(r, { ns: "shop-canary", kind: "Pod", name: "checkout-6f8d9c7b5-q7x2m", reason: "Killing", message: "Stopping container checkout", ts: T(14, 26, 12), component: "kubelet", host: CANARY, fieldPath: "spec.containers{checkout}" }),
    k8sEvent(r, { ns: "shop-canary", kind: "Pod", name: "payment-5c7b8d4f9-k2w8r", reason: "Killing", message: "Stopping container payment", ts: T(14, 26, 14), component: "kubelet", host: CANARY, fieldPath: "spec.containers{payment}" }),
  ];
  b.add("k8s/events.json", k8sEventList(events));
  b.write({
    description: "Seed 000: kube-proxy 1.32 moved a catch-all REJECT above the Istio 15001/15006/15008 ACCEPT rules on the canary node; checkout retries payment every ~200 ms and frontend times out at 1 s (504 UT).",
    seed: "000_51728f8f86fa8033",
    top: "iptables-rule-order",
    topEvidenceFile: `nodes/${CANARY}/iptables-save-c.1432.txt`,
    alsoFires: ["retry-latency-amplification"],
    mustNotFire: ["endpoint-removal-race", "ipvs-stale-backends", "conntrack-snat-race"],
    facts: {
      "iptables-rule-order": { nodes: [CANARY], baseline: "same-node", traffic: "mesh", ports: ["15001", "15006", "15008"] },
      "retry-latency-amplification": { stepMs: { min: 180, max: 220 }, timeoutMs: 1000, explainedBy: "iptables-rule-order" },
    },
    skew: { [`nodes/${CANARY}/checkout-istio-proxy.json.log`]: { min: SKEW - 50, max: SKEW + 50 } },
    formats: {
      "timeline.md": "timeline",
      [`nodes/${CANARY}/iptables-save-c.before-upgrade.txt`]: "iptables-save",
      [`nodes/${CANARY}/iptables-save-c.1432.txt`]: "iptables-save",
      [`nodes/${STABLE}/iptables-save-c.txt`]: "iptables-save",
      "logs/frontend-istio-proxy.log": "envoy-access",
      [`nodes/${CANARY}/checkout-istio-proxy.json.log`]: "envoy-access",
      "traces/otlp-frontend-checkout.json": "otlp-json",
      "k8s/events.json": "k8s-events",
    },
  });
}

// ───────────────────────────── seed 001: ambient rollout, ztunnel endpoint-removal race ─────────────────────────────

function ztunnelLine(r: Rand, t: number, o: { level: "info" | "warn" | "error"; msg: string; src: string; srcWl?: string; dst: string; hbone?: string; svc?: string; dstWl?: string; ns?: string; dir: string; sent?: number; recv?: number; dur?: string; error?: string }): string {
  const kv: string[] = [`src.addr=${o.src}`];
  if (o.srcWl) kv.push(`src.workload="${o.srcWl}"`, 'src.namespace="istio-ingress"', 'src.identity="spiffe://cluster.local/ns/istio-ingress/sa/gateway-istio"');
  kv.push(`dst.addr=${o.dst}`);
  if (o.hbone) kv.push(`dst.hbone_addr="${o.hbone}"`);
  if (o.svc) kv.push(`dst.service="${o.svc}"`);
  if (o.dstWl) kv.push(`dst.workload="${o.dstWl}"`, `dst.namespace="${o.ns}"`, `dst.identity="spiffe://cluster.local/ns/${o.ns}/sa/go-httpbin"`);
  kv.push(`direction="${o.dir}"`);
  if (o.sent !== undefined) kv.push(`bytes_sent=${o.sent}`, `bytes_recv=${o.recv ?? 0}`, `duration="${o.dur ?? "0ms"}"`);
  if (o.error) kv.push(`error="${o.error}"`);
  return `${isoUs(t, r)}\t${o.level}\taccess\t${o.msg}\t${kv.join(" ")}`;
}

function seed001(): void {
  const r = prng(0x001);
  const b = new Bundle("seed-001-ambient-rollout-503");
  const T = (h: number, m: number, s = 0, ms = 0) => Date.UTC(2025, 5, 12, h, m, s, ms);
  const NS = "httpbin";
  const GW_IP = "10.244.0.31";
  const oldPods = [
    { name: "go-httpbin-5f7b8c9d4-4xq2n", ip: "10.244.1.17", node: "worker-1", kill: T(10, 15, 9, 120), gap: 310 },
    { name: "go-httpbin-5f7b8c9d4-9mz7k", ip: "10.244.2.23", node: "worker-2", kill: T(10, 15, 22, 480), gap: 480 },
    { name: "go-httpbin-5f7b8c9d4-t8r5w", ip: "10.244.3.12", node: "worker-3", kill: T(10, 15, 35, 900), gap: 240 },
  ];
  const newPods = [
    { name: "go-httpbin-6c9d7f8b5-b2lkq", ip: "10.244.1.41", node: "worker-1", ready: T(10, 15, 8, 300) },
    { name: "go-httpbin-6c9d7f8b5-h7wpx", ip: "10.244.2.46", node: "worker-2", ready: T(10, 15, 21, 700) },
    { name: "go-httpbin-6c9d7f8b5-s4vnd", ip: "10.244.3.38", node: "worker-3", ready: T(10, 15, 35, 100) },
  ];
  b.add("bundle.yaml", ["title: 503 bursts during go-httpbin rollout (ambient)", 'window:\n  start: "2025-06-12T10:14:00Z"\n  end: "2025-06-12T10:17:00Z"', "timezone: UTC", "date: 2025-06-12", ""].join("\n"));
  b.add("timeline.md", timelineMd("503 spikes during Istio ambient rollout", "Date: 2025-06-12", [
    "10:14:30 UTC — Deploy: `kubectl rollout restart deploy/go-httpbin -n httpbin` started (image unchanged).",
    "10:15:10 UTC — Alert: gateway 5xx rate above 2% (NLB → istio gateway → ztunnel).",
    "10:15:40 UTC — Rollout complete, 3/3 new pods ready.",
    "10:16:30 UTC — Alert resolved; 5xx back to 0%.",
    "10:40 UTC — Investigation: ztunnel access logs show `connection failed: Connection refused` to old pod IPs.",
  ]));

  // Pods before the rollout (old ReplicaSet) and after (new one); old pods carry their deletionTimestamp.
  b.add("k8s/pods-before-rollout.yaml", podList(oldPods.map((p) => podYaml({ name: p.name, ns: NS, ip: p.ip, node: p.node, app: "go-httpbin", hash: "5f7b8c9d4", created: T(9, 2, int(r, 0, 59)), uid: uuid(r) }))));
  b.add("k8s/pods-after-rollout.yaml", podList(newPods.map((p) => podYaml({ name: p.name, ns: NS, ip: p.ip, node: p.node, app: "go-httpbin", hash: "6c9d7f8b5", created: p.ready - 6000, uid: uuid(r) }))));
  b.add("k8s/endpointslices.yaml", [
    "apiVersion: v1", "items:", "- addressType: IPv4", "  apiVersion: discovery.k8s.io/v1", "  endpoints:",
    ...newPods.flatMap((p) => ["  - addresses:", `    - ${p.ip}`, "    conditions:", "      ready: true", "      serving: true", "      terminating: false", `    nodeName: ${p.node}`, "    targetRef:", "      kind: Pod", `      name: ${p.name}`, `      namespace: ${NS}`, `      uid: ${uuid(r)}`]),
    "  kind: EndpointSlice", "  metadata:", `    creationTimestamp: "2025-06-12T09:02:11Z"`, "    labels:", "      kubernetes.io/service-name: go-httpbin", "      endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io",
    "    name: go-httpbin-x7kq2", `    namespace: ${NS}`, "  ports:", "  - name: http", "    port: 8080", "    protocol: TCP", "kind: List", "metadata:", '  resourceVersion: ""', "",
  ].join("\n"));

  const events: object[] = [k8sEvent(r, { ns: NS, kind: "Deployment", name: "go-httpbin", reason: "ScalingReplicaSet", message: "Scaled up replica set go-httpbin-6c9d7f8b5 to 1", ts: T(10, 14, 31), component: "deployment-controller" })];
  oldPods.forEach((p, i) => {
    const np = newPods[i]!;
    events.push(k8sEvent(r, { ns: NS, kind: "Pod", name: np.name, reason: "Scheduled", message: `Successfully assigned ${NS}/${np.name} to ${np.node}`, ts: np.ready - 7000, component: "default-scheduler" }));
    events.push(k8sEvent(r, { ns: NS, kind: "Pod", name: np.name, reason: "Pulled", message: 'Container image "mccutchen/go-httpbin:v2.15.0" already present on machine', ts: np.ready - 5000, component: "kubelet", host: np.node, fieldPath: "spec.containers{go-httpbin}" }));
    events.push(k8sEvent(r, { ns: NS, kind: "Pod", name: np.name, reason: "Started", message: "Started container go-httpbin", ts: np.ready - 4000, component: "kubelet", host: np.node, fieldPath: "spec.containers{go-httpbin}" }));
    events.push(k8sEvent(r, { ns: NS, kind: "Deployment", name: "go-httpbin", reason: "ScalingReplicaSet", message: `Scaled down replica set go-httpbin-5f7b8c9d4 to ${2 - i} from ${3 - i}`, ts: p.kill - 100, component: "deployment-controller" }));
    // kubectl's event timestamps are whole seconds; eventTime carries the microseconds.
    const ev = k8sEvent(r, { ns: NS, kind: "Pod", name: p.name, reason: "Killing", message: "Stopping container go-httpbin", ts: p.kill, component: "kubelet", host: p.node, fieldPath: "spec.containers{go-httpbin}" }) as Record<string, unknown>;
    ev.eventTime = new Date(p.kill).toISOString().replace("Z", "000Z");
    ev.reportingComponent = "kubelet";
    events.push(ev);
    events.push(k8sEvent(r, { ns: NS, kind: "Pod", name: p.name, reason: "Unhealthy", message: `Readiness probe failed: Get "http://${p.ip}:8080/status/200": dial tcp ${p.ip}:8080: connect: connection refused`, type: "Warning", ts: p.kill + 2000, component: "kubelet", host: p.node, fieldPath: "spec.containers{go-httpbin}" }));
  });
  b.add("k8s/events.json", k8sEventList(events));

  // Gateway (Envoy) access log: ~12 req/s sampled; ztunnel on the gateway's node: per connection.
  const gw: string[] = [];
  const zt: string[] = [];
  const live = (t: number) => [
    ...oldPods.filter((p) => t < p.kill).map((p) => ({ name: p.name, ip: p.ip })),
    ...newPods.filter((p) => t >= p.ready).map((p) => ({ name: p.name, ip: p.ip })),
  ];
  for (let t = T(10, 14, 40); t < T(10, 16, 20); t += int(r, 40, 120)) {
    const pods = live(t);
    const p = pick(r, pods);
    const dur = int(r, 2, 14);
    gw.push(envoyText({ start: t, method: "GET", path: pick(r, ["/get", "/status/200", "/anything/orders", "/headers"]), status: 200, details: "via_upstream", sent: int(r, 200, 900), duration: dur, upstreamTime: dur - 1, ua: pick(r, ["k6/0.49.0 (https://k6.io/)", "Go-http-client/1.1"]), reqId: uuid(r), authority: "httpbin.example.com", upstreamHost: `${p.ip}:8080`, cluster: "outbound|8080||go-httpbin.httpbin.svc.cluster.local", upLocal: `${GW_IP}:${int(r, 32768, 60999)}`, downLocal: `${GW_IP}:8080`, downRemote: `10.0.0.${int(r, 4, 200)}:${int(r, 1024, 65000)}`, route: "http.8080" }));
    if (r() < 0.08) zt.push(ztunnelLine(r, t + dur, { level: "info", msg: "connection complete", src: `${GW_IP}:${int(r, 32768, 60999)}`, srcWl: "gateway-istio-7f9c6d8b4-rq2lm", dst: `${p.ip}:15008`, hbone: `${p.ip}:8080`, svc: "go-httpbin.httpbin.svc.cluster.local", dstWl: p.name, ns: NS, dir: "outbound", sent: int(r, 200, 900), recv: int(r, 300, 2000), dur: `${int(r, 500, 9000)}ms` }));
  }
  // The race: for gap ms after each Killing, new connections to the old pod are refused.
  for (const p of oldPods) {
    for (let t = p.kill + int(r, 12, 30); t <= p.kill + p.gap; t += int(r, 6, 12)) {
      zt.push(ztunnelLine(r, t, { level: "warn", msg: "connection failed", src: `${GW_IP}:${int(r, 32768, 60999)}`, dst: `${p.ip}:15008`, dir: "outbound", error: "connection failed: Connection refused (os error 111)" }));
      if (r() < 0.8)
        gw.push(envoyText({ start: t - 1, method: "GET", path: pick(r, ["/get", "/status/200", "/anything/orders"]), status: 503, flags: "UF", details: "upstream_reset_before_response_started{remote_connection_failure,delayed_connect_error:_111}", utfr: "delayed_connect_error:_111", sent: 91, duration: 1, upstreamTime: null, ua: "k6/0.49.0 (https://k6.io/)", reqId: uuid(r), authority: "httpbin.example.com", upstreamHost: `${p.ip}:8080`, cluster: "outbound|8080||go-httpbin.httpbin.svc.cluster.local", upLocal: "-", downLocal: `${GW_IP}:8080`, downRemote: `10.0.0.${int(r, 4, 200)}:${int(r, 1024, 65000)}`, route: "http.8080" }));
    }
  }
  // Unrelated noise: one idle connection closed by a deadline.
  zt.push(ztunnelLine(r, T(10, 16, 5), { level: "error", msg: "connection complete", src: `${GW_IP}:41002`, srcWl: "gateway-istio-7f9c6d8b4-rq2lm", dst: "10.244.2.46:15008", hbone: "10.244.2.46:8080", svc: "go-httpbin.httpbin.svc.cluster.local", dstWl: newPods[1]!.name, ns: NS, dir: "outbound", sent: 0, recv: 0, dur: "30001ms", error: "io error: deadline has elapsed" }));
  const byTime = (a: string, c2: string) => (a.slice(0, 27) < c2.slice(0, 27) ? -1 : 1);
  b.add("logs/gateway-istio-proxy.log", `${gw.sort((a, c2) => (a.slice(1, 25) < c2.slice(1, 25) ? -1 : 1)).join("\n")}\n`);
  b.add("nodes/worker-0/ztunnel.log", `${zt.sort(byTime).join("\n")}\n`);
  b.write({
    description: "Seed 001: during `kubectl rollout restart` in an ambient namespace, ztunnel keeps routing to each terminating pod for 200–500 ms after Killing: bursts of `connection failed: Connection refused` and gateway 503 UF.",
    seed: "001_1e4fa59e61dc4e88",
    top: "endpoint-removal-race",
    topEvidenceFile: "nodes/worker-0/ztunnel.log",
    facts: { "endpoint-removal-race": { pods: oldPods.map((p) => p.name), gapsMs: { each: { min: 150, max: 500 } }, dataPath: { match: "ztunnel" } } },
    mustNotFire: ["iptables-rule-order", "ipvs-stale-backends", "conntrack-snat-race", "retry-latency-amplification"],
    formats: {
      "timeline.md": "timeline",
      "k8s/pods-before-rollout.yaml": "k8s-objects",
      "k8s/pods-after-rollout.yaml": "k8s-objects",
      "k8s/endpointslices.yaml": "k8s-objects",
      "k8s/events.json": "k8s-events",
      "logs/gateway-istio-proxy.log": "envoy-access",
      "nodes/worker-0/ztunnel.log": "ztunnel-access",
    },
  });
}

// ───────────────────────────── seed 002: IPVS stale real servers ─────────────────────────────

interface IpvsSvc { proto: "TCP" | "UDP"; vip: string; port: number; reals: { ip: string; port: number; weight?: number }[] }
function ipvsadmLn(r: Rand, svcs: IpvsSvc[]): string {
  const out = ["IP Virtual Server version 1.2.1 (size=4096)", "Prot LocalAddress:Port Scheduler Flags", "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn"];
  for (const s of svcs) {
    out.push(`${s.proto}  ${s.vip}:${s.port} rr`.padEnd(31) + (r() < 0.3 ? " " : ""));
    for (const x of s.reals) out.push(`  -> ${`${x.ip}:${x.port}`.padEnd(28)}Masq    ${x.weight ?? 1}      ${int(r, 0, 3)}          ${int(r, 0, 40)}`);
  }
  return `${out.join("\n")}\n`;
}

function seed002(): void {
  const r = prng(0x002);
  const b = new Bundle("seed-002-ipvs-stale-backends");
  const T = (h: number, m: number, s = 0) => Date.UTC(2018, 11, 6, h, m, s);
  const nodes = [
    { name: "ip-10-12-1-41", ip: "10.12.1.41", stale: false },
    { name: "ip-10-12-1-55", ip: "10.12.1.55", stale: true },
    { name: "ip-10-12-2-87", ip: "10.12.2.87", stale: true },
    { name: "ip-10-12-3-19", ip: "10.12.3.19", stale: false },
  ];
  const masters = ["172.20.33.10", "172.20.61.22"];
  const dns = ["100.96.1.5", "100.96.4.9"];
  const web = [
    { pod: "web-7c6d9f5b8-2hx9q", ip: "100.96.2.31", node: "ip-10-12-1-41" },
    { pod: "web-7c6d9f5b8-8kd4m", ip: "100.96.5.18", node: "ip-10-12-2-87" },
    { pod: "web-7c6d9f5b8-xq7tz", ip: "100.96.6.7", node: "ip-10-12-3-19" },
  ];
  const api = [
    { pod: "api-5b9f7d6c4-m2r8j", ip: "100.96.3.22", node: "ip-10-12-1-55" },
    { pod: "api-5b9f7d6c4-v9w3x", ip: "100.96.7.40", node: "ip-10-12-3-19" },
  ];
  const staleWeb = [{ ip: "100.96.2.9", port: 8080, weight: 1 }, { ip: "100.96.7.12", port: 8080, weight: 0 }];
  const staleApi = [{ ip: "100.96.3.45", port: 9000, weight: 1 }];
  b.add("bundle.yaml", ["title: ELB marks some nodes unhealthy after in-place upgrade to 1.12", "timezone: UTC", "date: 2018-12-06", "nodes:", ...nodes.map((n) => `  "nodes/${n.name}/": ${n.name}`), ""].join("\n"));
  b.add("timeline.md", timelineMd("Kube-proxy IPVS – stale real servers", "Date: 2018-12-06", [
    "2018-12-05 22:10 UTC — In-place upgrade of the cluster from Kubernetes 1.10 to 1.12 (kube-proxy 1.12.2, IPVS mode).",
    "2018-12-06 06:55 UTC — Alert: AWS ELBs report unhealthy target nodes for several services (same subset of nodes).",
    "2018-12-06 07:20 UTC — Investigation: endpoints are correct; ipvsadm -Ln on unhealthy nodes shows old pod IPs.",
    "2018-12-06 07:45 UTC — Mitigation: restarted kube-proxy on ip-10-12-2-87, node healthy again in the ELB.",
    "2018-12-06 09:30 UTC — Mitigation: rolled kube-proxy back to 1.12.1 on all nodes.",
  ]));
  for (const n of nodes) {
    const webReals = [...web.map((w) => ({ ip: w.ip, port: 8080 })), ...(n.stale ? staleWeb : [])];
    const apiReals = [...api.map((a) => ({ ip: a.ip, port: 9000 })), ...(n.stale ? staleApi : [])];
    const svcs: IpvsSvc[] = [
      { proto: "TCP", vip: "100.64.0.1", port: 443, reals: masters.map((ip) => ({ ip, port: 443 })) },
      { proto: "TCP", vip: "100.64.0.10", port: 53, reals: dns.map((ip) => ({ ip, port: 53 })) },
      { proto: "TCP", vip: "100.67.201.14", port: 80, reals: webReals },
      { proto: "TCP", vip: n.ip, port: 31380, reals: webReals },
      { proto: "TCP", vip: "127.0.0.1", port: 31380, reals: webReals },
      { proto: "TCP", vip: "100.70.4.99", port: 80, reals: apiReals },
      { proto: "UDP", vip: "100.64.0.10", port: 53, reals: dns.map((ip) => ({ ip, port: 53 })) },
    ];
    b.add(`nodes/${n.name}/ipvsadm-Ln.txt`, ipvsadmLn(r, svcs));
    // kube-proxy logs (klog, no year): healthy nodes sync quietly; stale nodes retry deletes forever.
    const lines: string[] = [];
    const klog = (t: number, lvl: string, file: string, msg: string) => {
      const d = new Date(t);
      const p = (x: number, w = 2) => String(x).padStart(w, "0");
      return `${lvl}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}${p(int(r, 0, 999), 3)}       1 ${file}] ${msg}`;
    };
    for (let t = T(0, 0) + int(r, 0, 60000); t < T(8, 0); t += 300_000 + int(r, 0, 20000)) {
      lines.push(klog(t, "I", "proxier.go:1635", `syncProxyRules took ${int(r, 30, 90)}.${int(r, 100, 999)}ms`));
      if (n.stale) {
        for (const s of staleWeb) lines.push(klog(t + 5, "I", "graceful_termination.go:160", `Trying to delete rs: 100.67.201.14:80/TCP/${s.ip}:${s.port}`));
        for (const s of staleApi) lines.push(klog(t + 9, "I", "graceful_termination.go:160", `Trying to delete rs: 100.70.4.99:80/TCP/${s.ip}:${s.port}`));
        lines.push(klog(t + 12, "E", "graceful_termination.go:89", `Try delete rs "100.67.201.14:80/TCP/${staleWeb[0]!.ip}:8080" err: Failed to delete destination: {100.67.201.14:80/TCP/${staleWeb[0]!.ip}:8080}, error: device or resource busy`));
      }
    }
    b.add(`nodes/${n.name}/kube-proxy.log`, `${lines.join("\n")}\n`);
  }
  const epYaml = (ns: string, name: string, addrs: { ip: string; pod?: string; node?: string }[], port: number, portName: string) => [
    "- apiVersion: v1", "  kind: Endpoints", "  metadata:", `    name: ${name}`, `    namespace: ${ns}`, "  subsets:", "  - addresses:",
    ...addrs.flatMap((a) => [`    - ip: ${a.ip}`, ...(a.node ? [`      nodeName: ${a.node}`] : []), ...(a.pod ? ["      targetRef:", "        kind: Pod", `        name: ${a.pod}`, `        namespace: ${ns}`] : [])]),
    "    ports:", `    - name: ${portName}`, `      port: ${port}`, "      protocol: TCP",
  ].join("\n");
  b.add("k8s/endpoints.yaml", `apiVersion: v1\nitems:\n${[
    epYaml("default", "kubernetes", masters.map((ip) => ({ ip })), 443, "https"),
    epYaml("kube-system", "kube-dns", dns.map((ip, i) => ({ ip, pod: `kube-dns-6b4f4b544c-${["h2x7p", "q9m4k"][i]}` })), 53, "dns-tcp"),
    epYaml("shop", "web", web.map((w) => ({ ip: w.ip, pod: w.pod, node: w.node })), 8080, "http"),
    epYaml("shop", "api", api.map((a) => ({ ip: a.ip, pod: a.pod, node: a.node })), 9000, "http"),
  ].join("\n")}\nkind: List\nmetadata:\n  resourceVersion: ""\n  selfLink: ""\n`);
  b.add("k8s/pods.yaml", podList([...web.map((w) => ({ ...w, app: "web", hash: "7c6d9f5b8" })), ...api.map((a) => ({ ...a, app: "api", hash: "5b9f7d6c4" }))].map((p) => podYaml({ name: p.pod, ns: "shop", ip: p.ip, node: p.node, app: p.app, hash: p.hash, created: T(1, int(r, 0, 59)) - 86400_000, uid: uuid(r) }))));
  b.write({
    description: "Seed 002: after the in-place upgrade, kube-proxy (IPVS) on two nodes keeps deleted pod IPs as real servers and logs endless delete attempts; other nodes are correct.",
    seed: "002_a8844025946a573b",
    top: "ipvs-stale-backends",
    topEvidenceFile: "nodes/ip-10-12-2-87/ipvsadm-Ln.txt",
    facts: { "ipvs-stale-backends": { nodes: ["ip-10-12-1-55", "ip-10-12-2-87"], staleIps: ["100.96.2.9", "100.96.3.45", "100.96.7.12"], cleanNodes: ["ip-10-12-1-41", "ip-10-12-3-19"], repeatedDeletes: { min: 100, max: 100000 } } },
    mustNotFire: ["iptables-rule-order", "endpoint-removal-race", "conntrack-snat-race", "retry-latency-amplification", "latency-regression", "error-burst-after-change"],
    formats: {
      "timeline.md": "timeline",
      "k8s/endpoints.yaml": "k8s-objects",
      "k8s/pods.yaml": "k8s-objects",
      ...Object.fromEntries(nodes.flatMap((n) => [[`nodes/${n.name}/ipvsadm-Ln.txt`, "ipvsadm"], [`nodes/${n.name}/kube-proxy.log`, "klog"]])),
    },
  });
}

// ───────────────────────────── seed 003: conntrack SNAT race ─────────────────────────────

function conntrackS(snaps: { at: number; cpus: Record<string, number>[] }[]): string {
  const out: string[] = [];
  for (const s of snaps) {
    out.push(`${ctime(s.at).replace(/ (\d{4})$/, " UTC $1")}`);
    s.cpus.forEach((c2, i) => out.push(`cpu=${String(i).padEnd(4)}\t${Object.entries(c2).map(([k, v]) => `${k}=${v} `).join("")}`));
  }
  return `${out.join("\n")}\n`;
}

function seed003(): void {
  const r = prng(0x003);
  const b = new Bundle("seed-003-conntrack-snat-race");
  const T = (h: number, m: number, s = 0) => Date.UTC(2019, 7, 13, h, m, s);
  const GW_NODE = "ip-192-168-12-7";
  const OTHER = "ip-192-168-40-3";
  b.add("bundle.yaml", ["title: Tail latency after moving smartgateway to shared Kubernetes nodes", "timezone: UTC", "date: 2019-08-13", "nodes:", `  "nodes/${GW_NODE}/": ${GW_NODE}`, `  "nodes/${OTHER}/": ${OTHER}`, ""].join("\n"));
  b.add("timeline.md", timelineMd("A Kubernetes crime story", "Date: 2019-08-13", [
    "2019-08-06 09:00 UTC — Deploy: smartgateway (nginx reverse proxy) moved from ElasticBeanstalk to shared EKS worker nodes.",
    "2019-08-08 11:30 UTC — Alert: p99 latency for prezipage/presentationservice above SLO.",
    "2019-08-13 10:00 UTC — Investigation: X-Ray traces show exactly 1 s (sometimes 3 s) before presentationservice receives the call.",
    "2019-08-13 10:25 UTC — Investigation: nginx $upstream_connect_time confirms slow TCP connects.",
  ]));
  const lines: string[] = [];
  const fmtTl = (t: number) => {
    const d = new Date(t);
    const mons = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    const p = (x: number) => String(x).padStart(2, "0");
    return `${p(d.getUTCDate())}/${mons[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
  };
  const slow: { t: number; connect: number }[] = [];
  for (let t = T(10, 0) + int(r, 0, 900); t < T(10, 20); t += int(r, 400, 1600)) {
    const newConn = r() < 0.3;
    let uct = newConn ? int(r, 1, 3) : 0;
    if (newConn && r() < 0.045) uct = r() < 0.75 ? 1000 + int(r, 1, 6) : 3000 + int(r, 1, 6);
    const svc = int(r, 8, 40) + (r() < 0.01 ? int(r, 100, 250) : 0);
    const urt = uct + svc;
    const rt = urt + int(r, 0, 2);
    if (uct >= 1000) slow.push({ t, connect: uct });
    const s = (ms: number) => (ms / 1000).toFixed(3);
    const status = r() < 0.003 ? 404 : 200;
    // nginx writes $time_local at the end of the request.
    lines.push(`10.0.4.${int(r, 10, 30)} - - [${fmtTl(t + rt)}] "GET /api/presentations/${int(r, 1000, 99999)} HTTP/1.1" ${status} ${int(r, 800, 9000)} "-" "${pick(r, ["prezipage/1.0", "Go-http-client/1.1"])}" "-" rt=${s(rt)} uct="${s(uct)}" uht="${s(urt - 1)}" urt="${s(urt)}"`);
  }
  b.add("logs/smartgateway-access.log", `${lines.join("\n")}\n`);

  // X-Ray BatchGetTraces: smartgateway → prezipage → smartgateway → presentationservice.
  const traces: object[] = [];
  const sec = (ms: number) => Number((ms / 1000).toFixed(3));
  const mk = (t0: number, connectDelay: number) => {
    const tid = `1-${Math.floor(t0 / 1000).toString(16)}-${hex(r, 24)}`;
    const ids = Array.from({ length: 7 }, () => hex(r, 16));
    const pres = 12.8;
    const t3 = t0 + 25; // gateway hop 2 starts
    const t4 = t3 + 1 + connectDelay; // presentationservice receives the call
    const end3 = t4 + pres + 1;
    const segs = [
      { id: ids[0], name: "smartgateway", trace_id: tid, start_time: sec(t0), end_time: sec(end3 + 20), http: { request: { method: "GET", url: "https://prezi.com/p/abc123/", client_ip: "203.0.113.7" }, response: { status: 200 } }, subsegments: [{ id: ids[1], name: "prezipage", namespace: "remote", start_time: sec(t0 + 2), end_time: sec(end3 + 18), http: { request: { method: "GET", url: "http://prezipage.default.svc.cluster.local/p/abc123" }, response: { status: 200 } } }] },
      { id: ids[2], name: "prezipage", trace_id: tid, parent_id: ids[1], start_time: sec(t0 + 4), end_time: sec(end3 + 16), http: { request: { method: "GET", url: "http://prezipage/p/abc123" }, response: { status: 200 } }, subsegments: [{ id: ids[3], name: "smartgateway", namespace: "remote", start_time: sec(t0 + 20), end_time: sec(end3 + 3), http: { request: { method: "GET", url: "http://smartgateway/api/presentations/abc123" }, response: { status: 200 } } }] },
      { id: ids[4], name: "smartgateway", trace_id: tid, parent_id: ids[3], start_time: sec(t3 - 2), end_time: sec(end3 + 2), http: { request: { method: "GET", url: "http://smartgateway/api/presentations/abc123" }, response: { status: 200 } }, annotations: { upstream_connect_time: sec(connectDelay + 1) }, subsegments: [{ id: ids[5], name: "presentationservice", namespace: "remote", start_time: sec(t3), end_time: sec(end3), http: { request: { method: "GET", url: "http://presentationservice.default.svc.cluster.local/api/presentations/abc123" }, response: { status: 200 } } }] },
      { id: ids[6], name: "presentationservice", trace_id: tid, parent_id: ids[5], start_time: sec(t4), end_time: sec(t4 + pres), http: { request: { method: "GET", url: "http://presentationservice/api/presentations/abc123" }, response: { status: 200 } }, subsegments: [{ id: hex(r, 16), name: "presentation.cwwnpdw25ztn.us-east-1.rds.amazonaws.com", namespace: "remote", start_time: sec(t4 + 2), end_time: sec(t4 + 9), sql: { database_type: "PostgreSQL" } }] },
    ];
    traces.push({ Duration: sec(end3 + 20 - t0), Id: tid, LimitExceeded: false, Segments: segs.map((s) => ({ Document: JSON.stringify(s), Id: s.id })) });
  };
  for (const s of slow.slice(0, 8)) mk(s.t, s.connect);
  for (let i = 0; i < 8; i++) mk(T(10, 1 + i * 2, int(r, 0, 59)), int(r, 0, 2));
  b.add("traces/xray-batch-get-traces.json", `${JSON.stringify({ Traces: traces, UnprocessedTraceIds: [] }, null, 2)}\n`);

  const snap = (base: number, grow: number) => [0, 1, 2, 3].map((i) => ({ found: base * 3 + i * 17 + grow, invalid: 811 + i * 5 + Math.floor(grow / 50), ignore: 0, insert: 0, insert_failed: Math.floor(grow / 4) + i, drop: Math.floor(grow / 4) + i, early_drop: 0, error: 2 + i, search_restart: 1200 + i * 30 + Math.floor(grow / 9) }));
  b.add(`nodes/${GW_NODE}/conntrack-S.txt`, conntrackS([{ at: T(10, 0, 1), cpus: snap(4012, 0) }, { at: T(10, 20, 1), cpus: snap(4012, 2264) }]));
  b.add(`nodes/${OTHER}/conntrack-S.txt`, conntrackS([{ at: T(10, 0, 3), cpus: snap(1877, 0).map((x) => ({ ...x, insert_failed: 0, drop: 0 })) }, { at: T(10, 20, 3), cpus: snap(1877, 0).map((x) => ({ ...x, insert_failed: 0, drop: 0 })) }]));
  b.write({
    description: "Seed 003: SNAT port races drop first SYNs of outbound connections from smartgateway: upstream connect time clusters at ~1 s and ~3 s, median unaffected, conntrack insert_failed grows on the gateway node.",
    seed: "003_a99b14c037daa366",
    top: "conntrack-snat-race",
    topEvidenceFile: "logs/smartgateway-access.log",
    facts: { "conntrack-snat-race": { near1s: { min: 5, max: 1000 }, near3s: { min: 1, max: 1000 }, medianMs: { min: 0, max: 50 }, insertFailedGrowth: { min: 1000, max: 100000 }, traceGaps: { min: 3, max: 100 } } },
    mustNotFire: ["iptables-rule-order", "endpoint-removal-race", "ipvs-stale-backends", "retry-latency-amplification"],
    formats: {
      "timeline.md": "timeline",
      "logs/smartgateway-access.log": "nginx-access",
      "traces/xray-batch-get-traces.json": "xray",
      [`nodes/${GW_NODE}/conntrack-S.txt`]: "conntrack-stats",
      [`nodes/${OTHER}/conntrack-S.txt`]: "conntrack-stats",
    },
  });
}

// ───────────────────────────── healthy bundle and near misses ─────────────────────────────

function healthy(): void {
  const r = prng(0x0aa);
  const b = new Bundle("healthy-baseline");
  const T = (h: number, m: number, s = 0) => Date.UTC(2025, 2, 4, h, m, s);
  b.add("bundle.yaml", ["title: Routine deploy, no incident (control bundle)", "timezone: UTC", "date: 2025-03-04", "nodes:", '  "nodes/node-a/": node-a', '  "nodes/node-b/": node-b', ""].join("\n"));
  b.add("timeline.md", timelineMd("Weekly release", "Date: 2025-03-04", ["09:00 UTC — Deploy: checkout v4.2.0 rolled out (canary 10% → 100%).", "09:30 UTC — Release verified, dashboards normal."]));
  const front: string[] = [];
  for (let t = T(9, 0) + int(r, 0, 999); t < T(9, 12); t += int(r, 300, 1100)) {
    const dur = int(r, 9, 60) + (r() < 0.01 ? int(r, 30, 80) : 0);
    const status = r() < 0.003 ? 404 : r() < 0.0005 ? 503 : 200;
    const ip = pick(r, ["10.244.1.31", "10.244.2.31"]);
    front.push(envoyText({ start: t, method: "GET", path: pick(r, ["/api/cart", "/api/products", "/api/quote"]), status, details: "via_upstream", sent: int(r, 200, 3000), duration: dur, upstreamTime: dur - 1, ua: "frontend/2.8.1", reqId: uuid(r), authority: "checkout.shop.svc.cluster.local:8080", upstreamHost: `${ip}:8080`, cluster: "outbound|8080||checkout.shop.svc.cluster.local", upLocal: `10.244.1.20:${int(r, 32768, 60999)}`, downLocal: "10.96.41.17:8080", downRemote: `10.244.1.20:${int(r, 32768, 60999)}` }));
  }
  b.add("logs/frontend-istio-proxy.log", `${front.join("\n")}\n`);
  const nat = natRules(r);
  for (const n of ["node-a", "node-b"])
    b.add(`nodes/${n}/iptables-save-c.txt`, iptablesSave({ at: T(9, 15), tables: [{ name: "nat", chains: nat.chains, rules: nat.rules }, { name: "filter", chains: FILTER_CHAINS, rules: filterRules(r, "safe", { meshPkts: int(r, 10000, 90000), rejectPkts: int(r, 0, 20) }) }] }, r));
  const reals = ["10.244.1.31", "10.244.2.31"].map((ip) => ({ ip, port: 8080 }));
  for (const n of ["node-a", "node-b"]) b.add(`nodes/${n}/ipvsadm-Ln.txt`, ipvsadmLn(r, [{ proto: "TCP", vip: "10.96.41.17", port: 8080, reals }]));
  b.add("k8s/pods.yaml", podList(reals.map((x, i) => podYaml({ name: `checkout-84d5c9f7b-${["a1b2c", "d3e4f"][i]}`, ns: "shop", ip: x.ip, node: i ? "node-b" : "node-a", app: "checkout", hash: "84d5c9f7b", created: T(9, 1, 10 + i * 20), uid: uuid(r) }))));
  const snap = (f: number) => [0, 1].map((i) => ({ found: f + i, invalid: 12, ignore: 0, insert: 0, insert_failed: 0, drop: 0, early_drop: 0, error: 0, search_restart: 40 + i }));
  b.add("nodes/node-a/conntrack-S.txt", conntrackS([{ at: T(9, 0, 2), cpus: snap(100) }, { at: T(9, 12, 2), cpus: snap(160) }]));
  b.add("k8s/events.json", k8sEventList([
    k8sEvent(r, { ns: "shop", kind: "Deployment", name: "checkout", reason: "ScalingReplicaSet", message: "Scaled up replica set checkout-84d5c9f7b to 2", ts: T(9, 0, 40), component: "deployment-controller" }),
    k8sEvent(r, { ns: "shop", kind: "Pod", name: "checkout-6b7c8d9e0-zz9yy", reason: "Killing", message: "Stopping container checkout", ts: T(9, 1, 55), component: "kubelet", host: "node-a", fieldPath: "spec.containers{checkout}" }),
  ]));
  b.write({
    description: "Control: a routine deploy with steady traffic, consistent iptables/IPVS across nodes and flat conntrack counters. Nothing may reach 0.5.",
    seed: null,
    top: null,
    mustNotFire: ["iptables-rule-order", "retry-latency-amplification", "endpoint-removal-race", "ipvs-stale-backends", "conntrack-snat-race", "latency-regression", "error-burst-after-change"],
    formats: {
      "timeline.md": "timeline",
      "logs/frontend-istio-proxy.log": "envoy-access",
      "nodes/node-a/iptables-save-c.txt": "iptables-save",
      "nodes/node-b/iptables-save-c.txt": "iptables-save",
      "nodes/node-a/ipvsadm-Ln.txt": "ipvsadm",
      "nodes/node-b/ipvsadm-Ln.txt": "ipvsadm",
      "k8s/pods.yaml": "k8s-objects",
      "nodes/node-a/conntrack-S.txt": "conntrack-stats",
      "k8s/events.json": "k8s-events",
    },
  });
}

/** Near miss for endpoint-removal-race: the same rollout with a preStop hook — pods die, nothing is refused. */
function nearMissCleanRollout(): void {
  const r = prng(0x0b1);
  const b = new Bundle("near-miss-clean-rollout");
  const T = (h: number, m: number, s = 0, ms = 0) => Date.UTC(2025, 5, 13, h, m, s, ms);
  const kills = [T(11, 0, 9, 50), T(11, 0, 21, 300), T(11, 0, 34, 10)];
  const old = ["10.244.1.17", "10.244.2.23", "10.244.3.12"];
  const names = ["go-httpbin-5f7b8c9d4-4xq2n", "go-httpbin-5f7b8c9d4-9mz7k", "go-httpbin-5f7b8c9d4-t8r5w"];
  b.add("k8s/pods-before-rollout.yaml", podList(old.map((ip, i) => podYaml({ name: names[i]!, ns: "httpbin", ip, node: `worker-${i + 1}`, app: "go-httpbin", hash: "5f7b8c9d4", created: T(9, 0), uid: uuid(r) }))));
  b.add("k8s/events.json", k8sEventList(kills.map((k, i) => k8sEvent(r, { ns: "httpbin", kind: "Pod", name: names[i]!, reason: "Killing", message: "Stopping container go-httpbin", ts: k, component: "kubelet", host: `worker-${i + 1}`, fieldPath: "spec.containers{go-httpbin}" }))));
  const zt: string[] = [];
  for (let t = T(11, 0); t < T(11, 1); t += int(r, 100, 300)) {
    const live = old.filter((_, i) => t < kills[i]! + 5000); // preStop sleep 5 s: endpoints go first
    const ip = live.length ? pick(r, live) : "10.244.1.41";
    zt.push(ztunnelLine(r, t, { level: "info", msg: "connection complete", src: `10.244.0.31:${int(r, 32768, 60999)}`, srcWl: "gateway-istio-7f9c6d8b4-rq2lm", dst: `${ip}:15008`, hbone: `${ip}:8080`, svc: "go-httpbin.httpbin.svc.cluster.local", dstWl: names[old.indexOf(ip)] ?? "go-httpbin-6c9d7f8b5-b2lkq", ns: "httpbin", dir: "outbound", sent: int(r, 100, 900), recv: int(r, 100, 900), dur: `${int(r, 1, 30)}ms` }));
  }
  b.add("nodes/worker-0/ztunnel.log", `${zt.join("\n")}\n`);
  b.write({
    description: "Near miss for endpoint-removal-race: pods terminate during a rollout but a preStop delay lets ztunnel drop them first; no refused connections.",
    seed: "001_1e4fa59e61dc4e88",
    top: null,
    mustNotFire: ["endpoint-removal-race", "retry-latency-amplification", "error-burst-after-change"],
    formats: { "k8s/pods-before-rollout.yaml": "k8s-objects", "k8s/events.json": "k8s-events", "nodes/worker-0/ztunnel.log": "ztunnel-access" },
  });
}

/** Near miss for retry-latency-amplification and conntrack-snat-race: a slow upstream hits the 1 s timeout without retries. */
function nearMissSlowUpstream(): void {
  const r = prng(0x0b2);
  const b = new Bundle("near-miss-slow-upstream");
  const T = (h: number, m: number, s = 0) => Date.UTC(2025, 1, 20, h, m, s);
  const lines: string[] = [];
  for (let t = T(16, 0) + 123; t < T(16, 10); t += int(r, 400, 1200)) {
    const slow = t > T(16, 4) && t < T(16, 7) && r() < 0.15;
    const dur = slow ? 1000 + int(r, 0, 2) : int(r, 15, 90);
    lines.push(envoyText({ start: t, method: "GET", path: "/api/report", status: slow ? 504 : 200, flags: slow ? "UT" : "-", details: slow ? "response_timeout" : "via_upstream", sent: slow ? 24 : int(r, 300, 3000), duration: dur, upstreamTime: slow ? null : dur - 1, ua: "reports-ui/1.0", reqId: uuid(r), authority: "reports.analytics.svc.cluster.local:8080", upstreamHost: "10.244.5.9:8080", cluster: "outbound|8080||reports.analytics.svc.cluster.local", upLocal: `10.244.1.20:${int(r, 32768, 60999)}`, downLocal: "10.96.77.4:8080", downRemote: `10.244.1.20:${int(r, 32768, 60999)}` }));
  }
  b.add("logs/reports-ui-istio-proxy.log", `${lines.join("\n")}\n`);
  const snap = [0, 1].map((i) => ({ found: 50 + i, invalid: 3, ignore: 0, insert: 0, insert_failed: 0, drop: 0, early_drop: 0, error: 0, search_restart: 7 }));
  b.add("nodes/worker-5/conntrack-S.txt", conntrackS([{ at: T(16, 0, 1), cpus: snap }, { at: T(16, 10, 1), cpus: snap }]));
  b.write({
    description: "Near miss for retry-latency-amplification and conntrack-snat-race: 504 UT at the 1 s route timeout because one upstream is slow — no retries, no resets, flat conntrack counters. Nothing specific explains the latency shift, so latency-regression stands.",
    seed: null,
    top: "latency-regression",
    topEvidenceFile: "logs/reports-ui-istio-proxy.log",
    mustNotFire: ["retry-latency-amplification", "conntrack-snat-race", "iptables-rule-order", "endpoint-removal-race"],
    formats: { "logs/reports-ui-istio-proxy.log": "envoy-access", "nodes/worker-5/conntrack-S.txt": "conntrack-stats" },
  });
}

seed000();
seed001();
seed002();
seed003();
healthy();
nearMissCleanRollout();
nearMissSlowUpstream();
