import type { Attrs, EventRecord, Subject } from "@/lib/schemas/records";
import { type EpochMs, parseIsoUtc } from "@/lib/schemas/time";
import { DESCRIBE_HEADER, GET_HEADER, parseEventTables } from "./k8s/event-table";
import { type Obj, readWholeDocument, isObj, k8sItems, num, obj, parseDocuments, sniffHead, str } from "./k8s/document";
import { containerFromFieldPath, messageAttrs } from "./k8s/messages";
import type { ParseContext, ParseItem, Parser } from "./types";

/**
 * Kubernetes events: `kubectl get events -o json|yaml` (core/v1 List/EventList, single Event,
 * watch streams, events.k8s.io/v1), and the text tables of `kubectl get events`,
 * `kubectl events` and `kubectl describe`. See docs/parsers/k8s-events.md.
 */

const JSON_EVENT_MARKERS = /"kind"\s*:\s*"(?:EventList|Event)"|"involvedObject"\s*:|"regarding"\s*:\s*\{/;
const YAML_EVENT_MARKERS = /^\s*(?:-\s+)?(?:kind:\s*(?:EventList|Event)\s*$|involvedObject:\s*$|regarding:\s*$)/m;

function sniff(head: string): number {
  const s = sniffHead(head);
  if (s.length === 0) return 0;
  if (s[0] === "{" || s[0] === "[") {
    if (JSON_EVENT_MARKERS.test(s)) return 0.95;
    // Compacted exports (OpenShift insights) keep only namespace/lastTimestamp/reason/message/type.
    if (/"lastTimestamp"\s*:/.test(s) && /"reason"\s*:/.test(s) && /"message"\s*:/.test(s)) return 0.8;
    return 0;
  }
  const firstLines = s.slice(0, 8192);
  if (GET_HEADER.test(firstLines.split("\n", 1)[0] ?? "")) return 0.9;
  if (firstLines.split("\n", 40).some((l) => DESCRIBE_HEADER.test(l))) return 0.9;
  if (YAML_EVENT_MARKERS.test(s) && /^\s*(?:-\s+)?(?:reason|note|message):/m.test(s)) return 0.9;
  return 0;
}

function isEventLike(o: Obj): boolean {
  if (o.kind === "Event") return true;
  if (o.kind !== undefined && o.kind !== null) return false;
  return (isObj(o.involvedObject) || isObj(o.regarding) || typeof o.reason === "string") && (typeof o.message === "string" || typeof o.note === "string" || typeof o.type === "string");
}

interface Candidate {
  rec: EventRecord;
  key: string | null;
  order: number;
}

function toRecord(o: Obj, pointer: string, line: number | undefined): EventRecord {
  const meta = obj(o.metadata) ?? {};
  const warnings: string[] = [];
  const involved = obj(o.involvedObject) ?? obj(o.regarding);
  const sourceObj = obj(o.source) ?? obj(o.deprecatedSource);
  const series = obj(o.series);

  // Latest non-null among the fields kubectl/the API update in place.
  const candidates = [str(o.lastTimestamp), str(o.deprecatedLastTimestamp), str(series?.lastObservedTime), str(o.eventTime), str(meta.creationTimestamp)];
  let ts: EpochMs | null = null;
  for (const c of candidates) {
    const t = parseIsoUtc(c);
    if (c && t === null) warnings.push(`unreadable timestamp ${JSON.stringify(c.slice(0, 64))}`);
    if (t !== null && (ts === null || t > ts)) ts = t;
  }
  if (ts === null) warnings.push("event has no timestamp");
  const firstTs = parseIsoUtc(str(o.firstTimestamp) ?? str(o.deprecatedFirstTimestamp) ?? (series ? str(o.eventTime) : undefined));

  const rawCount = num(o.count) ?? num(series?.count) ?? num(o.deprecatedCount);
  let count: number | undefined;
  if (rawCount !== undefined) {
    if (Number.isInteger(rawCount) && rawCount > 0) count = rawCount;
    else warnings.push(`invalid count ${rawCount}`);
  }

  const type = str(o.type);
  let severity: EventRecord["severity"] = "info";
  if (type === "Warning") severity = "warning";
  else if (type !== "Normal") warnings.push(`unknown event type ${JSON.stringify(type ?? null)}`);

  const reason = str(o.reason);
  const text = str(o.message) ?? str(o.note) ?? "";
  const subject: Subject = {};
  if (involved) {
    if (str(involved.kind)) subject.kind = str(involved.kind);
    if (str(involved.name)) subject.name = str(involved.name);
    if (str(involved.namespace)) subject.namespace = str(involved.namespace);
    if (str(involved.uid)) subject.uid = str(involved.uid);
  }
  if (!subject.namespace) {
    const ns = str(meta.namespace) ?? str(o.namespace);
    if (ns) subject.namespace = ns;
  }
  const host = str(sourceObj?.host);
  if (host) subject.node = host;
  else if (subject.kind === "Node" && subject.name) subject.node = subject.name;

  const attrs: Attrs = {};
  if (str(meta.name)) attrs.eventName = str(meta.name)!;
  const fieldPath = str(involved?.fieldPath);
  if (fieldPath) attrs.fieldPath = fieldPath;
  const container = containerFromFieldPath(fieldPath);
  if (container) attrs.container = container;
  const component = str(sourceObj?.component) ?? str(o.reportingController) ?? str(o.reportingComponent);
  if (component) attrs.component = component;
  if (str(o.reportingInstance)) attrs.reportingInstance = str(o.reportingInstance)!;
  if (str(o.action)) attrs.action = str(o.action)!;
  const related = obj(o.related);
  if (related && str(related.name)) attrs.related = `${str(related.kind) ?? "?"}/${str(related.name)}`;
  if (type && type !== "Normal" && type !== "Warning") attrs.type = type;
  const extra = messageAttrs(reason, text);
  Object.assign(attrs, extra);
  if (!subject.uid && typeof extra.podUid === "string") subject.uid = extra.podUid;

  return {
    kind: "event",
    ts,
    ...(firstTs !== null ? { firstTs } : {}),
    ...(count !== undefined ? { count } : {}),
    source: "k8s",
    severity,
    ...(reason ? { reason } : {}),
    text,
    ...(Object.keys(subject).length > 0 ? { subject } : {}),
    attrs,
    prov: { pointer, ...(line !== undefined ? { line } : {}) },
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

function better(a: EventRecord, b: EventRecord): boolean {
  const ca = a.count ?? 1;
  const cb = b.count ?? 1;
  if (ca !== cb) return ca > cb;
  return (a.ts ?? -Infinity) >= (b.ts ?? -Infinity);
}

async function* parse(input: Parameters<Parser["parse"]>[0], ctx: ParseContext): AsyncIterable<ParseItem> {
  const text = yield* readWholeDocument(input, "a kubectl JSON/YAML document", "split it (e.g. per namespace)");
  if (text === null) return;
  const head = sniffHead(text.slice(0, 65536));
  const isStructured = head[0] === "{" || head[0] === "[" || (!head.split("\n", 40).some((l) => GET_HEADER.test(l) || DESCRIBE_HEADER.test(l)) && YAML_EVENT_MARKERS.test(head));
  if (!isStructured) {
    yield* parseEventTables(text.split(/\r?\n/), ctx);
    return;
  }

  const docs = parseDocuments(text);
  const byKey = new Map<string, Candidate>();
  const kept: Candidate[] = [];
  let order = 0;
  let duplicates = 0;
  for (const d of docs) {
    if (d.error !== undefined) {
      yield { kind: "skipped", line: d.line, reason: d.error, excerpt: d.excerpt };
      continue;
    }
    const prefix = docs.length > 1 ? `/${d.index}` : "";
    for (const { item, pointer } of k8sItems(d.value, prefix)) {
      if (!isObj(item) || !isEventLike(item)) {
        const kind = isObj(item) && typeof item.kind === "string" ? item.kind : typeof item;
        yield { kind: "skipped", pointer: pointer || "/", reason: `not an Event (${kind}); objects are read by k8s-objects`, excerpt: JSON.stringify(item)?.slice(0, 200) };
        continue;
      }
      const rec = toRecord(item, pointer || "/", docs.length > 1 ? d.line : undefined);
      const meta = obj(item.metadata);
      // The API updates one Event object in place (count grows); watch streams and repeated
      // exports show it many times. uid is the identity; name+namespace when uid is missing.
      const key = str(meta?.uid) ?? (str(meta?.name) ? `${rec.subject?.namespace ?? ""}/${str(meta?.name)}` : null);
      const cand: Candidate = { rec, key, order: order++ };
      if (key === null) {
        kept.push(cand);
        continue;
      }
      const prev = byKey.get(key);
      if (!prev) {
        byKey.set(key, cand);
        kept.push(cand);
      } else {
        duplicates++;
        if (better(rec, prev.rec)) prev.rec = rec; // keep first position, newest content
      }
    }
  }
  if (duplicates > 0) yield { kind: "warning", message: `${duplicates} repeated event(s) (same uid/name) merged, keeping the highest count / latest` };
  for (const c of kept) yield c.rec;
}

const K9S_EVENT = `{
  "apiVersion": "v1",
  "count": 1,
  "eventTime": null,
  "firstTimestamp": "2019-08-30T20:43:05Z",
  "involvedObject": {
    "apiVersion": "v1",
    "fieldPath": "spec.containers{c1}",
    "kind": "Pod",
    "name": "hello-1567197780-mn4mv",
    "namespace": "default",
    "resourceVersion": "49798867",
    "uid": "c31fdeb8-cb66-11e9-990f-42010a800218"
  },
  "kind": "Event",
  "lastTimestamp": "2019-08-30T20:43:05Z",
  "message": "Successfully pulled image \\"blang/busybox-bash\\"",
  "metadata": {
    "creationTimestamp": "2019-08-30T20:43:05Z",
    "name": "hello-1567197780-mn4mv.15bfce150bd764dd",
    "namespace": "default",
    "uid": "c443d4b3-cb66-11e9-990f-42010a800218"
  },
  "reason": "Pulled",
  "source": { "component": "kubelet", "host": "gke-k9s-default-pool-0fa2fb89-qnkc" },
  "type": "Normal"
}
`;

const DESCRIBE_SAMPLE = `Type     Reason     Age                From               Message
----     ------     ----               ----               -------
Normal   Scheduled  57s                default-scheduler  Successfully assigned default/liveness-exec to node01
Normal   Pulling    55s                kubelet, node01    Pulling image "registry.k8s.io/busybox"
Warning  Unhealthy  10s (x3 over 20s)  kubelet, node01    Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory
Normal   Killing    10s                kubelet, node01    Container liveness failed liveness probe, will be restarted
`;

const GET_SAMPLE = `LAST SEEN               TYPE      REASON      OBJECT                               MESSAGE
58m                     Normal    Scheduled   Pod/giant-narwhal-6958c5bdd8-69gtn   Successfully assigned app-02/giant-narwhal-6958c5bdd8-69gtn to robusta-demo-prod-double-node-worker
3m30s (x256 over 58m)   Warning   BackOff     Pod/giant-narwhal-6958c5bdd8-69gtn   Back-off restarting failed container main in pod giant-narwhal-6958c5bdd8-69gtn_app-02(8209d63f-aa89-450d-9813-d555ddcaa175)
`;

const YAML_SAMPLE = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Event
  metadata:
    name: go-httpbin-7d9c5b7f4-x2k8p.17f1a2b3c4d5e6f7
    namespace: demo
    uid: 6a1f0e52-1111-4c1e-9a55-0f0e0d0c0b0a
  involvedObject:
    kind: Pod
    name: go-httpbin-7d9c5b7f4-x2k8p
    namespace: demo
    fieldPath: spec.containers{go-httpbin}
  reason: Killing
  message: Stopping container go-httpbin
  type: Normal
  count: 1
  firstTimestamp: "2025-11-20T10:15:02Z"
  lastTimestamp: "2025-11-20T10:15:02Z"
  source:
    component: kubelet
    host: ip-10-0-1-23.ec2.internal
`;

export const k8sEventsParser: Parser = {
  id: "k8s-events",
  title: "Kubernetes events (kubectl get events -o json|yaml, kubectl events / describe tables)",
  emits: ["event"],
  sniff,
  parse,
  samples: [
    {
      name: "k8s/ev.json",
      content: K9S_EVENT,
      expect: {
        records: 1, skipped: 0, kinds: { event: 1 },
        fields: {
          0: {
            ts: "2019-08-30T20:43:05Z", count: 1, reason: "Pulled", severity: "info", text: 'Successfully pulled image "blang/busybox-bash"',
            subject: { kind: "Pod", name: "hello-1567197780-mn4mv", namespace: "default", uid: "c31fdeb8-cb66-11e9-990f-42010a800218", node: "gke-k9s-default-pool-0fa2fb89-qnkc" },
            attrs: { component: "kubelet", fieldPath: "spec.containers{c1}" },
          },
        },
      },
    },
    {
      name: "k8s/describe-pod.txt",
      content: DESCRIBE_SAMPLE,
      expect: {
        records: 4, skipped: 0, kinds: { event: 4 },
        fields: {
          // ages without a capture time: no ts, the age kept
          0: { ts: null, reason: "Scheduled", severity: "info", text: "Successfully assigned default/liveness-exec to node01", attrs: { age: "57s", component: "default-scheduler" }, prov: { line: 3 } },
          2: { reason: "Unhealthy", severity: "warning", count: 3, text: "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory", attrs: { age: "10s (x3 over 20s)", component: "kubelet" }, subject: { node: "node01" } },
          3: { reason: "Killing", severity: "info", text: "Container liveness failed liveness probe, will be restarted", prov: { line: 6 } },
        },
      },
    },
    {
      name: "k8s/events.txt",
      content: GET_SAMPLE,
      expect: {
        records: 2, skipped: 0, kinds: { event: 2 },
        fields: {
          0: { ts: null, reason: "Scheduled", severity: "info", subject: { kind: "Pod", name: "giant-narwhal-6958c5bdd8-69gtn" }, attrs: { age: "58m" }, prov: { line: 2 } },
          1: {
            ts: null, reason: "BackOff", severity: "warning", count: 256, attrs: { age: "3m30s (x256 over 58m)" },
            text: "Back-off restarting failed container main in pod giant-narwhal-6958c5bdd8-69gtn_app-02(8209d63f-aa89-450d-9813-d555ddcaa175)",
          },
        },
      },
    },
    {
      name: "k8s/events.yaml",
      content: YAML_SAMPLE,
      expect: {
        records: 1, skipped: 0, kinds: { event: 1 },
        fields: {
          0: {
            ts: "2025-11-20T10:15:02Z", count: 1, reason: "Killing", severity: "info", text: "Stopping container go-httpbin",
            subject: { kind: "Pod", name: "go-httpbin-7d9c5b7f4-x2k8p", namespace: "demo", node: "ip-10-0-1-23.ec2.internal" }, prov: { pointer: "/items/0" },
          },
        },
      },
    },
  ],
};
