/**
 * Scoring of the service-localisation benchmark (`npm run eval -- nezha <set-dir>`, issue 17).
 *
 * AS@k, service level (the set's README, "Scoring"): the service a hypothesis names is found by
 * searching, in this order, its title, its summary, its facts (string values and string lists, in
 * key order), the files of its evidence, then the excerpts of its evidence, for a service or pod
 * name of the system. The first field with a mention decides; within it the earliest mention wins
 * (at the same position the longer name: a pod name over the service name it starts with).
 *
 * Nothing here knows the system under test: the vocabulary (services, pods and which service each
 * pod belongs to) is read from the bundle (nezha.ts) and handed in.
 *
 * What counts as a mention (case-insensitive):
 *   - the name stands as a whole k8s-style word: the characters around it are not name characters
 *     [a-z0-9_-], so "cartservice2", "redis-cart" (for "cart") or "cartservice_v2" are not
 *     mentions of "cartservice", while "hipstershop.CartService/GetCart", "cartservice:7070" and
 *     "pods/cartservice-579f59597d-wc2lz.log" are;
 *   - a pod name of the vocabulary stands for the service it belongs to;
 *   - a service name followed by a pod suffix it does not list ("cartservice-6d8f5c4b7-x2kzq",
 *     "ts-order-service-0") is a pod of that service (POD_SUFFIX).
 */

/** Characters of a k8s-style name; a mention must not touch one on either side. */
const NAME_CHAR = /[a-z0-9_-]/;

/**
 * What follows a workload name in its pod's name: Deployment `-<pod-template-hash>-<5>`, DaemonSet
 * or bare generateName `-<5>`, StatefulSet `-<ordinal>`. The random suffix and the template hash
 * use Kubernetes' vowel-free alphabet (so "-proxy" or "-other" is neither; old releases wrote the
 * hash in decimal digits): "kube-proxy-x2kzq" is the DaemonSet kube-proxy, not a Deployment "kube".
 */
const SAFE = "[bcdfghjklmnpqrstvwxz2456789]";
const POD_SUFFIX_SRC = `-(?:(?:${SAFE}{5,10}|[0-9]{5,10})-)?${SAFE}{5}|-[0-9]{1,4}`;
const POD_SUFFIX_END = new RegExp(`(?:${POD_SUFFIX_SRC})$`);
const POD_SUFFIX_AT = new RegExp(`(?:${POD_SUFFIX_SRC})(?![a-z0-9_-])`, "y");

/** The service a pod belongs to by name alone (pod name without the ReplicaSet hash and pod suffix); null when the name has no pod suffix. */
export function serviceOfPod(pod: string): string | null {
  const lower = pod.toLowerCase();
  const stripped = lower.replace(POD_SUFFIX_END, "");
  return stripped !== lower && stripped.length > 0 ? stripped : null;
}

/** The system's names, lower-cased: every service, and every pod with its service. */
export interface Vocabulary {
  services: ReadonlySet<string>;
  pods: ReadonlyMap<string, string>;
}

/**
 * Builds the vocabulary from what a bundle says: pairs (an OTLP resource's `service.name` and
 * `k8s.pod.name`, a Prometheus series' `service` and `pod` labels) and lone names (a pod log file).
 * A pod named with its service keeps that service; a lone pod gets the service of its name.
 */
export function buildVocabulary(seen: Iterable<{ service?: string | null; pod?: string | null }>): Vocabulary {
  const services = new Set<string>();
  const pods = new Map<string, string>();
  const lonePods = new Set<string>();
  for (const s of seen) {
    const service = s.service?.trim().toLowerCase() || null;
    const pod = s.pod?.trim().toLowerCase() || null;
    if (service) services.add(service);
    if (pod && service) pods.set(pod, service);
    else if (pod) lonePods.add(pod);
  }
  for (const pod of lonePods) {
    if (pods.has(pod)) continue;
    const service = serviceOfPod(pod);
    if (!service) continue;
    pods.set(pod, service);
    services.add(service);
  }
  return { services, pods };
}

/** The first mention of a service or pod of the vocabulary in `text`, as the service it names. */
export function firstMention(text: string, vocab: Vocabulary): { service: string; index: number; name: string } | null {
  const lower = text.toLowerCase();
  let best: { service: string; index: number; name: string } | null = null;
  const consider = (name: string, service: string, allowPodSuffix: boolean) => {
    for (let i = lower.indexOf(name); i !== -1; i = lower.indexOf(name, i + 1)) {
      if (best && (i > best.index || (i === best.index && name.length <= best.name.length))) return;
      if (i > 0 && NAME_CHAR.test(lower[i - 1]!)) continue;
      const end = i + name.length;
      let ok = end === lower.length || !NAME_CHAR.test(lower[end]!);
      if (!ok && allowPodSuffix) {
        POD_SUFFIX_AT.lastIndex = end;
        ok = POD_SUFFIX_AT.test(lower);
      }
      if (ok) {
        best = { service, index: i, name };
        return;
      }
    }
  };
  for (const [pod, service] of vocab.pods) consider(pod, service, false);
  for (const service of vocab.services) consider(service, service, true);
  return best;
}

/** The parts of a hypothesis the scoring reads (a report's or a stored Hypothesis). */
export interface HypothesisText {
  title: string;
  summary: string;
  facts?: Record<string, string | number | boolean | string[] | number[]>;
  evidence: readonly { file: string; excerpt: string }[];
}

export type MentionField = "title" | "summary" | "facts" | "evidence files" | "evidence excerpts";

/** The service a hypothesis names and the field that decided it; null when it names none. */
export function namedService(h: HypothesisText, vocab: Vocabulary): { service: string; field: MentionField; name: string } | null {
  const factTexts = Object.values(h.facts ?? {}).flatMap((v) => (typeof v === "string" ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []));
  // Parts of one field are joined by a newline, a boundary: a name never spans two of them.
  const fields: [MentionField, string][] = [
    ["title", h.title],
    ["summary", h.summary],
    ["facts", factTexts.join("\n")],
    ["evidence files", h.evidence.map((e) => e.file).join("\n")],
    ["evidence excerpts", h.evidence.map((e) => e.excerpt).join("\n")],
  ];
  for (const [field, text] of fields) {
    const m = firstMention(text, vocab);
    if (m) return { service: m.service, field, name: m.name };
  }
  return null;
}

/** One case of a set as scored. */
export interface NezhaOutcome {
  case: string;
  fault: string;
  expected: string;
  /** Service named by each of the first three hypotheses (null: that hypothesis names none). */
  top: (string | null)[];
  hypotheses: number;
  as1: boolean;
  as3: boolean;
  seconds: number;
  /** The analysis failed to run (the case counts as a miss). */
  error?: string;
}

/** AS@1 / AS@3 of one case from the services its ranked hypotheses name. */
export function scoreServices(expected: string, named: readonly (string | null)[]): { as1: boolean; as3: boolean } {
  const want = expected.toLowerCase();
  return { as1: named[0] === want, as3: named.slice(0, 3).some((s) => s === want) };
}

function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface NezhaRate {
  hits: number;
  of: number;
}
export interface NezhaSummary {
  as1: NezhaRate;
  as3: NezhaRate;
  medianSeconds: number | null;
  /** Per fault type, in order of first appearance. */
  byFault: { fault: string; as1: NezhaRate; as3: NezhaRate }[];
}

export function summarise(outcomes: readonly NezhaOutcome[]): NezhaSummary {
  const rate = (os: readonly NezhaOutcome[], k: "as1" | "as3"): NezhaRate => ({ hits: os.filter((o) => o[k]).length, of: os.length });
  const faults = [...new Set(outcomes.map((o) => o.fault))];
  return {
    as1: rate(outcomes, "as1"),
    as3: rate(outcomes, "as3"),
    medianSeconds: median(outcomes.map((o) => o.seconds)),
    byFault: faults.map((fault) => {
      const os = outcomes.filter((o) => o.fault === fault);
      return { fault, as1: rate(os, "as1"), as3: rate(os, "as3") };
    }),
  };
}

export const formatRate = (r: NezhaRate) => `${r.hits}/${r.of} (${r.of ? ((100 * r.hits) / r.of).toFixed(1) : "0.0"} %)`;

/** Per fault type, then the last line: `nezha <set>: AS@1 x/N (p %), AS@3 x/N (p %), median s per case`. */
export function formatSummary(set: string, s: NezhaSummary): string {
  const w = Math.max(10, ...s.byFault.map((f) => f.fault.length));
  const lines = s.byFault.map((f) => `${f.fault.padEnd(w)}  AS@1 ${formatRate(f.as1).padEnd(16)} AS@3 ${formatRate(f.as3)}`);
  const med = s.medianSeconds === null ? "-" : s.medianSeconds.toFixed(1);
  lines.push(`nezha ${set}: AS@1 ${formatRate(s.as1)}, AS@3 ${formatRate(s.as3)}, median ${med} s per case`);
  return lines.join("\n");
}
