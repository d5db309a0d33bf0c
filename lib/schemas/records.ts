import { z } from "zod";
import { DurationMs, EpochMs } from "./time";

/**
 * Normalised evidence records. Parsers emit these (without fileId); ingest adds the file id
 * and stores them. Every record carries provenance so a hypothesis can cite file + line/offset/pointer.
 */
export const Provenance = z.object({
  /** 1-based line number in the (decompressed) file, when the source is line-oriented. */
  line: z.number().int().positive().optional(),
  /** Byte offset of the record's start in the decompressed file. */
  offset: z.number().int().nonnegative().optional(),
  /** JSON pointer (RFC 6901) for records inside a JSON document, e.g. /resourceSpans/0/scopeSpans/1/spans/7 */
  pointer: z.string().optional(),
  /** Last line for records that span several lines (legacy ztunnel spans, wrapped lines). */
  endLine: z.number().int().positive().optional(),
});
export type Provenance = z.infer<typeof Provenance>;

const Attrs = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));
export type Attrs = z.infer<typeof Attrs>;

export const Severity = z.enum(["debug", "info", "notice", "warning", "error", "critical"]);
export type Severity = z.infer<typeof Severity>;

/** Something a record is about: a pod, node, service, … Fields are optional because sources know different things. */
export const Subject = z.object({
  kind: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  node: z.string().optional(),
  service: z.string().optional(),
  workload: z.string().optional(),
  ip: z.string().optional(),
});
export type Subject = z.infer<typeof Subject>;

export const Endpoint = z.object({
  ip: z.string().optional(),
  port: z.number().int().optional(),
  workload: z.string().optional(),
  service: z.string().optional(),
  namespace: z.string().optional(),
  identity: z.string().optional(),
  node: z.string().optional(),
  /** Envoy upstream cluster, nginx upstream name */
  cluster: z.string().optional(),
});
export type Endpoint = z.infer<typeof Endpoint>;

const base = {
  prov: Provenance,
  /** Non-fatal doubts about this record (assumed year, clamped value, …). */
  warnings: z.array(z.string()).optional(),
};

export const EventRecord = z.object({
  kind: z.literal("event"),
  ts: EpochMs.nullable(),
  /** First time seen for aggregated events (k8s count > 1, "x256 over 58m"). */
  firstTs: EpochMs.nullable().optional(),
  count: z.number().int().positive().optional(),
  /** e.g. k8s, klog, timeline, ztunnel, envoy-app, app (application logs: app-json, app-logfmt, app-text) */
  source: z.string(),
  severity: Severity,
  /** Short machine reason: Killing, Unhealthy, BackOff, alert, mitigation, … */
  reason: z.string().optional(),
  text: z.string(),
  subject: Subject.optional(),
  attrs: Attrs.optional(),
  /**
   * Application log lines (source `app`): the logger / component that wrote the line, the trace and
   * span it was written in (lowercase hex, trace ids 32 digits: the form span records carry), and the
   * stack trace / continuation lines kept with it (capped; prov.line..endLine cites the whole block).
   */
  logger: z.string().optional(),
  traceId: z.string().optional(),
  spanId: z.string().optional(),
  stack: z.string().optional(),
  ...base,
});
export type EventRecord = z.infer<typeof EventRecord>;

export const RequestRecord = z.object({
  kind: z.literal("request"),
  /** Request start (Envoy START_TIME, ztunnel log time minus duration is NOT applied: see source docs). */
  ts: EpochMs.nullable(),
  durationMs: DurationMs.nullable(),
  /** envoy, ztunnel, nginx, xray, … */
  source: z.string(),
  direction: z.enum(["inbound", "outbound", "unknown"]).optional(),
  client: Endpoint.optional(),
  dest: Endpoint.optional(),
  protocol: z.string().optional(),
  method: z.string().optional(),
  path: z.string().optional(),
  authority: z.string().optional(),
  /** HTTP status; 0 = no response sent; null = not an HTTP request (TCP) */
  status: z.number().int().nullable(),
  /** Envoy short response flags (UF, URX, UT, …), normalised from long names. */
  flags: z.array(z.string()).optional(),
  /** Error text (ztunnel error="…", Envoy response code details, nginx upstream status chain). */
  error: z.string().optional(),
  connectMs: DurationMs.nullable().optional(),
  upstreamMs: DurationMs.nullable().optional(),
  /** Number of upstream attempts when known (nginx comma lists, x-envoy-attempt-count). */
  attempts: z.number().int().positive().optional(),
  requestId: z.string().optional(),
  traceId: z.string().optional(),
  bytesSent: z.number().optional(),
  bytesRecv: z.number().optional(),
  attrs: Attrs.optional(),
  prov: Provenance,
  warnings: z.array(z.string()).optional(),
});
export type RequestRecord = z.infer<typeof RequestRecord>;

export const SpanRecord = z.object({
  kind: z.literal("span"),
  traceId: z.string(),
  spanId: z.string(),
  parentSpanId: z.string().nullable(),
  service: z.string(),
  name: z.string(),
  spanKind: z.enum(["internal", "server", "client", "producer", "consumer", "unspecified"]),
  ts: EpochMs,
  /** null for in-progress segments */
  durationMs: DurationMs.nullable(),
  status: z.enum(["unset", "ok", "error"]),
  statusMessage: z.string().optional(),
  httpStatus: z.number().int().optional(),
  /** X-Ray fault/error/throttle */
  fault: z.boolean().optional(),
  throttle: z.boolean().optional(),
  peer: z.string().optional(),
  attrs: Attrs,
  events: z.array(z.object({ ts: EpochMs, name: z.string(), attrs: Attrs.optional() })).optional(),
  ...base,
});
export type SpanRecord = z.infer<typeof SpanRecord>;

/**
 * The fields of a span that aggregates, digests and row decisions read: what summarised span files
 * compute for every span without building the whole record (a SpanRecord is one too).
 */
export type SpanFacts = Pick<SpanRecord, "kind" | "traceId" | "service" | "spanKind" | "ts" | "durationMs" | "status" | "httpStatus" | "peer" | "fault" | "throttle">;

export const Counters = z.object({ packets: z.number(), bytes: z.number() });

export const RuleMatch = z.object({
  /** -m module, e.g. tcp, comment, statistic; absent for built-ins like -s/-d/-p/-i/-o */
  module: z.string().optional(),
  /** option name without dashes, e.g. "dport", "s", "p", "comment" */
  option: z.string(),
  value: z.string(),
  negated: z.boolean(),
});
export const Rule = z.object({
  chain: z.string(),
  /** 1-based position within the chain */
  position: z.number().int().positive(),
  matches: z.array(RuleMatch),
  /** -j / -g target; absent for rules without a target (counting rules) */
  target: z.string().optional(),
  /** true when -g (goto) was used instead of -j */
  goto: z.boolean().optional(),
  targetOptions: z.array(z.object({ option: z.string(), value: z.string() })),
  comment: z.string().optional(),
  counters: Counters.optional(),
  line: z.number().int().positive(),
  raw: z.string(),
});
export type Rule = z.infer<typeof Rule>;
export const Chain = z.object({
  name: z.string(),
  /** ACCEPT / DROP for built-in chains, "-" for user chains */
  policy: z.string(),
  counters: Counters.optional(),
  line: z.number().int().positive().optional(),
});
export const RulesetRecord = z.object({
  kind: z.literal("ruleset"),
  node: z.string().optional(),
  capturedAt: EpochMs.nullable(),
  family: z.enum(["ipv4", "ipv6"]),
  backend: z.enum(["legacy", "nf_tables", "unknown"]),
  /** Manifest role when given: which dump is before/after the change. */
  role: z.enum(["before", "after"]).optional(),
  tables: z.array(z.object({ name: z.string(), chains: z.array(Chain), rules: z.array(Rule) })),
  ...base,
});
export type RulesetRecord = z.infer<typeof RulesetRecord>;

export const IpvsReal = z.object({
  address: z.string(),
  port: z.number().int(),
  forward: z.string(),
  weight: z.number(),
  activeConns: z.number(),
  inactiveConns: z.number(),
  stats: z.record(z.string(), z.number()).optional(),
});
export const IpvsService = z.object({
  proto: z.string(),
  address: z.string(),
  port: z.number().int(),
  fwmark: z.number().int().optional(),
  scheduler: z.string(),
  flags: z.array(z.string()),
  persistentSeconds: z.number().optional(),
  reals: z.array(IpvsReal),
  stats: z.record(z.string(), z.number()).optional(),
  line: z.number().int().positive().optional(),
});
export const IpvsRecord = z.object({
  kind: z.literal("ipvs"),
  node: z.string().optional(),
  capturedAt: EpochMs.nullable(),
  services: z.array(IpvsService),
  ...base,
});
export type IpvsRecord = z.infer<typeof IpvsRecord>;

export const CounterRecord = z.object({
  kind: z.literal("counter"),
  name: z.string(),
  labels: z.record(z.string(), z.string()),
  ts: EpochMs.nullable(),
  value: z.number(),
  ...base,
});
export type CounterRecord = z.infer<typeof CounterRecord>;

/**
 * A sample value: any number including NaN and ±Infinity (Prometheus "NaN", "+Inf", "-Inf").
 * JSON cannot carry those, so stored records encode them as strings (see encodeRecordJson).
 */
export const SampleValue = z.custom<number>((v) => typeof v === "number", "expected a number (NaN and ±Inf allowed)");

export const SeriesRecord = z.object({
  kind: z.literal("series"),
  name: z.string(),
  labels: z.record(z.string(), z.string()),
  /** [ts, value]; NaN and ±Inf are kept (no data / quantile in the +Inf bucket) — see SampleValue */
  points: z.array(z.tuple([EpochMs, SampleValue])),
  histograms: z.array(z.object({ ts: EpochMs, count: z.number(), sum: z.number(), buckets: z.array(z.tuple([z.number(), z.number(), z.number(), z.number()])) })).optional(),
  unit: z.string().optional(),
  ...base,
});
export type SeriesRecord = z.infer<typeof SeriesRecord>;

const Termination = z.object({
  reason: z.string().optional(),
  exitCode: z.number().int().optional(),
  startedAt: EpochMs.optional(),
  finishedAt: EpochMs.optional(),
});
export const ContainerInfo = z.object({
  name: z.string(),
  restartCount: z.number().int().nonnegative().optional(),
  ready: z.boolean().optional(),
  /** running / waiting / terminated, with the waiting reason (CrashLoopBackOff) or terminated reason. */
  state: z.string().optional(),
  stateReason: z.string().optional(),
  terminated: Termination.optional(),
  lastTerminated: Termination.optional(),
  memoryLimitBytes: z.number().nonnegative().optional(),
  memoryRequestBytes: z.number().nonnegative().optional(),
});
export type ContainerInfo = z.infer<typeof ContainerInfo>;
const PolicyPeer = z.object({
  podSelector: z.record(z.string(), z.string()).optional(),
  namespaceSelector: z.record(z.string(), z.string()).optional(),
  ipBlock: z.string().optional(),
});
const PolicyRule = z.object({
  /** Peers (from for ingress, to for egress); absent/empty = every peer. */
  peers: z.array(PolicyPeer).optional(),
  /** Ports; absent/empty = every port. */
  ports: z.array(z.object({ port: z.union([z.number(), z.string()]).optional(), protocol: z.string().optional() })).optional(),
});
export const NetworkPolicySpec = z.object({
  /** matchLabels of spec.podSelector; {} selects every pod of the namespace. */
  podSelector: z.record(z.string(), z.string()),
  /** The selector also has matchExpressions (not modelled: the selection is uncertain). */
  selectorExpressions: z.boolean().optional(),
  policyTypes: z.array(z.string()),
  ingress: z.array(PolicyRule).optional(),
  egress: z.array(PolicyRule).optional(),
});
export type NetworkPolicySpec = z.infer<typeof NetworkPolicySpec>;

export const ObjectRecord = z.object({
  kind: z.literal("object"),
  k8sKind: z.string(),
  name: z.string(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  ips: z.array(z.string()),
  node: z.string().optional(),
  labels: z.record(z.string(), z.string()),
  createdAt: EpochMs.nullable().optional(),
  /** Pod metadata.deletionTimestamp: when the kubelet's grace period runs out, not when termination began. */
  deletedAt: EpochMs.nullable().optional(),
  /** Pod metadata.deletionGracePeriodSeconds: termination began this long before deletedAt. */
  deletionGraceSeconds: z.number().nonnegative().optional(),
  /** Latest containerStatuses[].state.terminated.finishedAt: when the pod's processes exited. */
  exitedAt: EpochMs.optional(),
  /** Service name for EndpointSlices/Endpoints; owner workload for pods */
  service: z.string().optional(),
  owner: z.object({ kind: z.string(), name: z.string() }).optional(),
  /** EndpointSlice/Endpoints addresses with their target pod and readiness */
  endpoints: z.array(z.object({ ip: z.string(), pod: z.string().optional(), node: z.string().optional(), ready: z.boolean().optional(), terminating: z.boolean().optional() })).optional(),
  ports: z.array(z.object({ name: z.string().optional(), port: z.number().int(), protocol: z.string().optional(), targetPort: z.union([z.number(), z.string()]).optional(), nodePort: z.number().int().optional() })).optional(),
  phase: z.string().optional(),
  /**
   * Pod containers: restarts, the current and last termination (reason OOMKilled, exit code 137),
   * and the memory limit/request in bytes (spec.containers[].resources), by container name.
   */
  containers: z.array(ContainerInfo).optional(),
  /** NetworkPolicy spec: which pods it selects, its policy types and allow rules (absent = none). */
  policy: NetworkPolicySpec.optional(),
  /**
   * Istio DestinationRule trafficPolicy.connectionPool (the client proxies' limits for `service` =
   * spec.host): circuit-breaker thresholds and the upstream idle timeout.
   */
  connectionPool: z.object({ maxConnections: z.number().optional(), http1MaxPendingRequests: z.number().optional(), http2MaxRequests: z.number().optional(), maxRequestsPerConnection: z.number().optional(), idleTimeoutMs: z.number().optional() }).optional(),
  ...base,
});
export type ObjectRecord = z.infer<typeof ObjectRecord>;

export const EvidenceRecord = z.discriminatedUnion("kind", [
  EventRecord,
  RequestRecord,
  SpanRecord,
  RulesetRecord,
  IpvsRecord,
  CounterRecord,
  SeriesRecord,
  ObjectRecord,
]);
export type EvidenceRecord = z.infer<typeof EvidenceRecord>;
export type RecordKind = EvidenceRecord["kind"];
export const RECORD_KINDS = ["event", "request", "span", "ruleset", "ipvs", "counter", "series", "object"] as const;

/** Serialises a record for storage, keeping non-finite numbers as "NaN" / "+Inf" / "-Inf". */
export function encodeRecordJson(record: EvidenceRecord): string {
  if (record.kind !== "series") return JSON.stringify(record);
  return JSON.stringify(record, (_k, v: unknown) =>
    typeof v === "number" && !Number.isFinite(v) ? (Number.isNaN(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf") : v,
  );
}

/** Inverse of encodeRecordJson. */
export function decodeRecordJson(json: string): EvidenceRecord {
  const record = JSON.parse(json) as EvidenceRecord;
  if (record.kind === "series") {
    const back = (v: unknown) => (v === "NaN" ? Number.NaN : v === "+Inf" ? Infinity : v === "-Inf" ? -Infinity : v);
    for (const p of record.points) p[1] = back(p[1]) as number;
  }
  return record;
}
