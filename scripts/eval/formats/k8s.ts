import { humanDate, hhmm, iso, type Zone } from "./time";

/** One Kubernetes event (core/v1), fixtures/public/README.md §8. */
export interface KEvent {
  ts: number;
  type: "Normal" | "Warning";
  reason: string;
  kind: string;
  name: string;
  ns: string;
  message: string;
  component: string;
  /** `spec.containers{c}` for container events. */
  fieldPath?: string;
}
export type EventFormat = "json-list" | "kubectl-get";

export function events(evs: KEvent[], format: EventFormat, captureMs: number): string {
  const sorted = [...evs].sort((a, b) => a.ts - b.ts);
  if (format === "kubectl-get") {
    // `kubectl get events` prints ages relative to the capture: only the capture time makes them absolute.
    const age = (ms: number) => {
      const s = Math.max(0, Math.round((captureMs - ms) / 1000));
      return s < 120 ? `${s}s` : s < 7200 ? `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ""}` : `${Math.floor(s / 3600)}h`;
    };
    const rows = sorted.map((e) => [age(e.ts), e.type, e.reason, `${e.kind.toLowerCase()}/${e.name}`, e.message]);
    const head = ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"];
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)) + 3);
    return `${[head, ...rows].map((r) => r.map((c, i) => (i < 4 ? c.padEnd(w[i]!) : c)).join("")).join("\n")}\n`;
  }
  const items = sorted.map((e, i) => ({
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: `${e.name}.${(0x17a0000 + i * 7919).toString(16)}`, namespace: e.ns, creationTimestamp: iso(e.ts, 0) },
    involvedObject: { kind: e.kind, namespace: e.ns, name: e.name, apiVersion: e.kind === "Pod" ? "v1" : "apps/v1", ...(e.fieldPath ? { fieldPath: e.fieldPath } : {}) },
    reason: e.reason,
    message: e.message,
    source: { component: e.component },
    firstTimestamp: iso(e.ts, 0),
    lastTimestamp: iso(e.ts, 0),
    count: 1,
    type: e.type,
    eventTime: null,
    reportingComponent: e.component,
    reportingInstance: "",
  }));
  return `${JSON.stringify({ apiVersion: "v1", kind: "List", items, metadata: { resourceVersion: "" } }, null, 2)}\n`;
}

/** One endpoint of an EndpointSlice with its conditions (KEP-1672 terminating endpoints). */
export interface SliceEndpoint {
  ip: string;
  pod: string;
  node: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
}
export interface Slice {
  service: string;
  ns: string;
  port: number;
  endpoints: SliceEndpoint[];
}

export function endpointSlices(slices: Slice[], capturedMs: number): string {
  const items = slices.map((s, i) => ({
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: `${s.service}-${(0xa1b2 + i * 977).toString(36)}`,
      namespace: s.ns,
      labels: { "kubernetes.io/service-name": s.service, "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io" },
      creationTimestamp: iso(capturedMs - 86_400_000, 0),
    },
    addressType: s.endpoints.some((e) => e.ip.includes(":")) ? "IPv6" : "IPv4",
    endpoints: s.endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready, serving: e.serving, terminating: e.terminating },
      nodeName: e.node,
      targetRef: { kind: "Pod", name: e.pod, namespace: s.ns },
    })),
    ports: [{ name: "http", port: s.port, protocol: "TCP" }],
  }));
  return `${JSON.stringify({ apiVersion: "v1", kind: "List", items, metadata: { resourceVersion: "" } }, null, 2)}\n`;
}

/** A human timeline entry, as the on-call wrote it. */
export interface TimelineEntry {
  ts: number;
  text: string;
}

/** Markdown timeline in the writer's own zone, which it states; the date style varies. */
export function timeline(title: string, entries: TimelineEntry[], zone: Zone, dateStyle: number): string {
  const first = entries[0]?.ts ?? 0;
  const lines = [`# ${title}`, "", `## Timeline (${humanDate(first, zone.offsetMin, dateStyle)})`, "", zone.statement, ""];
  for (const e of [...entries].sort((a, b) => a.ts - b.ts)) lines.push(`- ${hhmm(e.ts, zone.offsetMin)} ${e.text}`);
  return `${lines.join("\n")}\n`;
}

/** klog header `I0312 09:05:00.123456       1 file.go:123] msg` (no year, no zone: UTC on these nodes). */
export function klog(ms: number, severity: "I" | "W" | "E", file: string, msg: string): string {
  const d = new Date(ms);
  const p2 = (n: number) => String(n).padStart(2, "0");
  const us = String(d.getUTCMilliseconds() * 1000).padStart(6, "0");
  return `${severity}${p2(d.getUTCMonth() + 1)}${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.${us}       1 ${file}] ${msg}`;
}

/** `kubectl get pods -o json` as captured at `capturedMs`: IPs, nodes, and deletionTimestamp for pods being terminated. */
export function podList(pods: { name: string; ns: string; app: string; ip: string; node: string; deletedAt?: number }[], capturedMs: number): string {
  const items = pods.map((p) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: p.name,
      namespace: p.ns,
      labels: { app: p.app },
      creationTimestamp: iso(capturedMs - 3_600_000, 0),
      ...(p.deletedAt !== undefined ? { deletionTimestamp: iso(p.deletedAt, 0), deletionGracePeriodSeconds: 30 } : {}),
    },
    spec: { nodeName: p.node, containers: [{ name: p.app, image: `registry.example.com/${p.app}:1.4.2` }], terminationGracePeriodSeconds: 30 },
    status: { phase: "Running", podIP: p.ip, podIPs: [{ ip: p.ip }], conditions: [{ type: "Ready", status: p.deletedAt !== undefined ? "False" : "True" }] },
  }));
  return `${JSON.stringify({ apiVersion: "v1", kind: "List", items, metadata: { resourceVersion: "" } }, null, 2)}\n`;
}

/** `kubectl get svc -o json`: the ClusterIP (and NodePort) that names an IPVS virtual service. */
export function serviceList(svcs: { name: string; ns: string; clusterIP: string; port: number; nodePort: number }[], capturedMs: number): string {
  const items = svcs.map((s) => ({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: s.name, namespace: s.ns, creationTimestamp: iso(capturedMs - 30 * 86_400_000, 0) },
    spec: { type: "NodePort", clusterIP: s.clusterIP, clusterIPs: [s.clusterIP], selector: { app: s.name }, ports: [{ name: "http", port: s.port, targetPort: s.port, nodePort: s.nodePort, protocol: "TCP" }] },
    status: { loadBalancer: {} },
  }));
  return `${JSON.stringify({ apiVersion: "v1", kind: "List", items, metadata: { resourceVersion: "" } }, null, 2)}\n`;
}
