import type { ClassSpec } from "../generator";
import type { Req } from "../formats/access";
import { endpointSlices, podList, type SliceEndpoint } from "../formats/k8s";
import { zLine, type ZConn, type ZFormat } from "../formats/ztunnel";

/**
 * Seed 001 (Istio ambient): during a rolling restart each pod gets SIGTERM and exits before ztunnel
 * learns (by XDS) that the workload is gone; for 200–500 ms ztunnel keeps sending new connections to
 * it and they are refused — `connection failed: Connection refused` in ztunnel's access log, 503s at
 * the gateway, a burst per terminating pod. Evidence: the refusals (ztunnel log or gateway access
 * log) right after each pod's termination began (events, EndpointSlice conditions).
 *
 * Near-miss: the same rollout with proper draining — the same Killing events, terminating
 * endpoints marked not serving, traffic moved to the new pods, no refusal.
 */
export const endpointRemovalRace: ClassSpec = {
  id: "endpoint-removal-race",
  build(w, kind) {
    const app = w.service;
    const pods = w.rng.int(2, 5);
    const old = Array.from({ length: pods }, () => ({ name: w.podName(app), ip: w.podIp(), node: w.rng.pick(w.nodes) }));
    const fresh = Array.from({ length: pods }, () => ({ name: w.podName(app), ip: w.podIp(), node: w.rng.pick(w.nodes) }));
    const gap = w.rng.int(15, 45) * 1000;
    const kills = old.map((_, i) => w.onset + i * gap + w.rng.int(0, 999));
    w.axis("rollout", `${pods} pods, ${gap / 1000}s apart`);

    // Rollout: new pod up, old pod terminated, one at a time.
    w.events.push({ ts: w.onset - 2000, type: "Normal", reason: "ScalingReplicaSet", kind: "Deployment", name: app, ns: w.ns, message: `Scaled up replica set ${app}-${w.rng.hex(9)} to 1`, component: "deployment-controller" });
    old.forEach((p, i) => {
      w.events.push(
        { ts: kills[i]! - 3000, type: "Normal", reason: "Started", kind: "Pod", name: fresh[i]!.name, ns: w.ns, message: `Started container ${app}`, component: "kubelet", fieldPath: `spec.containers{${app}}` },
        { ts: kills[i]!, type: "Normal", reason: "Killing", kind: "Pod", name: p.name, ns: w.ns, message: `Stopping container ${app}`, component: "kubelet", fieldPath: `spec.containers{${app}}` },
      );
    });
    w.timelineEntries.push({ ts: w.onset - 5000, text: `kubectl rollout restart deploy/${app}` });

    // Who serves at t: the old pods until their termination (+ the race), then the new ones.
    const race = raceLengths(kind, () => w.rng.int(200, 500));
    const exitDelay = old.map(() => w.rng.int(0, 250));
    w.axis("race", kind === "incident" ? `${race.join("/")}ms` : "none (drained)");
    const raceOf = (i: number) => race[i % race.length] ?? 0;
    const pickBackend = (ts: number) => {
      const alive = old.map((p, i) => ({ p, i })).filter(({ i }) => ts < kills[i]!);
      const up = fresh.filter((_, i) => ts >= kills[i]! - 3000);
      return w.rng.pick([...alive.map(({ p }) => p), ...up].length ? [...alive.map(({ p }) => p), ...up] : old);
    };

    const reqs: (Req & { backend: string; failed: boolean })[] = [];
    const base = w.traffic({ upstreams: () => "" });
    for (const r of base) {
      const b = pickBackend(r.ts);
      reqs.push({ ...r, upstreamHost: r.upstreamHost === null ? null : w.hostPort(b.ip, 8080), backend: b.name, failed: false });
    }
    // Through the rollout the gateway carries a steady 20–80 rps (the seed's ~50), so a 200–500 ms
    // race window catches several new connections; capped so the bundle stays within the scale axis.
    const from = w.onset - 60_000;
    const to = kills.at(-1)! + 60_000;
    const rps = Math.min(w.rng.int(20, 80), Math.floor(12_000 / ((to - from) / 1000)));
    w.axis("rps", String(rps));
    const steady = w.traffic({ count: Math.round((rps * (to - from)) / 1000), upstreams: () => "" });
    steady.forEach((r, k) => {
      if (r.upstreamHost === null) return void reqs.push({ ...r, ts: from + Math.floor((k * (to - from)) / steady.length), backend: "", failed: false });
      r.ts = from + Math.floor(((k + w.rng.next()) * (to - from)) / steady.length);
      const i = old.findIndex((_, j) => kind === "incident" && r.ts >= kills[j]! + exitDelay[j]! && r.ts < kills[j]! + exitDelay[j]! + raceOf(j));
      // In the race window the terminating pod still gets its share of new connections: refused.
      const inRace = i >= 0 && w.rng.chance(Math.max(1 / pods, 0.5));
      const target = inRace ? old[i]! : pickBackend(r.ts);
      r.upstreamHost = w.hostPort(target.ip, 8080);
      if (inRace) Object.assign(r, { status: 503, flags: "UF", details: "upstream_reset_before_response_started{connection_failure,delayed_connect_error:_111}", durMs: w.rng.int(0, 4), upstreamMs: null, connectMs: null });
      reqs.push({ ...r, backend: target.name, failed: inRace });
    });
    reqs.sort((a, b) => a.ts - b.ts);

    const ztFormat = w.pickAxis<ZFormat>("format:ztunnel", ["text-tabs", "text-spaces", "json", "kubectl-prefix"]);
    const keepZt = w.keep("ztunnel", 0.75);
    const keepGw = !keepZt || w.keep("gateway-access", 0.7);
    if (keepGw) w.accessLog("gateway-access.log", reqs, { formats: ["envoy-text", "envoy-json"], evidence: kind === "incident", skewMaxSec: 2 });
    if (keepZt) {
      const skew = w.skew("ztunnel", 2);
      const gwIp = w.podIp();
      const byNode = new Map<string, string[]>();
      for (const r of reqs) {
        if (r.upstreamHost === null) continue;
        const target = [...old, ...fresh].find((p) => p.name === r.backend)!;
        const c: ZConn = {
          ts: r.ts + skew,
          srcAddr: w.hostPort(gwIp, w.rng.int(32768, 60999)),
          srcWorkload: `istio-gateway-${w.rng.hex(5)}`,
          ns: w.ns,
          dstAddr: w.hostPort(target.ip, 15008),
          dstService: `${app}.${w.ns}.svc.cluster.local`,
          dstWorkload: target.name,
          direction: "outbound",
          bytesSent: r.failed ? 0 : 120 + w.rng.int(0, 300),
          bytesRecv: r.failed ? 0 : r.bytesOut,
          durMs: r.failed ? 0 : r.durMs,
          error: r.failed ? "connection failed: Connection refused (os error 111)" : null,
        };
        const node = w.nodes[0]!;
        const lines = byNode.get(node) ?? [];
        lines.push(zLine(c, ztFormat));
        byNode.set(node, lines);
      }
      for (const [node, lines] of byNode) w.add(ztFormat === "json" ? "ztunnel.jsonl" : "ztunnel.log", `${lines.join("\n")}\n`, { node, evidence: kind === "incident" });
    }

    // EndpointSlice captured mid-rollout: the pod being replaced is terminating (not serving).
    if (w.keep("endpointslices", 0.5)) {
      const mid = Math.min(pods - 1, w.rng.int(0, pods - 1));
      const eps: SliceEndpoint[] = [
        ...old.slice(mid).map((p, j) => ({ ip: p.ip, pod: p.name, node: p.node, ready: j > 0, serving: j > 0, terminating: j === 0 })),
        ...fresh.slice(0, mid + 1).map((p) => ({ ip: p.ip, pod: p.name, node: p.node, ready: true, serving: true, terminating: false })),
      ];
      w.add("endpointslices.json", endpointSlices([{ service: app, ns: w.ns, port: 8080, endpoints: eps }], kills[mid]! + 100));
    }
    // Without ztunnel's workload names, only the pods' IPs tie a refused upstream to a terminating
    // pod: a human (and the analysis) then needs the pod list taken before the rollout.
    if (!keepZt || w.keep("pods", 0.4)) {
      w.axis("pods", "captured");
      w.add("pods.json", podList(old.map((p) => ({ name: p.name, ns: w.ns, app, ip: p.ip, node: p.node })), w.onset - w.rng.int(60, 600) * 1000));
    }
    if (kind === "incident") w.timelineEntries.push({ ts: w.onset + 60_000, text: `bursts of 503 Service Unavailable at the gateway during the ${app} rollout` });
    w.redHerrings();
    // A human needs the termination times next to the refusals: events stay.
    w.finishContext(kind === "incident" ? `503s during ${app} rollout` : `${app} rollout review`, { eventsEssential: true });
  },
};

/** One race length per terminating pod (incident); none when draining works. */
function raceLengths(kind: "incident" | "near-miss", draw: () => number): number[] {
  return kind === "incident" ? Array.from({ length: 5 }, draw) : [];
}
