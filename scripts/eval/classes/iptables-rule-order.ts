import type { ClassSpec, World } from "../generator";
import { iptablesSave, type Chain, type DumpStyle, type Rule, type Table } from "../formats/netfilter";
import { hhmmCompact } from "../formats/time";

/**
 * Seed 000 (Kubernetes 1.32 canary + Istio): a kube-proxy upgrade reordered KUBE-SERVICES so that a
 * catch-all REJECT sits above the mesh ACCEPT rules for 15001/15006(/15008). Inbound sidecar traffic
 * is rejected at the node; clients retry (~200 ms each) until their 1 s timeout: p99 jumps, 504s
 * and resets on 15001/15006. Evidence: the node's iptables dumps before and after (rule order, and
 * with counters, the REJECT counter growing while the mesh ACCEPT counters stop).
 *
 * Near-miss: the same upgrade and a reorder in the same chain whose verdicts do not change (a
 * REJECT for one ClusterIP:80 with no endpoints swapped with a mesh ACCEPT, or the mesh ACCEPTs swapped among
 * themselves); traffic stays healthy.
 */
export const iptablesRuleOrder: ClassSpec = {
  id: "iptables-rule-order",
  build(w, kind) {
    const v6 = w.ipv6;
    const meshPorts = w.rng.chance(0.6) ? [15001, 15006, 15008] : [15001, 15006];
    const acceptStyle = w.pickAxis("rules:meshAccept", ["per-port", "multiport"] as const);
    const rejectStyle = w.pickAxis("rules:broadReject", ["catch-all", "addrtype", "multiport", "port-range", "negated-source"] as const);
    const rejectWith = v6 ? "icmp6-port-unreachable" : w.rng.pick(["icmp-port-unreachable", "tcp-reset"]);
    const meshAccepts: Rule[] =
      acceptStyle === "multiport"
        ? [{ matches: `-p tcp -m multiport --dports ${meshPorts.join(",")} -m comment --comment "istio mesh inbound"`, target: "ACCEPT", pkts: 0, bytes: 0 }]
        : meshPorts.map((p) => ({ matches: `-p tcp -m tcp --dport ${p} -m comment --comment "istio sidecar port ${p}"`, target: "ACCEPT", pkts: 0, bytes: 0 }));
    const broad: Record<typeof rejectStyle, string> = {
      "catch-all": `-p tcp -m comment --comment "reject unmatched traffic"`,
      addrtype: `-p tcp -m addrtype ! --dst-type LOCAL -m comment --comment "reject unmatched traffic"`,
      multiport: `-p tcp -m multiport --dports ${[...meshPorts, 15021, 15090].join(",")}`,
      "port-range": `-p tcp -m tcp --dport 15000:15010`,
      "negated-source": `${v6 ? "! -s ::1/128" : "! -s 127.0.0.0/8"} -p tcp`,
    };
    const broadReject: Rule = { matches: broad[rejectStyle], target: `REJECT --reject-with ${rejectWith}`, pkts: 0, bytes: 0 };
    const legacyIp = w.clusterIp();
    const noEndpoints: Rule = {
      matches: `-d ${legacyIp}/${v6 ? 128 : 32} -p tcp -m comment --comment "${w.ns}/legacy-api:http has no endpoints" -m tcp --dport 80`,
      target: `REJECT --reject-with ${v6 ? "icmp6-port-unreachable" : "icmp-port-unreachable"}`,
      pkts: 0,
      bytes: 0,
    };
    const beforeOrder = [noEndpoints, ...meshAccepts, broadReject];
    let afterOrder: Rule[];
    if (kind === "incident") afterOrder = [broadReject, noEndpoints, ...meshAccepts];
    else {
      // A single multiport ACCEPT cannot be swapped with itself: that variant moves the disjoint REJECT instead.
      const drawn = w.pickAxis("nearMiss:reorder", ["disjoint-reject-swapped", "mesh-accepts-swapped"] as const);
      const reorder = meshAccepts.length < 2 ? w.axis("nearMiss:reorder", "disjoint-reject-swapped") : drawn;
      afterOrder = reorder === "disjoint-reject-swapped" ? [meshAccepts[0]!, noEndpoints, ...meshAccepts.slice(1), broadReject] : [...[...meshAccepts].reverse(), noEndpoints, broadReject];
    }

    const style: DumpStyle = {
      counters: w.pickAxis("iptables:counters", ["prefix", "suffix", "absent"] as const),
      backend: w.pickAxis("iptables:backend", ["legacy", "nft"] as const),
      header: true,
      ipv6: v6,
    };
    const naming = w.pickAxis("snapshot:naming", ["role-in-name", "time-in-name-only", "header-time"] as const);
    style.header = naming !== "time-in-name-only";
    const affected = w.nodes.slice(0, w.rng.int(1, Math.min(2, w.nodes.length)));
    w.axis(kind === "incident" ? "nodes:affected" : "nodes:reordered", String(affected.length));
    const tBefore = w.onset - w.rng.int(3, 10) * 60_000;
    const tAfter = w.end - w.rng.int(0, 4) * 60_000;

    // Counters at each capture: mesh traffic per ACCEPT rule grows with time until the reorder;
    // after it (incident) the broad REJECT takes it.
    const rate = w.requests / ((w.end - w.start) / 1000);
    const pk = (ms: number) => Math.round(rate * 6 * (ms / 1000));
    const identity = nodeIdentity(w);
    const since = 86_400_000 * w.rng.int(1, 30);
    const dump = (order: Rule[], at: number, reordered: boolean): Table[] => {
      const meshPk = reordered && kind === "incident" ? pk(since + (w.onset - w.start)) : pk(since + (at - w.start));
      const rejectPk = reordered && kind === "incident" ? w.rng.int(0, 40) + pk(at - w.onset) : w.rng.int(0, 40);
      const withCounts = order.map((r) => {
        if (r === broadReject) return { ...r, pkts: rejectPk, bytes: rejectPk * 60 };
        if (r === noEndpoints) return { ...r, pkts: 3, bytes: 180 };
        const share = Math.round(meshPk / meshAccepts.length);
        return { ...r, pkts: share, bytes: share * 540 };
      });
      return rulesetTables(w, identity, withCounts, v6);
    };
    const nameFor = (node: string, role: "before" | "after", at: number) => {
      const tool = v6 ? "ip6tables" : "iptables";
      if (naming === "role-in-name") return `${tool}-save-${role}.txt`;
      if (naming === "time-in-name-only") return `${tool}-save-${hhmmCompact(at)}.txt`;
      return `${tool}-${node.slice(-2)}-${role === "before" ? 1 : 2}.txt`;
    };
    for (const node of w.nodes) {
      const isAffected = affected.includes(node);
      if (!isAffected && !w.keep(`iptables:${node}`, 0.5)) continue;
      w.add(nameFor(node, "before", tBefore), iptablesSave(dump(beforeOrder, tBefore, false), style, tBefore), { node, evidence: isAffected && kind === "incident" });
      w.add(nameFor(node, "after", tAfter), iptablesSave(dump(isAffected ? afterOrder : beforeOrder, tAfter, isAffected), style, tAfter), { node, evidence: isAffected && kind === "incident" });
    }

    // kube-proxy upgrade on the canary nodes: the change the reorder came with (both kinds).
    for (const node of affected) {
      const pod = `kube-proxy-${w.rng.hex(5)}`;
      const at = w.onset - w.rng.int(5, 60) * 1000;
      w.events.push(
        { ts: at - 8000, type: "Normal", reason: "Pulled", kind: "Pod", name: pod, ns: "kube-system", message: `Successfully pulled image "registry.k8s.io/kube-proxy:v1.32.0" in 2.1s`, component: "kubelet", fieldPath: "spec.containers{kube-proxy}" },
        { ts: at, type: "Normal", reason: "Started", kind: "Pod", name: pod, ns: "kube-system", message: `Started container kube-proxy on ${node}`, component: "kubelet", fieldPath: "spec.containers{kube-proxy}" },
      );
    }
    w.timelineEntries.push({ ts: w.onset - 120_000, text: "canary nodes upgraded to Kubernetes 1.32 (kube-proxy v1.32.0)" });

    const backends = Array.from({ length: w.rng.int(2, 5) }, () => w.hostPort(w.podIp(), 8080));
    const share = w.rng.float(0.1, 0.35);
    w.axis("impact", kind === "incident" ? share.toFixed(2) : "none");
    const reqs = w.traffic({
      upstreams: () => w.rng.pick(backends),
      shape:
        kind === "incident"
          ? (r) => {
              if (r.ts < w.onset || r.upstreamHost === null || !w.rng.chance(share)) return;
              // Rejected at the node: each retry adds ~200 ms; past the 1 s client timeout it is a 504.
              const retries = w.rng.int(1, 6);
              if (retries >= 5) Object.assign(r, { status: 504, flags: "UT", details: "response_timeout", durMs: 1000 + w.rng.int(0, 15), upstreamMs: null, connectMs: null });
              else if (retries === 4 && w.rng.chance(0.5)) Object.assign(r, { status: 503, flags: "UF,URX", details: "upstream_reset_before_response_started{connection_failure}", durMs: 800 + w.rng.int(0, 30), upstreamMs: null, connectMs: null });
              else {
                const extra = retries * (190 + w.rng.int(0, 25));
                r.durMs += extra;
                r.upstreamMs = (r.upstreamMs ?? 0) + extra;
                r.connectMs = extra;
              }
            }
          : undefined,
    });
    w.accessLog("frontend-access.log", reqs);
    if (kind === "incident") {
      w.timelineEntries.push(
        { ts: w.onset + 180_000, text: "first alert: elevated HTTP 504 from frontend" },
        { ts: w.onset + 600_000, text: "p99 latency for mesh traffic up from 120ms to 920ms" },
        { ts: w.onset + 960_000, text: "sidecar logs show TCP connection resets for inbound traffic on ports 15001 and 15006" },
      );
    }
    w.redHerrings();
    w.finishContext(kind === "incident" ? "Postmortem: 504 timeouts on the canary nodes" : "Canary upgrade review");
  },
};

/** What stays the same between two captures of a node: service, chain hashes, table order. */
interface NodeIdentity {
  svcIp: string;
  svc: string;
  sep: string;
  pod: string;
  filterFirst: boolean;
}
function nodeIdentity(w: World): NodeIdentity {
  return { svcIp: w.clusterIp(), svc: `KUBE-SVC-${w.rng.hex(16).toUpperCase()}`, sep: `KUBE-SEP-${w.rng.hex(16).toUpperCase()}`, pod: w.podIp(), filterFirst: w.rng.chance(0.5) };
}

/** filter and nat tables of a kube-proxy + Istio node; `services` is the filter KUBE-SERVICES chain body. */
function rulesetTables(w: World, id: NodeIdentity, services: Rule[], v6: boolean): Table[] {
  const r = (matches: string, target: string, pkts = 0): Rule => ({ matches, target, pkts, bytes: pkts * 80 });
  const filter: Chain[] = [
    { name: "INPUT", policy: "ACCEPT", rules: [r('-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals"', "KUBE-SERVICES", 5000), r("", "KUBE-FIREWALL", 9000)] },
    { name: "FORWARD", policy: "ACCEPT", rules: [r('-m comment --comment "kubernetes forwarding rules"', "KUBE-FORWARD", 700), r('-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals"', "KUBE-SERVICES", 700)] },
    { name: "OUTPUT", policy: "ACCEPT", rules: [r('-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals"', "KUBE-SERVICES", 300)] },
    { name: "KUBE-FIREWALL", policy: "-", rules: [r(`${v6 ? "! -s ::1/128 -d ::1/128" : "! -s 127.0.0.0/8 -d 127.0.0.0/8"} -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT`, "DROP")] },
    { name: "KUBE-FORWARD", policy: "-", rules: [r("-m conntrack --ctstate INVALID", "DROP"), r('-m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000', "ACCEPT", 40)] },
    { name: "KUBE-SERVICES", policy: "-", rules: services },
  ];
  const { svcIp, sep, svc, pod } = id;
  const nat: Chain[] = [
    { name: "PREROUTING", policy: "ACCEPT", rules: [r('-m comment --comment "kubernetes service portals"', "KUBE-SERVICES", 8000)] },
    { name: "OUTPUT", policy: "ACCEPT", rules: [r('-m comment --comment "kubernetes service portals"', "KUBE-SERVICES", 900)] },
    { name: "POSTROUTING", policy: "ACCEPT", rules: [r('-m comment --comment "kubernetes postrouting rules"', "KUBE-POSTROUTING", 8000)] },
    { name: "KUBE-MARK-MASQ", policy: "-", rules: [r("", "MARK --set-xmark 0x4000/0x4000")] },
    { name: "KUBE-POSTROUTING", policy: "-", rules: [r("-m mark ! --mark 0x4000/0x4000", "RETURN", 7000), r("", "MARK --set-xmark 0x4000/0x0"), r('-m comment --comment "kubernetes service traffic requiring SNAT"', "MASQUERADE --random-fully")] },
    { name: "KUBE-SERVICES", policy: "-", rules: [r(`-d ${svcIp}/${v6 ? 128 : 32} -p tcp -m comment --comment "${w.ns}/${w.service}:http cluster IP" -m tcp --dport 8080`, svc, 4000)] },
    { name: svc, policy: "-", rules: [r(`-m comment --comment "${w.ns}/${w.service}:http -> ${w.hostPort(pod, 8080)}"`, sep, 4000)] },
    { name: sep, policy: "-", rules: [r(`-s ${pod}/${v6 ? 128 : 32} -m comment --comment "${w.ns}/${w.service}:http"`, "KUBE-MARK-MASQ"), r(`-p tcp -m comment --comment "${w.ns}/${w.service}:http" -m tcp`, `DNAT --to-destination ${w.hostPort(pod, 8080)}`, 4000)] },
  ];
  return id.filterFirst
    ? [
        { name: "filter", chains: filter },
        { name: "nat", chains: nat },
      ]
    : [
        { name: "nat", chains: nat },
        { name: "filter", chains: filter },
      ];
}
