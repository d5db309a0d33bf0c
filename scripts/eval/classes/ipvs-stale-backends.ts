import type { ClassSpec } from "../generator";
import { ipvsDump, type IpvsFormat, type IpvsService } from "../formats/netfilter";
import { endpointSlices, klog, serviceList, type Slice } from "../formats/k8s";
import { hhmmCompact } from "../formats/time";

/**
 * Seed 002 (kube-proxy in IPVS mode after an upgrade): kube-proxy on some nodes hangs trying to
 * remove old real servers (graceful termination), so after the pods are replaced those nodes' IPVS
 * tables still point at the old pod IPs; the load balancer marks those nodes unhealthy and
 * requests through them fail. Evidence: `ipvsadm -Ln` (or `ipvsadm-save -n`) of a bad node whose
 * real servers are not in the service's EndpointSlice; kube-proxy logs retrying the removal.
 *
 * Near-miss: the same services, rollout and dumps with every backend matching its EndpointSlice;
 * services with no EndpointSlice in the bundle (API server, kube-dns) as in every variant.
 */
export const ipvsStaleBackends: ClassSpec = {
  id: "ipvs-stale-backends",
  build(w, kind) {
    const apps = [w.service, ...(w.rng.chance(0.5) ? [w.caller] : [])];
    const svc = apps.map((app) => {
      const n = w.rng.int(2, 4);
      return {
        app,
        vip: w.clusterIp(),
        port: w.rng.pick([80, 8080, 3030]),
        nodePort: w.rng.int(30000, 32767),
        old: Array.from({ length: n }, () => ({ ip: w.podIp(), pod: w.podName(app), node: w.rng.pick(w.nodes) })),
        cur: Array.from({ length: n }, () => ({ ip: w.podIp(), pod: w.podName(app), node: w.rng.pick(w.nodes) })),
      };
    });
    const stale = w.nodes.slice(0, w.rng.int(1, Math.max(1, w.nodes.length - 1)));
    const staleApp = svc[0]!;
    // All of the old backends, or only some (the rest were removed before kube-proxy hung).
    const staleShare = w.pickAxis("stale:backends", ["all", "some"] as const);
    w.axis("nodes:stale", kind === "incident" ? String(stale.length) : "0");
    if (kind !== "incident") w.axis("stale:backends", "none");
    const format = w.pickAxis<IpvsFormat>("format:ipvs", ["ipvsadm-Ln", "ipvsadm-Ln", "ipvsadm-save"]);
    const apiserver = { vip: w.ipv6 ? "fd00:10:96::1" : "10.96.0.1", real: w.ipv6 ? "fd00:172:18::3" : `172.18.0.${w.rng.int(2, 9)}` };
    const dns = { vip: w.ipv6 ? "fd00:10:96::a" : "10.96.0.10", reals: [w.podIp(), w.podIp()] };
    const captured = w.end - w.rng.int(0, 5) * 60_000;
    const naming = w.pickAxis("snapshot:naming", ["plain", "time-in-name-only"] as const);

    for (const [ni, node] of w.nodes.entries()) {
      const isStale = kind === "incident" && stale.includes(node);
      const nodeIp = w.ipv6 ? `fd00:172:18::${10 + ni}` : `172.18.0.${10 + ni}`;
      const services: IpvsService[] = [
        { proto: "TCP", vip: apiserver.vip, port: 443, sched: "rr", reals: [{ ip: apiserver.real, port: 6443, active: w.rng.int(0, 9), inactive: 0 }] },
        { proto: "TCP", vip: dns.vip, port: 53, sched: "rr", reals: dns.reals.map((ip) => ({ ip, port: 53, active: 0, inactive: w.rng.int(0, 9) })) },
        { proto: "UDP", vip: dns.vip, port: 53, sched: "rr", reals: dns.reals.map((ip) => ({ ip, port: 53, active: 0, inactive: w.rng.int(0, 9) })) },
      ];
      for (const s of svc) {
        let reals = s.cur.map((c) => c.ip);
        if (isStale && s === staleApp) reals = staleShare === "all" ? s.old.map((o) => o.ip) : [...s.old.slice(0, 1).map((o) => o.ip), ...s.cur.slice(1).map((c) => c.ip)];
        const rs = reals.map((ip) => ({ ip, port: s.port, active: w.rng.int(0, 3), inactive: w.rng.int(0, 12) }));
        // kube-proxy makes one virtual service per ClusterIP and one per NodePort address of the node.
        for (const vip of [s.vip, nodeIp, w.ipv6 ? "::1" : "127.0.0.1"]) services.push({ proto: "TCP", vip, port: vip === s.vip ? s.port : s.nodePort, sched: "rr", reals: rs });
      }
      const keepDump = isStale || w.keep(`ipvs:${node}`, 0.6);
      if (keepDump) {
        const name = naming === "plain" ? (format === "ipvsadm-save" ? "ipvsadm-save.txt" : "ipvsadm-Ln.txt") : `ipvs-${hhmmCompact(captured)}.txt`;
        w.add(name, ipvsDump(w.rng.shuffle(services), format), { node, evidence: isStale });
      }
      // kube-proxy keeps trying to delete the old real servers on the stuck nodes.
      if (isStale && w.keep(`kube-proxy-log:${node}`, 0.6)) {
        const lines: string[] = [];
        for (let t = w.onset + 5000; t < w.end; t += w.rng.int(20, 60) * 1000)
          for (const o of staleApp.old)
            lines.push(
              klog(t, "I", "graceful_termination.go:160", `Trying to delete rs: ${w.hostPort(staleApp.vip, staleApp.port)}/TCP/${w.hostPort(o.ip, staleApp.port)}`),
              klog(t + 3, "I", "graceful_termination.go:171", `Not deleting, RS ${w.hostPort(staleApp.vip, staleApp.port)}/TCP/${w.hostPort(o.ip, staleApp.port)}: 0 ActiveConn, ${w.rng.int(1, 9)} InactiveConn`),
            );
        w.add("kube-proxy.log", `${lines.join("\n")}\n`, { node });
      }
    }
    // The services' current endpoints: what a human compares the dumps with.
    const slices: Slice[] = svc.map((s) => ({ service: s.app, ns: w.ns, port: s.port, endpoints: s.cur.map((c) => ({ ip: c.ip, pod: c.pod, node: c.node, ready: true, serving: true, terminating: false })) }));
    w.add("endpointslices.json", endpointSlices(slices, captured));
    // Which VIP is which service: without it a node whose backends are all stale cannot be tied to
    // the EndpointSlice it contradicts, by a human or by the analysis.
    w.add("services.json", serviceList(svc.map((s) => ({ name: s.app, ns: w.ns, clusterIP: s.vip, port: s.port, nodePort: s.nodePort })), captured));

    // The pods were replaced at the onset; kube-proxy had been upgraded before.
    for (const s of svc)
      s.old.forEach((o, i) =>
        w.events.push({ ts: w.onset + i * 4000, type: "Normal", reason: "Killing", kind: "Pod", name: o.pod, ns: w.ns, message: `Stopping container ${s.app}`, component: "kubelet", fieldPath: `spec.containers{${s.app}}` }),
      );
    w.events.push({ ts: w.onset - w.rng.int(30, 120) * 60_000, type: "Normal", reason: "SuccessfulCreate", kind: "DaemonSet", name: "kube-proxy", ns: "kube-system", message: `Created pod: kube-proxy-${w.rng.hex(5)}`, component: "daemonset-controller" });

    const share = stale.length / w.nodes.length;
    const reqs = w.traffic({
      upstreams: () => w.hostPort(w.rng.pick(staleApp.cur).ip, staleApp.port),
      shape:
        kind === "incident"
          ? (r) => {
              // Requests entering through a stale node go to an old pod IP: connect timeout or refusal.
              if (r.ts < w.onset || r.upstreamHost === null || !w.rng.chance(share * (staleShare === "all" ? 1 : 0.4))) return;
              const old = w.rng.pick(staleApp.old);
              if (w.rng.chance(0.5)) Object.assign(r, { status: 504, flags: "UT", details: "response_timeout", durMs: 5000 + w.rng.int(0, 20), upstreamMs: null, connectMs: null, upstreamHost: w.hostPort(old.ip, staleApp.port) });
              else Object.assign(r, { status: 503, flags: "UF", details: "upstream_reset_before_response_started{connection_failure}", durMs: w.rng.int(1, 3000), upstreamMs: null, connectMs: null, upstreamHost: w.hostPort(old.ip, staleApp.port) });
            }
          : undefined,
    });
    if (w.keep("ingress-access", 0.8)) w.accessLog("ingress-access.log", reqs);
    if (kind === "incident") w.timelineEntries.push({ ts: w.onset + 120_000, text: "load balancer reports unhealthy target nodes for several services" });
    w.timelineEntries.push({ ts: w.start, text: "in-place upgrade of the cluster (kube-proxy IPVS mode)" });
    w.redHerrings();
    w.finishContext(kind === "incident" ? "Unhealthy load balancer targets" : "Cluster upgrade review");
  },
};
