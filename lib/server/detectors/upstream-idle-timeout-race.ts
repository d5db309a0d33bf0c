import type { EvidenceRef } from "@/lib/schemas/hypothesis";
import type { EventRecord, RequestRecord } from "@/lib/schemas/records";
import type { EpochMs } from "@/lib/schemas/time";
import { isFailedRequest, stripPort, type Located } from "@/lib/server/correlate";
import { Confidence } from "./confidence";
import { workloadOfPod } from "./endpoint-removal-race";
import type { Detector, DetectorContext } from "./types";
import { describeRequest, fmtMs, iso, median } from "./util";

/**
 * upstream-idle-timeout-race: the proxy (sidecar / gateway / waypoint Envoy) keeps pooled keep-alive
 * connections to an upstream whose own keep-alive (idle) timeout is *shorter* than the proxy's. The
 * server closes an idle connection at the moment the proxy picks it for a new request; the request
 * meets the FIN/RST before any response byte and fails at once:
 *
 *   proxy  ──req──▶ (pooled conn, idle 4.99 s)      server keep-alive 5 s ─▶ close ──▶ FIN
 *          ◀── 503 UC upstream_reset_before_response_started{connection_termination}, ~1 ms
 *   rate   ▁▁▁▁▁▁▁▁▁ │ ▁ ▁  ▁ ▁ ▁  ▁ ▁ ▁ ▁  ▁ ▁   a low, steady trickle (0.1–5 % of requests), no burst
 *              change▲ (server's keep-alive lowered, new framework version)  latency unchanged
 *
 * What must be true: connection-termination resets before the response started (flag UC, or details
 * `…before_response_started{connection_termination}`, hyper's "connection closed before message
 * completed", nginx's "upstream prematurely closed connection"), on one upstream, spread evenly over
 * minutes (not bursts), failing fast, a small share of that upstream's requests. What it is not: a
 * rollout resetting connections at pod terminations (bursts at Killing times — excluded), a crashing
 * server (resets after work: slow failures, often one pod), a refused connect (UF), overflow (UO).
 */
const BURST_GAP_MS = 1_000;
/** Failures within this of a pod termination of the same service are the rollout's, not the race's. */
const TERMINATION_SLACK_MS = 5_000;
const MIN_FAILURES = 5;
const MIN_SPREAD_MS = 120_000;
const BIN_MS = 10_000;

/** A reset of a pooled connection by the upstream before any response byte. */
export function isConnectionTermination(r: RequestRecord): boolean {
  const e = r.error ?? "";
  const flags = r.flags ?? [];
  if (/after_response_started/i.test(e)) return false;
  if (flags.some((f) => f === "UF" || f === "UO" || f === "UH" || f === "UT" || f === "NR")) return false;
  if (/connection_termination|upstream prematurely closed connection|connection closed before message completed/i.test(e)) return true;
  return flags.includes("UC") && (r.status === null || r.status === 0 || r.status >= 500 || r.status === 200);
}

/** The upstream a request went to: service FQDN, else cluster, else authority host. */
function upstreamOf(r: RequestRecord): string | undefined {
  const d = r.dest;
  const name = d?.service ?? (d?.cluster && d.cluster !== "-" ? d.cluster : undefined) ?? r.authority?.split(":")[0];
  return name || undefined;
}
const short = (s: string) => s.split("|").filter(Boolean).pop()!.split(".")[0]!;

function unique(list: Located<RequestRecord>[]): Located<RequestRecord>[] {
  const seen = new Set<string>();
  return list.filter((r) => {
    const id = r.rec.requestId && r.rec.requestId !== "-" ? r.rec.requestId : null;
    if (id === null) return true;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** Pod terminations (Killing events / deleted pods) by workload name, ms. */
function terminationsByWorkload(ctx: DetectorContext): Map<string, EpochMs[]> {
  const m = new Map<string, EpochMs[]>();
  const add = (pod: string, t: EpochMs) => {
    const w = workloadOfPod(pod);
    (m.get(w) ?? m.set(w, []).get(w)!).push(t);
  };
  for (const e of ctx.events) {
    const r: EventRecord = e.rec;
    if (!(r.reason === "Killing" || /\bKilling container\b/i.test(r.text))) continue;
    const t = r.firstTs ?? r.ts;
    if (t === null || t === undefined) continue;
    const name = r.subject?.name ?? /\bpod="?(?:[\w.-]+\/)?([\w.-]+)"?/.exec(r.text)?.[1];
    if (name) add(name, t);
  }
  for (const o of ctx.objects) if (o.rec.k8sKind === "Pod" && typeof o.rec.deletedAt === "number") add(o.rec.name, (o.rec.deletedAt - (o.rec.deletionGraceSeconds ?? 30) * 1000) as EpochMs);
  return m;
}

interface Finding {
  upstream: string;
  failures: Located<RequestRecord>[];
  rolloutResets: number;
  total: number;
  okDur: number[];
  delayedClose: boolean;
  clusters: number;
  largestCluster: number;
  dispersion: number;
  spreadMs: number;
  hosts: string[];
  hostsWithTraffic: number;
}

function analyse(ctx: DetectorContext): { findings: Finding[]; examined: number; upstreams: number } {
  const byUp = new Map<string, Located<RequestRecord>[]>();
  for (const r of ctx.requests) {
    if (r.rec.ts === null) continue;
    const u = upstreamOf(r.rec);
    if (!u) continue;
    (byUp.get(u) ?? byUp.set(u, []).get(u)!).push(r);
  }
  const terms = terminationsByWorkload(ctx);
  const findings: Finding[] = [];
  let examined = 0;
  for (const [upstream, reqs] of [...byUp.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    examined += reqs.length;
    const all = unique(reqs.filter((r) => isConnectionTermination(r.rec)));
    if (all.length < MIN_FAILURES) continue;
    const kills = terms.get(short(upstream)) ?? [];
    const nearKill = (t: number) => kills.some((k) => t >= k - TERMINATION_SLACK_MS && t <= k + 30_000 + TERMINATION_SLACK_MS);
    const failures = all.filter((r) => !nearKill(r.rec.ts as number));
    const rolloutResets = all.length - failures.length;
    if (failures.length < MIN_FAILURES || failures.length * 2 < all.length) continue;
    // The race fails before the server works on the request: a reset that took longer than a normal
    // answer closed a busy connection (a crash, an overload), not an idle one.
    const okDur = reqs.filter((r) => !isFailedRequest(r.rec) && !isConnectionTermination(r.rec) && r.rec.durationMs !== null).map((r) => r.rec.durationMs as number);
    const failDur = median(failures.map((r) => r.rec.durationMs).filter((d): d is NonNullable<typeof d> => d !== null).map(Number));
    // Exception: a chained Envoy hop reports the reset only after its delayed_close_timeout (1 s),
    // every one alike (envoyproxy/envoy#40468).
    const delayedClose = failures.filter((r) => r.rec.durationMs !== null && r.rec.durationMs >= 995 && r.rec.durationMs <= 1010).length >= 0.8 * failures.length;
    if (failDur !== null && failDur > Math.max(25, median(okDur) ?? 0) && !delayedClose) continue;
    const ts = failures.map((r) => r.rec.ts as number);
    const spreadMs = ts[ts.length - 1]! - ts[0]!;
    // Bursts: failures less than a second apart are one burst.
    const sizes: number[] = [];
    for (let i = 0; i < ts.length; i++) {
      if (i > 0 && ts[i]! - ts[i - 1]! <= BURST_GAP_MS) sizes[sizes.length - 1]!++;
      else sizes.push(1);
    }
    // Index of dispersion of failures per 10 s bin over their span, normalised by the traffic in the
    // bin: ≈ 1 for a steady random trickle, large for bursts.
    const bins = Math.max(1, Math.ceil((spreadMs + 1) / BIN_MS));
    const fail = new Array<number>(bins).fill(0);
    const traffic = new Array<number>(bins).fill(0);
    for (const t of ts) fail[Math.min(bins - 1, Math.floor((t - ts[0]!) / BIN_MS))]!++;
    for (const r of reqs) {
      const t = r.rec.ts as number;
      if (t >= ts[0]! && t <= ts[ts.length - 1]!) traffic[Math.min(bins - 1, Math.floor((t - ts[0]!) / BIN_MS))]!++;
    }
    const tot = traffic.reduce((a, b) => a + b, 0) || 1;
    const expected = traffic.map((n) => (n / tot) * ts.length);
    const chi = fail.reduce((s, f, i) => s + (expected[i]! > 0 ? (f - expected[i]!) ** 2 / expected[i]! : f > 0 ? f * f : 0), 0);
    const dispersion = chi / Math.max(1, bins - 1);
    const hostOf = (r: RequestRecord) => (r.dest?.ip ? stripPort(r.dest.ip) : r.dest?.workload);
    const hosts = [...new Set(failures.map((r) => hostOf(r.rec)).filter((h): h is string => !!h))].sort();
    const hostsWithTraffic = new Set(reqs.map((r) => hostOf(r.rec)).filter(Boolean)).size;
    findings.push({ upstream, failures, rolloutResets, total: unique(reqs).length, okDur, delayedClose, clusters: sizes.length, largestCluster: Math.max(...sizes), dispersion, spreadMs, hosts, hostsWithTraffic });
  }
  return { findings: findings.filter((f) => f.spreadMs >= MIN_SPREAD_MS && f.clusters >= 4 && f.largestCluster <= Math.max(3, 0.25 * f.failures.length) && f.dispersion <= 4), examined, upstreams: byUp.size };
}

export const upstreamIdleTimeoutRace: Detector = {
  id: "upstream-idle-timeout-race",
  title: "Upstream closes idle keep-alive connections the proxy still reuses (idle-timeout race)",
  requires: ["envoy-access", "ztunnel-access", "nginx-access", "k8s-events", "k8s-objects"],
  specificity: "specific",
  coverage(ctx) {
    const reqs = ctx.requests.filter((r) => r.rec.ts !== null && upstreamOf(r.rec));
    if (!reqs.length) return { checked: false, detail: "no proxy access logs naming their upstream in the bundle" };
    const withFlags = reqs.filter((r) => r.rec.source === "envoy" || r.rec.flags !== undefined || r.rec.error !== undefined).length;
    if (!withFlags) return { checked: false, detail: `${reqs.length} requests, but their log format records no response flags or reset details (a connection-termination reset cannot be told from another 502/503)` };
    const { upstreams } = analyse(ctx);
    return { checked: true, detail: `${reqs.length} requests to ${upstreams} upstream${upstreams > 1 ? "s" : ""} examined: no steady trickle of connection-termination resets (UC) on any of them` };
  },
  detect(ctx: DetectorContext) {
    const { findings } = analyse(ctx);
    if (!findings.length) return [];
    // Every failed request in the bundle, plus the resets a gRPC local reply logs as 200.
    const failedAll = unique(ctx.requests.filter((r) => isFailedRequest(r.rec) || isConnectionTermination(r.rec)));
    const out = [];
    for (const f of findings.sort((a, b) => b.failures.length - a.failures.length || (a.upstream < b.upstream ? -1 : 1)).slice(0, 2)) {
      const n = f.failures.length;
      const share = failedAll.length ? Math.min(1, n / failedAll.length) : null;
      const first = f.failures[0]!;
      const last = f.failures[n - 1]!;
      const rate = n / Math.max(1, f.total);
      const failDur = median(f.failures.map((r) => r.rec.durationMs).filter((d): d is NonNullable<typeof d> => d !== null).map(Number));
      const okP50 = median(f.okDur);
      const before = f.failures.length ? ctx.requests.filter((r) => upstreamOf(r.rec) === f.upstream && (r.rec.ts as number) < (first.rec.ts as number) && !isFailedRequest(r.rec) && r.rec.durationMs !== null).map((r) => r.rec.durationMs as number) : [];
      const after = ctx.requests.filter((r) => upstreamOf(r.rec) === f.upstream && (r.rec.ts as number) >= (first.rec.ts as number) && !isFailedRequest(r.rec) && !isConnectionTermination(r.rec) && r.rec.durationMs !== null).map((r) => r.rec.durationMs as number);
      const p50b = median(before);
      const p50a = median(after);
      const latencyRatio = p50b !== null && p50a !== null && before.length >= 20 && after.length >= 20 ? p50a / Math.max(1, p50b) : null;
      const beforeCount = ctx.requests.filter((r) => upstreamOf(r.rec) === f.upstream && (r.rec.ts as number) < (first.rec.ts as number)).length;
      const svc = short(f.upstream);
      const change = ctx.events
        .filter((e) => e.rec.ts !== null && (e.rec.ts as number) <= (first.rec.ts as number) && (first.rec.ts as number) - (e.rec.ts as number) <= 15 * 60_000 && e.rec.source !== "app")
        .filter((e) => /keep-?alive|idle[ _-]?timeout/i.test(e.rec.text) || (new RegExp(`\\b${svc.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`, "i").test(`${e.rec.subject?.name ?? ""} ${e.rec.text}`) && /deploy|roll|upgrad|config|release|scaled|image|version/i.test(`${e.rec.reason ?? ""} ${e.rec.text}`)))
        .sort((a, b) => Number(/keep-?alive|idle/i.test(b.rec.text)) - Number(/keep-?alive|idle/i.test(a.rec.text)) || (b.rec.ts as number) - (a.rec.ts as number))[0];
      const sources = [...new Set(f.failures.map((r) => r.rec.source))].sort();

      const c = new Confidence(0.55, "requests on pooled connections were reset by the upstream before any response (connection termination)");
      c.add(0.1, `spread evenly over ${fmtMs(f.spreadMs)}: ${f.clusters} separate failures or pairs, the largest ${f.largestCluster} within a second (dispersion ${f.dispersion.toFixed(1)}; a rollout or crash comes in bursts)`, "specificity");
      if (f.delayedClose) c.add(0.03, "every reset was reported after ~1 s, the delayed-close timeout of a chained Envoy hop, not after work of the server", "evidence");
      else if (failDur !== null && failDur <= Math.max(10, 0.5 * (okP50 ?? 0))) c.add(0.06, `the resets fail in ${fmtMs(failDur)} (median), before the server did any work${okP50 !== null ? ` (successful requests: ${fmtMs(okP50)})` : ""}`, "evidence");
      if (rate <= 0.1) c.add(0.04, `a low rate: ${(rate * 100).toFixed(rate < 0.01 ? 2 : 1)} % of the ${f.total} requests to ${svc}`, "evidence");
      else if (rate > 0.3) c.add(-0.15, `${(rate * 100).toFixed(0)} % of the requests to ${svc} failed: more than an idle-connection race produces`, "counter");
      if (f.hosts.length >= 2) c.add(0.04, `on ${f.hosts.length} of ${f.hostsWithTraffic} backends alike: a setting of the server, not one bad pod`, "specificity");
      else if (f.hostsWithTraffic >= 3) c.add(-0.2, `every reset came from one of ${f.hostsWithTraffic} backends: one pod's fault rather than the server's keep-alive setting`, "counter");
      if (latencyRatio !== null && latencyRatio <= 1.5) c.add(0.03, `latency of the successful requests unchanged (p50 ${fmtMs(p50b!)} before, ${fmtMs(p50a!)} during)`, "evidence");
      else if (latencyRatio !== null && latencyRatio >= 2) c.add(-0.1, `successful requests got ${latencyRatio.toFixed(1)}× slower: an overloaded server, not only idle connections`, "counter");
      if (change && beforeCount >= 20) c.add(0.05, `the resets began ${fmtMs((first.rec.ts as number) - (change.rec.ts as number))} after a change to ${svc} (${change.rec.text.slice(0, 80)})`, "independence");
      if (share !== null) {
        const pct = Math.round(share * 100);
        if (share >= 0.8) c.add(0.1, `explains ${n} of the ${failedAll.length} failed requests (${pct} %)`, "impact");
        else if (share >= 0.5) c.add(0.05, `explains ${n} of the ${failedAll.length} failed requests (${pct} %)`, "impact");
        else if (share < 0.2) c.add(-0.2, `explains only ${n} of the ${failedAll.length} failed requests (${pct} %)`, "impact");
      }
      if (f.rolloutResets > 0) c.add(-0.03, `${f.rolloutResets} other resets fell within seconds of ${svc} pod terminations (a rollout's, not counted)`, "counter");
      c.cap(0.9, "access logs do not show a connection's idle time or either side's keep-alive setting");

      const evidence: EvidenceRef[] = [];
      const picks = [first, f.failures[Math.floor(n / 3)]!, f.failures[Math.floor((2 * n) / 3)]!, last].filter((x, i, a) => a.indexOf(x) === i);
      picks.forEach((r, i) => evidence.push(ctx.cite(r, describeRequest(r.rec), i === 0 ? `First of ${n} connection-termination resets to ${svc}, ${fmtMs(r.rec.durationMs ?? 0)} after the request started.` : i === picks.length - 1 ? `Last of them, ${fmtMs(f.spreadMs)} later: a steady trickle, not a burst.` : "Another isolated reset between them.", { traceId: r.rec.traceId })));
      const rule = ctx.objects.find((o) => o.rec.k8sKind === "DestinationRule" && o.rec.connectionPool?.idleTimeoutMs !== undefined && !!o.rec.service && (o.rec.service === f.upstream || short(o.rec.service) === svc));
      if (rule) evidence.push(ctx.cite(rule, `DestinationRule ${rule.rec.namespace ?? ""}/${rule.rec.name} host ${rule.rec.service}: connectionPool.http.idleTimeout ${fmtMs(rule.rec.connectionPool!.idleTimeoutMs!)}`, "The proxy's idle timeout for this upstream: the resets say the server's keep-alive is shorter than this."));
      if (change) evidence.push(ctx.cite(change, `${iso(change.rec.ts)} [${change.rec.source}] ${change.rec.reason ?? ""} ${change.rec.text}`.slice(0, 2000), "The change to the upstream before the resets began (its keep-alive may have changed)."));
      const path = sources.includes("envoy") ? "Envoy" : sources.join("/");
      out.push({
        detector: "upstream-idle-timeout-race",
        title: `${svc} closes idle keep-alive connections the proxy reuses: ${n} resets (UC) spread over ${fmtMs(f.spreadMs)}`,
        ...c.result(),
        summary: `${n} requests to ${f.upstream} (${(rate * 100).toFixed(rate < 0.01 ? 2 : 1)} % of its traffic) failed with connection-termination resets before any response — ${path} reused a pooled connection the server was closing. They are spread evenly from ${iso(first.rec.ts)} to ${iso(last.rec.ts)} on ${f.hosts.length || "unnamed"} backend${f.hosts.length === 1 ? "" : "s"}, fail fast${failDur !== null ? ` (median ${fmtMs(failDur)})` : ""}${latencyRatio !== null && latencyRatio <= 1.5 ? " and leave latency unchanged" : ""}: the signature of an upstream keep-alive timeout shorter than the proxy's idle timeout${change ? `, beginning after ${change.rec.text.slice(0, 100)}` : ""}.${share !== null ? ` They are ${Math.round(share * 100)} % of the failed requests.` : ""}`,
        evidence,
        counterEvidence: [],
        checks: [
          `Compare ${svc}'s keep-alive / idle timeout (e.g. Node.js server.keepAliveTimeout 5 s, gunicorn --keep-alive 2 s, Tomcat keepAliveTimeout) with the proxy's upstream idle timeout (Envoy common_http_protocol_options.idle_timeout, 1 h by default; DestinationRule connectionPool.http.idleTimeout).`,
          "Check the proxy's upstream_cx_destroy_remote_with_active_rq counter for this cluster: it counts exactly these resets.",
          "Confirm with a packet capture or the server's logs that the server sends FIN on connections idle for its keep-alive time.",
        ],
        remediation: {
          immediate: [`Set the proxy's idle timeout for ${svc} below the server's keep-alive (DestinationRule trafficPolicy.connectionPool.http.idleTimeout), or raise the server's keep-alive above it.`, "Retry on reset: retryOn `reset,connect-failure` (Istio: `retries.retryOn: reset`) for idempotent routes."],
          longTerm: ["Make server keep-alive > proxy idle timeout a deployment convention and check it in CI.", "Alert on upstream_cx_destroy_remote_with_active_rq per cluster."],
        },
        explains: share === null || share >= 0.5 ? ["error-burst-after-change", "retry-latency-amplification"] : [],
        facts: {
          upstream: f.upstream,
          service: svc,
          failures: n,
          requests: f.total,
          ratePct: Math.round(rate * 10000) / 100,
          spreadMs: Math.round(f.spreadMs),
          bursts: f.clusters,
          largestBurst: f.largestCluster,
          dispersion: Math.round(f.dispersion * 100) / 100,
          backends: f.hosts,
          ...(failDur !== null ? { medianFailureMs: Math.round(failDur) } : {}),
          ...(share !== null ? { sharePct: Math.round(share * 100) } : {}),
          sources,
          ...(change ? { changeAt: iso(change.rec.ts) ?? "" } : {}),
          ...(rule ? { proxyIdleTimeoutMs: rule.rec.connectionPool!.idleTimeoutMs! } : {}),
        },
      });
    }
    return out;
  },
};
