import type { EvidenceRef } from "@/lib/schemas/hypothesis";
import type { NetworkPolicySpec, ObjectRecord, RequestRecord } from "@/lib/schemas/records";
import { isFailedRequest, stripPort, type Located } from "@/lib/server/correlate";
import { Confidence } from "./confidence";
import { workloadOfPod } from "./endpoint-removal-race";
import { serviceOfRequest } from "./oom-crashloop-no-healthy-upstream";
import type { Detector, DetectorContext } from "./types";
import { describeRequest, fmtMs, iso, median } from "./util";

/**
 * network-policy-deny: a NetworkPolicy applied at the onset selects the server's pods (Ingress) or
 * the client's (Egress) and none of its rules admits the other side, so the CNI drops the SYNs of
 * that one path. Nothing answers: the client's proxy waits its whole connect timeout and gives up —
 * Envoy `UF` `connection_timeout` / `delayed_connect_error:_110` (older: `LR` at the timeout),
 * nginx 504 with `upstream_connect_time` = `proxy_connect_timeout`, ztunnel "connection timed out".
 *
 *   policy created ▼ (metadata.creationTimestamp)
 *   frontend → cart   ✓✓✓✓✓✓│⏳⏳⏳⏳⏳⏳⏳   ⏳ = connect timed out after exactly the connect timeout (10 s)
 *   orders   → cart   ✓✓✓✓✓✓│✓✓✓✓✓✓✓✓   admitted by the policy: the server is up
 *
 * What must be true: (1) connect timeouts (not refusals, not slow answers), their durations at one
 * constant (the timeout: packets dropped, nothing refused); (2) a policy whose selection and rules
 * deny exactly that client → server path; (3) the timeouts begin when the policy appeared. What
 * tells it from look-alikes: a dead server or node times out every client (other paths keep working
 * here); a policy that admits the path cannot be the cause; response timeouts (504 UT) reached the
 * server.
 */
const TIMEOUT_TEXT = /connection_timeout|connect(?:ion)?[ _-]?time(?:d)?[ _-]?out|delayed_connect_error:_110|os error 110|\(110[:)]|ETIMEDOUT|timed out.*connect/i;

/** A request that failed because the TCP connect never completed within the proxy's timeout. */
export function isConnectTimeout(r: RequestRecord): boolean {
  const flags = r.flags ?? [];
  if (flags.includes("UT") || flags.includes("UH") || flags.includes("NR")) return false;
  if (TIMEOUT_TEXT.test(r.error ?? "")) return true;
  const d = r.durationMs ?? 0;
  if ((flags.includes("UF") || flags.includes("LR")) && d >= 900 && !r.upstreamMs) return !/refused|_111|os error 111|connection_termination|remote_reset|connection reset|_104/i.test(r.error ?? "");
  // nginx: 502/504 whose upstream time is all connect time.
  const c = r.connectMs ?? 0;
  if ((r.status === 504 || r.status === 502) && c >= 900 && (r.upstreamMs === null || r.upstreamMs === undefined || r.upstreamMs <= c + 50)) return true;
  return false;
}

interface Party {
  name: string;
  namespace?: string;
  labels: Record<string, string>;
  /** Labels read from the bundle (a pod object / identity), not assumed from the name. */
  known: boolean;
}

interface Policy {
  loc: Located<ObjectRecord>;
  spec: NetworkPolicySpec;
  name: string;
  namespace?: string;
  createdAt: number | null;
}

type Verdict = "deny" | "allow" | "not-selected";

const matches = (sel: Record<string, string>, labels: Record<string, string>) => Object.entries(sel).every(([k, v]) => labels[k] === v);

function peerAdmits(peers: NonNullable<NonNullable<NetworkPolicySpec["ingress"]>[number]["peers"]> | undefined, other: Party, policyNs: string | undefined): boolean {
  if (!peers || peers.length === 0) return true;
  return peers.some((p) => {
    if (p.ipBlock) return false;
    const nsOk = p.namespaceSelector === undefined ? (other.namespace ?? policyNs) === policyNs : Object.keys(p.namespaceSelector).length === 0 || (p.namespaceSelector["kubernetes.io/metadata.name"] !== undefined && p.namespaceSelector["kubernetes.io/metadata.name"] === other.namespace);
    const podOk = p.podSelector === undefined || matches(p.podSelector, other.labels);
    return nsOk && podOk;
  });
}
function portAdmits(ports: { port?: number | string; protocol?: string }[] | undefined, port: number | undefined): boolean {
  if (!ports || ports.length === 0 || port === undefined) return true;
  return ports.some((p) => p.port === undefined || typeof p.port === "string" || p.port === port);
}

/** Does this policy deny client → server:port? Ingress side selects the server, egress side the client. */
function judge(p: Policy, client: Party, server: Party, port: number | undefined): { verdict: Verdict; side: "ingress" | "egress" | null } {
  const ns = p.namespace;
  const selects = (x: Party) => (x.namespace ?? ns) === ns && matches(p.spec.podSelector, x.labels);
  if (p.spec.policyTypes.includes("Ingress") && selects(server)) {
    const ok = (p.spec.ingress ?? []).some((r) => peerAdmits(r.peers, client, ns) && portAdmits(r.ports, port));
    return { verdict: ok ? "allow" : "deny", side: "ingress" };
  }
  if (p.spec.policyTypes.includes("Egress") && selects(client)) {
    const ok = (p.spec.egress ?? []).some((r) => peerAdmits(r.peers, server, ns) && portAdmits(r.ports, port));
    return { verdict: ok ? "allow" : "deny", side: "egress" };
  }
  return { verdict: "not-selected", side: null };
}

/**
 * The verdict of every policy together, as the API defines it: a path is denied on a side when some
 * policy selects that side's pod and no policy selecting it admits the path.
 */
function verdictOf(policies: Policy[], client: Party, server: Party, port: number | undefined, at: number | null): { verdict: Verdict; deciding: Policy[] } {
  const live = policies.filter((p) => at === null || p.createdAt === null || p.createdAt <= at + 60_000);
  const res = live.map((p) => ({ p, ...judge(p, client, server, port) }));
  for (const side of ["ingress", "egress"] as const) {
    const mine = res.filter((r) => r.side === side);
    if (mine.length && !mine.some((r) => r.verdict === "allow")) return { verdict: "deny", deciding: mine.map((r) => r.p) };
  }
  const allowing = res.filter((r) => r.verdict === "allow");
  return allowing.length ? { verdict: "allow", deciding: allowing.map((r) => r.p) } : { verdict: "not-selected", deciding: [] };
}

function policies(ctx: DetectorContext): Policy[] {
  return (ctx.objects as Located<ObjectRecord>[])
    .filter((o) => o.rec.k8sKind === "NetworkPolicy" && o.rec.policy)
    .map((o) => ({ loc: o, spec: o.rec.policy!, name: o.rec.name, namespace: o.rec.namespace, createdAt: typeof o.rec.createdAt === "number" ? o.rec.createdAt : null }));
}

/** Proxy log files named after the client they sit beside: `frontend-istio-proxy.log`, `nodes/x/frontend-7d9f…-abcde_istio-proxy.log`. */
function clientFromFile(path: string | undefined): string | undefined {
  if (!path) return undefined;
  const base = path.split("/").pop()!.replace(/^ip-[\d-]+_/, "");
  const m = /^([a-z][a-z0-9-]*?)[-_](?:istio-proxy|envoy|sidecar)\b/.exec(base);
  if (m) return workloadOfPod(m[1]!);
  if (/^ingress-nginx|nginx-ingress|ingress-controller/.test(base)) return "ingress-nginx";
  return undefined;
}

function parties(ctx: DetectorContext) {
  const podLabels = new Map<string, { labels: Record<string, string>; namespace?: string }>();
  const serviceSelector = new Map<string, { labels: Record<string, string>; namespace?: string }>();
  for (const o of ctx.objects) {
    if (o.rec.k8sKind === "Pod") podLabels.set(o.rec.name, { labels: o.rec.labels, namespace: o.rec.namespace });
    if (o.rec.k8sKind === "Service") {
      const sel = Object.fromEntries(Object.entries(o.rec.labels).filter(([k]) => k.startsWith("@selector:")).map(([k, v]) => [k.slice(10), v]));
      if (Object.keys(sel).length) serviceSelector.set(o.rec.name, { labels: sel, namespace: o.rec.namespace });
    }
  }
  const fromPod = (pod: string | undefined, fallbackNs?: string): Party | null => {
    if (!pod) return null;
    const p = podLabels.get(pod);
    if (p) return { name: p.labels.app ?? workloadOfPod(pod), namespace: p.namespace ?? fallbackNs, labels: p.labels, known: true };
    const app = workloadOfPod(pod);
    return { name: app, namespace: fallbackNs, labels: { app }, known: false };
  };
  const client = (r: Located<RequestRecord>): Party | null => {
    const c = r.rec.client;
    if (c?.workload) return fromPod(c.workload, c.namespace);
    if (c?.ip) {
      const id = ctx.identity.resolve(stripPort(c.ip), r.rec.ts);
      if (id?.pod) return fromPod(id.pod, id.namespace) ?? null;
      if (id?.labels) return { name: id.labels.app ?? id.workload ?? c.ip, namespace: id.namespace, labels: id.labels, known: true };
    }
    const byFile = clientFromFile(ctx.files.get(r.fileId)?.path);
    if (byFile === "ingress-nginx") return { name: "ingress-nginx", namespace: "ingress-nginx", labels: { "app.kubernetes.io/name": "ingress-nginx" }, known: false };
    return byFile ? { name: byFile, namespace: r.rec.dest?.namespace, labels: { app: byFile }, known: false } : null;
  };
  const server = (r: Located<RequestRecord>): Party | null => {
    const d = r.rec.dest;
    if (d?.workload) return fromPod(d.workload, d.namespace);
    if (d?.ip) {
      const id = ctx.identity.resolve(stripPort(d.ip), r.rec.ts);
      if (id?.pod) return fromPod(id.pod, id.namespace);
    }
    const svc = serviceOfRequest(r.rec);
    if (!svc) return null;
    const sel = serviceSelector.get(svc);
    const ns = d?.namespace ?? /^[^.]+\.([^.:]+)/.exec(d?.service ?? r.rec.authority ?? "")?.[1];
    if (sel) return { name: svc, namespace: sel.namespace ?? ns, labels: sel.labels, known: true };
    return { name: svc, namespace: ns, labels: { app: svc }, known: false };
  };
  return { client, server };
}

function uniqueCount(list: Located<RequestRecord>[]): number {
  const ids = new Set<string>();
  let n = 0;
  for (const r of list) {
    const id = r.rec.requestId && r.rec.requestId !== "-" ? r.rec.requestId : null;
    if (id === null) n++;
    else if (!ids.has(id)) {
      ids.add(id);
      n++;
    }
  }
  return n;
}

export const networkPolicyDeny: Detector = {
  id: "network-policy-deny",
  title: "A NetworkPolicy drops the connections of one client → server path (connect timeouts)",
  requires: ["k8s-objects", "envoy-access", "nginx-access", "ztunnel-access", "timeline"],
  specificity: "specific",
  coverage(ctx) {
    const pols = policies(ctx);
    if (!pols.length) return { checked: false, detail: "no NetworkPolicy objects in the bundle: a policy deny cannot be judged (absence of the dump is not absence of a policy)" };
    if (!ctx.requests.length) return { checked: false, detail: `${pols.length} NetworkPolicies in the bundle, but no access logs to see connect timeouts` };
    const timeouts = ctx.requests.filter((r) => isConnectTimeout(r.rec)).length;
    return { checked: true, detail: `${pols.length} NetworkPolicies and ${ctx.requests.length} requests examined: ${timeouts ? `${timeouts} connect timeouts, none on a path the policies deny` : "no connect timeouts"}` };
  },
  detect(ctx) {
    const pols = policies(ctx);
    if (!pols.length) return [];
    const { client, server } = parties(ctx);
    const timeouts = ctx.requests.filter((r) => r.rec.ts !== null && isConnectTimeout(r.rec));
    if (timeouts.length < 3) return [];
    // Paths: client → server:port.
    const paths = new Map<string, { c: Party | null; s: Party; port: number | undefined; fails: Located<RequestRecord>[] }>();
    for (const r of timeouts) {
      const s = server(r);
      if (!s) continue;
      const c = client(r);
      const key = `${c?.name ?? "?"}→${s.name}`;
      const p = paths.get(key) ?? paths.set(key, { c, s, port: r.rec.dest?.port, fails: [] }).get(key)!;
      p.fails.push(r);
    }
    const out = [];
    const failedInWindow = ctx.summary.impact?.failed ?? 0;
    const allFailed = ctx.requests.filter((r) => isFailedRequest(r.rec) || isConnectTimeout(r.rec));
    for (const [key, p] of [...paths.entries()].sort((a, b) => b[1].fails.length - a[1].fails.length || (a[0] < b[0] ? -1 : 1))) {
      if (p.fails.length < 3) continue;
      const first = p.fails[0]!;
      const firstTs = first.rec.ts as number;
      const clientParty = p.c ?? { name: "unknown client", labels: {}, known: false };
      const v = verdictOf(pols, clientParty, p.s, p.port, firstTs + (first.rec.durationMs ?? 0));
      if (v.verdict !== "deny") continue;
      const pol = v.deciding.slice().sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0))[0]!;
      const created = v.deciding.map((x) => x.createdAt).filter((x): x is number => x !== null);
      const appliedAt = created.length ? Math.max(...created) : null;
      // Requests of the path: before the policy they connected; after it they time out.
      const sameClient = (r: Located<RequestRecord>) => (client(r)?.name ?? "?") === (p.c?.name ?? "?");
      const pathReqs = ctx.requests.filter((r) => r.rec.ts !== null && server(r)?.name === p.s.name && sameClient(r));
      const timeoutMs = median(p.fails.map((r) => Number(r.rec.connectMs && r.rec.connectMs >= 900 ? r.rec.connectMs : (r.rec.durationMs ?? 0))))!;
      const atTimeout = p.fails.filter((r) => {
        const d = Number(r.rec.connectMs && r.rec.connectMs >= 900 ? r.rec.connectMs : (r.rec.durationMs ?? 0));
        return Math.abs(d - timeoutMs) <= Math.max(150, 0.1 * timeoutMs);
      }).length;
      const tolerance = timeoutMs * 3 + 30_000;
      const fails = appliedAt === null ? p.fails : p.fails.filter((r) => (r.rec.ts as number) + (r.rec.durationMs ?? 0) >= appliedAt - 5_000);
      const before = appliedAt === null ? 0 : p.fails.length - fails.length;
      if (fails.length < 3) continue;
      const okBefore = appliedAt === null ? 0 : pathReqs.filter((r) => (r.rec.ts as number) < appliedAt && !isFailedRequest(r.rec)).length;
      const okAfter = appliedAt === null ? 0 : pathReqs.filter((r) => (r.rec.ts as number) > appliedAt + tolerance && !isFailedRequest(r.rec) && !isConnectTimeout(r.rec.ts ? r.rec : r.rec)).length;
      const startFrom = appliedAt ?? firstTs;
      const others = ctx.requests.filter((r) => r.rec.ts !== null && (r.rec.ts as number) > startFrom + tolerance && server(r)?.name === p.s.name && !sameClient(r));
      const othersOk = others.filter((r) => !isFailedRequest(r.rec) && !isConnectTimeout(r.rec)).length;
      const othersTimedOut = others.filter((r) => isConnectTimeout(r.rec)).length;
      const total = uniqueCount(fails);
      const denominator = Math.max(failedInWindow, uniqueCount(allFailed.filter((r) => appliedAt === null || (r.rec.ts as number) >= appliedAt - 60_000)));
      const share = denominator > 0 ? Math.min(1, total / denominator) : null;
      const lag = appliedAt === null ? null : (fails[0]!.rec.ts as number) - appliedAt;
      const sources = [...new Set(fails.map((r) => r.rec.source))].sort();
      const side = judge(pol, clientParty, p.s, p.port).side ?? "ingress";

      const c = new Confidence(0.5, `connections ${p.c ? `from ${p.c.name} ` : ""}to ${p.s.name} timed out and NetworkPolicy ${pol.name} does not admit that path`);
      if (p.c?.known && p.s.known) c.add(0.12, `${pol.name} selects ${side === "ingress" ? `${p.s.name}'s pods` : `${p.c.name}'s pods`} by their labels and none of its ${side} rules admits ${side === "ingress" ? p.c.name : p.s.name}`, "specificity");
      else if (p.c) c.add(0.06, `${pol.name} denies ${p.c.name} → ${p.s.name}, judged on ${[!p.c.known ? `${p.c.name}'s` : "", !p.s.known ? `${p.s.name}'s` : ""].filter(Boolean).join(" and ")} labels assumed from the name${!p.c.known && !p.s.known ? "s" : ""} (app=…)`, "specificity");
      else c.add(-0.08, "the client of the failing connections is not named in the bundle: the path is judged on the server side only", "specificity");
      if (lag !== null) {
        if (lag >= -5_000 - timeoutMs && lag <= 120_000) c.add(0.08, `the first timeout came ${lag <= 0 ? "as" : `${fmtMs(lag)} after`} ${pol.name} was created (${iso(appliedAt)})`);
        else if (lag > 600_000) c.add(-0.1, `the timeouts began ${fmtMs(lag)} after the policy was created`, "counter");
      } else c.add(-0.05, "the policy's creation time is not in the bundle", "evidence");
      if (before >= 3 && before > fails.length * 0.2) c.add(-0.2, `${before} connects on the same path had already timed out before the policy existed`, "counter");
      if (atTimeout / p.fails.length >= 0.8 && timeoutMs >= 900) c.add(0.05, `${atTimeout} of ${p.fails.length} attempts waited the full connect timeout (~${fmtMs(timeoutMs)}): the SYNs were dropped, nothing refused them`);
      if (othersOk >= 3 && othersTimedOut <= othersOk * 0.05) c.add(0.06, `${othersOk} requests from other clients still reached ${p.s.name}: the server was up, only this path was cut`, "specificity");
      else if (othersTimedOut > 3 && othersTimedOut > othersOk) c.add(-0.1, `other clients' connects to ${p.s.name} timed out too: a dead server or node explains them as well`, "counter");
      c.when(okBefore >= 3, 0.04, `the same path connected normally before (${okBefore} requests)`);
      c.when(okAfter > 3 && okAfter > fails.length * 0.2, -0.1, `${okAfter} requests on the same path still succeeded after the policy`, "counter");
      if (share !== null) {
        const pct = Math.round(share * 100);
        if (share >= 0.8) c.add(0.12, `explains ${total} of the ${denominator} failed requests in the incident window (${pct} %)`, "impact");
        else if (share >= 0.5) c.add(0.06, `explains ${total} of the ${denominator} failed requests in the incident window (${pct} %)`, "impact");
        else if (share < 0.2) c.add(-0.2, `explains only ${total} of the ${denominator} failed requests in the incident window (${pct} %)`, "impact");
      }
      c.cap(0.93, "the policy shows what the CNI was told to do; the dropped packets themselves are not in the bundle");

      const evidence: EvidenceRef[] = [];
      for (const x of v.deciding.slice(0, 2)) {
        const sp = x.spec;
        const rules = side === "ingress" ? sp.ingress : sp.egress;
        evidence.push(ctx.cite(x.loc as Located<{ prov: { line?: number; pointer?: string }; ts?: unknown }>, `NetworkPolicy ${x.namespace ?? ""}/${x.name} created ${iso(x.createdAt) ?? "(time unknown)"}: podSelector ${JSON.stringify(sp.podSelector)}, policyTypes ${sp.policyTypes.join(",")}, ${side} ${JSON.stringify(rules ?? [])}`.slice(0, 600), `Selects ${side === "ingress" ? p.s.name : (p.c?.name ?? "the client")} and admits no rule for ${side === "ingress" ? (p.c?.name ?? "the client") : p.s.name}.`, { ts: iso(x.createdAt) }));
      }
      const firstAfter = fails[0]!;
      const lastAfter = fails[fails.length - 1]!;
      evidence.push(ctx.cite(firstAfter, describeRequest(firstAfter.rec), `First connect timeout on ${key}${lag !== null ? `, ${fmtMs(Math.max(0, lag))} after the policy` : ""}.`, firstAfter.rec.traceId ? { traceId: firstAfter.rec.traceId } : {}));
      if (lastAfter !== firstAfter) evidence.push(ctx.cite(lastAfter, describeRequest(lastAfter.rec), `Last of ${fails.length} connect timeouts on ${key}.`));
      const okOther = others.find((r) => !isFailedRequest(r.rec));
      if (okOther) evidence.push(ctx.cite(okOther, describeRequest(okOther.rec), `Another client reached ${p.s.name} after the policy: the server was up.`));
      const counterEvidence = okAfter ? pathReqs.filter((r) => appliedAt !== null && (r.rec.ts as number) > appliedAt + tolerance && !isFailedRequest(r.rec)).slice(0, 2).map((r) => ctx.cite(r, describeRequest(r.rec), "Succeeded on the same path after the policy.")) : [];
      const via = sources.includes("ztunnel") ? "ztunnel" : sources.includes("nginx") ? "nginx" : sources.includes("envoy") ? "Envoy" : sources.join("/");
      out.push({
        detector: "network-policy-deny",
        title: `NetworkPolicy ${pol.name} blocks ${p.c?.name ?? "a client"} → ${p.s.name}: ${total} connects timed out${timeoutMs >= 900 ? ` after ${fmtMs(timeoutMs)}` : ""}`,
        ...c.result(),
        summary: `NetworkPolicy ${pol.namespace ? `${pol.namespace}/` : ""}${pol.name}${appliedAt !== null ? `, created ${iso(appliedAt)},` : ""} selects ${side === "ingress" ? `the pods of ${p.s.name}` : `the pods of ${p.c?.name ?? "the client"}`} and none of its ${side} rules admits ${side === "ingress" ? (p.c?.name ?? "the client") : p.s.name}${p.port ? ` on port ${p.port}` : ""}. From then on the CNI dropped that path's SYNs: ${via} waited its connect timeout${timeoutMs >= 900 ? ` (~${fmtMs(timeoutMs)})` : ""} and failed ${total} requests${share !== null ? ` (${Math.round(share * 100)} % of the failed requests in the window)` : ""}${othersOk ? `, while ${othersOk} requests from other clients still reached ${p.s.name}` : ""}.`,
        evidence,
        counterEvidence,
        checks: [
          `kubectl get networkpolicy -n ${pol.namespace ?? "<ns>"} -o yaml: does any policy selecting ${p.s.name} admit ${p.c?.name ?? "the client"} (podSelector / namespaceSelector / ports)?`,
          `From a ${p.c?.name ?? "client"} pod: nc -vz -w 3 <${p.s.name} pod IP> ${p.port ?? "<port>"} times out (dropped), while it connects from an admitted pod.`,
          "CNI policy logs or verdict counters (Cilium: hubble observe --verdict DROPPED; Calico: flow logs with action deny) for the path.",
        ],
        remediation: {
          immediate: [`Add an ingress rule to ${pol.name} admitting ${p.c?.name ?? "the client"} (podSelector${p.c?.namespace && p.c.namespace !== pol.namespace ? " with a namespaceSelector" : ""}, port ${p.port ?? "of the service"}), or roll the policy back.`],
          longTerm: ["Review NetworkPolicies against the observed call graph before applying them (policy audit mode / dry run where the CNI offers it).", "Alert on connect timeouts per client → server path, not only per service."],
        },
        explains: share === null || share >= 0.5 ? ["error-burst-after-change", "latency-regression", "retry-latency-amplification"] : [],
        facts: {
          policy: `${pol.namespace ? `${pol.namespace}/` : ""}${pol.name}`,
          side,
          client: p.c?.name ?? "unknown",
          server: p.s.name,
          service: p.s.name,
          failures: total,
          timeoutMs: Math.round(timeoutMs),
          otherClientsOk: othersOk,
          dataPath: via,
        },
      });
    }
    return out.slice(0, 3);
  },
};
