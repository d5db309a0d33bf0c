/**
 * A large, analysed incident written straight into a database (no upload, no parse): the UI bench
 * (scripts/bench-ui.ts) and tests/e2e/views-large.spec.ts measure the views on it.
 *
 *   T0 14:00 ─────────── onset 14:20 ══ peak 14:27 ══ recovery 14:35 ─────────── 15:00
 *   requests (6 access logs, 4 nodes, 8 services; payments fails and slows inside the window)
 *   events   (k8s events; probe failures / kills inside the window)
 *   spans    (small 10-span traces all hour + one `spans`-span checkout trace at onset + 60 s)
 *   timeline (human entries, two of them far outside the hour: the deploy plan 6 h before and the
 *             review the next day, so the timeline's full range is ~31 h while the incident is 15 min)
 *
 * Deterministic (seeded PRNG; ids derived from the sizes). Records are real EvidenceRecord objects
 * stored with toEvidenceRow + the bulk sink, and fed to IngestAggregates so RequestBucket and
 * LatencyHistogram exist exactly as ingest would leave them. The run is `completed` with a valid
 * CorrelationSummary and hypotheses whose evidence cites stored rows (file + line / span id).
 *
 * Alone: `node --import tsx scripts/gen-large-incident.ts <sqlite file> [events] [spans]`.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Hypothesis, type EvidenceRef, type HypothesisInput } from "@/lib/schemas/hypothesis";
import { DEFAULT_LIMITS } from "@/lib/schemas/limits";
import type { EventRecord, EvidenceRecord, RequestRecord, SpanRecord } from "@/lib/schemas/records";
import { durationMs as dur, epochMs as at } from "@/lib/schemas/time";
import { CorrelationSummary } from "@/lib/server/correlate/schema";
import { openRecordSink, toEvidenceRow } from "@/lib/server/db/bulk";
import { createPrisma } from "@/lib/server/db/client";
import { migrate } from "@/lib/server/db/migrate";
import { databaseFromUrl, type DatabaseConfig } from "@/lib/server/db/provider";
import { IngestAggregates } from "@/lib/server/pipeline/aggregates";
import { mulberry32 } from "@/lib/prng";
import { warmViewCache } from "@/lib/server/views/warm";

export interface LargeIncidentOptions {
  /** Evidence rows in total (requests + events + spans + timeline entries). */
  events: number;
  /** Spans of the one big trace (included in `events`). */
  spans: number;
  /** Progress lines on stderr. */
  log?: (line: string) => void;
}

export const LARGE_T0 = Date.UTC(2024, 9, 15, 14, 0, 0);
const HOUR = 3_600_000;
export const LARGE_ONSET = LARGE_T0 + 20 * 60_000;
const PEAK = LARGE_T0 + 27 * 60_000;
export const LARGE_RECOVERY = LARGE_T0 + 35 * 60_000;
const SERVICES = ["frontend", "checkout", "payments", "catalog", "cart", "auth", "inventory", "shipping"];
const NODES = ["node-1", "node-2", "node-3", "node-4"];
const iso = (ms: number) => new Date(ms).toISOString();

const prng = mulberry32;
const hex = (n: number, len: number) => n.toString(16).padStart(len, "0").slice(-len);
const inWindow = (ts: number) => ts >= LARGE_ONSET && ts <= LARGE_RECOVERY;

interface FileSpec {
  path: string;
  format: string;
  node?: string;
  /** Records of the file, oldest first; `cite` collects citations while generating. */
  records: (cite: (ref: EvidenceRef, group: string) => void) => Iterable<EvidenceRecord>;
}

function requestFile(k: number, count: number): FileSpec {
  const node = NODES[k % NODES.length]!;
  const source = k < 4 ? "envoy" : "ztunnel";
  const p = `logs/${source}-${node}-${k}.log`;
  return {
    path: p,
    format: source === "envoy" ? "envoy-access" : "ztunnel-access",
    node,
    *records(cite) {
      const r = prng(1000 + k);
      const step = HOUR / Math.max(1, count);
      let cited = 0;
      for (let i = 0; i < count; i++) {
        const ts = LARGE_T0 + Math.floor(i * step + r() * step * 0.9);
        const dst = SERVICES[Math.floor(r() * SERVICES.length)]!;
        const src = SERVICES[(SERVICES.indexOf(dst) + 1 + Math.floor(r() * 3)) % SERVICES.length]!;
        const bad = dst === "payments" && inWindow(ts) && (node === "node-2" ? r() < 0.45 : r() < 0.04);
        const slow = dst === "payments" && inWindow(ts) && r() < 0.3;
        const base = 3 + r() * 40;
        const durationMs = Math.round((bad ? 1000 + r() * 2000 : slow ? base * (8 + r() * 20) : r() < 0.01 ? base * 10 : base) * 10) / 10;
        const status = bad ? 503 : r() < 0.002 ? 404 : 200;
        const rec: RequestRecord = {
          kind: "request",
          ts: at(ts),
          durationMs: dur(durationMs),
          source,
          direction: "outbound",
          client: { ip: `10.244.${k}.${10 + (i % 200)}`, workload: `${src}-v1`, namespace: "shop", node },
          dest: { ip: `10.244.${(k + 1) % 8}.${20 + (i % 100)}`, port: 8080, service: dst, workload: `${dst}-v1`, namespace: "shop", node: NODES[(k + i) % NODES.length] },
          protocol: "HTTP/1.1",
          method: i % 5 === 0 ? "POST" : "GET",
          path: `/api/${dst}/${i % 500}`,
          authority: `${dst}.shop.svc.cluster.local:8080`,
          status,
          ...(bad ? { flags: ["UF", "URX"], error: "upstream_reset_before_response_started{connection_failure}" } : {}),
          connectMs: dur(Math.round((bad ? 1000 : 0.3 + r()) * 10) / 10),
          requestId: `${hex(k, 2)}${hex(i, 8)}-4e7b-9a1c-${hex(i * 2654435761, 12)}`,
          bytesSent: 200 + (i % 3000),
          bytesRecv: 100 + (i % 900),
          prov: { line: i + 1 },
        };
        if (bad && node === "node-2" && cited < 14) {
          cited++;
          cite({ file: p, line: i + 1, ts: iso(ts), excerpt: `POST /api/payments 503 UF,URX ${durationMs}ms ${src}-v1 → payments`, why: "connection failure to payments on node-2 inside the window" }, "payments");
        }
        yield rec;
      }
    },
  };
}

function eventsFile(count: number): FileSpec {
  const p = "k8s/events.jsonl";
  const reasons = [
    ["Scheduled", "info"],
    ["Pulled", "info"],
    ["Created", "info"],
    ["Started", "info"],
    ["SuccessfulCreate", "info"],
  ] as const;
  return {
    path: p,
    format: "k8s-events",
    *records(cite) {
      const r = prng(77);
      const step = HOUR / Math.max(1, count);
      let cited = 0;
      for (let i = 0; i < count; i++) {
        const ts = LARGE_T0 + Math.floor(i * step + r() * step * 0.9);
        const svc = SERVICES[i % SERVICES.length]!;
        const node = NODES[i % NODES.length]!;
        const trouble = inWindow(ts) && svc === "payments" && r() < 0.5;
        const [reason, severity] = trouble ? (r() < 0.5 ? (["Unhealthy", "warning"] as const) : (["Killing", "warning"] as const)) : reasons[i % reasons.length]!;
        const pod = `${svc}-v1-${hex(i % 997, 5)}`;
        const text = trouble
          ? reason === "Unhealthy"
            ? `Readiness probe failed: Get "http://10.244.2.${i % 200}:8080/healthz": context deadline exceeded`
            : `Stopping container ${svc} (liveness probe failed)`
          : `${reason} pod/${pod}`;
        const rec: EventRecord = {
          kind: "event",
          ts: at(ts),
          source: "k8s",
          severity,
          reason,
          text,
          subject: { kind: "Pod", name: pod, namespace: "shop", node, service: svc, workload: `${svc}-v1` },
          prov: { line: i + 1 },
        };
        if (trouble && node === "node-2" && cited < 6) {
          cited++;
          cite({ file: p, line: i + 1, ts: iso(ts), excerpt: `${reason} pod/${pod}: ${text}`.slice(0, 300), why: "payments pods failing probes on node-2" }, "payments");
        }
        yield rec;
      }
    },
  };
}

function smallTracesFile(count: number): FileSpec {
  const p = "traces/otlp-shop.json";
  return {
    path: p,
    format: "otlp-json",
    *records() {
      const r = prng(99);
      const perTrace = 10;
      const traces = Math.ceil(count / perTrace);
      const step = HOUR / Math.max(1, traces);
      let n = 0;
      for (let t = 0; t < traces && n < count; t++) {
        const t0 = LARGE_T0 + Math.floor(t * step);
        const traceId = `a${hex(t, 31)}`;
        const root = `${hex(t, 8)}00000000`;
        const slow = inWindow(t0) && r() < 0.2;
        for (let s = 0; s < perTrace && n < count; s++, n++) {
          const svc = s === 0 ? "frontend" : SERVICES[1 + ((t + s) % (SERVICES.length - 1))]!;
          const d = s === 0 ? (slow ? 1500 + r() * 1500 : 40 + r() * 60) : 2 + r() * 30;
          const rec: SpanRecord = {
            kind: "span",
            traceId,
            spanId: s === 0 ? root : `${hex(t, 8)}${hex(s, 8)}`,
            parentSpanId: s === 0 ? null : root,
            service: svc,
            name: s === 0 ? `GET /api/checkout/${t % 50}` : `${svc} call`,
            spanKind: s === 0 ? "server" : "client",
            ts: at(t0 + (s === 0 ? 0 : s * 3)),
            durationMs: dur(Math.round(d * 100) / 100),
            status: slow && s === 0 ? "error" : "unset",
            ...(slow && s === 0 ? { httpStatus: 504 } : { httpStatus: 200 }),
            ...(s === 0 ? {} : { peer: svc }),
            attrs: { "http.method": "GET" },
            prov: { pointer: `/resourceSpans/0/scopeSpans/0/spans/${n}` },
          };
          yield rec;
        }
      }
    },
  };
}

export const BIG_TRACE_ID = "b16b16b16b16b16b16b16b16b16b16b1";

/** One trace of `count` spans: a 10-ary tree under a 30 s checkout root, with a few errors. */
function bigTraceFile(count: number): FileSpec {
  const p = "traces/otlp-checkout-big.json";
  return {
    path: p,
    format: "otlp-json",
    *records(cite) {
      const r = prng(5);
      const t0 = LARGE_ONSET + 60_000;
      const sid = (i: number) => `c0${hex(i, 14)}`;
      for (let i = 0; i < count; i++) {
        const parent = i === 0 ? null : Math.floor((i - 1) / 10);
        const depth = i === 0 ? 0 : Math.floor(Math.log10(i * 9 + 1));
        const svc = i === 0 ? "frontend" : SERVICES[1 + (i % (SERVICES.length - 1))]!;
        const ts = t0 + (i === 0 ? 0 : Math.floor((i / count) * 29_000));
        const err = svc === "payments" && r() < 0.05;
        const rec: SpanRecord = {
          kind: "span",
          traceId: BIG_TRACE_ID,
          spanId: sid(i),
          parentSpanId: parent === null ? null : sid(parent),
          service: svc,
          name: i === 0 ? "POST /api/checkout/batch" : `${svc} ${depth % 2 ? "call" : "query"} ${i % 40}`,
          spanKind: i === 0 ? "server" : i % 3 === 0 ? "client" : "internal",
          ts: at(ts),
          durationMs: dur(i === 0 ? 30_000 : Math.round((1 + r() * (err ? 1200 : 40)) * 100) / 100),
          status: err ? "error" : "ok",
          ...(err ? { httpStatus: 503, statusMessage: "upstream connect error" } : {}),
          ...(i % 3 === 0 && i > 0 ? { peer: svc } : {}),
          attrs: { "batch.item": i },
          prov: { pointer: `/resourceSpans/0/scopeSpans/0/spans/${i}` },
        };
        if (i === 0 || (err && i < 2000 && r() < 0.5)) {
          cite({ file: p, pointer: rec.prov.pointer, spanId: rec.spanId, traceId: BIG_TRACE_ID, ts: iso(ts), excerpt: `${svc} ${rec.name} ${rec.durationMs}ms${err ? " error 503" : ""}`, why: i === 0 ? "the 30 s checkout batch" : "payments span failing inside the batch" }, "trace");
        }
        yield rec;
      }
    },
  };
}

const TIMELINE: Array<[number, string, EventRecord["severity"], string]> = [
  [LARGE_T0 - 6 * HOUR, "note", "info", "Deploy of payments v2.3 planned for the afternoon window"],
  [LARGE_T0 + 15 * 60_000, "deploy", "notice", "payments v2.3 rolled out to node-2"],
  [LARGE_ONSET + 4 * 60_000, "alert", "critical", "PagerDuty: checkout error rate > 5%"],
  [PEAK + 60_000, "mitigation", "warning", "Cordoned node-2, payments pods rescheduled"],
  [LARGE_RECOVERY, "resolution", "info", "Error rate back to baseline"],
  [LARGE_T0 + 25 * HOUR, "note", "info", "Postmortem review meeting"],
];

function timelineFile(): FileSpec {
  const p = "timeline.md";
  return {
    path: p,
    format: "timeline-md",
    *records(cite) {
      for (let i = 0; i < TIMELINE.length; i++) {
        const [ts, reason, severity, text] = TIMELINE[i]!;
        if (reason === "deploy") cite({ file: p, line: i + 3, ts: iso(ts), excerpt: text, why: "the change preceding the onset" }, "payments");
        const rec: EventRecord = { kind: "event", ts: at(ts), source: "timeline", severity, reason, text, prov: { line: i + 3 } };
        yield rec;
      }
    },
  };
}

/**
 * Writes the incident and returns its id. Idempotent: an incident with the same sizes already in
 * the database is returned as is.
 */
export async function generateLargeIncident(dbConfig: DatabaseConfig, opts: LargeIncidentOptions): Promise<string> {
  const log = opts.log ?? (() => undefined);
  const id = `large-${opts.events}-${opts.spans}`;
  const db = createPrisma(dbConfig);
  try {
    const existing = await db.incident.findUnique({ where: { id }, select: { status: true } });
    if (existing?.status === "analysed") {
      // Generated before the view cache existed (BENCH_UI_DATA_DIR kept): fill it now.
      await warmViewCache(db, id);
      return id;
    }
    if (existing) await db.incident.delete({ where: { id } });

    const spans = Math.min(opts.spans, Math.max(1, opts.events - TIMELINE.length));
    const rest = Math.max(0, opts.events - spans - TIMELINE.length);
    const requests = Math.floor(rest * 0.7);
    const events = Math.floor(rest * 0.1);
    const smallSpans = rest - requests - events;
    const requestFiles = 6;
    const files: FileSpec[] = [
      ...Array.from({ length: requestFiles }, (_, k) => requestFile(k, Math.floor(requests / requestFiles) + (k < requests % requestFiles ? 1 : 0))),
      eventsFile(events),
      smallTracesFile(smallSpans),
      bigTraceFile(spans),
      timelineFile(),
    ];

    const incident = await db.incident.create({
      data: { id, title: `Large incident: ${opts.events.toLocaleString("en")} records, ${spans.toLocaleString("en")}-span trace`, summary: "Generated by scripts/gen-large-incident.ts", status: "processing", fileCount: files.length },
    });
    const bundle = await db.bundle.create({
      data: { incidentId: incident.id, name: "large-incident.tar.gz", size: BigInt(0), sha256: "0".repeat(64), limits: DEFAULT_LIMITS as object, status: "unpacked" },
    });
    const run = await db.analysisRun.create({ data: { incidentId: id, status: "running", stage: "parsing", startedAt: new Date(LARGE_T0 + 2 * HOUR) } });

    const citations = new Map<string, EvidenceRef[]>();
    const counts: Record<string, number> = {};
    let totalRecords = 0;
    const t0 = performance.now();
    for (const spec of files) {
      const fileRow = await db.evidenceFile.create({
        data: {
          incidentId: id,
          bundleId: bundle.id,
          path: spec.path,
          size: BigInt(0),
          sha256: crypto.createHash("sha256").update(`${id}/${spec.path}`).digest("hex"),
          storageKey: "0".repeat(64),
          format: spec.format,
          confidence: 1,
          status: "pending",
          node: spec.node ?? null,
        },
      });
      const sink = await openRecordSink(dbConfig, { incidentId: id, fileId: fileRow.id }, { pipelined: true });
      const aggregates = new IngestAggregates();
      let seq = 0;
      try {
        await sink.clearFile();
        const cite = (ref: EvidenceRef, group: string) => {
          const list = citations.get(group) ?? [];
          list.push({ ...ref, fileId: fileRow.id });
          citations.set(group, list);
        };
        for (const rec of spec.records(cite)) {
          aggregates.add(rec);
          counts[rec.kind] = (counts[rec.kind] ?? 0) + 1;
          await sink.add(toEvidenceRow(rec, seq++));
        }
        await sink.flush();
        await sink.upsertRequestBuckets(aggregates.bucketRows());
        await sink.upsertLatencyHistograms(aggregates.histogramRows());
      } finally {
        await sink.close();
      }
      totalRecords += seq;
      await db.evidenceFile.update({ where: { id: fileRow.id }, data: { status: "parsed", records: seq, parseMs: 0 } });
      log(`gen-large-incident: ${spec.path} ${seq} records (${totalRecords} total, ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    }

    const correlation = CorrelationSummary.parse({
      timeRange: { start: iso(TIMELINE[0]![0]), end: iso(TIMELINE.at(-1)![0]) },
      recordCounts: counts,
      requestsSampled: requests > 200_000,
      window: {
        onset: iso(LARGE_ONSET),
        peak: iso(PEAK),
        recovery: iso(LARGE_RECOVERY),
        basis: "error-rate+latency",
        baselineErrorRate: 0.002,
        peakErrorRate: 0.12,
        baselineP99Ms: 180,
        peakP99Ms: 2900,
        timeline: { alert: iso(TIMELINE[2]![0]), mitigation: iso(TIMELINE[3]![0]), resolution: iso(TIMELINE[4]![0]), alertLagMs: TIMELINE[2]![0] - LARGE_ONSET, agrees: true },
      },
      skew: [],
      identity: { entries: 0, ips: 0, reusedIps: [] },
      cohorts: { phase: [], node: [], namespace: [], version: [] },
    });

    const hypotheses: HypothesisInput[] = [
      {
        detector: "upstream-connect-failures",
        title: "payments pods on node-2 refuse connections after the v2.3 rollout",
        confidence: 0.82,
        summary: "Requests to payments fail with UF/URX (connection failure) almost only on node-2, starting minutes after payments v2.3 reached that node. Probes on node-2 fail at the same time.",
        evidence: citations.get("payments") ?? [],
        checks: ["Compare payments v2.3 pod readiness on node-2 with other nodes"],
        remediation: { immediate: ["Cordon node-2 and reschedule payments"], longTerm: ["Gate rollouts on readiness across nodes"] },
        facts: { node: "node-2", service: "payments" },
      },
      {
        detector: "slow-trace",
        title: "Checkout batch trace spends 30 s waiting on payments",
        confidence: 0.55,
        summary: `One ${spans.toLocaleString("en")}-span checkout batch trace ran for 30 s during the window; its failing spans are payments calls.`,
        evidence: citations.get("trace") ?? [],
        facts: { traceId: BIG_TRACE_ID },
      },
      {
        detector: "timeline-change",
        title: "A deploy preceded the onset by 5 minutes",
        confidence: 0.35,
        summary: "The human timeline records the payments v2.3 rollout 5 minutes before the detected onset.",
        evidence: (citations.get("payments") ?? []).filter((e) => e.file === "timeline.md"),
      },
    ];
    const parsed = hypotheses.map((h) => Hypothesis.parse(h));
    await db.hypothesisRow.createMany({
      data: parsed.map((h, rank) => ({ runId: run.id, incidentId: id, rank, detector: h.detector, title: h.title, confidence: h.confidence, data: h as object })),
    });
    await db.analysisRun.update({
      where: { id: run.id },
      data: { status: "completed", stage: "done", progress: 1, finishedAt: new Date(LARGE_T0 + 2 * HOUR + 60_000), timings: { generatedMs: Math.round(performance.now() - t0) }, correlation: correlation as object },
    });
    await db.incident.update({
      where: { id },
      data: { status: "analysed", topHypothesis: parsed[0]!.title, topConfidence: parsed[0]!.confidence, windowStart: new Date(LARGE_ONSET), windowEnd: new Date(LARGE_RECOVERY) },
    });
    // As a real run does when it finishes (run-analysis.ts): the views' first visit reads these.
    const warm = await warmViewCache(db, id);
    log(`view cache warmed in ${warm.ms} ms${warm.failed.length ? ` (failed: ${warm.failed.join("; ")})` : ""}`);
    return id;
  } finally {
    await db.$disconnect();
  }
}

if (process.argv[1]?.endsWith("gen-large-incident.ts")) {
  const [file, events, spans] = process.argv.slice(2);
  if (!file) {
    console.error("usage: node --import tsx scripts/gen-large-incident.ts <sqlite file (migrated)> [events=1000000] [spans=50000]");
    process.exit(2);
  }
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const t0 = performance.now();
  const dbConfig = databaseFromUrl(path.resolve(file));
  migrate(dbConfig)
    .then(() => generateLargeIncident(dbConfig, { events: Number(events ?? 1_000_000), spans: Number(spans ?? 50_000), log: (l) => console.error(l) }))
    .then((id) => console.log(`${id} (${((performance.now() - t0) / 1000).toFixed(1)} s)`))
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
