import type { ClassSpec, World } from "../generator";
import type { AccessFormat, Req } from "../formats/access";
import { iso } from "../formats/time";
import { zLine, type ZConn, type ZFormat } from "../formats/ztunnel";

/**
 * A NetworkPolicy applied at the onset (a zero-trust rollout, an allow-list that forgot a caller)
 * selects the server's pods and admits every caller but one — or selects the client's pods with an
 * egress allow-list that forgot the server. The CNI drops that path's SYNs: the client's proxy waits
 * its connect timeout and fails (Envoy `UF` `connection_timeout` / `delayed_connect_error:_110`,
 * older Envoy `LR`; ingress nginx 504 with `upstream_connect_time` = proxy_connect_timeout; ztunnel
 * "Connection timed out (os error 110)" after the kernel's SYN retries). Other clients keep working.
 * Evidence: the policy dump (always in the bundle: a human needs it) and the timeouts on the path.
 *
 * Near-misses: the same policy admitting the path while the path fails for another reason (app
 * 5xx, a uniformly slow server, connect timeouts of every client to a dead node), or a policy that
 * denies a path without traffic while the logged path has response timeouts (504 UT).
 */
type Proxy = "sidecar-envoy" | "ztunnel" | "ingress-nginx";
type Shape = "ingress-allowlist" | "egress-allowlist";
type NearMiss = "allowing-policy-app-5xx" | "allowing-policy-slow" | "allowing-policy-dead-node" | "deny-unused-path-response-timeouts";
type Pod = { name: string; ip: string; app: string };

const OTHERS = ["checkout", "recommendation", "shipping", "ads", "email", "currency", "reviews"];

export const networkPolicyDeny: ClassSpec = {
  id: "network-policy-deny",
  build(w, kind) {
    const S = w.service;
    const proxy = w.pickAxis<Proxy>("proxy", ["sidecar-envoy", "sidecar-envoy", "ztunnel", "ingress-nginx"]);
    const C = proxy === "ingress-nginx" ? "ingress-nginx" : w.caller;
    const C2 = w.rng.pick(OTHERS.filter((x) => x !== S && x !== C));
    const S2 = w.rng.pick(OTHERS.filter((x) => x !== S && x !== C && x !== C2));
    const nearMiss: NearMiss | null = kind === "near-miss" ? w.pickAxis<NearMiss>("nearMiss", ["allowing-policy-app-5xx", "allowing-policy-slow", "allowing-policy-dead-node", "deny-unused-path-response-timeouts"]) : null;
    const shape: Shape = proxy === "ingress-nginx" || nearMiss ? "ingress-allowlist" : w.pickAxis<Shape>("policyShape", ["ingress-allowlist", "ingress-allowlist", "egress-allowlist"]);
    const grpc = proxy !== "ingress-nginx" && w.rng.chance(0.3);
    w.axis("protocol", grpc ? "grpc" : "http1");
    const mk = (app: string, n: number): Pod[] => Array.from({ length: n }, () => ({ name: w.podName(app), ip: w.podIp(), app }));
    const server = mk(S, w.rng.int(1, 3));
    const client = proxy === "ingress-nginx" ? [{ name: `ingress-nginx-controller-${w.rng.hex(9)}-${w.rng.hex(5)}`, ip: w.podIp(), app: "ingress-nginx" }] : mk(C, w.rng.int(1, 2));
    const client2 = mk(C2, w.rng.int(1, 2));
    const server2 = mk(S2, 1);
    const applied = w.onset + w.rng.int(0, 999);
    const deadPod = server[0]!;

    // The connect timeout the client's proxy waits, and its retries.
    const timeoutMs = proxy === "ztunnel" ? 127_000 + w.rng.int(0, 3000) : proxy === "ingress-nginx" ? w.rng.pick([5000, 5000, 10_000, 60_000]) : w.rng.pick([10_000, 10_000, 5000, 2000, 1000]);
    const retries = proxy === "sidecar-envoy" ? w.rng.pick([0, 2]) : 0;
    const envoyStyle = w.pickAxis("envoyTimeoutDetails", ["connection_timeout", "delayed_connect_error:_110", "local_reset"] as const);
    w.axis("connectTimeout", `${timeoutMs}ms`);
    if (retries) w.axis("retries", String(retries));

    // Is a request of client `from` to `to` at `ts` dropped?
    const denied = (from: string, to: string, ts: number) => kind === "incident" && from === C && to === S && ts >= applied;
    const deadNode = (to: Pod, ts: number) => nearMiss === "allowing-policy-dead-node" && to === deadPod && ts >= applied + w.rng.int(0, 60) * 1000;
    const slow = (to: string, ts: number) => nearMiss === "allowing-policy-slow" && to === S && ts >= applied;
    const appErr = (from: string, to: string, ts: number) => nearMiss === "allowing-policy-app-5xx" && from === C && to === S && ts >= applied && ts < applied + 600_000 && w.rng.chance(0.3);
    const respTimeout = (from: string, to: string, ts: number) => nearMiss === "deny-unused-path-response-timeouts" && from === C && to === S && ts >= applied && ts < applied + 600_000 && w.rng.chance(0.2);

    // Traffic: background over the window plus a steady stream around the onset, from both clients.
    const from = w.onset - 120_000;
    const to = Math.min(w.end, w.onset + 900_000);
    const rps = Math.max(1, Math.min(w.rng.int(1, 20), Math.floor(10_000 / ((to - from) / 1000))));
    w.axis("rps", String(rps));
    const steady = w.traffic({ count: Math.round((rps * (to - from)) / 1000), upstreams: () => "" }).map((r, k, all) => ({ ...r, ts: from + Math.floor(((k + w.rng.next()) * (to - from)) / all.length) }));
    const all = [...w.traffic({ upstreams: () => "" }), ...steady];
    type Out = Req & { src: Pod; dst: Pod; dstApp: string };
    const out: Out[] = [];
    for (const r of all) {
      // 60 % from the affected client (to S, or to S2), 40 % from the other client to S.
      const fromC = w.rng.chance(0.6);
      const src = w.rng.pick(fromC ? client : client2);
      const dstApp = fromC && proxy !== "ingress-nginx" && w.rng.chance(0.25) ? S2 : S;
      const dst = w.rng.pick(dstApp === S ? server : server2);
      const x: Out = { ...r, src, dst, dstApp, client: w.hostPort(src.ip, w.rng.int(32768, 60999)), cluster: `outbound|8080||${dstApp}.${w.ns}.svc.cluster.local`, authority: `${dstApp}.${w.ns}:8080` };
      if (grpc) Object.assign(x, { protocol: "HTTP/2", method: "POST", path: `/${w.ns}.${cap(dstApp)}/Get${cap(dstApp)}` });
      if (x.upstreamHost === null) {
        out.push(x);
        continue;
      }
      x.upstreamHost = w.hostPort(dst.ip, 8080);
      const dropped = denied(src.app, dstApp, x.ts) || deadNode(dst, x.ts);
      if (dropped) {
        const attempts = 1 + retries;
        const dur = timeoutMs * attempts + (attempts - 1) * w.rng.int(25, 50) + w.rng.int(0, 3);
        const flags = envoyStyle === "local_reset" ? "LR" : retries ? "UF,URX" : "UF";
        const details = envoyStyle === "connection_timeout" ? "upstream_reset_before_response_started{connection_timeout}" : envoyStyle === "local_reset" ? "upstream_reset_before_response_started{local_reset}" : "upstream_reset_before_response_started{connection_failure,delayed_connect_error:_110}";
        Object.assign(x, { status: proxy === "ingress-nginx" ? 504 : grpc ? 200 : 503, flags, details, durMs: dur, upstreamMs: proxy === "ingress-nginx" ? timeoutMs + 1 : null, connectMs: proxy === "ingress-nginx" ? timeoutMs + 1 : null, transportFailure: envoyStyle === "delayed_connect_error:_110" ? "delayed_connect_error:_110" : "-", bytesOut: 0 });
      } else if (slow(dstApp, x.ts)) {
        const extra = w.rng.int(300, 1500);
        x.upstreamMs = (x.upstreamMs ?? 0) + extra;
        x.durMs += extra;
      } else if (appErr(src.app, dstApp, x.ts)) Object.assign(x, { status: grpc ? 200 : 503, flags: "-", details: "via_upstream", durMs: w.rng.int(5, 40), upstreamMs: w.rng.int(4, 39), bytesOut: 95 });
      else if (respTimeout(src.app, dstApp, x.ts)) Object.assign(x, { status: 504, flags: "UT", details: "response_timeout", durMs: 15_000, upstreamMs: null, connectMs: 0, bytesOut: 24 });
      out.push(x);
    }
    out.sort((a, b) => a.ts - b.ts);

    // Logs.
    if (proxy === "ztunnel") {
      const format = w.pickAxis<ZFormat>("format:ztunnel", ["text-tabs", "text-spaces", "json", "kubectl-prefix"]);
      const skew = w.skew("ztunnel", 5);
      const lines = out
        .filter((r) => r.upstreamHost !== null)
        .map((r) => {
          const timedOut = r.flags === "UF" || r.flags === "UF,URX" || r.flags === "LR";
          const c: ZConn = {
            ts: r.ts + skew,
            srcAddr: r.client,
            srcWorkload: r.src.name,
            ns: w.ns,
            dstAddr: w.hostPort(r.dst.ip, 15008),
            dstService: `${r.dstApp}.${w.ns}.svc.cluster.local`,
            dstWorkload: r.dst.name,
            direction: "outbound",
            bytesSent: timedOut ? 0 : 180,
            bytesRecv: timedOut ? 0 : r.bytesOut,
            durMs: r.durMs,
            error: timedOut ? "connection failed: Connection timed out (os error 110)" : r.status >= 500 ? `http status: ${r.status}` : null,
          };
          return zLine(c, format);
        });
      w.add(format === "json" ? "ztunnel.jsonl" : "ztunnel.log", `${lines.join("\n")}\n`, { node: w.nodes[0]!, evidence: kind === "incident" });
    } else if (proxy === "ingress-nginx") {
      const mine = out.filter((r) => r.src.app === C);
      // ingress-nginx's own log formats name the upstream ($upstream_addr, $proxy_upstream_name):
      // combined + timings alone (no upstream, no Host) cannot say which service timed out, for a human either.
      w.accessLog("ingress-nginx-controller.log", mine, { formats: ["nginx-main-ext", "nginx-json"] as readonly AccessFormat[], evidence: kind === "incident", axisName: "ingress-log", skewMaxSec: 5 });
      if (w.keep(`${C2}-sidecar-log`, 0.6)) w.accessLog(`${C2}-istio-proxy.log`, out.filter((r) => r.src.app === C2), { formats: ["envoy-text", "envoy-json"], axisName: "other-client-log" });
    } else {
      w.accessLog(`${C}-istio-proxy.log`, out.filter((r) => r.src.app === C), { formats: ["envoy-text", "envoy-json"], evidence: kind === "incident", axisName: "client-sidecar-log", skewMaxSec: 5 });
      if (w.keep(`${C2}-sidecar-log`, 0.6)) w.accessLog(`${C2}-istio-proxy.log`, out.filter((r) => r.src.app === C2), { formats: ["envoy-text", "envoy-json"], axisName: "other-client-log" });
    }

    // The policies.
    const admitted = [C2, ...(kind === "near-miss" ? [C] : [])];
    const peer = (app: string) => (app === "ingress-nginx" ? { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } } : { podSelector: { matchLabels: { app } } });
    const policies: unknown[] = [];
    if (nearMiss === "deny-unused-path-response-timeouts")
      // Denies C → reports, a path with no traffic in the bundle; C → S fails with response timeouts.
      policies.push(netpol(w, "reports-allow-callers", applied, { podSelector: { matchLabels: { app: "reports" } }, policyTypes: ["Ingress"], ingress: [{ from: [peer(C2)], ports: [{ port: 8080, protocol: "TCP" }] }] }));
    else if (shape === "ingress-allowlist")
      policies.push(netpol(w, `${S}-allow-callers`, applied, { podSelector: { matchLabels: { app: S } }, policyTypes: ["Ingress"], ingress: [{ from: admitted.map(peer), ports: [{ port: 8080, protocol: "TCP" }] }] }));
    else
      policies.push(netpol(w, `${C}-egress-allowlist`, applied, { podSelector: { matchLabels: { app: C } }, policyTypes: ["Egress"], egress: [{ to: [{ podSelector: { matchLabels: { app: S2 } } }], ports: [{ port: 8080, protocol: "TCP" }] }, { to: [{ namespaceSelector: {}, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }], ports: [{ port: 53, protocol: "UDP" }] }] }));
    if (w.rng.chance(0.4)) policies.push(netpol(w, "allow-prometheus-scrape", applied - w.rng.int(1, 90) * 86_400_000, { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }], ports: [{ port: 9090, protocol: "TCP" }] }] }));
    w.axis("policies", String(policies.length));
    w.add("networkpolicies.json", `${JSON.stringify(policies.length === 1 && w.rng.chance(0.3) ? policies[0] : { apiVersion: "v1", kind: "List", items: policies, metadata: { resourceVersion: "" } }, null, 2)}\n`, { evidence: kind === "incident" });
    // nginx's access log names the upstream by IP only: a human needs the pod list to know it is S.
    if (proxy === "ingress-nginx" || w.keep("pods", 0.6)) {
      w.axis("pods", "captured");
      const items = [...server, ...(proxy === "ingress-nginx" ? [] : client), ...client2, ...server2].map((p) => ({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: p.name, namespace: w.ns, labels: { app: p.app }, creationTimestamp: iso(w.start - 86_400_000, 0) },
        spec: { nodeName: w.rng.pick(w.nodes), containers: [{ name: p.app, ports: [{ containerPort: 8080, protocol: "TCP" }] }] },
        status: { phase: "Running", podIP: p.ip, podIPs: [{ ip: p.ip }] },
      }));
      w.add("pods.json", `${JSON.stringify({ apiVersion: "v1", kind: "List", items, metadata: { resourceVersion: "" } }, null, 2)}\n`);
    }
    w.timelineEntries.push({ ts: applied - w.rng.int(0, 120) * 1000, text: `applied NetworkPolicies for ${w.ns} (zero-trust rollout, step ${w.rng.int(2, 5)})` });
    if (kind === "incident") w.timelineEntries.push({ ts: applied + w.rng.int(120, 600) * 1000, text: `${C} reports timeouts calling ${S}` });
    w.redHerrings();
    w.finishContext(kind === "incident" ? `${C} cannot reach ${S}` : `${S} review after the NetworkPolicy rollout`);
  },
};

const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);

function netpol(w: World, name: string, createdMs: number, spec: Record<string, unknown>): unknown {
  return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace: w.ns, creationTimestamp: iso(createdMs, 0), generation: 1, uid: `${w.rng.hex(8)}-${w.rng.hex(4)}-${w.rng.hex(4)}-${w.rng.hex(4)}-${w.rng.hex(12)}` }, spec };
}
