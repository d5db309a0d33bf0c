import type { Attrs } from "@/lib/schemas/records";

/**
 * kubectl prints ages with `duration.HumanDuration`: "58m", "3m30s", "2d3h", "4y12d", plus
 * "<unknown>" / "<invalid>". Returns ms, or null when the text is not an age.
 */
export function parseAge(text: string): number | null {
  if (text.length === 0 || text.length > 32) return null;
  const re = /(\d+)([ydhms])/y;
  let pos = 0;
  let total = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) return null;
    const n = Number(m[1]);
    const unit = m[2];
    total += n * (unit === "y" ? 365 * 86400000 : unit === "d" ? 86400000 : unit === "h" ? 3600000 : unit === "m" ? 60000 : 1000);
    pos = re.lastIndex;
  }
  return pos > 0 ? total : null;
}

export interface AgeCell {
  /** raw cell text, kept in attrs */
  raw: string;
  lastAgeMs: number | null;
  firstAgeMs: number | null;
  count?: number;
  unknown: boolean;
}

/** "3m30s (x256 over 58m)", "10s", "<unknown>", "<unknown> (x3 over 5m)". */
export function parseAgeCell(cell: string): AgeCell | null {
  const m = /^(<unknown>|<invalid>|[0-9ydhms]{1,32})(?:\s+\(x(\d{1,10}) over (<unknown>|<invalid>|[0-9ydhms]{1,32})\))?$/.exec(cell.trim());
  if (!m) return null;
  const last = m[1]!.startsWith("<") ? null : parseAge(m[1]!);
  if (last === null && !m[1]!.startsWith("<")) return null;
  const count = m[2] ? Number(m[2]) : undefined;
  const first = m[3] && !m[3].startsWith("<") ? parseAge(m[3]) : null;
  return { raw: cell.trim(), lastAgeMs: last, firstAgeMs: first ?? (count === undefined ? last : null), count: count && count > 0 ? count : undefined, unknown: last === null };
}

/**
 * Recognises the kubelet messages the detectors correlate (probe failures, restarts, kills
 * during rollouts) and lifts their parts into attrs. Patterns are anchored and linear.
 */
export function messageAttrs(reason: string | undefined, message: string): Attrs {
  const a: Attrs = {};
  if (message.length > 8192) message = message.slice(0, 8192);
  let m: RegExpExecArray | null;
  if ((m = /^Stopping container (\S+)/.exec(message))) {
    a.container = m[1]!;
    a.killCause = "stop";
  } else if ((m = /^Container (\S+) failed (liveness|startup|readiness) probe, will be restarted/.exec(message))) {
    a.container = m[1]!;
    a.probe = m[2]!;
    a.killCause = "probe-failed";
  } else if ((m = /^Container (\S+) definition changed, will be restarted/.exec(message))) {
    a.container = m[1]!;
    a.killCause = "definition-changed";
  }
  if ((m = /^(Liveness|Readiness|Startup) probe (failed|errored): ?(.*)$/s.exec(message))) {
    a.probe = m[1]!.toLowerCase();
    a.probeResult = m[2]!;
    const detail = m[3]!;
    const code = /statuscode: (\d{3})/.exec(detail);
    if (code) {
      a.probeFailure = "http-status";
      a.probeStatus = Number(code[1]);
    } else if (/connection refused/.test(detail)) a.probeFailure = "connection-refused";
    else if (/context deadline exceeded|Client\.Timeout|timeout|timed out/i.test(detail)) a.probeFailure = "timeout";
    else if (/connection reset/.test(detail)) a.probeFailure = "connection-reset";
    else if (/no route to host/.test(detail)) a.probeFailure = "no-route";
    else a.probeFailure = "other";
    const url = /(?:Get|Head|Post) "([^"\s]{1,2048})"/.exec(detail);
    if (url) a.probeUrl = url[1]!;
    const dial = /dial tcp ([0-9a-fA-F.:[\]]{3,64}):/.exec(detail);
    if (dial) a.probeTarget = dial[1]!;
  }
  if ((m = /^Back-off restarting failed container (\S+) in pod ([^\s_]+)_([^\s(]+)\(([^)\s]+)\)/.exec(message))) {
    a.container = m[1]!;
    a.pod = m[2]!;
    a.podNamespace = m[3]!;
    a.podUid = m[4]!;
    a.backOff = "restart";
  } else if ((m = /^Back-off restarting failed container(?: (\S+))?/.exec(message))) {
    if (m[1]) a.container = m[1];
    a.backOff = "restart";
  } else if ((m = /^Back-off pulling image "([^"]{1,512})"/.exec(message))) {
    a.image = m[1]!;
    a.backOff = "image-pull";
  }
  if ((m = /^Successfully assigned ([^/\s]+)\/(\S+) to (\S+)/.exec(message))) {
    a.assignedNode = m[3]!;
  }
  if (reason === "ScalingReplicaSet" && (m = /^Scaled (up|down) replica set (\S+) (?:to|from \d+ to) (\d+)/.exec(message))) {
    a.scale = m[1]!;
    a.replicaSet = m[2]!;
    a.replicas = Number(m[3]);
  }
  if ((reason === "SuccessfulCreate" || reason === "SuccessfulDelete") && (m = /^(?:Created|Deleted) pod: (\S+)/.exec(message))) {
    a.pod = m[1]!;
  }
  return a;
}

/** `spec.containers{name}` → name */
export function containerFromFieldPath(fieldPath: string | undefined): string | undefined {
  if (!fieldPath) return undefined;
  const m = /^spec\.(?:initContainers|containers|ephemeralContainers)\{([^}]{1,253})\}/.exec(fieldPath);
  return m ? m[1] : undefined;
}

const KINDS: Record<string, string> = {
  pod: "Pod",
  pods: "Pod",
  node: "Node",
  service: "Service",
  endpoints: "Endpoints",
  endpointslice: "EndpointSlice",
  deployment: "Deployment",
  replicaset: "ReplicaSet",
  statefulset: "StatefulSet",
  daemonset: "DaemonSet",
  job: "Job",
  cronjob: "CronJob",
  horizontalpodautoscaler: "HorizontalPodAutoscaler",
  persistentvolumeclaim: "PersistentVolumeClaim",
  ingress: "Ingress",
  namespace: "Namespace",
};

/** `pod/x`, `Pod/x`, `replicaset.apps/x` → { kind, name } */
export function parseObjectRef(ref: string): { kind?: string; name?: string } {
  const i = ref.indexOf("/");
  if (i <= 0) return ref ? { name: ref } : {};
  const rawKind = ref.slice(0, i).split(".")[0]!;
  const kind = KINDS[rawKind.toLowerCase()] ?? (rawKind ? rawKind[0]!.toUpperCase() + rawKind.slice(1) : undefined);
  return { kind, name: ref.slice(i + 1) };
}
