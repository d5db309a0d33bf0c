import type { EvidenceRef } from "@/lib/schemas/hypothesis";
import type { EventRecord, RequestRecord } from "@/lib/schemas/records";
import { stripPort, type Located } from "@/lib/server/correlate";
import type { Detector, DetectorContext } from "./types";
import { clamp01, describeRequest, fmtMs, iso, median } from "./util";

/**
 * endpoint-removal-race: a pod's process stops accepting connections before the data plane
 * (ztunnel / sidecar / kube-proxy) stops sending it traffic; new connections are refused → 503.
 *
 *   Killing pod-a (SIGTERM) ▼
 *   requests → 10.0.1.7   ───✓✓✓✓✓✗✗✗✗✗✗✗───────────      ✗ = refused / 503
 *                              │◀ gap ▶│ endpoint removed from the data plane
 *   Killing pod-b                              ▼  ✗✗✗✗✗  (one burst per terminating pod)
 *
 * For each terminating pod (Killing event or deletionTimestamp) we look up its IPs (identity map:
 * pods, EndpointSlices, ztunnel workload fields) and collect refused/503 requests to those IPs in
 * [kill − 2 s, kill + 60 s]. The gap per pod is first→last failure; the lag is kill→first failure.
 */
const PRE_MS = 2000;
const POST_MS = 60_000;

function isFailure(r: RequestRecord): boolean {
  const e = r.error ?? "";
  return /refused|os error 111|connection_failure|connect error|reset|no healthy upstream/i.test(e) || (r.flags ?? []).some((f) => f === "UF" || f === "UH") || r.status === 503;
}

interface Burst {
  pod: string;
  namespace?: string;
  killTs: number;
  kill: Located<EventRecord> | null;
  ips: string[];
  failures: Located<RequestRecord>[];
  lastTraffic: number | null;
}

export const endpointRemovalRace: Detector = {
  id: "endpoint-removal-race",
  title: "Traffic still routed to terminating pods (endpoint removal race)",
  requires: ["k8s-events", "k8s-objects", "ztunnel-access", "envoy-access", "nginx-access"],
  specificity: "specific",
  detect(ctx: DetectorContext) {
    // Terminations: Killing events first; deletionTimestamp of pod objects when no event exists.
    const terms = new Map<string, { ts: number; ev: Located<EventRecord> | null; namespace?: string }>();
    for (const e of ctx.events) {
      const s = e.rec.subject;
      if (e.rec.reason !== "Killing" || !s?.name || (s.kind && s.kind !== "Pod")) continue;
      const ts = (e.rec.firstTs ?? e.rec.ts) as number | null;
      if (ts === null) continue;
      const prev = terms.get(s.name);
      if (!prev || ts < prev.ts) terms.set(s.name, { ts, ev: e, namespace: s.namespace });
    }
    for (const o of ctx.objects)
      if (o.rec.k8sKind === "Pod" && typeof o.rec.deletedAt === "number" && !terms.has(o.rec.name)) terms.set(o.rec.name, { ts: o.rec.deletedAt, ev: null, namespace: o.rec.namespace });
    if (!terms.size) return [];

    const podIps = new Map<string, Set<string>>();
    for (const e of ctx.identity.all()) if (e.pod) (podIps.get(e.pod) ?? podIps.set(e.pod, new Set()).get(e.pod)!).add(e.ip);
    const ipOf = (r: RequestRecord) => (r.dest?.ip ? stripPort(r.dest.ip) : undefined);
    const failures = ctx.requests.filter((r) => isFailure(r.rec) && r.rec.ts !== null);
    // Index by destination IP so each terminating pod costs O(its requests), not O(all requests).
    const failuresByIp = new Map<string, Located<RequestRecord>[]>();
    const failuresByWorkload = new Map<string, Located<RequestRecord>[]>();
    for (const r of failures) {
      const ip = ipOf(r.rec);
      if (ip) (failuresByIp.get(ip) ?? failuresByIp.set(ip, []).get(ip)!).push(r);
      const wl = r.rec.source === "ztunnel" ? r.rec.dest?.workload : undefined;
      if (wl) (failuresByWorkload.get(wl) ?? failuresByWorkload.set(wl, []).get(wl)!).push(r);
    }
    const requestsByIp = new Map<string, Located<RequestRecord>[]>();
    for (const r of ctx.requests) {
      const ip = ipOf(r.rec);
      if (ip && r.rec.ts !== null) (requestsByIp.get(ip) ?? requestsByIp.set(ip, []).get(ip)!).push(r);
    }

    const bursts: Burst[] = [];
    const explained = new Set<Located<RequestRecord>>();
    for (const [pod, t] of [...terms.entries()].sort((a, b) => a[1].ts - b[1].ts || (a[0] < b[0] ? -1 : 1))) {
      const ips = [...(podIps.get(pod) ?? [])];
      const inWin = (r: Located<RequestRecord>) => (r.rec.ts as number) >= t.ts - PRE_MS && (r.rec.ts as number) <= t.ts + POST_MS;
      const candidates = new Set([...ips.flatMap((ip) => failuresByIp.get(ip) ?? []), ...(failuresByWorkload.get(pod) ?? [])]);
      const f = failures.filter((r) => candidates.has(r) && inWin(r));
      if (!f.length) continue;
      // An IP that was already failing well before the kill is a dead backend, not a termination race
      // (e.g. pods killed by a rollback *because* they were failing).
      const pre = ips.flatMap((ip) => failuresByIp.get(ip) ?? []).filter((r) => (r.rec.ts as number) >= t.ts - 60_000 && (r.rec.ts as number) < t.ts - PRE_MS).length;
      if (pre * 2 >= f.length) continue;
      f.forEach((r) => explained.add(r));
      const toIp = ips.flatMap((ip) => requestsByIp.get(ip) ?? []).filter((r) => (r.rec.ts as number) >= t.ts);
      bursts.push({ pod, namespace: t.namespace, killTs: t.ts, kill: t.ev, ips, failures: f, lastTraffic: toIp.length ? toIp.reduce((m, r) => Math.max(m, r.rec.ts as number), Number.NEGATIVE_INFINITY) : null });
    }
    const total = bursts.reduce((n, b) => n + b.failures.length, 0);
    if (!bursts.length || total < 5) return [];

    const gaps = bursts.map((b) => Math.max(1, (b.failures[b.failures.length - 1]!.rec.ts as number) - (b.failures[0]!.rec.ts as number)));
    const lags = bursts.map((b) => (b.failures[0]!.rec.ts as number) - b.killTs);
    const sources = new Set(bursts.flatMap((b) => b.failures.map((r) => r.rec.source)));
    const path = sources.has("ztunnel") ? "ambient (ztunnel)" : sources.has("envoy") ? "sidecar/gateway Envoy" : [...sources].join("/");
    const unexplained = failures.filter((r) => !explained.has(r) && isFailure(r.rec) && /refused|os error 111|connection_failure/i.test(r.rec.error ?? ""));

    let conf = 0.6 + 0.08 * Math.min(3, bursts.length - 1);
    if (Math.max(...gaps) <= 2000) conf += 0.05; // short bursts: a propagation race, not a dead backend
    if (lags.every((l) => l >= -PRE_MS && l <= 5000)) conf += 0.04;
    const unexplainedShare = unexplained.length / (unexplained.length + total);
    if (unexplainedShare > 0.2) conf -= 0.25;

    const evidence: EvidenceRef[] = [];
    for (const b of bursts.slice(0, 6)) {
      if (b.kill) evidence.push(ctx.cite(b.kill, `${iso(b.killTs)} ${b.kill.rec.reason} ${b.kill.rec.subject?.namespace ?? ""}/${b.pod}: ${b.kill.rec.text}`, `Termination of ${b.pod} (${b.ips.join(", ") || "ip unknown"}) began here.`));
      const first = b.failures[0]!;
      const last = b.failures[b.failures.length - 1]!;
      evidence.push(ctx.cite(first, describeRequest(first.rec), `First refused request to ${b.pod}, ${Math.round((first.rec.ts as number) - b.killTs)} ms after Killing.`, { traceId: first.rec.traceId }));
      if (last !== first) evidence.push(ctx.cite(last, describeRequest(last.rec), `Last of ${b.failures.length} failures to ${b.pod}: the data plane kept routing for ${fmtMs((last.rec.ts as number) - (first.rec.ts as number))}.`));
    }
    const counterEvidence: EvidenceRef[] = unexplained.slice(0, 3).map((r) => ctx.cite(r, describeRequest(r.rec), "Refused request to an IP that was not terminating: not explained by the race."));
    const gapMed = median(gaps) ?? 0;
    return [
      {
        detector: "endpoint-removal-race",
        title: `Requests refused by ${bursts.length} terminating pod${bursts.length > 1 ? "s" : ""} for ${fmtMs(Math.min(...gaps))}–${fmtMs(Math.max(...gaps))} after termination began (${path})`,
        confidence: clamp01(Math.min(0.93, conf)),
        summary: `During the rollout, ${total} requests failed with connection refused/503 to pods that had already begun terminating; each terminating pod produced its own burst lasting ${fmtMs(Math.min(...gaps))}–${fmtMs(Math.max(...gaps))} (median ${fmtMs(gapMed)}). The traffic went through ${path}, which kept the endpoint after the container stopped accepting connections, so endpoint removal lost the race with process exit.`,
        evidence,
        counterEvidence,
        checks: [
          "Compare each pod's Killing time with the time its endpoint disappeared from EndpointSlices and from the data plane (istioctl ztunnel-config workloads / proxy-config endpoints).",
          "Confirm the application exits immediately on SIGTERM (no preStop sleep).",
          sources.has("ztunnel") ? "Repeat the rollout with the namespace out of ambient mode: if the bursts vanish, ztunnel's workload removal is the lagging path." : "Check whether the bursts vanish with a preStop delay.",
        ],
        remediation: {
          immediate: ["Add a preStop hook (e.g. sleep 5) and keep terminationGracePeriodSeconds above it so pods keep serving until the data plane drops them.", "Enable retries on connect-failure/refused-stream for the route so a refused connection goes to another endpoint."],
          longTerm: ["Track the upstream fix for workload removal propagation (ztunnel/istiod) and upgrade.", "Gate rollouts on a 503 budget measured at the gateway."],
        },
        facts: {
          pods: bursts.map((b) => b.pod),
          ips: bursts.flatMap((b) => b.ips),
          gapsMs: gaps.map((g) => Math.round(g)),
          lagsMs: lags.map((l) => Math.round(l)),
          failures: total,
          dataPath: path,
        },
      },
    ];
  },
};
