import type { Provenance, SeriesRecord } from "@/lib/schemas/records";
import { addMs, durationMs, elapsed, type DurationMs, type EpochMs } from "@/lib/schemas/time";

/**
 * Change points in metric series: did this series' level move, when, which way, how far, and did it
 * come back? One input of service-fault localisation (which pod/service changed first and in what:
 * CPU, memory, network, latency, errors). Pure: no DB, no clock, deterministic.
 *
 * A split k cuts the finite points into a reference (before k) and a window (from k). The reference
 * gives a robust level and scale:
 *
 *   m0    = median(reference)
 *   scale = max(1.4826 · MAD(reference),                   the reference's spread
 *               1.4826 · MAD(x_i − x_{i−1}) / √2,          the series' point-to-point noise
 *               REL_FLOOR · max(|m0|, |m1|))               a floor relative to the level (m1: episode median)
 *   z_i   = (x_i − m0) / scale
 *
 * A point is abnormal when |z_i| > Z_POINT; a change needs MIN_RUN consecutive abnormal points on the
 * same side spanning MIN_SPAN_MS, starting at the split (one spike is not a change), and the median z of the episode
 * (the run, single normal points inside it included) ≥ Z_CHANGE. The episode ends at the first point
 * that is normal and not followed by an abnormal one; the series "recovered" when its tail after the
 * episode is back near m0.
 *
 *   value
 *     │                 ●  ●  ●                      ● abnormal (|z| > Z_POINT, same side)
 *     │        ○                 ●                    ○ a spike: one point, no change
 *     │ ● ●  ●    ● ●  ●            ● ●  ●
 *     └──────────────────┬───────────┬───────▶ t
 *       reference        split       recovered
 *       (median, MAD)    = first abnormal point
 *
 * Why robust: median and MAD ignore a spike or the tail of an earlier incident inside the reference;
 * the relative floor stops a flat series with tiny jitter (or all zeros) from turning a 1 % wobble into
 * an infinite z, and makes the score scale-free (the same relative shift scores the same at 0.005 s and
 * at 5 000 ms); the run requirement rejects single spikes.
 *
 * Split choice. Without a hint: every split with ≥ MIN_REF reference points is tried, and the one whose
 * episode carries the most capped evidence (Σ min(|z|, SCORE_CAP) over its abnormal points) wins, the
 * earliest on a tie — a step is found at its first abnormal point, not one point later. With a hint
 * (an onset from other evidence): the reference is everything before the hint and the change must
 * start within the tolerance after it (the earliest qualifying start wins); the series' own best split
 * is reported beside it, so a series that changed elsewhere says so.
 *
 * Metric names are read generically (metricKind): cpu, memory, network, latency, errors (success
 * rates are errors that are bad when they go *down*), traffic (a symptom either way), other. Latency a
 * pod measured as a client (client/outbound/upstream) is its callees' time: a symptom for the pod.
 */
export const METRIC_CHANGE = {
  /** Fewest reference points a split needs. */
  MIN_REF: 4,
  /** Consecutive abnormal points that make a change (one is a spike). */
  MIN_RUN: 2,
  /**
   * …spanning at least this long (first to last abnormal point, plus one step): at 15 s steps over a
   * 1-minute rate window, one slow minute (a GC pause, one slow batch) fills four points — still a
   * spike. At 60 s steps two points already span 2 minutes. An episode still running at the end of
   * the data is not held to it (the export may have cut it short).
   */
  MIN_SPAN_MS: 90_000,
  /** |z| of one abnormal point. */
  Z_POINT: 3.5,
  /** Median |z| over the episode that makes a change. */
  Z_CHANGE: 4,
  /** Scale floor relative to the level: with Z_CHANGE = 4, a perfectly flat series needs a 12 % shift. */
  REL_FLOOR: 0.03,
  /** Scores are capped: beyond this a bigger z says nothing more, and one huge point must not dominate. */
  SCORE_CAP: 50,
  /** Longer series are reduced to this many points by per-bin medians before the O(n²) split search. */
  MAX_POINTS: 720,
  /** With a hint, the change may start this long after it (at least HINT_AFTER_STEPS samples). */
  HINT_AFTER_MS: 180_000,
  HINT_AFTER_STEPS: 2,
  /** Abnormal points cited per change. */
  CITE_POINTS: 12,
} as const;

export type MetricKind = "cpu" | "memory" | "network" | "latency" | "errors" | "traffic" | "other";
/** Which direction of a kind is bad: latency up, success rate down, traffic either (a symptom). */
export type BadWhen = "up" | "down" | "either" | null;
/**
 * bad: the change goes the bad way for its kind (a cause or the fault itself); benign: the other way
 * (latency fell, CPU dropped); symptom: traffic or plain byte counts, which move with any fault
 * upstream or downstream; unknown: a metric whose meaning the name does not tell.
 */
export type Orientation = "bad" | "benign" | "symptom" | "unknown";
export type Direction = "up" | "down" | "none";

export interface MetricEntity {
  pod?: string;
  /** service/app label, else the pod name without its ReplicaSet/StatefulSet suffix, else job. */
  service?: string;
  namespace?: string;
  container?: string;
  node?: string;
  /** A node's figure (node_* name, or node/instance labels without a pod): not the pod's own. */
  nodeLevel: boolean;
}

export interface SegmentStats {
  count: number;
  median: number;
  min: number;
  max: number;
  fromTs: EpochMs;
  toTs: EpochMs;
}
export interface ReferenceStats extends SegmentStats {
  /** 1.4826 · MAD: the raw robust σ of the reference. */
  mad: number;
  /** The scale z is measured in: the MAD with the relative floor applied. */
  scale: number;
}
export interface CitedPoint {
  /** Index into the input series' `points`. */
  index: number;
  ts: EpochMs;
  value: number;
  z: number;
}

export interface SplitEvaluation {
  changed: boolean;
  direction: Direction;
  /** Median |z| over the episode (capped at SCORE_CAP); 0 when nothing was abnormal. */
  score: number;
  /** Window median / reference median (null when the reference median is 0). */
  ratio: number | null;
  /** First point of the window: the reference is every finite point before it. */
  splitTs: EpochMs;
  /** First abnormal point of the episode (null when none). */
  firstAbnormalTs: EpochMs | null;
  /** Abnormal points in the episode. */
  abnormalPoints: number;
  recovered: boolean;
  /** First point after the episode (when it recovered). */
  recoveredTs: EpochMs | null;
  reference: ReferenceStats;
  /** The episode (first abnormal point to its end), or the rest of the series when nothing changed. */
  window: SegmentStats;
  /** Episode points for citation (at most CITE_POINTS). */
  points: CitedPoint[];
}

export interface SeriesChange extends SplitEvaluation {
  /** Position of the series in the input array (to find its record / file for citation). */
  seriesIndex: number;
  /** name{label="value",…} with labels sorted. */
  seriesKey: string;
  metric: string;
  unit?: string;
  kind: MetricKind;
  badWhen: BadWhen;
  orientation: Orientation;
  /**
   * Latency measured by the pod as a *client* (client/outbound/upstream in the name): the time its
   * callees took, seen from here. Its rise is the callees' (or the path's) fault, so it is a symptom
   * for this pod, never a bad change of its own.
   */
  callerView: boolean;
  entity: MetricEntity;
  prov?: Provenance;
  /** Finite points examined (after reduction of very long series) and non-finite ones skipped. */
  finitePoints: number;
  nonFinitePoints: number;
  /** Whether the primary evaluation above is the hinted one. */
  basis: "hint" | "own" | "too few points";
  /** The series' own best split (also when a hint decided the primary evaluation). */
  own: SplitEvaluation | null;
  /** Why there is no hinted evaluation although a hint was given. */
  hintNote?: string;
}

export interface MetricChangeOptions {
  /** An onset from other evidence (epoch ms): evaluate the split there. */
  hintMs?: EpochMs | null;
  /** How long after the hint the change may start (default HINT_AFTER_MS, at least HINT_AFTER_STEPS samples). */
  hintToleranceMs?: DurationMs;
}

export type SeriesInput = Pick<SeriesRecord, "name" | "labels" | "points"> & Partial<Pick<SeriesRecord, "unit" | "prov">>;

// ───────────────────────── metric names and labels ─────────────────────────

const LABEL_CODE = ["code", "status", "status_code", "response_code", "http_status", "http_response_status_code", "http_status_code"];

/** What a metric measures, from its name, unit and status-code labels (generic conventions only). */
export function metricKind(name: string, labels: Record<string, string> = {}, unit?: string): { kind: MetricKind; badWhen: BadWhen } {
  const n = name.toLowerCase();
  if (/success|availability|(?:^|_)up$/.test(n)) return { kind: "errors", badWhen: "down" };
  if (/cpu|throttl/.test(n)) return { kind: "cpu", badWhen: "up" };
  if (/mem(?:ory)?(?:_|$)|memory|rss|working_set|heap|oom|swap/.test(n)) return { kind: "memory", badWhen: "up" };
  if (/network|(?:^|_)net_|receive|transmit|tcp|udp|retrans|packet|(?:^|_)drop|conntrack|connect|dns/.test(n)) {
    return { kind: "network", badWhen: /retrans|drop|err|loss|fail|reset|timeout|refused/.test(n) ? "up" : /latency|duration|rtt|_seconds/.test(n) ? "up" : "either" };
  }
  const code = LABEL_CODE.map((k) => labels[k]).find((v) => v !== undefined);
  const grpc = labels.grpc_code;
  if (/error|(?:^|_)err(?:_|s?$)|fail|5xx|exception|fault|timeout|panic/.test(n) || (code !== undefined && /^5(?:\d\d|xx)$/i.test(code)) || (grpc !== undefined && grpc !== "" && !/^ok$/i.test(grpc)))
    return { kind: "errors", badWhen: "up" };
  const timeUnit = unit === "s" || unit === "ms" || unit === "us" || /_(?:seconds|milliseconds|ms|microseconds)(?:_bucket|_sum)?$/.test(n);
  const quantile = labels.quantile !== undefined || /(?:^|_)p(?:50|75|90|95|99|999)(?:_|$)|quantile|_bucket$|_sum$/.test(n);
  if (/latency|duration|(?:response|request|rq)_?time|elapsed|(?:^|_)rtt|delay|wait/.test(n) && !/_count$/.test(n)) return { kind: "latency", badWhen: "up" };
  if (timeUnit && quantile && !/_count$/.test(n)) return { kind: "latency", badWhen: "up" };
  if (/(?:^|_)ops|requests?|qps|rps|throughput|workload|calls|handled|served|processed|_count$|hits/.test(n)) return { kind: "traffic", badWhen: "either" };
  return { kind: "other", badWhen: null };
}

/** Latency the entity measured as a caller (see SeriesChange.callerView). */
export function isCallerView(kind: MetricKind, name: string): boolean {
  return kind === "latency" && /client|outbound|upstream/i.test(name);
}

export function orientationOf(badWhen: BadWhen, direction: Direction): Orientation {
  if (direction === "none" || badWhen === null) return "unknown";
  if (badWhen === "either") return "symptom";
  return direction === badWhen ? "bad" : "benign";
}

const SAFE = "[bcdfghjklmnpqrstvwxz2456789]";
const REPLICASET = /^(.+?)-[a-z0-9]{6,10}-[a-z0-9]{5}$/;
const STATEFULSET = /^(.+?)-\d+$/;
const SINGLE_SUFFIX = new RegExp(`^(.+?)-(?=${SAFE}*\\d)${SAFE}{5}$`);

/**
 * A pod's workload: `name-<ReplicaSet hash>-<5>` → name, `name-0` (StatefulSet) → name, and
 * `name-<5>` (DaemonSet/Job) → name when the suffix looks generated (Kubernetes' vowel-free alphabet
 * with a digit, so `api-proxy` stays `api-proxy`).
 */
export function serviceFromPodName(pod: string): string {
  return REPLICASET.exec(pod)?.[1] ?? STATEFULSET.exec(pod)?.[1] ?? SINGLE_SUFFIX.exec(pod)?.[1] ?? pod;
}

const first = (labels: Record<string, string>, keys: string[]): string | undefined => {
  for (const k of keys) {
    const v = labels[k];
    if (v !== undefined && v !== "") return v;
  }
  return undefined;
};

export function entityOf(name: string, labels: Record<string, string>): MetricEntity {
  const pod = first(labels, ["pod", "pod_name", "kubernetes_pod_name", "k8s_pod_name"]);
  const container = first(labels, ["container", "container_name", "k8s_container_name"]);
  let node = first(labels, ["node", "kubernetes_node", "nodename", "k8s_node_name"]);
  const nodeLevel = /^node_/i.test(name) || (pod === undefined && (node !== undefined || labels.instance !== undefined) && first(labels, ["service", "app", "container"]) === undefined);
  if (node === undefined && nodeLevel && labels.instance) node = labels.instance.replace(/:\d+$/, "");
  const service =
    first(labels, ["service", "service_name", "app", "app_kubernetes_io_name", "k8s_app", "workload", "deployment"]) ?? (pod !== undefined ? serviceFromPodName(pod) : undefined) ?? first(labels, ["job"]);
  const e: MetricEntity = { nodeLevel };
  if (pod !== undefined) e.pod = pod;
  if (service !== undefined) e.service = service;
  const ns = first(labels, ["namespace", "kubernetes_namespace", "k8s_namespace_name"]);
  if (ns !== undefined) e.namespace = ns;
  if (container !== undefined && container !== "POD") e.container = container;
  if (node !== undefined) e.node = node;
  return e;
}

export function seriesKey(name: string, labels: Record<string, string>): string {
  const ks = Object.keys(labels).sort();
  return `${name}{${ks.map((k) => `${k}=${JSON.stringify(labels[k])}`).join(",")}}`;
}

// ───────────────────────── robust statistics ─────────────────────────

const MAD_TO_SIGMA = 1.4826;

function medianSorted(s: ArrayLike<number>, lo = 0, hi = s.length): number {
  const n = hi - lo;
  const m = lo + (n >> 1);
  return n % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
function median(xs: number[]): number {
  return medianSorted([...xs].sort((a, b) => a - b));
}

/**
 * MAD of a sorted array in O(n): the deviations left of the median fall and those right of it rise,
 * so the k-th smallest deviation is found by walking outwards from the median with two pointers.
 */
function madSorted(s: number[], med: number): number {
  const n = s.length;
  if (n === 0) return 0;
  // s[i] ≤ med for i < n/2 and s[j] ≥ med for j ≥ n/2: both walks yield rising deviations.
  let i = (n >> 1) - 1;
  let j = n >> 1;
  const need = n >> 1; // index of the (upper) median among the sorted deviations
  const devs: number[] = [];
  while (devs.length <= need) {
    const l = i >= 0 ? med - s[i]! : Infinity;
    const r = j < n ? s[j]! - med : Infinity;
    if (l <= r) {
      devs.push(l);
      i--;
    } else {
      devs.push(r);
      j++;
    }
  }
  return n % 2 ? devs[need]! : (devs[need - 1]! + devs[need]!) / 2;
}

function insertSorted(s: number[], x: number): void {
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (s[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  s.splice(lo, 0, x);
}

// ───────────────────────── one series ─────────────────────────

interface Pt {
  ts: EpochMs;
  v: number;
  /** index in the input series' points */
  idx: number;
}

/** Finite points by time; very long series reduced to MAX_POINTS per-bin medians (first index of the bin kept). */
function cleanPoints(points: SeriesInput["points"]): { pts: Pt[]; nonFinite: number } {
  const pts: Pt[] = [];
  let nonFinite = 0;
  points.forEach(([ts, v], idx) => {
    if (!Number.isFinite(v) || !Number.isFinite(ts)) nonFinite++;
    else pts.push({ ts, v, idx });
  });
  pts.sort((a, b) => a.ts - b.ts || a.idx - b.idx);
  if (pts.length <= METRIC_CHANGE.MAX_POINTS) return { pts, nonFinite };
  const bin = Math.ceil(pts.length / METRIC_CHANGE.MAX_POINTS);
  const out: Pt[] = [];
  for (let i = 0; i < pts.length; i += bin) {
    const part = pts.slice(i, i + bin);
    out.push({ ts: part[0]!.ts, idx: part[0]!.idx, v: median(part.map((p) => p.v)) });
  }
  return { pts: out, nonFinite };
}

interface Reference {
  m0: number;
  mad: number;
  /** Noise σ of the whole series from its first differences (see diffSigma). */
  noise: number;
}

function scaleFor(ref: Reference, m1: number): number {
  return Math.max(MAD_TO_SIGMA * ref.mad, ref.noise, METRIC_CHANGE.REL_FLOOR * Math.max(Math.abs(ref.m0), Math.abs(m1)));
}

/**
 * Point-to-point noise of the whole series: 1.4826 · MAD(x_i − x_{i−1}) / √2. A level shift or a
 * spike changes only one or two differences, so this is the noise σ whatever the series did, and
 * it keeps a short reference whose few values happen to agree (MAD 0 on counts such as 3, 3, 3, 3)
 * from declaring every wobble after it abnormal.
 */
function diffSigma(pts: Pt[]): number {
  if (pts.length < 3) return 0;
  const d: number[] = [];
  for (let i = 1; i < pts.length; i++) d.push(pts[i]!.v - pts[i - 1]!.v);
  d.sort((a, b) => a - b);
  const m = medianSorted(d);
  return (MAD_TO_SIGMA * madSorted(d, m)) / Math.SQRT2;
}

/** z of x against the reference; 0 when both are exactly the level (all-zero series). */
function zOf(x: number, m0: number, scale: number): number {
  const d = x - m0;
  if (d === 0) return 0;
  if (scale === 0) return d > 0 ? Infinity : -Infinity;
  return d / scale;
}

interface Episode {
  k: number;
  end: number; // exclusive
  dir: 1 | -1;
  abnormal: number;
  evidence: number;
  score: number;
  scale: number;
  m1: number;
}

/**
 * The episode starting at k in direction dir, or null when x_k and x_{k+1} are not both abnormal.
 * The scale needs the episode's median (relative floor), which needs the episode: take the scale
 * from the reference alone for the run's extent, then re-measure with the floor at the episode median.
 */
function episodeAt(pts: Pt[], k: number, ref: Reference): Episode | null {
  const { Z_POINT, MIN_RUN, SCORE_CAP } = METRIC_CHANGE;
  const n = pts.length;
  if (k + MIN_RUN > n) return null;
  // Provisional scale: floor relative to the larger of the level and the candidate's first points.
  const m1Guess = median(pts.slice(k, k + MIN_RUN).map((p) => p.v));
  let scale = scaleFor(ref, m1Guess);
  const z0 = zOf(pts[k]!.v, ref.m0, scale);
  if (Math.abs(z0) <= Z_POINT) return null;
  const dir: 1 | -1 = z0 > 0 ? 1 : -1;
  const abn = (i: number, s: number) => dir * zOf(pts[i]!.v, ref.m0, s) > Z_POINT;
  const extent = (s: number): number => {
    for (let i = k; i < k + MIN_RUN; i++) if (!abn(i, s)) return -1;
    let last = k + MIN_RUN - 1;
    let i = last + 1;
    while (i < n) {
      if (abn(i, s)) last = i;
      else if (!(i + 1 < n && abn(i + 1, s))) break;
      i++;
    }
    return last + 1;
  };
  let end = extent(scale);
  if (end < 0) return null;
  const m1 = median(pts.slice(k, end).map((p) => p.v));
  const scale2 = scaleFor(ref, m1);
  if (scale2 !== scale) {
    scale = scale2;
    end = extent(scale);
    if (end < 0) return null;
  }
  const zs: number[] = [];
  let abnormal = 0;
  let evidence = 0;
  for (let i = k; i < end; i++) {
    const z = dir * zOf(pts[i]!.v, ref.m0, scale);
    zs.push(z);
    if (z > Z_POINT) {
      abnormal++;
      evidence += Math.min(z, SCORE_CAP);
    }
  }
  return { k, end, dir, abnormal, evidence, score: Math.min(SCORE_CAP, median(zs)), scale, m1: median(pts.slice(k, end).map((p) => p.v)) };
}

/** The series' sampling step: the median gap between consecutive points. */
function stepOf(pts: Pt[]): number {
  if (pts.length < 2) return 0;
  const gaps: number[] = [];
  for (let i = 1; i < pts.length; i++) gaps.push(pts[i]!.ts - pts[i - 1]!.ts);
  return median(gaps);
}

function segment(pts: Pt[], from: number, to: number): SegmentStats {
  const vs = pts.slice(from, to).map((p) => p.v);
  return { count: vs.length, median: vs.length ? median(vs) : Number.NaN, min: Math.min(...vs), max: Math.max(...vs), fromTs: pts[from]!.ts, toTs: pts[to - 1]!.ts };
}

function evaluation(pts: Pt[], splitAt: number, ref: Reference, ep: Episode | null): SplitEvaluation {
  const { Z_POINT, Z_CHANGE, SCORE_CAP, CITE_POINTS } = METRIC_CHANGE;
  const n = pts.length;
  const refStats = (scale: number): ReferenceStats => ({ ...segment(pts, 0, splitAt), mad: MAD_TO_SIGMA * ref.mad, scale });
  if (!ep) {
    // Nothing abnormal starts here: describe the rest of the series against the reference.
    const rest = pts.slice(splitAt).map((p) => p.v);
    const m1 = median(rest);
    const scale = scaleFor(ref, m1);
    const z = Math.min(SCORE_CAP, Math.abs(zOf(m1, ref.m0, scale)));
    return {
      changed: false,
      direction: "none",
      score: Number.isFinite(z) ? z : SCORE_CAP,
      ratio: ref.m0 !== 0 ? m1 / ref.m0 : null,
      splitTs: pts[splitAt]!.ts,
      firstAbnormalTs: null,
      abnormalPoints: 0,
      recovered: false,
      recoveredTs: null,
      reference: refStats(scale),
      window: segment(pts, splitAt, n),
      points: [],
    };
  }
  let recovered = false;
  if (ep.end < n) {
    const tail = pts.slice(ep.end).map((p) => ep.dir * zOf(p.v, ref.m0, ep.scale));
    recovered = tail[tail.length - 1]! <= Z_POINT && median(tail) <= Z_POINT;
  }
  const cited: CitedPoint[] = [];
  for (let i = ep.k; i < ep.end && cited.length < CITE_POINTS; i++) {
    const z = zOf(pts[i]!.v, ref.m0, ep.scale);
    if (ep.dir * z > Z_POINT) cited.push({ index: pts[i]!.idx, ts: pts[i]!.ts, value: pts[i]!.v, z: Math.max(-SCORE_CAP, Math.min(SCORE_CAP, z)) });
  }
  let lastAbn = ep.k;
  for (let i = ep.k; i < ep.end; i++) if (ep.dir * zOf(pts[i]!.v, ref.m0, ep.scale) > Z_POINT) lastAbn = i;
  const span = pts[lastAbn]!.ts - pts[ep.k]!.ts + stepOf(pts);
  return {
    // An episode still running at the end of the data may be cut short by the export: not a spike.
    changed: ep.abnormal >= METRIC_CHANGE.MIN_RUN && ep.score >= Z_CHANGE && (span >= METRIC_CHANGE.MIN_SPAN_MS || ep.end >= n),
    direction: ep.dir > 0 ? "up" : "down",
    score: ep.score,
    ratio: ref.m0 !== 0 ? ep.m1 / ref.m0 : null,
    splitTs: pts[splitAt]!.ts,
    firstAbnormalTs: pts[ep.k]!.ts,
    abnormalPoints: ep.abnormal,
    recovered,
    recoveredTs: recovered ? pts[ep.end]!.ts : null,
    reference: refStats(ep.scale),
    window: segment(pts, ep.k, ep.end),
    points: cited,
  };
}

const better = (a: Episode, b: Episode | null): boolean => {
  if (!b) return true;
  const ca = a.score >= METRIC_CHANGE.Z_CHANGE;
  const cb = b.score >= METRIC_CHANGE.Z_CHANGE;
  if (ca !== cb) return ca;
  return a.evidence > b.evidence; // earlier k wins ties (callers go forwards)
};

/** The series' own best split (reference = every point before it), or null when too short. */
function ownBest(pts: Pt[], noise: number): SplitEvaluation | null {
  const { MIN_REF, MIN_RUN } = METRIC_CHANGE;
  const n = pts.length;
  if (n < MIN_REF + MIN_RUN) return null;
  const sorted: number[] = [];
  for (let i = 0; i < MIN_REF; i++) insertSorted(sorted, pts[i]!.v);
  let best: Episode | null = null;
  let bestRef: Reference | null = null;
  for (let k = MIN_REF; k + MIN_RUN <= n; k++) {
    const m0 = medianSorted(sorted);
    const ref: Reference = { m0, mad: madSorted(sorted, m0), noise };
    const ep = episodeAt(pts, k, ref);
    if (ep && better(ep, best)) {
      best = ep;
      bestRef = ref;
    }
    insertSorted(sorted, pts[k]!.v);
  }
  if (best && bestRef) return evaluation(pts, best.k, bestRef, best);
  // No episode anywhere: describe the series from the middle (reference = first half).
  const mid = Math.max(MIN_REF, n >> 1);
  const s = pts.slice(0, mid).map((p) => p.v).sort((a, b) => a - b);
  const m0 = medianSorted(s);
  return evaluation(pts, mid, { m0, mad: madSorted(s, m0), noise }, null);
}

function stepMs(pts: Pt[]): DurationMs {
  if (pts.length < 2) return durationMs(0);
  const d: number[] = [];
  for (let i = 1; i < pts.length; i++) d.push(elapsed(pts[i - 1]!.ts, pts[i]!.ts));
  return durationMs(median(d));
}

function hinted(pts: Pt[], noise: number, hintMs: EpochMs, toleranceMs: DurationMs | undefined): { evaluation: SplitEvaluation | null; note?: string } {
  const { MIN_REF, MIN_RUN, HINT_AFTER_MS, HINT_AFTER_STEPS } = METRIC_CHANGE;
  const n = pts.length;
  const h = pts.findIndex((p) => p.ts >= hintMs);
  if (h < 0) return { evaluation: null, note: "the series ends before the hint" };
  if (h < MIN_REF) return { evaluation: null, note: `fewer than ${MIN_REF} points before the hint` };
  if (h + MIN_RUN > n) return { evaluation: null, note: `fewer than ${MIN_RUN} points after the hint` };
  const tol = durationMs(Math.max(toleranceMs ?? HINT_AFTER_MS, HINT_AFTER_STEPS * stepMs(pts)));
  const s = pts.slice(0, h).map((p) => p.v).sort((a, b) => a - b);
  const m0 = medianSorted(s);
  const ref: Reference = { m0, mad: madSorted(s, m0), noise };
  let fallback: Episode | null = null;
  for (let k = h; k + MIN_RUN <= n && pts[k]!.ts <= addMs(hintMs, tol); k++) {
    const ep = episodeAt(pts, k, ref);
    if (!ep) continue;
    if (ep.score >= METRIC_CHANGE.Z_CHANGE) return { evaluation: evaluation(pts, h, ref, ep) };
    if (better(ep, fallback)) fallback = ep;
  }
  return { evaluation: evaluation(pts, h, ref, fallback) };
}

/** Change analysis of one series. */
export function detectSeriesChange(series: SeriesInput, opts: MetricChangeOptions = {}, seriesIndex = 0): SeriesChange {
  const { pts, nonFinite } = cleanPoints(series.points);
  const { kind, badWhen } = metricKind(series.name, series.labels, series.unit);
  const noise = diffSigma(pts);
  const own = ownBest(pts, noise);
  const hint = opts.hintMs !== undefined && opts.hintMs !== null && Number.isFinite(opts.hintMs) ? hinted(pts, noise, opts.hintMs, opts.hintToleranceMs) : null;
  const primary = hint?.evaluation ?? own;
  const basis: SeriesChange["basis"] = hint?.evaluation ? "hint" : own ? "own" : "too few points";
  const head: Omit<SeriesChange, keyof SplitEvaluation> = {
    seriesIndex,
    seriesKey: seriesKey(series.name, series.labels),
    metric: series.name,
    ...(series.unit !== undefined ? { unit: series.unit } : {}),
    kind,
    badWhen,
    orientation: "unknown",
    callerView: isCallerView(kind, series.name),
    entity: entityOf(series.name, series.labels),
    ...(series.prov ? { prov: series.prov } : {}),
    finitePoints: pts.length,
    nonFinitePoints: nonFinite,
    basis,
    own,
    ...(hint?.note ? { hintNote: hint.note } : {}),
  };
  if (!primary) {
    const t = (pts[0]?.ts ?? Number.NaN) as EpochMs;
    const empty: SegmentStats = { count: 0, median: Number.NaN, min: Number.NaN, max: Number.NaN, fromTs: t, toTs: t };
    return {
      ...head,
      changed: false,
      direction: "none",
      score: 0,
      ratio: null,
      splitTs: t,
      firstAbnormalTs: null,
      abnormalPoints: 0,
      recovered: false,
      recoveredTs: null,
      reference: { ...empty, mad: 0, scale: 0 },
      window: empty,
      points: [],
    };
  }
  let orientation = orientationOf(badWhen, primary.changed ? primary.direction : "none");
  if (head.callerView && orientation === "bad") orientation = "symptom";
  return { ...head, ...primary, orientation };
}

/** Change analysis of every series (input order kept; `seriesIndex` points back into the input). */
export function detectMetricChanges(series: readonly SeriesInput[], opts: MetricChangeOptions = {}): SeriesChange[] {
  return series.map((s, i) => detectSeriesChange(s, opts, i));
}

// ───────────────────────── ranking entities ─────────────────────────

export interface KindEvidence {
  kind: MetricKind;
  score: number;
  direction: Direction;
  orientation: Orientation;
  metric: string;
  seriesKey: string;
  seriesIndex: number;
  firstAbnormalTs: EpochMs | null;
  ratio: number | null;
  recovered: boolean;
  /** Changed series of this kind on the entity. */
  count: number;
}

export interface EntityRank {
  name: string;
  level: "pod" | "service" | "node";
  /** The service a pod belongs to; the namespace when the labels say. */
  service?: string;
  namespace?: string;
  /** Max score over changes that went the bad way for their kind (0 when none). */
  score: number;
  /** Kind of that change. */
  kind: MetricKind | null;
  /** Earliest first abnormal point among the bad changes. */
  firstAbnormalTs: EpochMs | null;
  /** Best bad change per kind. */
  byKind: Partial<Record<MetricKind, KindEvidence>>;
  /** Best traffic / byte-count / unknown-meaning change: it moved, but that is not a cause by itself. */
  symptom: KindEvidence | null;
  badChanges: number;
}

export interface RankOptions {
  /** Count node-level series (node_* figures) towards the pods and services they are labelled with (default false). */
  includeNodeLevel?: boolean;
}

function evidenceOf(c: SeriesChange, count: number): KindEvidence {
  return { kind: c.kind, score: c.score, direction: c.direction, orientation: c.orientation, metric: c.metric, seriesKey: c.seriesKey, seriesIndex: c.seriesIndex, firstAbnormalTs: c.firstAbnormalTs, ratio: c.ratio, recovered: c.recovered, count };
}

const ts = (t: EpochMs | null) => (t === null ? Infinity : t);

/**
 * Aggregates changed series per pod, per service and per node: an entity's score is its strongest
 * change that went the bad way for its kind (latency/errors/CPU/memory up, success down); traffic and
 * byte counts only appear as its `symptom`. Ranked by score, then more bad kinds, then earlier onset.
 */
export function rankEntities(changes: readonly SeriesChange[], opts: RankOptions = {}): { pods: EntityRank[]; services: EntityRank[]; nodes: EntityRank[] } {
  const maps = { pod: new Map<string, EntityRank>(), service: new Map<string, EntityRank>(), node: new Map<string, EntityRank>() };
  const counts = new Map<string, number>();
  const add = (level: EntityRank["level"], name: string, c: SeriesChange) => {
    const m = maps[level];
    let e = m.get(name);
    if (!e) {
      e = { name, level, score: 0, kind: null, firstAbnormalTs: null, byKind: {}, symptom: null, badChanges: 0 };
      if (level === "pod" && c.entity.service) e.service = c.entity.service;
      if (c.entity.namespace) e.namespace = c.entity.namespace;
      m.set(name, e);
    }
    if (c.orientation === "bad") {
      const ck = `${level}\u0000${name}\u0000${c.kind}`;
      const n = (counts.get(ck) ?? 0) + 1;
      counts.set(ck, n);
      const prev = e.byKind[c.kind];
      if (!prev || c.score > prev.score || (c.score === prev.score && ts(c.firstAbnormalTs) < ts(prev.firstAbnormalTs))) e.byKind[c.kind] = evidenceOf(c, n);
      else prev.count = n;
      e.badChanges++;
      if (c.score > e.score) {
        e.score = c.score;
        e.kind = c.kind;
      }
      if (ts(c.firstAbnormalTs) < ts(e.firstAbnormalTs)) e.firstAbnormalTs = c.firstAbnormalTs;
    } else if (c.orientation === "symptom" || c.orientation === "unknown") {
      if (!e.symptom || c.score > e.symptom.score) e.symptom = evidenceOf(c, 1);
    }
  };
  for (const c of changes) {
    if (!c.changed) continue;
    if (c.entity.nodeLevel) {
      if (c.entity.node) add("node", c.entity.node, c);
      if (!opts.includeNodeLevel) continue;
    }
    if (c.entity.pod) add("pod", c.entity.pod, c);
    if (c.entity.service) add("service", c.entity.service, c);
  }
  const order = (a: EntityRank, b: EntityRank) =>
    b.score - a.score ||
    Object.keys(b.byKind).length - Object.keys(a.byKind).length ||
    ts(a.firstAbnormalTs) - ts(b.firstAbnormalTs) ||
    (b.symptom?.score ?? 0) - (a.symptom?.score ?? 0) ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return { pods: [...maps.pod.values()].sort(order), services: [...maps.service.values()].sort(order), nodes: [...maps.node.values()].sort(order) };
}
