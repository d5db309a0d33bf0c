import { encodeRecordJson, type EvidenceRecord, type Endpoint, type RequestRecord, type SpanFacts } from "@/lib/schemas/records";
import { destName, isFailedRequest } from "@/lib/server/correlate/requests";
import { finiteOrNull, intOrNull, type EvidenceRowInput } from "./sink";

/**
 * Records → Evidence rows: the indexed columns every view filters on and the one-line summary
 * search and the timeline show. The same for both providers (the writers only store it).
 */

/** The one-line summary is for search and the timeline; the full record is in `data`. */
export const MAX_TEXT_LENGTH = 2000;

function truncate(s: string): string {
  // Most summaries are one short line: skip the regex (it ran once per record).
  const oneLine = s.indexOf("\n") === -1 && s.indexOf("\r") === -1 ? s.trim() : s.replace(/\s*[\r\n]+\s*/g, " ").trim();
  return oneLine.length > MAX_TEXT_LENGTH ? `${oneLine.slice(0, MAX_TEXT_LENGTH - 1)}…` : oneLine;
}
function ms(n: number | null | undefined): string | null {
  if (typeof n !== "number" || !Number.isFinite(n)) return null;
  return `${n >= 100 || Number.isInteger(n) ? Math.round(n) : Number(n.toFixed(1))}ms`;
}
function endpointName(e: Endpoint | undefined): string | null {
  if (!e) return null;
  const named = e.workload ?? e.service ?? e.cluster;
  if (named) return named;
  if (e.ip) return e.port !== undefined ? `${e.ip}:${e.port}` : e.ip;
  return null;
}
function labelsText(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  return entries.length ? `{${entries.map(([k, v]) => `${k}="${v}"`).join(",")}}` : "";
}
const join = (parts: (string | null | undefined | false)[]) => parts.filter((p): p is string => typeof p === "string" && p !== "").join(" ");

/** Source, service and severity columns of a request or span row (RecordSecond counts by the same). */
export function bulkFacets(record: RequestRecord | SpanFacts): { source: string; service: string | null; severity: string } {
  if (record.kind === "span") return { source: "trace", service: record.service, severity: spanSeverity(record) };
  return { source: record.source, service: requestService(record), severity: requestSeverity(record) };
}

/** The request's destination as every view names it (destName), null when nothing names it. */
function requestService(r: RequestRecord): string | null {
  const name = destName(r);
  return name === "unknown" ? null : name;
}

function spanSeverity(s: SpanFacts): string {
  return s.status === "error" || s.fault ? "error" : s.throttle ? "warning" : "info";
}

/** "error" exactly for failed requests (the one definition), so error counts of every view agree. */
function requestSeverity(r: RequestRecord): string {
  if (isFailedRequest(r)) return "error";
  if (r.status !== null && r.status >= 400) return "warning";
  return r.error && r.error !== "-" ? "warning" : "info";
}

/**
 * Indexed columns and the one-line summary of any record, e.g.
 *   request  "GET /api/cart 503 UF 1203ms frontend → cart"
 *   span     "checkout POST /pay 12ms error 500"
 *   event    the event text
 */
export function toEvidenceRow(record: EvidenceRecord, seq: number): EvidenceRowInput {
  // Every branch builds the full row in one object literal (same shape each time): spreading a
  // shared `base` object cost ~15 µs per record, more than serialising the record.
  const seqLine = { seq, line: intOrNull(record.prov.line), data: encodeRecordJson(record) };
  switch (record.kind) {
    case "event": {
      const s = record.subject;
      return {
        seq: seqLine.seq,
        kind: record.kind,
        line: seqLine.line,
        data: seqLine.data,
        ts: finiteOrNull(record.ts),
        durationMs: null,
        source: record.source,
        service: s?.service ?? s?.workload ?? s?.name ?? null,
        node: s?.node ?? null,
        status: null,
        severity: record.severity,
        // Application log lines carry the trace they were written in: the row's trace id links them to its spans.
        traceId: record.traceId ?? null,
        text: truncate(record.text || record.reason || ""),
      };
    }
    case "request": {
      const client = endpointName(record.client);
      const dest = endpointName(record.dest) ?? record.authority ?? null;
      const route = client || dest ? `${client ?? "?"} → ${dest ?? "?"}` : null;
      return {
        seq: seqLine.seq,
        kind: record.kind,
        line: seqLine.line,
        data: seqLine.data,
        ts: finiteOrNull(record.ts),
        durationMs: finiteOrNull(record.durationMs),
        source: record.source,
        service: requestService(record),
        node: record.dest?.node ?? record.client?.node ?? null,
        status: intOrNull(record.status),
        severity: requestSeverity(record),
        traceId: record.traceId ?? null,
        text: truncate(
          join([
            record.method,
            record.path ?? (record.method ? record.authority : undefined),
            record.status === null ? (record.protocol ?? "tcp") : String(record.status),
            record.flags?.length ? record.flags.join(",") : null,
            ms(record.durationMs),
            route,
            record.error ? `error=${record.error}` : null,
          ]),
        ),
      };
    }
    case "span":
      return {
        seq: seqLine.seq,
        kind: record.kind,
        line: seqLine.line,
        data: seqLine.data,
        ts: finiteOrNull(record.ts),
        durationMs: finiteOrNull(record.durationMs),
        source: "trace",
        service: record.service,
        node: null,
        status: intOrNull(record.httpStatus),
        severity: spanSeverity(record),
        traceId: record.traceId,
        text: truncate(
          join([
            record.service,
            record.name,
            ms(record.durationMs) ?? "in progress",
            record.status === "error" || record.fault ? "error" : record.throttle ? "throttled" : null,
            record.httpStatus !== undefined ? String(record.httpStatus) : null,
            record.statusMessage,
          ]),
        ),
      };
    case "ruleset": {
      const chains = record.tables.reduce((n, t) => n + t.chains.length, 0);
      const rules = record.tables.reduce((n, t) => n + t.rules.length, 0);
      return {
        seq: seqLine.seq,
        kind: record.kind,
        line: seqLine.line,
        data: seqLine.data,
        ts: finiteOrNull(record.capturedAt),
        durationMs: null,
        source: "iptables",
        service: null,
        node: record.node ?? null,
        status: null,
        severity: "info",
        traceId: null,
        text: truncate(
          `${join([`iptables ${record.family} (${record.backend})`, record.role ? `${record.role} change` : null, record.node ? `on ${record.node}` : null])}: ` +
            `${record.tables.length} tables, ${chains} chains, ${rules} rules`,
        ),
      };
    }
    case "ipvs": {
      const reals = record.services.reduce((n, s) => n + s.reals.length, 0);
      return {
        seq: seqLine.seq,
        kind: record.kind,
        line: seqLine.line,
        data: seqLine.data,
        ts: finiteOrNull(record.capturedAt),
        durationMs: null,
        source: "ipvs",
        service: null,
        node: record.node ?? null,
        status: null,
        severity: "info",
        traceId: null,
        text: truncate(`${join(["ipvs", record.node ? `on ${record.node}` : null])}: ${record.services.length} virtual services, ${reals} real servers`),
      };
    }
    case "counter":
      return {
        seq: seqLine.seq,
        kind: record.kind,
        line: seqLine.line,
        data: seqLine.data,
        ts: finiteOrNull(record.ts),
        durationMs: null,
        source: "metrics",
        service: record.labels.service ?? record.labels.job ?? null,
        node: record.labels.node ?? null,
        status: null,
        severity: "info",
        traceId: null,
        text: truncate(`${record.name}${labelsText(record.labels)} = ${record.value}`),
      };
    case "series": {
      const first = record.points[0]?.[0] ?? record.histograms?.[0]?.ts ?? null;
      const last = record.points.at(-1)?.[0] ?? record.histograms?.at(-1)?.ts ?? null;
      const values = record.points.map((p) => p[1]).filter(Number.isFinite);
      const range = values.length ? ` [${Math.min(...values)}..${Math.max(...values)}]` : "";
      return {
        seq: seqLine.seq,
        kind: record.kind,
        line: seqLine.line,
        data: seqLine.data,
        ts: finiteOrNull(first),
        durationMs: first !== null && last !== null ? finiteOrNull(last - first) : null,
        source: "metrics",
        service: record.labels.service ?? record.labels.job ?? null,
        node: record.labels.node ?? null,
        status: null,
        severity: "info",
        traceId: null,
        text: truncate(`${record.name}${labelsText(record.labels)} ${record.points.length} points${range}${record.unit ? ` ${record.unit}` : ""}`),
      };
    }
    case "object":
      return {
        seq: seqLine.seq,
        kind: record.kind,
        line: seqLine.line,
        data: seqLine.data,
        ts: finiteOrNull(record.createdAt ?? null),
        durationMs: null,
        source: "k8s",
        service: record.service ?? record.owner?.name ?? null,
        node: record.node ?? null,
        status: null,
        severity: "info",
        traceId: null,
        text: truncate(
          join([
            record.k8sKind,
            record.namespace ? `${record.namespace}/${record.name}` : record.name,
            record.phase,
            record.ips.length ? record.ips.join(",") : null,
            record.node ? `on ${record.node}` : null,
            record.deletedAt != null ? "deleted" : null,
          ]),
        ),
      };
  }
}
