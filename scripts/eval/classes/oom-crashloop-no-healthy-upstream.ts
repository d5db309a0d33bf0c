import type { ClassSpec, World } from "../generator";
import type { Req } from "../formats/access";
import type { KEvent } from "../formats/k8s";
import { iso } from "../formats/time";
import { zLine, type ZConn, type ZFormat } from "../formats/ztunnel";

/**
 * Every replica of a service grows to its memory limit under the same load (a cache without a bound,
 * a JVM heap sized above the container limit), the cgroup OOM killer kills them within seconds of
 * each other (exit 137, `OOMKilled`), the kubelet restarts them with a growing back-off, and while
 * none is Ready the proxies in front have no endpoint: `503 UH no_healthy_upstream` (Envoy sidecar
 * or gateway, text or JSON; gRPC: grpc-status 14 over HTTP 200) or ztunnel's `no healthy upstream`.
 * Evidence: the UH failures and, for the kills, the pod snapshot (lastState OOMKilled, restartCount,
 * CrashLoopBackOff), memory series reaching the limit, restart / back-off events.
 *
 * Near-misses: one replica OOM-killed with spare replicas (no UH); a crash loop for another reason
 * (exit 1 `Error` after a bad config, UH bursts just the same — but no OOM); a rolling restart.
 */
type Pod = { name: string; ip: string; node: string; uid: string };
type NearMiss = "one-oom-spare-replicas" | "crashloop-error" | "rolling-restart";

const MiB = 2 ** 20;

export const oomCrashloopNoHealthyUpstream: ClassSpec = {
  id: "oom-crashloop-no-healthy-upstream",
  build(w, kind) {
    const app = w.service;
    const nearMiss: NearMiss | null = kind === "near-miss" ? w.pickAxis<NearMiss>("nearMiss", ["one-oom-spare-replicas", "crashloop-error", "rolling-restart"]) : null;
    const replicas = w.rng.int(2, 4);
    const pods: Pod[] = Array.from({ length: replicas }, () => ({ name: w.podName(app), ip: w.podIp(), node: w.rng.pick(w.nodes), uid: uuid(w) }));
    const limit = w.rng.pick([256, 512, 768, 1024, 2048]) * MiB;
    const grpc = w.rng.chance(0.3);
    w.axis("protocol", grpc ? "grpc" : "http1");
    w.axis("replicas", String(replicas));

    // Episodes: every replica killed within a few seconds (OOM, or exit 1 for the crash-loop
    // look-alike); down until the first replica is Ready again (back-off 0, 10, 20, 40 s … + start-up).
    const startup = w.rng.int(6, 20) * 1000;
    const episodes: { kills: number[]; readyAt: number[] }[] = [];
    let t = w.onset;
    const lastEpisodeBefore = w.end - 120_000;
    const maxEpisodes = nearMiss === "rolling-restart" ? 0 : nearMiss === "one-oom-spare-replicas" ? 1 : w.rng.int(1, 5);
    for (let e = 0; e < maxEpisodes && t < lastEpisodeBefore; e++) {
      const who = nearMiss === "one-oom-spare-replicas" ? [0] : pods.map((_, i) => i);
      const kills = pods.map((_, i) => (who.includes(i) ? t + w.rng.int(0, 4000) + (i === 0 ? 0 : w.rng.int(0, 2500)) : Number.NaN));
      const backoff = e === 0 ? 0 : Math.min(300, 10 * 2 ** (e - 1)) * 1000;
      const readyAt = kills.map((k) => (Number.isNaN(k) ? Number.NaN : k + backoff + startup + w.rng.int(0, 4000)));
      episodes.push({ kills, readyAt });
      // Memory climbs back to the limit under the same load: the next kill in 1–4 minutes.
      t = Math.max(...readyAt.filter((x) => !Number.isNaN(x))) + w.rng.int(60, 240) * 1000;
    }
    const rollout = nearMiss === "rolling-restart" ? pods.map((_, i) => w.onset + i * w.rng.int(15, 40) * 1000) : [];
    w.axis("episodes", String(episodes.length));
    const oom = kind === "incident" || nearMiss === "one-oom-spare-replicas";

    const down = (i: number, ts: number) => episodes.some((ep) => ts >= ep.kills[i]! && ts < ep.readyAt[i]!);
    const allDown = (ts: number) => nearMiss !== "rolling-restart" && pods.every((_, i) => down(i, ts));

    // Traffic: the window's requests plus a steady stream through the episodes (so a few seconds of
    // "no endpoint" are seen at all), capped to the scale axis.
    const from = w.onset - 60_000;
    const to = Math.min(w.end, (episodes.at(-1)?.readyAt.filter((x) => !Number.isNaN(x)).reduce((a, b) => Math.max(a, b), 0) ?? w.onset) + 120_000);
    const rps = Math.max(3, Math.min(w.rng.int(3, 40), Math.floor(12_000 / Math.max(1, (to - from) / 1000))));
    w.axis("rps", String(rps));
    const reqs = [...w.traffic({ upstreams: () => "" }), ...w.traffic({ count: Math.round((rps * (to - from)) / 1000), upstreams: () => "" }).map((r, k, all) => ({ ...r, ts: from + Math.floor(((k + w.rng.next()) * (to - from)) / all.length) }))];
    const backendOf = new Map<Req, Pod>();
    for (const r of reqs) {
      if (grpc) Object.assign(r, { protocol: "HTTP/2", method: "POST", path: `/${w.ns}.${cap(app)}Service/${w.rng.pick(["Get", "List", "Update"])}${cap(app)}` });
      if (r.upstreamHost === null) continue;
      const alive = pods.filter((_, i) => !down(i, r.ts));
      if (allDown(r.ts) && r.ts > w.onset - 1) {
        // No ready endpoint: the proxy answers itself.
        Object.assign(r, { status: grpc ? 200 : 503, flags: "UH", details: "no_healthy_upstream", durMs: w.rng.int(0, 1), upstreamMs: null, connectMs: null, upstreamHost: null, bytesOut: grpc ? 0 : 19 });
        continue;
      }
      const p = w.rng.pick(alive.length ? alive : pods);
      r.upstreamHost = w.hostPort(p.ip, 8080);
      backendOf.set(r, p);
      // Requests in flight on a replica at the moment it is killed are reset.
      const i = pods.indexOf(p);
      const justKilled = episodes.some((ep) => r.ts < ep.kills[i]! && r.ts + r.durMs >= ep.kills[i]!);
      if (justKilled && (oom || nearMiss === "crashloop-error")) Object.assign(r, { status: grpc ? 200 : 503, flags: "UC", details: "upstream_reset_before_response_started{connection_termination}", upstreamMs: null });
    }
    reqs.sort((a, b) => a.ts - b.ts);

    // Which proxy saw it.
    const proxy = w.pickAxis("proxy", ["sidecar-envoy", "gateway-envoy", "ztunnel"] as const);
    if (proxy === "ztunnel") {
      const format = w.pickAxis<ZFormat>("format:ztunnel", ["text-tabs", "text-spaces", "json", "kubectl-prefix"]);
      const skew = w.skew("ztunnel", 5);
      const src = w.podIp();
      const lines = reqs
        .filter((r) => r.status !== 404)
        .map((r) => {
          const p = backendOf.get(r);
          const failed = r.flags === "UH" || r.flags === "UC";
          const c: ZConn = {
            ts: r.ts + skew,
            srcAddr: w.hostPort(src, w.rng.int(32768, 60999)),
            srcWorkload: w.podName(w.caller),
            ns: w.ns,
            dstAddr: p ? w.hostPort(p.ip, 15008) : w.hostPort(w.clusterIp(), 8080),
            dstService: `${app}.${w.ns}.svc.cluster.local`,
            dstWorkload: p?.name ?? "",
            direction: "outbound",
            bytesSent: failed ? 0 : 200,
            bytesRecv: failed ? 0 : r.bytesOut,
            durMs: r.durMs,
            error: r.flags === "UH" ? `no healthy upstream: ${app}.${w.ns}.svc.cluster.local:8080` : r.flags === "UC" ? "connection closed: Connection reset by peer (os error 104)" : null,
          };
          const line = zLine(c, format);
          return p ? line : format === "json" ? JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(line) as Record<string, unknown>).filter(([k]) => k !== "dst.workload"))) : line.replace(/\s*dst\.workload=""/, "");
        });
      w.add(format === "json" ? "ztunnel.jsonl" : "ztunnel.log", `${lines.join("\n")}\n`, { node: w.nodes[0]!, evidence: kind === "incident" });
    } else {
      w.accessLog(proxy === "gateway-envoy" ? "gateway-access.log" : `${w.caller}-istio-proxy.log`, reqs, { formats: ["envoy-text", "envoy-json"], evidence: kind === "incident", axisName: "proxy-log", skewMaxSec: 5 });
    }

    // Kubernetes evidence of the kills and restarts.
    const ev: KEvent[] = w.events;
    const reason = nearMiss === "crashloop-error" ? "Error" : "OOMKilled";
    const exitCode = nearMiss === "crashloop-error" ? 1 : 137;
    if (nearMiss === "crashloop-error") {
      w.events.push({ ts: w.onset - w.rng.int(20, 90) * 1000, type: "Normal", reason: "ScalingReplicaSet", kind: "Deployment", name: app, ns: w.ns, message: `Scaled up replica set ${app}-${w.rng.hex(9)} to ${replicas}`, component: "deployment-controller" });
      w.timelineEntries.push({ ts: w.onset - 60_000, text: `config change rolled out to ${app} (new feature flag file)` });
    }
    episodes.forEach((ep, e) =>
      pods.forEach((p, i) => {
        const k = ep.kills[i]!;
        if (Number.isNaN(k)) return;
        if (e > 0) ev.push({ ts: k + 1000, type: "Warning", reason: "BackOff", kind: "Pod", name: p.name, ns: w.ns, message: `Back-off restarting failed container ${app} in pod ${p.name}_${w.ns}(${p.uid})`, component: "kubelet", fieldPath: `spec.containers{${app}}` });
        ev.push({ ts: ep.readyAt[i]! - startup, type: "Normal", reason: "Started", kind: "Pod", name: p.name, ns: w.ns, message: `Started container ${app}`, component: "kubelet", fieldPath: `spec.containers{${app}}` });
      }),
    );
    if (nearMiss === "rolling-restart") {
      w.events.push({ ts: w.onset - 2000, type: "Normal", reason: "ScalingReplicaSet", kind: "Deployment", name: app, ns: w.ns, message: `Scaled up replica set ${app}-${w.rng.hex(9)} to 1`, component: "deployment-controller" });
      pods.forEach((p, i) => ev.push({ ts: rollout[i]!, type: "Normal", reason: "Killing", kind: "Pod", name: p.name, ns: w.ns, message: `Stopping container ${app}`, component: "kubelet", fieldPath: `spec.containers{${app}}` }));
      w.timelineEntries.push({ ts: w.onset - 5000, text: `kubectl rollout restart deploy/${app}` });
    }
    const capture = w.end - w.rng.int(0, 60) * 1000;
    const lastKill = (i: number) => episodes.map((ep) => ep.kills[i]!).filter((x) => !Number.isNaN(x)).at(-1);
    let keepPods = w.keep("pods", 0.75);
    const keepMem = w.keep("memory-series", 0.6);
    if (!keepPods && !keepMem) keepPods = true;
    if (keepPods) {
      w.axis("pods", "captured");
      w.add("pods.json", podList(w, app, pods, limit, capture, (i) => {
        const k = lastKill(i);
        if (k === undefined || (nearMiss === "rolling-restart")) return null;
        const inLoop = capture < episodes.at(-1)!.readyAt[i]!;
        return { reason, exitCode, startedAt: k - w.rng.int(60, 200) * 1000, finishedAt: k, restarts: episodes.filter((ep) => !Number.isNaN(ep.kills[i]!)).length, waiting: inLoop };
      }), { evidence: kind === "incident" });
    }
    if (keepMem) {
      const limitSeries = w.pickAxis("limitSeries", keepPods ? ["none", "cadvisor", "kube-state-metrics"] : ["cadvisor", "kube-state-metrics"]);
      const step = w.rng.pick([15_000, 30_000, 60_000]);
      w.axis("memoryStep", `${step / 1000}s`);
      const series = pods.map((p, i) => ({
        metric: { __name__: "container_memory_working_set_bytes", namespace: w.ns, pod: p.name, container: app },
        values: memoryCurve(w, step, limit, (nearMiss === "crashloop-error" ? [] : episodes.map((ep) => ep.kills[i]!).filter((x) => !Number.isNaN(x))), episodes.map((ep) => ep.readyAt[i]! - startup).filter((x) => !Number.isNaN(x))),
      }));
      const lim = limitSeries === "none" ? [] : pods.map((p) => ({
        metric: limitSeries === "cadvisor" ? { __name__: "container_spec_memory_limit_bytes", namespace: w.ns, pod: p.name, container: app } : { __name__: "kube_pod_container_resource_limits", namespace: w.ns, pod: p.name, container: app, resource: "memory", unit: "byte" },
        values: range(w.start, w.end, step).map((ts) => [ts / 1000, String(limit)] as [number, string]),
      }));
      w.add("memory.json", JSON.stringify({ status: "success", data: { resultType: "matrix", result: [...series, ...lim] } }), { evidence: kind === "incident" });
    }
    if (kind === "incident") w.timelineEntries.push({ ts: w.onset + w.rng.int(60, 300) * 1000, text: `${app} 503s "no healthy upstream" alert` });
    w.redHerrings();
    w.finishContext(kind === "incident" ? `${app} unavailable` : `${app} review`, { eventsEssential: false });
  },
};

const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);
function uuid(w: World): string {
  return `${w.rng.hex(8)}-${w.rng.hex(4)}-${w.rng.hex(4)}-${w.rng.hex(4)}-${w.rng.hex(12)}`;
}
function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) out.push(t);
  return out;
}

/**
 * Working set in bytes: flat at a third of the limit, then (after the onset, the load) climbing to
 * 93–99 % of the limit where GC thrashes until the kill, back to a quarter after each restart.
 */
function memoryCurve(w: World, step: number, limit: number, kills: number[], starts: number[]): [number, string][] {
  const plateau = w.rng.float(0.93, 0.99);
  const climb = w.rng.int(40, 120) * 1000;
  const baseline = w.rng.float(0.25, 0.4);
  return range(w.start, w.end, step).map((ts) => {
    const nextKill = kills.find((k) => k >= ts);
    const lastStart = [...starts].reverse().find((s) => s <= ts);
    let v = baseline;
    if (nextKill !== undefined && (lastStart === undefined || lastStart < nextKill)) {
      const climbFrom = Math.max(lastStart ?? nextKill - climb, nextKill - climb);
      if (ts >= climbFrom) v = Math.min(plateau, baseline + ((ts - climbFrom) / Math.max(1, (nextKill - climbFrom) * 0.6)) * (plateau - baseline));
    } else if (kills.length && ts > kills.at(-1)! && lastStart !== undefined) v = baseline * 0.8;
    const noisy = v * limit * (1 + w.rng.float(-0.01, 0.01));
    return [ts / 1000, String(Math.round(Math.min(noisy, limit)))];
  });
}

/** `kubectl get pods -o json` with resources and container statuses. */
function podList(w: World, app: string, pods: Pod[], limit: number, capturedMs: number, last: (i: number) => { reason: string; exitCode: number; startedAt: number; finishedAt: number; restarts: number; waiting: boolean } | null): string {
  const items = pods.map((p, i) => {
    const l = last(i);
    return {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: p.name, namespace: w.ns, uid: p.uid, labels: { app }, creationTimestamp: iso(capturedMs - 86_400_000, 0) },
      spec: { nodeName: p.node, containers: [{ name: app, image: `registry.example.com/${app}:2.3.1`, resources: { limits: { memory: `${limit / MiB}Mi`, cpu: "1" }, requests: { memory: `${Math.round(limit / MiB / 2)}Mi`, cpu: "250m" } } }] },
      status: {
        phase: "Running",
        podIP: p.ip,
        podIPs: [{ ip: p.ip }],
        conditions: [{ type: "Ready", status: l?.waiting ? "False" : "True" }],
        containerStatuses: [
          {
            name: app,
            ready: !l?.waiting,
            restartCount: l?.restarts ?? 0,
            state: l?.waiting ? { waiting: { reason: "CrashLoopBackOff", message: `back-off 40s restarting failed container=${app} pod=${p.name}_${w.ns}(${p.uid})` } } : { running: { startedAt: iso((l?.finishedAt ?? capturedMs - 86_400_000) + 5000, 0) } },
            ...(l ? { lastState: { terminated: { reason: l.reason, exitCode: l.exitCode, startedAt: iso(l.startedAt, 0), finishedAt: iso(l.finishedAt, 0), containerID: `containerd://${w.rng.hex(64)}` } } } : { lastState: {} }),
            image: `registry.example.com/${app}:2.3.1`,
          },
        ],
      },
    };
  });
  return `${JSON.stringify({ apiVersion: "v1", kind: "List", items, metadata: { resourceVersion: "" } }, null, 2)}\n`;
}
