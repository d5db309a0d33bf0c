import type { Severity } from "@/lib/schemas/records";
import type { DurationMs } from "@/lib/schemas/time";

/**
 * Log templates (Drain) and how their frequencies changed between a reference and a window. One input
 * of service-fault localisation: a service that starts logging a message it never logged before, or
 * logs one far more often, or stops logging one it always did, changed. Pure: no DB, no clock,
 * deterministic (same lines in the same order → same templates, same cluster ids).
 *
 * Mining follows Drain (He et al., "Drain: An Online Log Parsing Approach with Fixed Depth Tree",
 * ICWS 2017). A message is first masked (maskMessage: numbers, ids, addresses, durations, quoted
 * strings, key=value values, paths with digits, e-mails → `<*>`), then split on whitespace. A tree of
 * fixed depth routes it by token count, then by its first DEPTH − 2 tokens, to a leaf holding a few
 * clusters; it joins the most similar one (share of positions where the cluster's template has the
 * same token or `<*>`) when that similarity is ≥ SIM_TH, and the template's differing tokens become
 * `<*>`. Otherwise it starts a new cluster there.
 *
 *   root
 *    ├─ 5 tokens ─┬─ "Connected" ─┬─ "to" ─▶ leaf [ #1 "Connected to <*> in <*>" ]
 *    │            │               └─ <*>  ─▶ leaf [ … ]
 *    │            └─ <*> ─── … ─▶ leaf [ … ]      a token with a digit, or a full node
 *    └─ 3 tokens ─── "Cache" ─── "miss" ─▶ leaf [ #2 "Cache miss <*>" ]
 *        token count   token 1       token 2 (DEPTH − 2 = 2 routing tokens)
 *
 * Why a tree of fixed depth: the leading tokens of a log line are almost always constant (a component,
 * a verb), so they separate templates cheaply, and a message is compared with the few clusters of one
 * leaf instead of all of them. Tokens with digits never become routing keys: a variable that escaped
 * masking (pod-7d9f…, req42) would otherwise grow one branch per value.
 *
 * Bounded memory and time: at most MAX_CLUSTERS clusters, and MAX_LEAF_CLUSTERS in one leaf (later
 * messages that would start one more are counted in `other`); only the first MAX_CHARS characters
 * and MAX_TOKENS tokens of a message are looked at; a node has at most MAX_CHILDREN children; tree
 * nodes are only made for a new cluster, and no message text is kept beyond its template.
 *
 * Frequency change (templateChanges). All lines of both phases are mined by one miner, so a template
 * means the same on both sides; then per (service, template):
 *
 *   r, w       its reference and window lines;  R, W  the service's reference and window lines
 *   scale      W / R (lines); and windowMs / referenceMs when both durations are given
 *   expected   r × scale — a surge must beat the *larger* scale, a vanishing the *smaller* one, so
 *              that a change holds whether the phases are compared by volume or by time, and a
 *              uniform volume change (every template ×2) or a shorter window is no change
 *
 *   new        r = 0 and w ≥ minCount
 *   surging    w ≥ SURGE × expected (larger scale) and w ≥ minCount
 *   vanished   expected (smaller scale) ≥ 2 × minCount and w ≤ VANISH_SEEN × expected; the line
 *              scale here leaves out the new and surging templates' lines: a flood of one new error
 *              inflates W, and every other template would fall short of an inflated expectation
 *
 * A service's score (0..1) combines its changes: each gets a weight = kind (new > surging > vanished)
 * × how error-like its template is (error severity > error words > warning severity > plain) × the
 * share of the service's window lines it moved (new, surging) or that went missing (vanished), and
 * score = 1 − Π (1 − weightᵢ · DECAY^i) over the weights, strongest first. A service with a thin or
 * no reference is not "all new": see THIN_REFERENCE and NO_REFERENCE.
 */
export const LOG_TEMPLATES = {
  /** Tree depth: root, the token-count level, DEPTH − 2 levels of leading tokens (leaves below). */
  DEPTH: 4,
  /** Least similarity (share of equal tokens, `<*>` equal to anything) for a message to join a cluster. */
  SIM_TH: 0.4,
  /** Children per tree node; the last slot is kept for `<*>`, where every further token goes. */
  MAX_CHILDREN: 100,
  /** Clusters kept; messages that would start one more are counted as `other`. */
  MAX_CLUSTERS: 5000,
  /**
   * Clusters per leaf, likewise. A message is compared with every cluster of its leaf, so this bounds
   * the work per message; hundreds of mutually dissimilar templates of one length behind the same
   * leading tokens are noise (random words up front), not templates.
   */
  MAX_LEAF_CLUSTERS: 200,
  /** Tokens of a message looked at (the rest is ignored, the template covers these). */
  MAX_TOKENS: 64,
  /** Characters of a message looked at (before masking). */
  MAX_CHARS: 2000,
  /** Fewest window lines for a new or surging template (a vanished one needs twice this many expected). */
  MIN_COUNT: 3,
  /** A template surges when its window lines reach this multiple of the expected. */
  SURGE: 3,
  /** A template vanished when at most this share of its expected window lines was seen. */
  VANISH_SEEN: 0.1,
  /**
   * Fewer reference lines than this make a service's reference thin: a template absent from it is
   * weak evidence of anything, so non-error new templates count in proportion (R / THIN_REFERENCE).
   */
  THIN_REFERENCE: 20,
  /** A service with no reference lines at all: its new error-like templates count at this weight. */
  NO_REFERENCE: 0.5,
} as const;

/** Weights of serviceScore. */
export const SCORE = {
  /** By kind: a new template is the strongest sign, a surge next; a vanished one is weaker. */
  NEW: 1,
  SURGING: 0.75,
  VANISHED: 0.35,
  /** By how error-like the template is (the largest that applies). */
  SEV_ERROR: 1,
  ERROR_WORDS: 0.8,
  SEV_WARNING: 0.6,
  PLAIN: 0.25,
  /** A vanished error-like template is more likely a recovery than a fault: this factor instead. */
  VANISHED_ERROR: 0.3,
  /** Volume: BASE + (1 − BASE) × √share — a handful of new error lines among thousands still counts. */
  VOLUME_BASE: 0.4,
  /** The i-th strongest change (0-based) counts at DECAY^i: many small changes do not add up to a fault. */
  DECAY: 0.5,
} as const;

export const WILDCARD = "<*>";
/** The id `add` returns for a message counted in `other` (cluster cap reached). Cluster ids start at 1. */
export const OTHER_CLUSTER = 0;

// ───────────────────────── masking ─────────────────────────

/**
 * Keys whose values describe the event rather than vary per line (logfmt `level=error msg="…"`):
 * their values are kept — quoted or not — so that the message words stay in the template.
 */
const KEPT_KEYS = "msg|message|error|err|event|reason|level|lvl|severity|status|state";
const KEPT_KEY = new RegExp(`^(?:${KEPT_KEYS})$`, "i");

const MASKS: ReadonlyArray<readonly [RegExp, string | ((m: string, ...groups: string[]) => string)]> = [
  // Quoted strings (not those right after a kept key, nor apostrophes inside words: can't, don't).
  [new RegExp(`(?<![\\w]|\\b(?:${KEPT_KEYS})=)"(?:[^"\\\\]|\\\\.)*"`, "gi"), WILDCARD],
  [new RegExp(`(?<![\\w]|\\b(?:${KEPT_KEYS})=)'(?:[^'\\\\]|\\\\.)*'(?![\\w])`, "gi"), WILDCARD],
  // E-mail addresses.
  [/[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g, WILDCARD],
  // UUIDs.
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, WILDCARD],
  // Timestamps (ISO 8601 date with optional time and zone; a time of day): one variable, not five numbers.
  [/\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?![\w])/g, WILDCARD],
  [/\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b/g, WILDCARD],
  // URLs and paths, when they have a digit (/api/orders/123, /var/lib/pods/9f…/x); /usr/bin/env stays.
  [/(?<![\w<>*])(?:[A-Za-z][\w+.-]*:\/\/)?[\w.~%@:+-]*\/[\w.~%@+/=?&#-]*/g, (m) => (/\d/.test(m) ? WILDCARD : m)],
  // IPv4 with optional port.
  [/(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?(?!\w|\.\d)/g, WILDCARD],
  // IPv6: [addr]:port, and a bare address (two colons at least, and a digit, so std::string stays).
  [/\[[0-9a-f]*:[0-9a-f:.]*\](?::\d{1,5})?/gi, WILDCARD],
  [/(?<![\w:.])(?=[0-9a-f:.]*\d)(?:[0-9a-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f]{1,4})?(?![\w:])/gi, WILDCARD],
  // key=value: the value (kept keys keep theirs; digits in them are still masked below).
  [/\b([A-Za-z_][\w.-]*)=(?!<\*>)([^\s,;&)\]}"']+)/g, (m, key: string) => (KEPT_KEY.test(key) ? m : `${key}=${WILDCARD}`)],
  // Hex: 0x…, and runs of 8+ hex digits with a digit among them (trace ids, hashes; "deadbeef" stays a word).
  [/\b0x[0-9a-f]+\b/gi, WILDCARD],
  [/\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b/gi, WILDCARD],
  // Durations, Go-style compounds included (12ms, 1.5s, 1m30s).
  [/(?<![\w.])\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h|d)(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))*(?![\w]|\.\d)/g, WILDCARD],
  // Numbers, with a short unit (12KB, 5xx, 80%) and signs; not digits inside words (http2, v1).
  [/(?<![\w.])[-+]?\d+(?:[.,]\d+)*(?:[eE][-+]?\d+)?(?:[A-Za-zµ%]{1,4})?(?![\w])/g, WILDCARD],
];

/** A message with its variable parts replaced by `<*>` (first `maxChars` characters only). */
export function maskMessage(message: string, maxChars: number = LOG_TEMPLATES.MAX_CHARS): string {
  let s = message.length > maxChars ? message.slice(0, maxChars) : message;
  for (const [re, by] of MASKS) s = typeof by === "string" ? s.replace(re, by) : s.replace(re, by);
  return s;
}

/** The tokens Drain works on: the masked message split on whitespace, the first `maxTokens` only. */
export function tokenize(message: string, opts: Pick<MinerOptions, "maxChars" | "maxTokens"> = {}): string[] {
  const tokens = maskMessage(message, opts.maxChars ?? LOG_TEMPLATES.MAX_CHARS)
    .split(/\s+/)
    .filter((t) => t !== "");
  const max = opts.maxTokens ?? LOG_TEMPLATES.MAX_TOKENS;
  return tokens.length > max ? tokens.slice(0, max) : tokens;
}

// ───────────────────────── the miner ─────────────────────────

export interface MinerOptions {
  depth?: number;
  simTh?: number;
  maxChildren?: number;
  maxClusters?: number;
  maxLeafClusters?: number;
  maxTokens?: number;
  maxChars?: number;
}

export interface TemplateCluster {
  /** 1, 2, … in order of creation. */
  id: number;
  /** The template tokens joined by one space. */
  template: string;
  tokens: readonly string[];
  /** Messages that joined it. */
  size: number;
}

interface Node {
  children: Map<string, Node>;
  /** Cluster ids at a leaf. */
  clusters: number[];
}

interface Cluster {
  id: number;
  tokens: string[];
  size: number;
}

const newNode = (): Node => ({ children: new Map(), clusters: [] });
const HAS_DIGIT = /\d/;
/** A token's routing key: constants route by themselves, anything variable-looking by `<*>`. */
const routeKey = (token: string): string => (token === WILDCARD || HAS_DIGIT.test(token) ? WILDCARD : token);

const int = (v: number | undefined, dflt: number, min: number) => (v === undefined || !Number.isFinite(v) ? dflt : Math.max(min, Math.floor(v)));

/** Drain template miner (see the module doc). Feed messages with `add`; read templates with `templates`. */
export class TemplateMiner {
  private readonly depth: number;
  private readonly simTh: number;
  private readonly maxChildren: number;
  private readonly maxClusters: number;
  private readonly maxLeafClusters: number;
  private readonly maxTokens: number;
  private readonly maxChars: number;
  /** By token count. */
  private readonly root = new Map<number, Node>();
  private readonly clusters: Cluster[] = [];
  private otherCount = 0;

  constructor(opts: MinerOptions = {}) {
    this.depth = int(opts.depth, LOG_TEMPLATES.DEPTH, 3);
    this.simTh = opts.simTh === undefined || !Number.isFinite(opts.simTh) ? LOG_TEMPLATES.SIM_TH : Math.min(1, Math.max(0, opts.simTh));
    this.maxChildren = int(opts.maxChildren, LOG_TEMPLATES.MAX_CHILDREN, 1);
    this.maxClusters = int(opts.maxClusters, LOG_TEMPLATES.MAX_CLUSTERS, 0);
    this.maxLeafClusters = int(opts.maxLeafClusters, LOG_TEMPLATES.MAX_LEAF_CLUSTERS, 1);
    this.maxTokens = int(opts.maxTokens, LOG_TEMPLATES.MAX_TOKENS, 1);
    this.maxChars = int(opts.maxChars, LOG_TEMPLATES.MAX_CHARS, 1);
  }

  /** Learns one message; returns its cluster id, or OTHER_CLUSTER when a cluster cap kept it out. */
  add(message: string): number {
    const tokens = tokenize(message, { maxChars: this.maxChars, maxTokens: this.maxTokens });
    const leaf = this.find(tokens);
    if (leaf) {
      const c = this.bestMatch(leaf, tokens);
      if (c) {
        for (let i = 0; i < tokens.length; i++) if (c.tokens[i] !== tokens[i]) c.tokens[i] = WILDCARD;
        c.size++;
        return c.id;
      }
    }
    const target = this.clusters.length < this.maxClusters ? this.insert(tokens) : undefined;
    if (!target || target.clusters.length >= this.maxLeafClusters) {
      this.otherCount++;
      return OTHER_CLUSTER;
    }
    const c: Cluster = { id: this.clusters.length + 1, tokens: [...tokens], size: 1 };
    this.clusters.push(c);
    target.clusters.push(c.id);
    return c.id;
  }

  /** The current template of a cluster. */
  template(id: number): string | undefined {
    return this.clusters[id - 1]?.tokens.join(" ");
  }

  /** Every cluster, by id. Templates only ever generalise: read them after the last `add`. */
  templates(): TemplateCluster[] {
    return this.clusters.map((c) => ({ id: c.id, template: c.tokens.join(" "), tokens: [...c.tokens], size: c.size }));
  }

  /** Clusters so far. */
  get size(): number {
    return this.clusters.length;
  }

  /** Messages not clustered because the cluster cap was reached. */
  get other(): number {
    return this.otherCount;
  }

  /** Tokens routed below the token-count node (DEPTH − 2 at most). */
  private routed(tokens: string[]): number {
    return Math.min(tokens.length, this.depth - 2);
  }

  /** The leaf a message belongs to, without creating anything: its own key, else `<*>`. */
  private find(tokens: string[]): Node | undefined {
    let node = this.root.get(tokens.length);
    for (let i = 0; node && i < this.routed(tokens); i++) {
      node = node.children.get(routeKey(tokens[i]!)) ?? node.children.get(WILDCARD);
    }
    return node;
  }

  /** The leaf for a new cluster, creating the path: a key of its own while the node has room, else `<*>`. */
  private insert(tokens: string[]): Node {
    let node = this.root.get(tokens.length);
    if (!node) this.root.set(tokens.length, (node = newNode()));
    for (let i = 0; i < this.routed(tokens); i++) {
      let key = routeKey(tokens[i]!);
      // The last slot is kept for <*>, so a full node still routes every further token somewhere.
      if (!node.children.has(key) && key !== WILDCARD && node.children.size >= this.maxChildren - 1) key = WILDCARD;
      let child = node.children.get(key);
      if (!child) node.children.set(key, (child = newNode()));
      node = child;
    }
    return node;
  }

  /** The leaf's most similar cluster (the oldest on a tie) when similar enough. */
  private bestMatch(leaf: Node, tokens: string[]): Cluster | undefined {
    let best: Cluster | undefined;
    let bestSim = -1;
    for (const id of leaf.clusters) {
      const c = this.clusters[id - 1]!;
      let same = 0;
      for (let i = 0; i < tokens.length; i++) if (c.tokens[i] === WILDCARD || c.tokens[i] === tokens[i]) same++;
      const sim = tokens.length === 0 ? 1 : same / tokens.length;
      if (sim > bestSim) {
        bestSim = sim;
        best = c;
        if (sim === 1) break;
      }
    }
    return best && bestSim >= this.simTh ? best : undefined;
  }
}

// ───────────────────────── frequency change ─────────────────────────

export interface TemplateLine {
  service: string;
  message: string;
  severity?: string | null;
  inWindow: boolean;
  /** Position in the caller's array, for citing. */
  index: number;
}

export interface TemplateChangeOptions {
  /** Fewest window lines for a new or surging template (default MIN_COUNT). */
  minCount?: number;
  /** Phase durations: with both, expectations also scale by time (see the module doc). */
  referenceMs?: DurationMs;
  windowMs?: DurationMs;
  miner?: MinerOptions;
}

export type TemplateChangeKind = "new" | "surging" | "vanished";

export interface TemplateChange {
  template: string;
  kind: TemplateChangeKind;
  /** Lines of this template in the service's reference and window. */
  reference: number;
  window: number;
  /** Window lines the reference predicts (0 for a new template). */
  expected: number;
  /** The most severe severity among its lines (null when none was given or understood). */
  severity: Severity | null;
  /** Error or warning severity, or error words in the template. */
  errorLike: boolean;
  /** Input index of the first window line (new, surging) or the last reference line (vanished). */
  example: number;
  /** This change's part in the service score (0..1, before the decay by rank). */
  weight: number;
}

export interface ServiceTemplateChanges {
  service: string;
  score: number;
  /** Strongest first. */
  changes: TemplateChange[];
  windowLines: number;
  referenceLines: number;
}

export interface TemplateChangeResult {
  /** By score, then name. */
  services: ServiceTemplateChanges[];
  /** Templates mined (over all services). */
  templates: number;
  /** Lines past the cluster cap: counted in their service's lines, in no template. */
  other: number;
}

const SEVERITY_RANK: Record<Severity, number> = { debug: 0, info: 1, notice: 2, warning: 3, error: 4, critical: 5 };

/** A free-text severity (level names of common loggers and syslog) as one of the record severities. */
export function normaliseSeverity(s: string | null | undefined): Severity | null {
  if (!s) return null;
  const v = s.trim().toLowerCase();
  if (/^(?:trace|debug|dbg|verbose|fine|finer|finest)/.test(v)) return "debug";
  if (/^(?:info|information|informational)$/.test(v) || v === "i") return "info";
  if (v === "notice") return "notice";
  if (/^(?:warn|warning|wrn|w)$/.test(v)) return "warning";
  if (/^(?:error|err|severe|e)$/.test(v)) return "error";
  if (/^(?:fatal|critical|crit|alert|emerg|emergency|panic|f|c)$/.test(v)) return "critical";
  return null;
}

/** Words that make a template an error whatever its severity says (substrings: ECONNREFUSED, TimeoutException). */
const ERROR_WORDS = /error|exception|fail|refused|timeout|timed out|panic|unavailable|denied/i;

function errorWeight(severity: Severity | null, template: string): number {
  let w: number = SCORE.PLAIN;
  if (severity === "warning") w = SCORE.SEV_WARNING;
  if (ERROR_WORDS.test(template)) w = Math.max(w, SCORE.ERROR_WORDS);
  if (severity === "error" || severity === "critical") w = SCORE.SEV_ERROR;
  return w;
}

interface Tally {
  clusterId: number;
  r: number;
  w: number;
  severity: Severity | null;
  firstWindow: number;
  lastReference: number;
}

interface ServiceTally {
  R: number;
  W: number;
  byCluster: Map<number, Tally>;
}

const volume = (share: number) => SCORE.VOLUME_BASE + (1 - SCORE.VOLUME_BASE) * Math.sqrt(Math.min(1, Math.max(0, share)));

/** 1 − Π (1 − wᵢ · DECAY^i) over the weights sorted strongest first. */
function serviceScore(weights: number[]): number {
  const ws = [...weights].sort((a, b) => b - a);
  let keep = 1;
  ws.forEach((w, i) => (keep *= 1 - Math.min(1, w) * SCORE.DECAY ** i));
  return 1 - keep;
}

const KIND_ORDER: Record<TemplateChangeKind, number> = { new: 0, surging: 1, vanished: 2 };
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Which log templates each service started, surged or stopped logging in the window, and a score per
 * service (module doc). Lines are mined in the order given.
 */
export function templateChanges(lines: readonly TemplateLine[], opts: TemplateChangeOptions = {}): TemplateChangeResult {
  const minCount = int(opts.minCount, LOG_TEMPLATES.MIN_COUNT, 1);
  const { SURGE, VANISH_SEEN, THIN_REFERENCE, NO_REFERENCE } = LOG_TEMPLATES;
  const timeScale =
    opts.referenceMs !== undefined && opts.windowMs !== undefined && opts.referenceMs > 0 && opts.windowMs > 0 && Number.isFinite(opts.referenceMs) && Number.isFinite(opts.windowMs)
      ? opts.windowMs / opts.referenceMs
      : null;

  const miner = new TemplateMiner(opts.miner);
  const services = new Map<string, ServiceTally>();
  for (const line of lines) {
    const id = miner.add(line.message);
    let s = services.get(line.service);
    if (!s) services.set(line.service, (s = { R: 0, W: 0, byCluster: new Map() }));
    if (line.inWindow) s.W++;
    else s.R++;
    if (id === OTHER_CLUSTER) continue;
    let t = s.byCluster.get(id);
    if (!t) s.byCluster.set(id, (t = { clusterId: id, r: 0, w: 0, severity: null, firstWindow: Infinity, lastReference: -Infinity }));
    const sev = normaliseSeverity(line.severity);
    if (sev && (t.severity === null || SEVERITY_RANK[sev] > SEVERITY_RANK[t.severity])) t.severity = sev;
    if (line.inWindow) {
      t.w++;
      t.firstWindow = Math.min(t.firstWindow, line.index);
    } else {
      t.r++;
      t.lastReference = Math.max(t.lastReference, line.index);
    }
  }

  const out: ServiceTemplateChanges[] = [];
  for (const [service, s] of services) {
    // Clusters whose final templates coincide are one template.
    const byTemplate = new Map<string, Tally>();
    for (const t of s.byCluster.values()) {
      const text = miner.template(t.clusterId)!;
      const m = byTemplate.get(text);
      if (!m) byTemplate.set(text, { ...t });
      else {
        m.r += t.r;
        m.w += t.w;
        m.firstWindow = Math.min(m.firstWindow, t.firstWindow);
        m.lastReference = Math.max(m.lastReference, t.lastReference);
        if (t.severity && (m.severity === null || SEVERITY_RANK[t.severity] > SEVERITY_RANK[m.severity])) m.severity = t.severity;
      }
    }
    const lineScale = s.R > 0 ? s.W / s.R : 0;
    const upScale = timeScale === null ? lineScale : Math.max(lineScale, timeScale);
    const changes: TemplateChange[] = [];
    const rising = new Set<string>();
    let risingR = 0;
    let risingW = 0;

    for (const [template, t] of byTemplate) {
      const errorW = errorWeight(t.severity, template);
      const errorLike = errorW >= SCORE.SEV_WARNING;
      const base = { template, reference: t.r, window: t.w, severity: t.severity, errorLike };
      if (t.r === 0 && t.w >= minCount) {
        rising.add(template);
        risingW += t.w;
        let weight = SCORE.NEW * errorW * volume(t.w / s.W);
        if (s.R === 0) {
          // No reference at all: every template is "new" only because nothing was there to compare
          // with — absence of evidence is not evidence. Only error-like templates count, and less.
          if (!errorLike) continue;
          weight *= NO_REFERENCE;
        } else if (!errorLike && s.R < THIN_REFERENCE) weight *= s.R / THIN_REFERENCE;
        changes.push({ ...base, kind: "new", expected: 0, example: t.firstWindow, weight });
      } else if (t.r > 0 && t.w >= minCount && t.w >= SURGE * t.r * upScale) {
        rising.add(template);
        risingR += t.r;
        risingW += t.w;
        const expected = t.r * upScale;
        changes.push({ ...base, kind: "surging", expected, example: t.firstWindow, weight: SCORE.SURGING * errorW * volume((t.w - expected) / s.W) });
      }
    }

    // Vanishing is judged against the service's steady lines (the new and surging templates left out).
    const steadyR = s.R - risingR;
    const steadyScale = steadyR > 0 ? (s.W - risingW) / steadyR : 0;
    const downScale = timeScale === null ? steadyScale : Math.min(steadyScale, timeScale);
    for (const [template, t] of byTemplate) {
      if (rising.has(template) || t.r === 0) continue;
      const expected = t.r * downScale;
      if (expected < 2 * minCount || t.w > VANISH_SEEN * expected) continue;
      const errorLike = errorWeight(t.severity, template) >= SCORE.SEV_WARNING;
      const missing = expected - t.w;
      const weight = SCORE.VANISHED * (errorLike ? SCORE.VANISHED_ERROR : 1) * volume(missing / (s.W + missing));
      changes.push({ template, kind: "vanished", reference: t.r, window: t.w, expected, severity: t.severity, errorLike, example: t.lastReference, weight });
    }

    changes.sort((a, b) => b.weight - a.weight || KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || cmp(a.template, b.template));
    out.push({ service, score: serviceScore(changes.map((c) => c.weight)), changes, windowLines: s.W, referenceLines: s.R });
  }
  out.sort((a, b) => b.score - a.score || cmp(a.service, b.service));
  return { services: out, templates: miner.size, other: miner.other };
}
