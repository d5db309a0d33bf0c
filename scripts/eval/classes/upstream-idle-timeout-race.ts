import type { ClassSpec, World } from "../generator";
import type { Req } from "../formats/access";

/**
 * Issue 18: an upstream whose keep-alive (idle) timeout is shorter than the proxy's closes pooled
 * connections the proxy still reuses. The request written onto a connection the server is closing
 * meets its FIN before any response byte: Envoy answers 503 `UC`
 * `upstream_reset_before_response_started{connection_termination}` within a few ms. A low, steady rate
 * (0.2–4 % of that upstream's requests), spread evenly, on every backend, latency unchanged — often
 * starting at a change of the server (new runtime version, keep-alive lowered).
 *
 * Axes: which proxy logged it (client sidecar, gateway), text or JSON, HTTP/1.1 or gRPC (Envoy logs a
 * gRPC local reply as 200 with the same flag and details), the rate, whether a change is recorded,
 * an ingress nginx in front (its 503s carry no flag: a symptom only), the shared noise axes.
 *
 * Near-misses (one per variant): a normal rolling restart (terminating pods drain); a one-off burst
 * of resets during a deploy; a 404 storm with client cancellations (DC/499) spread over the window;
 * slow but uniform latency after a deploy; one pod whose workers crash mid-request (resets spread in
 * time too, but after the server worked on the request, and from one backend only).
 */
export const upstreamIdleTimeoutRace: ClassSpec = {
  id: "upstream-idle-timeout-race",
  build(w, kind) {
    const app = w.service;
    const pods = Array.from({ length: w.rng.int(2, 5) }, () => ({ name: w.podName(app), ip: w.podIp() }));
    const backends = pods.map((p) => w.hostPort(p.ip, 8080));
    const grpc = w.pickAxis("protocol", ["http1", "http1", "grpc"] as const) === "grpc";
    const proxy = w.pickAxis("proxy", ["sidecar", "gateway"] as const);
    const near = kind === "near-miss" ? w.pickAxis("nearMiss", ["rolling-restart", "deploy-burst", "404-storm", "slow-uniform", "one-pod-crashing"] as const) : null;
    const rate = w.rng.pick([0.002, 0.005, 0.01, 0.02, 0.04]);
    if (kind === "incident") w.axis("resetRate", String(rate));
    // Enough traffic after the onset that a low rate still leaves ~15 resets a human can see.
    const after = (w.end - w.onset) / (w.end - w.start);
    const count = Math.min(20_000, Math.max(w.requests, 1500, Math.ceil(15 / (rate * after))));
    w.axis("requestsToUpstream", String(count));
    const changeRecorded = kind === "incident" ? w.rng.chance(0.6) : near === "deploy-burst" || near === "slow-uniform";
    const keepAlive = w.rng.pick(["5s", "4s", "2s", "650ms"]);
    if (changeRecorded) {
      const text = kind === "incident" && w.rng.chance(0.5) ? `deployed ${app} v${w.rng.int(2, 5)}.${w.rng.int(0, 20)}.0 (runtime upgrade; server keep-alive timeout now ${keepAlive})` : `deployed ${app} v${w.rng.int(2, 5)}.${w.rng.int(0, 20)}.0`;
      w.timelineEntries.push({ ts: w.onset - w.rng.int(20, 120) * 1000, text });
      w.events.push({ ts: w.onset - w.rng.int(20, 120) * 1000, type: "Normal", reason: "ScalingReplicaSet", kind: "Deployment", name: app, ns: w.ns, message: `Scaled up replica set ${app}-${w.rng.hex(9)} to ${pods.length}`, component: "deployment-controller" });
    }
    const kills = near === "rolling-restart" ? pods.map((_, i) => w.onset + i * w.rng.int(20, 60) * 1000 + w.rng.int(0, 999)) : [];
    const burstAt = near === "deploy-burst" ? w.onset + w.rng.int(5, 40) * 1000 : 0;
    const burstLen = w.rng.int(1000, 4000);
    const slowBy = w.rng.int(150, 600);
    const stormAt = w.onset + w.rng.int(0, 120) * 1000;
    let failed = 0;
    const reset = (r: Req, durMs: number) => {
      failed++;
      Object.assign(r, grpc ? { status: 200 } : { status: 503 }, { flags: "UC", details: "upstream_reset_before_response_started{connection_termination}", durMs, upstreamMs: null });
    };
    const reqs = w.traffic({
      count,
      upstreams: () => w.rng.pick(backends),
      shape: (r) => {
        if (grpc) Object.assign(r, { method: "POST", path: `/${app}.v1.${app[0]!.toUpperCase()}${app.slice(1)}Service/${w.rng.pick(["Get", "List", "Update"])}`, protocol: "HTTP/2", ua: "grpc-go/1.62.1" });
        if (r.upstreamHost === null || r.flags !== "-") return;
        if (kind === "incident") {
          if (r.ts >= w.onset && w.rng.chance(rate)) reset(r, w.rng.int(0, 3));
          return;
        }
        if (near === "rolling-restart") {
          // A normal rolling restart: the terminating pod drains, its traffic moves to the new pods.
          const k = kills.findIndex((t) => r.ts >= t);
          if (k >= 0 && r.upstreamHost === backends[k]) r.upstreamHost = w.rng.pick(backends.filter((_, j) => j !== k));
        } else if (near === "one-pod-crashing") {
          // One backend's workers die mid-request: resets after the server worked on it, one pod only.
          if (r.ts >= w.onset && r.upstreamHost === backends[0] && w.rng.chance(Math.min(0.2, rate * 4))) reset(r, r.durMs + w.rng.int(200, 2500));
        } else if (near === "deploy-burst") {
          if (r.ts >= burstAt && r.ts < burstAt + burstLen && w.rng.chance(0.5)) reset(r, w.rng.int(0, 30));
        } else if (near === "404-storm") {
          if (r.ts >= stormAt && r.ts < stormAt + 180_000 && w.rng.chance(0.3)) Object.assign(r, { status: 404, flags: "NR", details: "route_not_found", upstreamHost: null, upstreamMs: null, connectMs: null, durMs: 0, cluster: "-" });
          else if (w.rng.chance(0.02)) Object.assign(r, { status: 0, flags: "DC", details: "downstream_remote_disconnect", upstreamMs: null });
        } else if (near === "slow-uniform" && r.ts >= w.onset && r.upstreamMs !== null) {
          r.upstreamMs += slowBy;
          r.durMs += slowBy;
        }
      },
    });
    if (kind === "incident") w.axis("resets", String(failed));
    if (near === "rolling-restart") {
      pods.forEach((p, i) =>
        w.events.push(
          { ts: kills[i]! - 4000, type: "Normal", reason: "Started", kind: "Pod", name: w.podName(app), ns: w.ns, message: `Started container ${app}`, component: "kubelet", fieldPath: `spec.containers{${app}}` },
          { ts: kills[i]!, type: "Normal", reason: "Killing", kind: "Pod", name: p.name, ns: w.ns, message: `Stopping container ${app}`, component: "kubelet", fieldPath: `spec.containers{${app}}` },
        ),
      );
      w.timelineEntries.push({ ts: w.onset - 5000, text: `kubectl rollout restart deploy/${app}` });
    }
    const logName = proxy === "sidecar" ? `${w.caller}-istio-proxy.log` : "gateway-access.log";
    w.accessLog(logName, reqs, { formats: ["envoy-text", "envoy-json"], evidence: kind === "incident", axisName: "envoy" });
    // An ingress nginx in front sees the same failures as bare 503s (no flag, no details).
    if (!grpc && w.rng.chance(0.3)) {
      w.axis("ingressNginx", "in front");
      w.accessLog("ingress-nginx-access.log", reqs.filter((r) => r.status !== 0).map((r) => ({ ...r, ts: r.ts - w.rng.int(1, 3), durMs: r.durMs + 2 })), { formats: ["nginx-timings", "nginx-main-ext", "nginx-json"], axisName: "ingress" });
    }
    if (kind === "incident") w.timelineEntries.push({ ts: w.onset + w.rng.int(5, 20) * 60_000, text: `${app}: low but constant rate of 503s reported by callers (${(rate * 100).toFixed(1)} %), latency dashboards normal` });
    else if (near === "slow-uniform") w.timelineEntries.push({ ts: w.onset + 300_000, text: `${app} p50 latency up ~${slowBy} ms after the release` });
    describeWorld(w);
    w.redHerrings();
    // A rollout near-miss is only a rollout to a human who sees the terminations: events stay there.
    w.finishContext(kind === "incident" ? `Intermittent 503s calling ${app}` : `${app} review`, { eventsEssential: near === "rolling-restart" });
  },
};

function describeWorld(w: World): void {
  w.axis("upstream", `${w.service}.${w.ns}`);
}
