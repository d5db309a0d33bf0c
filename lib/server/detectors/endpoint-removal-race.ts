import type { EvidenceRef } from "@/lib/schemas/hypothesis";
import type { EventRecord, ObjectRecord, RequestRecord } from "@/lib/schemas/records";
import { durationMs, elapsed, maxEpoch, minEpoch, subMs, type DurationMs, type EpochMs } from "@/lib/schemas/time";
import { isFailedRequest, stripPort, type Located } from "@/lib/server/correlate";
import { Confidence } from "./confidence";
import type { Detector, DetectorContext } from "./types";
import { describeRequest, fmtMs, iso, median } from "./util";

/**
 * endpoint-removal-race: a pod's process stops accepting connections before the data plane
 * (ztunnel / sidecar or gateway Envoy / kube-proxy) stops sending it new ones, so connections to it
 * are refused until the endpoint removal arrives (seed 001: 200–500 ms per pod in Istio ambient).
 *
 *   pod-a  termination begins ▼ (Killing event, 1 s resolution; or deletionTimestamp − grace)
 *   to 10.0.1.7  ───✓✓✓✓✓─────────✗✗✗✗✗✗────────────   ✗ = connection refused / 503 UF
 *                              │◀ 230 ms ▶│  first → last refusal, from ONE millisecond source
 *                          exit▲          ▲ endpoint gone from the data plane
 *   pod-b                    ▼               ✗✗✗✗ (one burst per terminating pod)
 *
 * Terminations: Killing / "Killing container" events (event or kubelet log), pod
 * deletionTimestamp − deletionGracePeriodSeconds, terminated-container finishedAt; pods listed as
 * terminating in an EndpointSlice are terminating at an unknown time. Destinations: the identity
 * map (pods, EndpointSlices, ztunnel workload fields) and the request's own workload name.
 * Failures to a pod are clustered (a gap over CLUSTER_GAP_MS starts a new burst); the burst after
 * the termination began is the race's. Its duration is measured on the millisecond source with most
 * refusals, never across sources with different clocks or resolutions, and says so.
 */
const PRE_MS = durationMs(2_000);
/** When the grace period is unknown, how long after termination began a first refusal still belongs to it. */
const DEFAULT_AFTER_MS = durationMs(35_000);
const CLUSTER_GAP_MS = durationMs(2_000);

/** A refused or reset connection: what a process that stopped listening produces. */
export function isRefusal(r: RequestRecord): boolean {
  const e = r.error ?? "";
  const flags = r.flags ?? [];
  if (/refused|os error 111|connection_failure|connect error|delayed_connect_error|upstream connect error|connection reset|os error 104|broken pipe/i.test(e)) return true;
  if (flags.includes("UF") || flags.includes("UC") || flags.includes("URX")) return true;
  return r.status === 503 && isFailedRequest(r) && !flags.includes("UH") && !flags.includes("UO");
}

interface Termination {
  pod: string;
  namespace?: string;
  /** Best estimate of when termination began; null = known to be terminating, time unknown. */
  startMs: EpochMs | null;
  /** Resolution of startMs: 1 ms or 1 s (event timestamps are whole seconds). */
  resolutionMs: DurationMs;
  basis: string;
  graceMs: DurationMs | null;
  cite: Located<EventRecord> | Located<ObjectRecord> | null;
}
interface Burst {
  t: Termination;
  ips: string[];
  failures: Located<RequestRecord>[];
  /** The millisecond source the interval is measured on. */
  source: string;
  firstMs: EpochMs;
  lastMs: EpochMs;
  successesAfter: number;
  /** The pod's address was matched by service name and timing, not read from the bundle. */
  inferred: boolean;
}

const wholeSecond = (t: EpochMs) => t % 1000 === 0;

function terminations(ctx: DetectorContext): Map<string, Termination> {
  const out = new Map<string, Termination>();
  const offer = (t: Termination) => {
    const prev = out.get(t.pod);
    // Prefer a known time, then the finer resolution, then the earlier start.
    if (!prev || (prev.startMs === null && t.startMs !== null) || (t.startMs !== null && prev.startMs !== null && (t.resolutionMs < prev.resolutionMs || (t.resolutionMs === prev.resolutionMs && t.startMs < prev.startMs)))) {
      out.set(t.pod, { ...t, graceMs: t.graceMs ?? prev?.graceMs ?? null });
    } else if (prev.graceMs === null && t.graceMs !== null) prev.graceMs = t.graceMs;
  };
  for (const e of ctx.events) {
    const s = e.rec.subject;
    const text = e.rec.text;
    const killing = e.rec.reason === "Killing" || /\bKilling container\b/i.test(text);
    if (!killing) continue;
    const name = s?.name && (!s.kind || s.kind === "Pod") ? s.name : /\bpod="?(?:([\w.-]+)\/)?([\w.-]+)"?/.exec(text)?.[2];
    if (!name) continue;
    const ts = e.rec.firstTs ?? e.rec.ts;
    if (ts === null) continue;
    const grace = /grace ?period[=: ]+(\d+)/i.exec(text);
    offer({ pod: name, namespace: s?.namespace, startMs: ts, resolutionMs: durationMs(wholeSecond(ts) ? 1000 : 1), basis: e.rec.source === "k8s" ? "Killing event" : `${e.rec.source} "Killing container" log line`, graceMs: grace ? durationMs(Number(grace[1]) * 1000) : null, cite: e });
  }
  for (const o of ctx.objects) {
    const r = o.rec;
    if (r.k8sKind === "Pod" && typeof r.deletedAt === "number") {
      const grace = r.deletionGraceSeconds;
      if (grace !== undefined) offer({ pod: r.name, namespace: r.namespace, startMs: subMs(r.deletedAt, durationMs(grace * 1000)), resolutionMs: durationMs(1000), basis: "pod deletionTimestamp − deletionGracePeriodSeconds", graceMs: durationMs(grace * 1000), cite: o });
      else offer({ pod: r.name, namespace: r.namespace, startMs: subMs(r.deletedAt, durationMs(30_000)), resolutionMs: durationMs(30_000), basis: "pod deletionTimestamp (grace period unknown: assumed 30 s)", graceMs: null, cite: o });
    }
    for (const ep of r.endpoints ?? []) if (ep.terminating && ep.pod && !out.has(ep.pod)) offer({ pod: ep.pod, namespace: r.namespace, startMs: null, resolutionMs: durationMs(Number.POSITIVE_INFINITY), basis: `terminating in EndpointSlice ${r.name} (time not recorded)`, graceMs: null, cite: o });
  }
  return out;
}

export const endpointRemovalRace: Detector = {
  id: "endpoint-removal-race",
  title: "Traffic still routed to terminating pods (endpoint removal race)",
  requires: ["k8s-events", "k8s-objects", "ztunnel-access", "envoy-access", "nginx-access"],
  specificity: "specific",
  coverage(ctx) {
    const terms = terminations(ctx);
    if (!terms.size) return { checked: false, detail: "no pod terminations in the bundle (no Killing events, deleted pods or terminating endpoints)" };
    const ips = podIps(ctx);
    const seen = ctx.requests.filter((r) => { const d = destOf(r.rec); return !!d && [...terms.keys()].some((p) => d.workload === p || ips.get(p)?.has(d.ip ?? "")); }).length;
    if (!seen) return { checked: false, detail: `${terms.size} pod${terms.size > 1 ? "s" : ""} terminated, but no access log in the bundle shows requests to ${terms.size > 1 ? "them" : "it"}` };
    return { checked: true, detail: `${terms.size} terminating pod${terms.size > 1 ? "s" : ""} and ${seen} requests to ${terms.size > 1 ? "them" : "it"} in the access logs: no burst of refused connections after termination began` };
  },
  detect(ctx: DetectorContext) {
    const terms = terminations(ctx);
    if (!terms.size) return [];
    const ips = podIps(ctx);
    const refusals = ctx.requests.filter((r) => r.rec.ts !== null && isRefusal(r.rec));
    const byIp = new Map<string, Located<RequestRecord>[]>();
    const byWorkload = new Map<string, Located<RequestRecord>[]>();
    for (const r of refusals) {
      const d = destOf(r.rec);
      if (d?.ip) (byIp.get(d.ip) ?? byIp.set(d.ip, []).get(d.ip)!).push(r);
      if (d?.workload) (byWorkload.get(d.workload) ?? byWorkload.set(d.workload, []).get(d.workload)!).push(r);
    }
    const okAfter = (ipset: Set<string>, pod: string, from: EpochMs, to: EpochMs) =>
      ctx.requests.filter((r) => { const d = destOf(r.rec); const t = r.rec.ts; return t !== null && t >= from && t <= to && !isFailedRequest(r.rec) && !!d && (d.workload === pod || ipset.has(d.ip ?? "")); }).length;

    const bursts: Burst[] = [];
    const explained = new Set<Located<RequestRecord>>();
    // IPs some pod in the bundle is known to own: never re-attributed by name and timing.
    const ownedIps = new Set([...ips.values()].flatMap((set) => [...set]));
    const claimed = new Set<string>();
    for (const t of [...terms.values()].sort((a, b) => (a.startMs ?? Infinity) - (b.startMs ?? Infinity) || (a.pod < b.pod ? -1 : 1))) {
      let ipset = ips.get(t.pod) ?? new Set<string>();
      const slack = PRE_MS + (Number.isFinite(t.resolutionMs) ? t.resolutionMs : 0);
      const after = t.graceMs !== null ? t.graceMs + 5_000 : DEFAULT_AFTER_MS;
      const inWindow = (c: Located<RequestRecord>[]) => t.startMs !== null && (c[0]!.rec.ts as EpochMs) >= t.startMs - slack && (c[0]!.rec.ts as EpochMs) <= t.startMs + after;
      let mine = [...new Set([...[...ipset].flatMap((ip) => byIp.get(ip) ?? []), ...(byWorkload.get(t.pod) ?? [])])].sort((a, b) => (a.rec.ts as EpochMs) - (b.rec.ts as EpochMs));
      let inferred = false;
      if (!mine.length && !ipset.size && t.startMs !== null) {
        // No IP of this pod in the bundle (no pod objects, slices or ztunnel workload names): an
        // address nobody in the bundle owns, of the pod's own service, whose refusals begin just
        // after this pod's termination, is taken as the pod's — said so, and weighed lower.
        const workload = workloadOfPod(t.pod);
        const candidates = [...byIp.entries()]
          .filter(([ip, list]) => !ownedIps.has(ip) && !claimed.has(ip) && list.some((r) => serviceOf(r.rec) === workload) && !ctx.identity.resolve(ip, list[0]!.rec.ts)?.pod)
          .map(([ip, list]) => ({ ip, first: cluster(list.filter((r) => serviceOf(r.rec) === workload)).find(inWindow) }))
          .filter((c): c is { ip: string; first: Located<RequestRecord>[] } => !!c.first)
          .sort((a, b) => (a.first[0]!.rec.ts as EpochMs) - (b.first[0]!.rec.ts as EpochMs) || (a.ip < b.ip ? -1 : 1));
        const best = candidates[0];
        if (best) {
          ipset = new Set([best.ip]);
          claimed.add(best.ip);
          mine = byIp.get(best.ip)!;
          inferred = true;
        }
      }
      if (!mine.length) continue;
      const clusters = cluster(mine);
      const pick = t.startMs === null ? clusters[0] : clusters.find(inWindow);
      if (!pick) continue;
      const start = pick[0]!.rec.ts as EpochMs;
      // A pod that was already failing before its termination is a dead backend (perhaps killed
      // *because* it failed), not a race with endpoint removal.
      const pre = mine.filter((r) => (r.rec.ts as EpochMs) < start - CLUSTER_GAP_MS && (r.rec.ts as EpochMs) >= start - 60_000).length;
      if (pre * 2 >= pick.length) continue;
      const m = measure(pick);
      pick.forEach((r) => explained.add(r));
      bursts.push({ t, ips: [...ipset], failures: pick, ...m, successesAfter: t.startMs === null ? 0 : okAfter(ipset, t.pod, t.startMs, start), inferred });
    }
    const total = uniqueRequests([...explained]);
    if (!bursts.length || total < 3) return [];

    const durations = bursts.map((b) => elapsed(b.firstMs, b.lastMs));
    const timed = bursts.filter((b) => b.t.startMs !== null);
    const lags = timed.map((b) => elapsed(b.t.startMs!, b.firstMs));
    const sources = new Set(bursts.flatMap((b) => b.failures.map((r) => r.rec.source)));
    const path = sources.has("ztunnel") ? "ambient (ztunnel)" : sources.has("envoy") ? "sidecar/gateway Envoy" : [...sources].join("/");
    // Against the race: refusals by pods that were *not* terminating then. A refusal whose destination
    // names no pod (a service VIP, a cluster) is neither for nor against.
    const podOf = (r: RequestRecord): string | undefined => {
      const d = destOf(r);
      if (!d) return undefined;
      if (d.workload && (terms.has(d.workload) || ips.has(d.workload))) return d.workload;
      if (!d.ip) return undefined;
      for (const [pod, set] of ips) if (set.has(d.ip)) return pod;
      return ctx.identity.resolve(d.ip, r.ts)?.pod;
    };
    const refusedElsewhere = refusals.filter((r) => !explained.has(r) && podOf(r.rec) !== undefined && !sameRequestAs(r, explained));
    const unexplained = uniqueRequests(refusedElsewhere);
    const failedInWindow = ctx.summary.impact?.failed ?? 0;
    const share = failedInWindow > 0 ? Math.min(1, total / failedInWindow) : null;
    const terminatingWithTraffic = [...terms.values()].filter((t) => { const ipset = ips.get(t.pod) ?? new Set<string>(); return ctx.requests.some((r) => { const d = destOf(r.rec); return !!d && (d.workload === t.pod || ipset.has(d.ip ?? "")); }); }).length;

    const c = new Confidence(0.55, "connections were refused by pods that had already begun terminating");
    c.when(bursts.length > 1, 0.04 * Math.min(3, bursts.length - 1), `${bursts.length} terminating pods each produced their own burst of refusals`);
    c.when(terminatingWithTraffic >= 2 && bursts.length / terminatingWithTraffic >= 0.6, 0.04, `the pattern repeats: ${bursts.length} of ${terminatingWithTraffic} terminating pods that received traffic refused connections`);
    const longest = Math.max(...durations);
    if (longest <= 2_000) c.add(0.06, `each burst lasted at most ${fmtMs(longest)}: the endpoint was dropped soon after — a propagation race, not a dead backend`);
    else if (longest > 10_000) c.add(-0.1, `a burst lasted ${fmtMs(longest)}: longer than an endpoint-removal delay`, "counter");
    if (lags.length && lags.every((l) => l >= -PRE_MS - 1000)) c.add(0.03, "every burst began after its pod's termination began");
    if (share !== null) {
      if (share >= 0.8) c.add(0.12, `explains ${total} of the ${failedInWindow} failed requests in the incident window (${Math.round(share * 100)} %)`, "impact");
      else if (share >= 0.5) c.add(0.06, `explains ${total} of the ${failedInWindow} failed requests in the incident window (${Math.round(share * 100)} %)`, "impact");
      else if (share < 0.2) c.add(-0.2, `explains only ${total} of the ${failedInWindow} failed requests in the incident window (${Math.round(share * 100)} %)`, "impact");
    }
    if (sources.size > 1) c.add(0.04, `seen independently by ${[...sources].sort().join(" and ")} logs`, "independence");
    if (bursts.some((b) => b.successesAfter > 0)) c.add(0.03, "requests still reached the pods after their termination began: the data plane kept routing to them", "evidence");
    if (unexplained + total > 0 && unexplained / (unexplained + total) > 0.3) c.add(-0.15, `${unexplained} refused requests went to pods that were not terminating`, "counter");
    const inferredN = bursts.filter((b) => b.inferred).length;
    if (inferredN) c.add(-0.08, `${inferredN === bursts.length ? "every" : `${inferredN} of ${bursts.length}`} pod address${inferredN > 1 ? "es" : ""} matched by service name and timing only: the bundle holds no pod IPs (no pod objects, EndpointSlices or ztunnel workload names)`, "specificity");
    c.cap(0.95, "a timing correlation never proves the propagation path by itself");

    const evidence: EvidenceRef[] = [];
    for (const b of bursts.slice(0, 6)) {
      if (b.t.cite) evidence.push(citeTermination(ctx, b.t));
      const fromSource = b.failures.filter((r) => r.rec.source === b.source);
      const first = fromSource[0]!;
      const last = fromSource[fromSource.length - 1]!;
      evidence.push(ctx.cite(first, describeRequest(first.rec), `First refused request to ${b.t.pod} ${lagText(b)}.`, { traceId: first.rec.traceId }));
      if (last !== first) evidence.push(ctx.cite(last, describeRequest(last.rec), `Last of ${b.failures.length} refusals to ${b.t.pod}: refused for ${fmtMs(b.lastMs - b.firstMs)} (${b.source} log, millisecond timestamps).`));
    }
    const counterEvidence: EvidenceRef[] = refusedElsewhere.slice(0, 3).map((r) => ctx.cite(r, describeRequest(r.rec), "Refused request to a pod that was not terminating: not explained by the race."));
    const durMed = median(durations) ?? 0;
    const range = bursts.length > 1 ? `${fmtMs(Math.min(...durations))}–${fmtMs(longest)}` : fmtMs(longest);
    const explains = share === null || share >= 0.5 ? ["error-burst-after-change", "retry-latency-amplification", "latency-regression"] : [];
    return [
      {
        detector: "endpoint-removal-race",
        title: `${bursts.length} terminating pod${bursts.length > 1 ? "s" : ""} refused connections for ${range} each (${path})`,
        ...c.result(),
        summary: `${total} requests were refused by pods that had already begun terminating: each of ${bursts.length} pod${bursts.length > 1 ? "s" : ""} produced one burst lasting ${range}${bursts.length > 1 ? ` (median ${fmtMs(durMed)})` : ""}, measured on millisecond access-log timestamps${lags.length ? `, starting ${lagSummary(bursts)}` : ""}. The traffic went through ${path}, which kept sending new connections after the pod stopped accepting them, so endpoint removal lost the race with process exit.`,
        evidence,
        counterEvidence,
        checks: [
          "Compare each pod's termination time with the time its endpoint disappeared from EndpointSlices and from the data plane (istioctl ztunnel-config workloads / proxy-config endpoints).",
          "Confirm the application exits immediately on SIGTERM (no preStop sleep).",
          sources.has("ztunnel") ? "Repeat the rollout with the namespace out of ambient mode: if the bursts vanish, ztunnel's workload removal is the lagging path." : "Check whether the bursts vanish with a preStop delay.",
        ],
        remediation: {
          immediate: ["Add a preStop hook (e.g. sleep 5) and keep terminationGracePeriodSeconds above it so pods keep serving until the data plane drops them.", "Enable retries on connect-failure/refused-stream for the route so a refused connection goes to another endpoint."],
          longTerm: ["Track the upstream fix for workload removal propagation (ztunnel/istiod) and upgrade.", "Gate rollouts on a 503 budget measured at the gateway."],
        },
        explains,
        facts: {
          pods: bursts.map((b) => b.t.pod),
          ips: bursts.flatMap((b) => b.ips),
          gapsMs: durations.map((g) => Math.round(g)),
          lagsMs: lags.map((l) => Math.round(l)),
          terminationBasis: [...new Set(bursts.map((b) => b.t.basis))],
          intervalSource: [...new Set(bursts.map((b) => b.source))],
          failures: total,
          dataPath: path,
        },
      },
    ];
  },
};

/**
 * The workload a pod belongs to, from its name: `pricing-7d9f8c6b5-x2x4q` → `pricing` (Deployment:
 * ReplicaSet hash + suffix), `ztunnel-4xk2p` → `ztunnel` (DaemonSet / StatefulSet ordinal). Only used
 * to match a pod with the service its refusals were addressed to when the bundle holds no pod IP.
 */
export function workloadOfPod(pod: string): string {
  const parts = pod.split("-");
  // A ReplicaSet hash has a digit or uses only Kubernetes' vowel-free alphabet; "server" in
  // `web-server-x2x4q` is part of the name.
  const hash = (seg: string) => /^(?=[a-z]*\d)[a-z0-9]{4,10}$/.test(seg) || /^[bcdfghjklmnpqrstvwxz2456789]{6,10}$/.test(seg);
  if (parts.length >= 3 && /^[a-z0-9]{5}$/.test(parts[parts.length - 1]!) && hash(parts[parts.length - 2]!)) return parts.slice(0, -2).join("-");
  if (parts.length >= 2 && /^(?:[a-z0-9]{5}|\d+)$/.test(parts[parts.length - 1]!)) return parts.slice(0, -1).join("-");
  return pod;
}

/** The service a request was addressed to: the parsed service, else the first label of the authority. */
function serviceOf(r: RequestRecord): string | undefined {
  const name = r.dest?.service ?? r.authority;
  // `pricing.catalog.svc.cluster.local`, `pricing.catalog:8080` → `pricing`
  return name ? name.split(":")[0]!.split(".")[0] : undefined;
}

/** Bursts of one pod's failures: a gap over CLUSTER_GAP_MS starts a new one. */
function cluster(sorted: Located<RequestRecord>[]): Located<RequestRecord>[][] {
  const out: Located<RequestRecord>[][] = [];
  for (const r of sorted) {
    const cur = out[out.length - 1];
    if (cur && (r.rec.ts as EpochMs) - (cur[cur.length - 1]!.rec.ts as EpochMs) <= CLUSTER_GAP_MS) cur.push(r);
    else out.push([r]);
  }
  return out;
}

/** Interval on one clock: the source with most refusals in the burst (ztunnel first on ties: it sees the pod's side). */
function measure(pick: Located<RequestRecord>[]): { source: string; firstMs: EpochMs; lastMs: EpochMs } {
  const bySource = new Map<string, EpochMs[]>();
  for (const r of pick) (bySource.get(r.rec.source) ?? bySource.set(r.rec.source, []).get(r.rec.source)!).push(r.rec.ts as EpochMs);
  const order = (s: string) => (s === "ztunnel" ? 0 : s === "envoy" ? 1 : 2);
  const [source, ts] = [...bySource.entries()].sort((a, b) => b[1].length - a[1].length || order(a[0]) - order(b[0]) || (a[0] < b[0] ? -1 : 1))[0]!;
  return { source, firstMs: minEpoch(ts), lastMs: maxEpoch(ts) };
}

function podIps(ctx: DetectorContext): Map<string, Set<string>> {
  const m = new Map<string, Set<string>>();
  const add = (pod: string, ip: string) => (m.get(pod) ?? m.set(pod, new Set()).get(pod)!).add(stripPort(ip));
  for (const e of ctx.identity.all()) if (e.pod) add(e.pod, e.ip);
  for (const o of ctx.objects) for (const ep of o.rec.endpoints ?? []) if (ep.pod) add(ep.pod, ep.ip);
  return m;
}

function destOf(r: RequestRecord): { ip?: string; workload?: string } | null {
  if (!r.dest) return null;
  return { ...(r.dest.ip ? { ip: stripPort(r.dest.ip) } : {}), ...(r.dest.workload ? { workload: r.dest.workload } : {}) };
}

/** Requests counted once: records sharing a request id are one request. */
function uniqueRequests(list: Located<RequestRecord>[]): number {
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
function sameRequestAs(r: Located<RequestRecord>, set: Set<Located<RequestRecord>>): boolean {
  const id = r.rec.requestId;
  if (!id || id === "-") return false;
  for (const x of set) if (x.rec.requestId === id) return true;
  return false;
}

function lagText(b: Burst): string {
  if (b.t.startMs === null) return "(termination time not recorded)";
  const lag = b.firstMs - b.t.startMs;
  if (b.t.resolutionMs >= 1000) return `${lag < b.t.resolutionMs ? `within ${fmtMs(b.t.resolutionMs)}` : `${fmtMs(lag)}`} after termination began (${b.t.basis}, ${fmtMs(b.t.resolutionMs)} resolution)`;
  return `${fmtMs(Math.max(0, lag))} after termination began (${b.t.basis})`;
}
function lagSummary(bursts: Burst[]): string {
  const timed = bursts.filter((b) => b.t.startMs !== null);
  const coarse = timed.some((b) => b.t.resolutionMs >= 1000);
  const lags = timed.map((b) => b.firstMs - b.t.startMs!);
  const maxLag = Math.max(...lags);
  if (coarse && maxLag < 1000) return "within a second of each pod's termination (termination times have 1 s resolution)";
  return `${fmtMs(Math.max(0, Math.min(...lags)))}–${fmtMs(Math.max(0, maxLag))} after each pod's termination began (${[...new Set(timed.map((b) => b.t.basis))].join("; ")})`;
}
function citeTermination(ctx: DetectorContext, t: Termination): EvidenceRef {
  const l = t.cite!;
  const rec = l.rec;
  const text = rec.kind === "event" ? `${iso(rec.firstTs ?? rec.ts)} ${rec.reason ?? ""} ${rec.subject?.namespace ?? t.namespace ?? ""}/${t.pod}: ${rec.text}` : `${rec.k8sKind} ${rec.namespace ?? ""}/${rec.name}${t.startMs !== null ? ` termination began ${iso(t.startMs)}` : ""}`;
  return ctx.cite(l as Located<{ prov: { line?: number; pointer?: string }; ts?: unknown }>, text, `Termination of ${t.pod} began here (${t.basis}).`);
}
