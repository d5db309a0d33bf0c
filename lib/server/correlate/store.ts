import type {
  CounterRecord,
  EventRecord,
  EvidenceRecord,
  IpvsRecord,
  ObjectRecord,
  RequestRecord,
  RulesetRecord,
  SeriesRecord,
  SpanRecord,
} from "@/lib/schemas/records";
import { mulberry32 } from "@/lib/prng";
import type { FileDigestData } from "@/lib/schemas/digest";
import type { EpochMs } from "@/lib/schemas/time";
import { isSampled } from "./sampling";
import { isFailedRequest } from "./requests";

/** What the analysis knows about one input file. */
export interface FileInfo {
  fileId: string;
  path: string;
  format: string | null;
  node?: string;
}

/** A record together with the file it came from. `rec` timestamps are skew-corrected after correlation. */
export interface Located<T> {
  fileId: string;
  rec: T;
}

/**
 * Memory bounds. A big incident holds millions of request lines; the store keeps:
 *  - every request until REQUEST_CAP, after that only "notable" requests (errors, response flags,
 *    retries, slow ≥ SLOW_MS, refused connects) until NOTABLE_CAP, plus a uniform reservoir of
 *    RESERVOIR_SIZE requests for unbiased latency statistics;
 *  - exact per-file, per-second aggregates (count, errors, latency histogram) for every request;
 *  - other kinds up to their caps (spans 200k, events 100k, objects 50k, counters 100k, series 5k,
 *    rulesets/ipvs 2k dumps). Dropped records are counted in `dropped`.
 *  - application log lines (events of source "app") share the event cap but may take at most
 *    APP_EVENT_CAP of it, and lines below warning at most APP_QUIET_CAP: a chatty service's info
 *    lines must not crowd out the cluster events and timeline entries the window depends on.
 */
export const BOUNDS = {
  REQUEST_CAP: 200_000,
  NOTABLE_CAP: 200_000,
  RESERVOIR_SIZE: 50_000,
  SLOW_MS: 500,
  SPAN_CAP: 200_000,
  EVENT_CAP: 100_000,
  APP_EVENT_CAP: 60_000,
  APP_QUIET_CAP: 30_000,
  OBJECT_CAP: 50_000,
  COUNTER_CAP: 100_000,
  SERIES_CAP: 5_000,
  DUMP_CAP: 2_000,
  KEY_CAP: 200_000,
} as const;

/**
 * Log-scale latency histogram with ~4 % relative resolution (bucket i covers [1.04^i − 1, 1.04^(i+1) − 1) ms).
 * Sparse, so a second with 3 distinct latencies costs 3 entries.
 */
const LOG_BASE = Math.log(1.04);
export function latencyBucket(ms: number): number {
  return Math.max(0, Math.floor(Math.log(Math.max(0, ms) + 1) / LOG_BASE));
}
export function bucketUpperMs(i: number): number {
  return Math.exp((i + 1) * LOG_BASE) - 1;
}
export function bucketMidMs(i: number): number {
  return (Math.exp(i * LOG_BASE) + Math.exp((i + 1) * LOG_BASE)) / 2 - 1;
}
export class SparseHistogram {
  readonly buckets = new Map<number, number>();
  count = 0;
  add(ms: number, n = 1): void {
    this.addBucket(latencyBucket(ms), n);
  }
  /** Counts already bucketed (a digest's [bucket, count] pairs). */
  addBucket(b: number, n: number): void {
    this.buckets.set(b, (this.buckets.get(b) ?? 0) + n);
    this.count += n;
  }
  merge(other: SparseHistogram): void {
    for (const [b, n] of other.buckets) this.buckets.set(b, (this.buckets.get(b) ?? 0) + n);
    this.count += other.count;
  }
  /** Quantile estimate (bucket midpoint); null when empty. */
  quantile(q: number): number | null {
    if (this.count === 0) return null;
    const target = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (const b of [...this.buckets.keys()].sort((x, y) => x - y)) {
      seen += this.buckets.get(b) ?? 0;
      if (seen >= target) return bucketMidMs(b);
    }
    return null;
  }
}

export interface SecondAgg {
  count: number;
  errors: number;
  hist: SparseHistogram;
}

/** Errors, response flags, retries, slow requests or connects, 4xx: kept even when requests are sampled. */
export function isNotableRequest(r: RequestRecord): boolean {
  return (
    isFailedRequest(r) ||
    (r.flags?.length ?? 0) > 0 ||
    (r.attempts ?? 1) > 1 ||
    (r.durationMs ?? 0) >= BOUNDS.SLOW_MS ||
    (r.connectMs ?? 0) >= BOUNDS.SLOW_MS ||
    (r.status !== null && r.status >= 400)
  );
}


/** Adds one request to its second's aggregate (shared with the ingest digest of summarised files). */
export function addToSecond(m: Map<number, SecondAgg>, r: RequestRecord): void {
  const sec = Math.floor(r.ts! / 1000);
  let agg = m.get(sec);
  if (!agg) m.set(sec, (agg = { count: 0, errors: 0, hist: new SparseHistogram() }));
  agg.count++;
  if (isFailedRequest(r)) agg.errors++;
  // Latency = HTTP request durations only: TCP records (status null: ztunnel, tcp_proxy) measure
  // connection lifetimes (seconds to hours) and would swamp the percentiles.
  if (r.status !== null && r.durationMs !== null && Number.isFinite(r.durationMs)) agg.hist.add(r.durationMs);
}

/** Adds one of a digest's per-second tuples (FileDigestData.seconds) to its second's aggregate. */
export function addSecondTuple(m: Map<number, SecondAgg>, [sec, count, errors, buckets]: FileDigestData["seconds"][number]): void {
  let agg = m.get(sec);
  if (!agg) m.set(sec, (agg = { count: 0, errors: 0, hist: new SparseHistogram() }));
  agg.count += count;
  agg.errors += errors;
  for (const [b, n] of buckets) agg.hist.addBucket(b, n);
}

export interface KeySighting {
  fileId: string;
  ts: EpochMs;
}

/** Accumulates records in one pass, within BOUNDS. */
export class EvidenceStore {
  readonly requests: Located<RequestRecord>[] = [];
  readonly reservoir: Located<RequestRecord>[] = [];
  readonly spans: Located<SpanRecord>[] = [];
  readonly events: Located<EventRecord>[] = [];
  private appEvents = 0;
  private appQuiet = 0;
  readonly objects: Located<ObjectRecord>[] = [];
  readonly counters: Located<CounterRecord>[] = [];
  readonly series: Located<SeriesRecord>[] = [];
  readonly rulesets: Located<RulesetRecord>[] = [];
  readonly ipvs: Located<IpvsRecord>[] = [];
  /** fileId → epoch second → aggregate */
  readonly perSecond = new Map<string, Map<number, SecondAgg>>();
  /** join keys (request id, trace id, connection 4-tuple) → first sighting per file */
  readonly keys = new Map<string, KeySighting[]>();
  readonly counts: Record<string, number> = {};
  readonly dropped: Record<string, number> = {};
  requestsSeen = 0;
  requestsSampled = false;
  /** Summarised files (their digest was added): fileId → sample rate of their stored rows. */
  private readonly summarised = new Map<string, number>();
  /** Time range of each summarised file's requests/spans (most of them are not rows). */
  readonly summarisedRange = new Map<string, [EpochMs, EpochMs]>();
  /** Requests offered to the reservoir (every request, but only the uniform sample of summarised files). */
  private reservoirSeen = 0;
  private notableKept = 0;
  private readonly rand = mulberry32(0x5eed);

  /**
   * A summarised file (lib/server/pipeline/tiering.ts): its rows are only the notable and sampled
   * requests/spans, so its per-second aggregates and counts come from the digest. Call before add()
   * gives any of the file's rows.
   */
  addDigest(fileId: string, d: FileDigestData): void {
    this.summarised.set(fileId, d.sampleRate);
    if (d.tsMin !== null && d.tsMax !== null) this.summarisedRange.set(fileId, [d.tsMin, d.tsMax]);
    this.requestsSampled ||= d.sampleRate < 1;
    this.requestsSeen += d.requests;
    if (d.requests) this.counts.request = (this.counts.request ?? 0) + d.requests;
    if (d.spans) this.counts.span = (this.counts.span ?? 0) + d.spans;
    let m = this.perSecond.get(fileId);
    if (!m) this.perSecond.set(fileId, (m = new Map()));
    for (const t of d.seconds) addSecondTuple(m, t);
  }

  add(fileId: string, rec: EvidenceRecord): void {
    const summarised = (rec.kind === "request" || rec.kind === "span") && this.summarised.has(fileId);
    if (!summarised) this.counts[rec.kind] = (this.counts[rec.kind] ?? 0) + 1;
    switch (rec.kind) {
      case "request":
        this.addRequest(fileId, rec);
        return;
      case "span":
        // A root span and an access-log line carrying the same trace id describe the same request.
        if (!rec.parentSpanId) this.noteKey(`trace:${rec.traceId}`, fileId, rec.ts);
        return this.push(this.spans, fileId, rec, BOUNDS.SPAN_CAP, "span");
      case "event":
        if (rec.source === "app") {
          const quiet = rec.severity === "debug" || rec.severity === "info" || rec.severity === "notice";
          if (this.appEvents >= BOUNDS.APP_EVENT_CAP || (quiet && this.appQuiet >= BOUNDS.APP_QUIET_CAP)) {
            this.dropped.event = (this.dropped.event ?? 0) + 1;
            return;
          }
          if (this.events.length < BOUNDS.EVENT_CAP) {
            this.appEvents++;
            if (quiet) this.appQuiet++;
          }
        }
        return this.push(this.events, fileId, rec, BOUNDS.EVENT_CAP, "event");
      case "object":
        return this.push(this.objects, fileId, rec, BOUNDS.OBJECT_CAP, "object");
      case "counter":
        return this.push(this.counters, fileId, rec, BOUNDS.COUNTER_CAP, "counter");
      case "series":
        return this.push(this.series, fileId, rec, BOUNDS.SERIES_CAP, "series");
      case "ruleset":
        return this.push(this.rulesets, fileId, rec, BOUNDS.DUMP_CAP, "ruleset");
      case "ipvs":
        return this.push(this.ipvs, fileId, rec, BOUNDS.DUMP_CAP, "ipvs");
    }
  }

  private push<T>(arr: Located<T>[], fileId: string, rec: T, cap: number, kind: string): void {
    if (arr.length < cap) arr.push({ fileId, rec });
    else this.dropped[kind] = (this.dropped[kind] ?? 0) + 1;
  }

  private noteKey(key: string, fileId: string, ts: EpochMs | null): void {
    if (ts === null || !Number.isFinite(ts)) return;
    let list = this.keys.get(key);
    if (!list) {
      if (this.keys.size >= BOUNDS.KEY_CAP) return;
      list = [];
      this.keys.set(key, list);
    }
    if (list.length < 4 && !list.some((s) => s.fileId === fileId)) list.push({ fileId, ts });
  }

  private addRequest(fileId: string, r: RequestRecord): void {
    const rate = this.summarised.get(fileId);
    if (rate === undefined) this.requestsSeen++;
    const loc = { fileId, rec: r };
    // Uniform reservoir (algorithm R) over every request: unbiased latency distribution. A summarised
    // file's rows are biased towards notable requests, so only its uniform sample is offered.
    if (rate === undefined || isSampled(r, rate)) {
      this.reservoirSeen++;
      if (this.reservoir.length < BOUNDS.RESERVOIR_SIZE) this.reservoir.push(loc);
      else {
        const j = Math.floor(this.rand() * this.reservoirSeen);
        if (j < BOUNDS.RESERVOIR_SIZE) this.reservoir[j] = loc;
      }
    }
    if (this.requests.length < BOUNDS.REQUEST_CAP) this.requests.push(loc);
    else {
      this.requestsSampled = true;
      if (isNotableRequest(r) && this.notableKept < BOUNDS.NOTABLE_CAP) {
        this.requests.push(loc);
        this.notableKept++;
      } else this.dropped.request = (this.dropped.request ?? 0) + 1;
    }
    if (rate === undefined && r.ts !== null && Number.isFinite(r.ts)) {
      let m = this.perSecond.get(fileId);
      if (!m) this.perSecond.set(fileId, (m = new Map()));
      addToSecond(m, r);
    }
    if (r.requestId && r.requestId !== "-") this.noteKey(`rid:${r.requestId}`, fileId, r.ts);
    if (r.traceId && r.traceId !== "-") this.noteKey(`trace:${r.traceId}`, fileId, r.ts);
    if (r.client?.ip && r.client.port && r.dest?.ip && r.dest.port)
      this.noteKey(`conn:${r.client.ip}:${r.client.port}>${r.dest.ip}:${r.dest.port}`, fileId, r.ts);
    // A proxy's upstream leg (Envoy %UPSTREAM_LOCAL_ADDRESS% → %UPSTREAM_HOST%) is the connection the
    // next hop logs as its own client → destination (ztunnel src.addr → dst.hbone_addr): the same
    // connection seen from both ends, so the two files' clocks can be compared.
    const upLocal = r.attrs?.upstreamLocalAddress;
    if (typeof upLocal === "string" && /:\d+$/.test(upLocal) && r.dest?.ip && r.dest.port) this.noteKey(`conn:${upLocal}>${r.dest.ip}:${r.dest.port}`, fileId, r.ts);
  }
}
