import type { ClassSpec } from "../generator";
import type { Req } from "../formats/access";
import { endpointSlices, type SliceEndpoint } from "../formats/k8s";
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
    // At ~30–80 rps the gateway sends a share of new connections to the terminating pod.
    const rps = w.rng.int(30, 80);
    w.axis("rps", String(rps));
    old.forEach((p, i) => {
      const from = kills[i]! - 2000;
      const to = kills[i]! + 2000;
      for (let t = from; t < to; t += Math.round(1000 / rps) + w.rng.int(0, 5)) {
        const inRace = kind === "incident" && t >= kills[i]! + exitDelay[i]! && t < kills[i]! + exitDelay[i]! + raceOf(i);
        const target = inRace || (t < kills[i]! && w.rng.chance(1 / pods)) ? p : fresh[i]!;
        const [r] = w.traffic({ count: 1, upstreams: () => w.hostPort(target.ip, 8080) });
        if (!r || r.upstreamHost === null) continue;
        r.ts = t;
        r.path = "/api/items";
        if (inRace) Object.assign(r, { status: 503, flags: "UF", details: "upstream_reset_before_response_started{connection_failure,delayed_connect_error:_111}", durMs: w.rng.int(0, 4), upstreamMs: null, connectMs: null });
        reqs.push({ ...r, backend: target.name, failed: inRace });
      }
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
