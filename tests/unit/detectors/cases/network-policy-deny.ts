import type { EvidenceRecord, NetworkPolicySpec, ObjectRecord } from "@/lib/schemas/records";
import { durationMs, epochMs } from "@/lib/schemas/time";
import { defineDetectorCases } from "@/tests/helpers/detector-cases";
import { pod, req, T0, type FileRecords } from "../builders";

const APPLIED = T0 + 120_000;
const FRONTEND = { name: "frontend-6d8f9c7b5-aaaaa", ip: "10.244.1.5" };
const ORDERS = { name: "orders-5c7d8e9f6-bbbbb", ip: "10.244.2.6" };
const CART = { name: "cart-7b6c5d4e3-ccccc", ip: "10.244.3.7" };

function policy(spec: NetworkPolicySpec, name = "cart-ingress", createdAt: number | null = APPLIED): ObjectRecord {
  return { kind: "object", k8sKind: "NetworkPolicy", name, namespace: "shop", ips: [], labels: {}, createdAt: createdAt === null ? null : epochMs(createdAt), policy: spec, prov: { pointer: "/items/0" } };
}
/** Admits orders only: frontend → cart is denied. */
const ordersOnly = (): NetworkPolicySpec => ({ podSelector: { app: "cart" }, policyTypes: ["Ingress"], ingress: [{ peers: [{ podSelector: { app: "orders" } }], ports: [{ port: 8080, protocol: "TCP" }] }] });
/** Admits both. */
const both = (): NetworkPolicySpec => ({ podSelector: { app: "cart" }, policyTypes: ["Ingress"], ingress: [{ peers: [{ podSelector: { app: "orders" } }, { podSelector: { app: "frontend" } }] }] });

const pods = (): FileRecords => ({ path: "k8s/pods.json", records: [FRONTEND, ORDERS, CART].map((p) => pod(p.name, p.ip, { namespace: "shop", labels: { app: p.name.split("-")[0]! } })) });

/**
 * Two clients call cart (one request per 200 ms each) for 6 minutes; from `cut` on, frontend's
 * connects are dropped: each waits the 10 s connect timeout (Envoy UF connection_timeout).
 */
function traffic(opts: { cut?: number | null; kind?: "connect-timeout" | "response-timeout" | "app-503" | "all-clients" } = {}): EvidenceRecord[] {
  const cut = opts.cut === undefined ? APPLIED : opts.cut;
  const kind = opts.kind ?? "connect-timeout";
  const out: EvidenceRecord[] = [];
  for (let t = 0; t < 360_000; t += 200)
    for (const c of [FRONTEND, ORDERS]) {
      const blocked = cut !== null && t >= cut - T0 && (c === FRONTEND || kind === "all-clients");
      const base = { ts: T0 + t + (c === ORDERS ? 50 : 0), client: { ip: c.ip, port: 40000 }, dest: { ip: CART.ip, port: 8080, service: "cart.shop.svc.cluster.local", cluster: "outbound|8080||cart.shop.svc.cluster.local" } };
      if (!blocked) out.push(req({ ...base, durationMs: 15 }));
      else if (kind === "connect-timeout" || kind === "all-clients") out.push(req({ ...base, durationMs: 10_000 + (t % 7), status: 503, flags: ["UF"], error: "upstream_reset_before_response_started{connection_timeout}" }));
      else if (kind === "response-timeout") out.push(req({ ...base, durationMs: 15_000, status: 504, flags: ["UT"], error: "response_timeout" }));
      else out.push(req({ ...base, durationMs: 30, status: 503, error: "via_upstream" }));
    }
  return out;
}

export const cases = defineDetectorCases({
  fires: [
    {
      name: "an ingress policy that admits orders only: frontend's connects to cart time out at 10 s from its creation",
      files: () => [pods(), { path: "k8s/networkpolicies.yaml", records: [policy(ordersOnly())] }, { path: "logs/envoy.log", records: traffic() }],
      confidence: { gte: 0.85 },
      facts: { client: "frontend", server: "cart", side: "ingress", timeoutMs: 10_003 },
      cites: ["k8s/networkpolicies.yaml", "logs/envoy.log"],
      explains: ["error-burst-after-change"],
    },
    {
      name: "nginx 504s whose upstream connect time is the 5 s proxy_connect_timeout, client named by the log file",
      files: () => [
        { path: "k8s/networkpolicies.yaml", records: [policy(ordersOnly())] },
        {
          path: "logs/ingress-nginx-controller.log",
          records: Array.from({ length: 200 }, (_, i) => {
            const ts = T0 + i * 1500;
            const cut = ts >= APPLIED;
            return req({ ts, source: "nginx", durationMs: cut ? 5002 : 20, connectMs: cut ? 5001 : 1, upstreamMs: durationMs(cut ? 5001 : 19), status: cut ? 504 : 200, ...(cut ? { error: "upstream status 504" } : {}), dest: { ip: CART.ip, port: 8080, cluster: "shop-cart-8080" }, authority: "cart.shop" });
          }),
        },
      ],
      confidence: { gte: 0.6 },
      facts: { client: "ingress-nginx", server: "cart" },
    },
    {
      name: "an egress policy on frontend that admits only orders",
      files: () => [pods(), { path: "k8s/np.json", records: [policy({ podSelector: { app: "frontend" }, policyTypes: ["Egress"], egress: [{ peers: [{ podSelector: { app: "orders" } }] }] }, "frontend-egress")] }, { path: "logs/envoy.log", records: traffic() }],
      confidence: { gte: 0.8 },
      facts: { side: "egress", client: "frontend" },
    },
  ],
  doesNotFire: [
    {
      name: "a policy that admits the path, and the path times out anyway (not the policy)",
      files: () => [pods(), { path: "k8s/np.yaml", records: [policy(both())] }, { path: "logs/envoy.log", records: traffic() }],
      coverage: { status: "clean" },
    },
    {
      name: "a denying policy, but the failures are response timeouts (504 UT): the connections reached the server",
      files: () => [pods(), { path: "k8s/np.yaml", records: [policy(ordersOnly())] }, { path: "logs/envoy.log", records: traffic({ kind: "response-timeout" }) }],
      coverage: { status: "clean" },
    },
    {
      name: "a denying policy and app 503s on the path",
      files: () => [pods(), { path: "k8s/np.yaml", records: [policy(ordersOnly())] }, { path: "logs/envoy.log", records: traffic({ kind: "app-503" }) }],
    },
    {
      name: "connect timeouts without any NetworkPolicy in the bundle",
      files: () => [pods(), { path: "logs/envoy.log", records: traffic({ kind: "all-clients" }) }],
      coverage: { status: "not-checked" },
    },
    {
      name: "the same path timed out long before the policy was created",
      files: () => [pods(), { path: "k8s/np.yaml", records: [policy(ordersOnly(), "cart-ingress", T0 + 300_000)] }, { path: "logs/envoy.log", records: traffic({ cut: T0 + 20_000 }) }],
    },
  ],
});
