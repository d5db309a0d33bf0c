import type { ContainerInfo, NetworkPolicySpec, ObjectRecord } from "@/lib/schemas/records";
import { parseIsoUtc, type EpochMs } from "@/lib/schemas/time";
import { type Obj, arr, readWholeDocument, isObj, k8sItems, num, obj, parseDocuments, sniffHead, str, stringMap } from "./k8s/document";
import type { ParseContext, ParseItem, Parser } from "./types";

/**
 * Kubernetes objects from `kubectl get pods,endpointslices,endpoints,services,nodes -o json|yaml`
 * (List, *List, single object, YAML `---` multi-doc, watch stream). Events are left to
 * k8s-events. See docs/parsers/k8s-objects.md.
 */

const OBJECT_KINDS = "PodList|EndpointSliceList|EndpointsList|ServiceList|NodeList|Pod|EndpointSlice|Endpoints|Service|Node|ReplicaSet|Deployment|DaemonSet|StatefulSet|ReplicaSetList|DeploymentList|NetworkPolicy|NetworkPolicyList|DestinationRule|DestinationRuleList";
const JSON_KIND = new RegExp(`"kind"\\s*:\\s*"(?:${OBJECT_KINDS})"`);
const JSON_LIST = /"kind"\s*:\s*"List"/;
const YAML_KIND = new RegExp(`^\\s*(?:-\\s+)?kind:\\s*(?:${OBJECT_KINDS}|List)\\s*$`, "m");
const EVENT_MARKER = /"kind"\s*:\s*"(?:Event|EventList)"|"involvedObject"\s*:|^\s*(?:-\s+)?kind:\s*(?:Event|EventList)\s*$|^\s*involvedObject:\s*$/m;

function sniff(head: string): number {
  const s = sniffHead(head);
  if (s.length === 0) return 0;
  // A list that holds events belongs to k8s-events (which skips non-Event items, visibly).
  if (EVENT_MARKER.test(s)) return 0.2;
  if (s[0] === "{" || s[0] === "[") {
    if (!/"apiVersion"\s*:/.test(s)) return 0;
    if (JSON_KIND.test(s)) return 0.9;
    if (JSON_LIST.test(s) && /"metadata"\s*:/.test(s)) return 0.7;
    return 0;
  }
  if (/^\s*(?:-\s+)?apiVersion:\s*\S/m.test(s) && YAML_KIND.test(s) && /^\s*(?:-\s+)?metadata:\s*$/m.test(s)) return 0.9;
  return 0;
}

function base(o: Obj, kind: string): ObjectRecord & { warnings: string[] } {
  const meta = obj(o.metadata) ?? {};
  const warnings: string[] = [];
  const createdRaw = str(meta.creationTimestamp);
  const createdAt = parseIsoUtc(createdRaw);
  if (createdRaw && createdAt === null) warnings.push(`unreadable creationTimestamp ${JSON.stringify(createdRaw.slice(0, 64))}`);
  const deletedRaw = str(meta.deletionTimestamp);
  const deletedAt = parseIsoUtc(deletedRaw);
  const owners = arr(meta.ownerReferences).filter(isObj);
  const owner = owners.find((r) => r.controller === true) ?? owners[0];
  const rec: ObjectRecord & { warnings: string[] } = {
    kind: "object",
    k8sKind: kind,
    name: str(meta.name) ?? "",
    ips: [],
    labels: stringMap(meta.labels),
    createdAt,
    prov: {},
    warnings,
  };
  if (str(meta.namespace)) rec.namespace = str(meta.namespace);
  if (str(meta.uid)) rec.uid = str(meta.uid);
  if (deletedRaw) rec.deletedAt = deletedAt;
  if (owner && str(owner.kind) && str(owner.name)) rec.owner = { kind: str(owner.kind)!, name: str(owner.name)! };
  if (!rec.name) warnings.push("object without metadata.name");
  return rec;
}

function ports(list: unknown[]): NonNullable<ObjectRecord["ports"]> {
  const out: NonNullable<ObjectRecord["ports"]> = [];
  const seen = new Set<string>();
  for (const p of list) {
    if (!isObj(p)) continue;
    const port = num(p.port) ?? num(p.containerPort);
    if (port === undefined || !Number.isInteger(port)) continue;
    const entry: NonNullable<ObjectRecord["ports"]>[number] = { port };
    if (str(p.name)) entry.name = str(p.name);
    if (str(p.protocol)) entry.protocol = str(p.protocol);
    const tp = p.targetPort;
    if (typeof tp === "number" || (typeof tp === "string" && tp.length > 0)) entry.targetPort = tp;
    const np = num(p.nodePort);
    if (np !== undefined && Number.isInteger(np) && np > 0) entry.nodePort = np;
    const key = `${entry.name ?? ""}/${port}/${entry.protocol ?? ""}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(entry);
  }
  return out;
}

const uniq = (xs: (string | undefined)[]) => [...new Set(xs.filter((x): x is string => !!x && x !== "None"))];

function pod(o: Obj): ObjectRecord {
  const r = base(o, "Pod");
  const spec = obj(o.spec) ?? {};
  const status = obj(o.status) ?? {};
  r.ips = uniq([...arr(status.podIPs).map((x) => (isObj(x) ? str(x.ip) : undefined)), str(status.podIP)]);
  if (str(spec.nodeName)) r.node = str(spec.nodeName);
  if (str(status.phase)) r.phase = str(status.phase);
  const containerPorts = arr(spec.containers).flatMap((c) => (isObj(c) ? arr(c.ports) : []));
  const p = ports(containerPorts);
  if (p.length > 0) r.ports = p;
  if (r.ips.length === 0 && r.phase === "Running") r.warnings.push("running pod without status.podIP(s)");
  // deletionTimestamp is the *deadline* (request time + grace period): termination began
  // deletionGracePeriodSeconds earlier. A terminated container says when the process exited.
  const meta = obj(o.metadata) ?? {};
  const grace = num(meta.deletionGracePeriodSeconds);
  if (grace !== undefined && Number.isFinite(grace) && grace >= 0) r.deletionGraceSeconds = grace;
  let exited: EpochMs | null = null;
  for (const c of arr(status.containerStatuses)) {
    const term = isObj(c) ? (obj(obj(c.state)?.terminated) ?? null) : null;
    const t = term ? parseIsoUtc(str(term.finishedAt)) : null;
    if (t !== null && (exited === null || t > exited)) exited = t;
  }
  if (exited !== null) r.exitedAt = exited;
  const containers = containerInfos(arr(spec.containers), arr(status.containerStatuses));
  if (containers.length > 0) r.containers = containers;
  return r;
}

/** Kubernetes memory quantity → bytes ("512Mi", "1G", "1e9", "134217728"); undefined when unreadable. */
export function memoryBytes(q: unknown): number | undefined {
  if (typeof q === "number") return Number.isFinite(q) && q >= 0 ? q : undefined;
  if (typeof q !== "string") return undefined;
  const m = /^\s*(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*(Ki|Mi|Gi|Ti|Pi|Ei|k|K|M|G|T|P|E|m)?\s*$/.exec(q);
  if (!m) return undefined;
  const pow: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, m: 1e-3 };
  return Number(m[1]) * (m[2] ? pow[m[2]]! : 1);
}

function termination(t: unknown): ContainerInfo["terminated"] | undefined {
  if (!isObj(t)) return undefined;
  const out: NonNullable<ContainerInfo["terminated"]> = {};
  if (str(t.reason)) out.reason = str(t.reason);
  const code = num(t.exitCode);
  if (code !== undefined && Number.isInteger(code)) out.exitCode = code;
  const started = parseIsoUtc(str(t.startedAt));
  const finished = parseIsoUtc(str(t.finishedAt));
  if (started !== null) out.startedAt = started;
  if (finished !== null) out.finishedAt = finished;
  return out;
}

/** spec.containers[].resources (memory) joined with status.containerStatuses[] by name. */
function containerInfos(specs: unknown[], statuses: unknown[]): ContainerInfo[] {
  const out = new Map<string, ContainerInfo>();
  for (const c of specs) {
    if (!isObj(c) || !str(c.name)) continue;
    const info: ContainerInfo = { name: str(c.name)! };
    const res = obj(c.resources) ?? {};
    const limit = memoryBytes(obj(res.limits)?.memory);
    const request = memoryBytes(obj(res.requests)?.memory);
    if (limit !== undefined) info.memoryLimitBytes = limit;
    if (request !== undefined) info.memoryRequestBytes = request;
    out.set(info.name, info);
  }
  for (const c of statuses) {
    if (!isObj(c) || !str(c.name)) continue;
    const info = out.get(str(c.name)!) ?? { name: str(c.name)! };
    const rc = num(c.restartCount);
    if (rc !== undefined && Number.isInteger(rc) && rc >= 0) info.restartCount = rc;
    if (typeof c.ready === "boolean") info.ready = c.ready;
    const state = obj(c.state) ?? {};
    const which = (["running", "waiting", "terminated"] as const).find((k) => isObj(state[k]));
    if (which) {
      info.state = which;
      const reason = str(obj(state[which])?.reason);
      if (reason) info.stateReason = reason;
      if (which === "terminated") info.terminated = termination(state.terminated);
    }
    const last = termination(obj(c.lastState)?.terminated);
    if (last) info.lastTerminated = last;
    out.set(info.name, info);
  }
  return [...out.values()];
}

function labelSelector(v: unknown): { labels: Record<string, string>; expressions: boolean } {
  const o = obj(v) ?? {};
  return { labels: stringMap(o.matchLabels), expressions: arr(o.matchExpressions).length > 0 };
}

/** NetworkPolicy: selected pods, policy types (defaulted as the API does) and allow rules. */
function networkPolicy(o: Obj): ObjectRecord {
  const r = base(o, "NetworkPolicy");
  const spec = obj(o.spec) ?? {};
  const sel = labelSelector(spec.podSelector);
  const rules = (list: unknown, peerKey: "from" | "to") =>
    arr(list).filter(isObj).map((rule) => {
      const peers = arr(rule[peerKey]).filter(isObj).map((p) => {
        const peer: NonNullable<NonNullable<NetworkPolicySpec["ingress"]>[number]["peers"]>[number] = {};
        if (isObj(p.podSelector)) peer.podSelector = labelSelector(p.podSelector).labels;
        if (isObj(p.namespaceSelector)) peer.namespaceSelector = labelSelector(p.namespaceSelector).labels;
        const cidr = str(obj(p.ipBlock)?.cidr);
        if (cidr) peer.ipBlock = cidr;
        return peer;
      });
      const ports = arr(rule.ports).filter(isObj).map((p) => ({
        ...(typeof p.port === "number" || (typeof p.port === "string" && p.port.length > 0) ? { port: p.port } : {}),
        ...(str(p.protocol) ? { protocol: str(p.protocol) } : {}),
      }));
      return { ...(peers.length ? { peers } : {}), ...(ports.length ? { ports } : {}) };
    });
  const ingress = rules(spec.ingress, "from");
  const egress = rules(spec.egress, "to");
  const declared = arr(spec.policyTypes).map(str).filter((x): x is string => !!x);
  // API default: Ingress always, Egress when the spec has egress rules.
  const policyTypes = declared.length ? declared : ["Ingress", ...(arr(spec.egress).length ? ["Egress"] : [])];
  r.policy = { podSelector: sel.labels, ...(sel.expressions ? { selectorExpressions: true } : {}), policyTypes, ...(Array.isArray(spec.ingress) ? { ingress } : {}), ...(Array.isArray(spec.egress) ? { egress } : {}) };
  return r;
}

function endpointSlice(o: Obj): ObjectRecord {
  const r = base(o, "EndpointSlice");
  const svc = r.labels["kubernetes.io/service-name"];
  if (svc) r.service = svc;
  const eps: NonNullable<ObjectRecord["endpoints"]> = [];
  for (const e of arr(o.endpoints)) {
    if (!isObj(e)) continue;
    const cond = obj(e.conditions) ?? {};
    const target = obj(e.targetRef);
    const podName = target && (target.kind === "Pod" || target.kind === undefined) ? str(target.name) : undefined;
    const node = str(e.nodeName);
    // The API documents ready=nil as "unknown, treat as ready" unless terminating; keep nil as absent
    // and let consumers decide. `serving` has no slot in the record: documented gap.
    const ready = typeof cond.ready === "boolean" ? cond.ready : undefined;
    const terminating = typeof cond.terminating === "boolean" ? cond.terminating : undefined;
    for (const a of arr(e.addresses)) {
      if (typeof a !== "string" || a.length === 0) continue;
      eps.push({ ip: a, ...(podName ? { pod: podName } : {}), ...(node ? { node } : {}), ...(ready !== undefined ? { ready } : {}), ...(terminating !== undefined ? { terminating } : {}) });
    }
  }
  r.endpoints = eps;
  const p = ports(arr(o.ports));
  if (p.length > 0) r.ports = p;
  return r;
}

function endpoints(o: Obj): ObjectRecord {
  const r = base(o, "Endpoints");
  r.service = r.name;
  const eps: NonNullable<ObjectRecord["endpoints"]> = [];
  const allPorts: unknown[] = [];
  for (const s of arr(o.subsets)) {
    if (!isObj(s)) continue;
    for (const [key, ready] of [
      ["addresses", true],
      ["notReadyAddresses", false],
    ] as const) {
      for (const a of arr(s[key])) {
        if (!isObj(a) || !str(a.ip)) continue;
        const target = obj(a.targetRef);
        const podName = target && target.kind === "Pod" ? str(target.name) : undefined;
        eps.push({ ip: str(a.ip)!, ready, ...(podName ? { pod: podName } : {}), ...(str(a.nodeName) ? { node: str(a.nodeName) } : {}) });
      }
    }
    allPorts.push(...arr(s.ports));
  }
  r.endpoints = eps;
  const p = ports(allPorts);
  if (p.length > 0) r.ports = p;
  return r;
}

function service(o: Obj): ObjectRecord {
  const r = base(o, "Service");
  const spec = obj(o.spec) ?? {};
  const status = obj(o.status) ?? {};
  const lb = arr(obj(status.loadBalancer)?.ingress).map((x) => (isObj(x) ? str(x.ip) : undefined));
  r.ips = uniq([...arr(spec.clusterIPs).map(str), str(spec.clusterIP), ...arr(spec.externalIPs).map(str), ...lb]);
  r.service = r.name;
  const p = ports(arr(spec.ports));
  if (p.length > 0) r.ports = p;
  // The record has no attrs: the selector goes into labels under keys that cannot be real
  // label keys ('@' is not allowed), so it never collides with the Service's own labels.
  for (const [k, v] of Object.entries(stringMap(spec.selector))) r.labels[`@selector:${k}`] = v;
  if (str(spec.type)) r.labels["@type"] = str(spec.type)!;
  return r;
}

function node(o: Obj): ObjectRecord {
  const r = base(o, "Node");
  const status = obj(o.status) ?? {};
  const spec = obj(o.spec) ?? {};
  const addrs = arr(status.addresses).filter(isObj);
  r.ips = uniq(addrs.filter((a) => a.type === "InternalIP").map((a) => str(a.address)));
  r.node = r.name;
  const info = obj(status.nodeInfo) ?? {};
  for (const k of ["kubeletVersion", "kubeProxyVersion", "containerRuntimeVersion", "kernelVersion", "osImage"]) {
    const v = str(info[k]);
    if (v) r.labels[k] = v;
  }
  const podCIDR = str(spec.podCIDR);
  if (podCIDR) r.labels.podCIDR = podCIDR;
  const ready = arr(status.conditions).find((c) => isObj(c) && c.type === "Ready");
  if (isObj(ready) && str(ready.status)) r.labels.ready = str(ready.status)!;
  if (spec.unschedulable === true) r.labels.unschedulable = "true";
  return r;
}

/** Go/Istio duration ("30s", "1h", "500ms", "1m30s") → ms. */
function durationOf(v: unknown): number | undefined {
  const s = str(v);
  if (!s || !/^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/.test(s)) return undefined;
  let ms = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"];
  return ms;
}

/** Istio DestinationRule: the host it applies to and its connection-pool limits. */
function destinationRule(o: Obj): ObjectRecord {
  const r = base(o, "DestinationRule");
  const spec = obj(o.spec) ?? {};
  if (str(spec.host)) r.service = str(spec.host);
  const pool = obj(obj(spec.trafficPolicy)?.connectionPool);
  if (pool) {
    const tcp = obj(pool.tcp) ?? {};
    const http = obj(pool.http) ?? {};
    const cp: NonNullable<ObjectRecord["connectionPool"]> = {};
    const put = (k: "maxConnections" | "http1MaxPendingRequests" | "http2MaxRequests" | "maxRequestsPerConnection", v: unknown) => {
      const n = num(v);
      if (n !== undefined && Number.isFinite(n)) cp[k] = n;
    };
    put("maxConnections", tcp.maxConnections);
    put("http1MaxPendingRequests", http.http1MaxPendingRequests);
    put("http2MaxRequests", http.http2MaxRequests);
    put("maxRequestsPerConnection", http.maxRequestsPerConnection);
    const idle = durationOf(http.idleTimeout);
    if (idle !== undefined) cp.idleTimeoutMs = idle;
    if (Object.keys(cp).length) r.connectionPool = cp;
  }
  return r;
}

function toRecord(o: Obj): ObjectRecord | null {
  const kind = str(o.kind);
  switch (kind) {
    case "Pod":
      return pod(o);
    case "EndpointSlice":
      return endpointSlice(o);
    case "Endpoints":
      return endpoints(o);
    case "Service":
      return service(o);
    case "Node":
      return node(o);
    case "NetworkPolicy":
      return networkPolicy(o);
    case "DestinationRule":
      return destinationRule(o);
    case undefined:
      return null;
    default:
      // Deployments, ReplicaSets, …: identity, labels, owner and times are still useful context.
      return isObj(o.metadata) ? base(o, kind) : null;
  }
}

async function* parse(input: Parameters<Parser["parse"]>[0], _ctx: ParseContext): AsyncIterable<ParseItem> {
  const text = yield* readWholeDocument(input, "a kubectl JSON/YAML document", "split it (e.g. per namespace or kind)");
  if (text === null) return;
  const docs = parseDocuments(text);
  for (const d of docs) {
    if (d.error !== undefined) {
      yield { kind: "skipped", line: d.line, reason: d.error, excerpt: d.excerpt };
      continue;
    }
    const prefix = docs.length > 1 ? `/${d.index}` : "";
    for (const { item, pointer } of k8sItems(d.value, prefix)) {
      const ptr = pointer || "/";
      if (!isObj(item)) {
        yield { kind: "skipped", pointer: ptr, reason: "not a Kubernetes object", excerpt: JSON.stringify(item)?.slice(0, 200) };
        continue;
      }
      if (item.kind === "Event") {
        yield { kind: "skipped", pointer: ptr, reason: "Event: read by the k8s-events parser" };
        continue;
      }
      const rec = toRecord(item);
      if (!rec) {
        yield { kind: "skipped", pointer: ptr, reason: "object without kind/metadata", excerpt: JSON.stringify(item).slice(0, 200) };
        continue;
      }
      rec.prov = { pointer: ptr, ...(docs.length > 1 ? { line: d.line } : {}) };
      if (rec.warnings && rec.warnings.length === 0) delete rec.warnings;
      yield rec;
    }
  }
}

const POD_JSON = `{
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {
    "name": "go-httpbin-7d9c5b7f4-x2k8p",
    "namespace": "demo",
    "uid": "0b6f3c2e-5a1d-4d7e-9c1a-2f3e4d5c6b7a",
    "creationTimestamp": "2025-11-20T10:10:00Z",
    "labels": { "app": "go-httpbin", "pod-template-hash": "7d9c5b7f4" },
    "ownerReferences": [{ "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "go-httpbin-7d9c5b7f4", "uid": "r1", "controller": true }]
  },
  "spec": { "nodeName": "ip-10-0-1-23.ec2.internal", "containers": [{ "name": "go-httpbin", "ports": [{ "containerPort": 8080, "protocol": "TCP" }] }] },
  "status": { "phase": "Running", "podIP": "10.244.3.7", "podIPs": [{ "ip": "10.244.3.7" }] }
}
`;

const SLICE_YAML = `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: go-httpbin-abcde
  namespace: demo
  labels:
    kubernetes.io/service-name: go-httpbin
addressType: IPv4
endpoints:
- addresses: ["10.244.3.7"]
  conditions: {ready: false, serving: true, terminating: true}
  nodeName: ip-10-0-1-23.ec2.internal
  targetRef: {kind: Pod, name: go-httpbin-7d9c5b7f4-x2k8p, namespace: demo}
ports:
- name: http
  port: 8080
  protocol: TCP
---
apiVersion: v1
kind: Service
metadata:
  name: go-httpbin
  namespace: demo
spec:
  clusterIP: 10.96.12.34
  selector: {app: go-httpbin}
  ports:
  - {name: http, port: 80, targetPort: 8080, protocol: TCP}
`;

const OOM_POLICY_YAML = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata:
    name: cart-6f7c9d8b5-k2x9q
    namespace: shop
    labels: {app: cart}
  spec:
    nodeName: node-a
    containers:
    - name: cart
      resources: {limits: {memory: 512Mi}, requests: {memory: 256Mi}}
  status:
    phase: Running
    podIP: 10.244.1.9
    containerStatuses:
    - name: cart
      ready: false
      restartCount: 4
      state: {waiting: {reason: CrashLoopBackOff}}
      lastState: {terminated: {reason: OOMKilled, exitCode: 137, startedAt: "2025-11-20T10:11:02Z", finishedAt: "2025-11-20T10:12:40Z"}}
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: {name: orders-ingress, namespace: shop, creationTimestamp: "2025-11-20T10:10:00Z"}
  spec:
    podSelector: {matchLabels: {app: orders}}
    policyTypes: [Ingress]
    ingress:
    - from:
      - podSelector: {matchLabels: {app: frontend}}
      ports:
      - {port: 8080, protocol: TCP}
`;

const DR_YAML = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: pricing
  namespace: shop
spec:
  host: pricing.shop.svc.cluster.local
  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: 8}
      http: {http1MaxPendingRequests: 4, idleTimeout: 1m30s}
`;

export const k8sObjectsParser: Parser = {
  id: "k8s-objects",
  title: "Kubernetes objects (pods, EndpointSlices, Endpoints, Services, Nodes, NetworkPolicies, Istio DestinationRules as JSON/YAML)",
  emits: ["object"],
  sniff,
  parse,
  samples: [
    {
      name: "k8s/pod.json",
      content: POD_JSON,
      expect: {
        records: 1, skipped: 0, kinds: { object: 1 },
        fields: {
          0: {
            k8sKind: "Pod", name: "go-httpbin-7d9c5b7f4-x2k8p", namespace: "demo", uid: "0b6f3c2e-5a1d-4d7e-9c1a-2f3e4d5c6b7a", ips: ["10.244.3.7"],
            labels: { app: "go-httpbin", "pod-template-hash": "7d9c5b7f4" }, node: "ip-10-0-1-23.ec2.internal", phase: "Running", createdAt: "2025-11-20T10:10:00Z",
            owner: { kind: "ReplicaSet", name: "go-httpbin-7d9c5b7f4" }, ports: [{ port: 8080, protocol: "TCP" }],
          },
        },
      },
    },
    {
      name: "k8s/objects.yaml",
      content: SLICE_YAML,
      expect: {
        records: 2, skipped: 0, kinds: { object: 2 },
        fields: {
          0: {
            k8sKind: "EndpointSlice", name: "go-httpbin-abcde", namespace: "demo", service: "go-httpbin",
            endpoints: [{ ip: "10.244.3.7", pod: "go-httpbin-7d9c5b7f4-x2k8p", node: "ip-10-0-1-23.ec2.internal", ready: false, terminating: true }],
            ports: [{ port: 8080, name: "http", protocol: "TCP" }],
          },
          1: { k8sKind: "Service", name: "go-httpbin", namespace: "demo", ips: ["10.96.12.34"], ports: [{ port: 80, name: "http", protocol: "TCP", targetPort: 8080 }], prov: { pointer: "/1" } },
        },
      },
    },
    {
      name: "k8s/oom-and-policy.yaml",
      content: OOM_POLICY_YAML,
      expect: {
        records: 2, skipped: 0, kinds: { object: 2 },
        fields: {
          0: {
            k8sKind: "Pod", name: "cart-6f7c9d8b5-k2x9q", ips: ["10.244.1.9"],
            containers: [{ name: "cart", memoryLimitBytes: 536870912, memoryRequestBytes: 268435456, restartCount: 4, ready: false, state: "waiting", stateReason: "CrashLoopBackOff", lastTerminated: { reason: "OOMKilled", exitCode: 137, startedAt: 1763633462000, finishedAt: 1763633560000 } }],
          },
          1: {
            k8sKind: "NetworkPolicy", name: "orders-ingress", namespace: "shop", createdAt: "2025-11-20T10:10:00Z",
            policy: { podSelector: { app: "orders" }, policyTypes: ["Ingress"], ingress: [{ peers: [{ podSelector: { app: "frontend" } }], ports: [{ port: 8080, protocol: "TCP" }] }] },
          },
        },
      },
    },
    {
      name: "istio/destinationrule.yaml",
      content: DR_YAML,
      expect: {
        records: 1, skipped: 0, kinds: { object: 1 },
        fields: { 0: { k8sKind: "DestinationRule", name: "pricing", namespace: "shop", service: "pricing.shop.svc.cluster.local", connectionPool: { maxConnections: 8, http1MaxPendingRequests: 4, idleTimeoutMs: 90_000 } } },
      },
    },
  ],
};
