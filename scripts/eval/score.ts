import type { CliReport } from "@/lib/schemas/api";
import { DETECTORS } from "@/lib/server/detectors";
import type { Variant, VariantKind } from "./generator";

/**
 * Detectors that name a mechanism. A near-miss has the surface of its class and often a real
 * symptom (a slow upstream is a real latency regression): describing that symptom is right, naming
 * a mechanism that is not there is the false alarm. On healthy variants anything ≥ ALARM is one.
 */
const MECHANISM = new Set(DETECTORS.filter((d) => d.specificity === "specific").map((d) => d.id));

/** A hypothesis at or above this would page someone (lib/schemas/hypothesis.ts). */
export const ALARM = 0.5;
/** Issue 14 acceptance: every class at least this share of variants top-1 … */
export const TOP1_THRESHOLD = 0.95;
/** … and no false alarm on a healthy or near-miss variant. */
export const MAX_FALSE_ALARMS = 0;

/** Whether a table row meets the acceptance bar. */
export function meetsBar(r: Row): boolean {
  return (r.top1 === null || r.top1 >= TOP1_THRESHOLD) && (r.falseAlarms ?? 0) <= MAX_FALSE_ALARMS;
}

export interface Outcome {
  cls: string;
  kind: VariantKind;
  index: number;
  expect: string | null;
  axes: Record<string, string>;
  /** First hypothesis (detector, confidence, files it cites), null when there was none. */
  top: { detector: string; confidence: number; files: string[] } | null;
  /** Confidence of the expected detector's hypothesis (0 when it did not fire); null for non-incidents. */
  rightConfidence: number | null;
  /** Incidents: first hypothesis is the class's detector and cites a file holding the mechanism's evidence. */
  top1: boolean;
  /**
   * Healthy: some hypothesis ≥ ALARM; near-miss: some mechanism (specific detector) ≥ ALARM, and for
   * a localising class also service-fault or any hypothesis naming a service (`facts.service`) ≥ ALARM.
   */
  falseAlarm: boolean;
  hypotheses: { detector: string; confidence: number; service?: string }[];
  status: string;
  /** Localising classes (incidents): the service and kind the first hypothesis names, and what was expected. */
  expectService?: string;
  expectKind?: string;
  namedService?: string | null;
  namedKind?: string | null;
  /** The first hypothesis cites a file marked as holding the evidence (reported for localising classes, not required). */
  citesEvidence?: boolean;
  /** The first hypothesis' facts, when the stored hypotheses were read (what a miss is made of). */
  topFacts?: HypothesisFacts;
  /** Analysis wall time and bundle size, for the cost of a class. */
  seconds?: number;
  bytes?: number;
}

/** What a stored hypothesis says beyond the CLI report (the report has no facts). */
export type HypothesisFacts = Record<string, unknown>;

const named = (f: HypothesisFacts | undefined) => (typeof f?.service === "string" && f.service.trim() !== "" ? f.service : null);

/**
 * Whether a cited file is one of the evidence files. The pipeline may prefix paths (an archive's
 * name, a folder) so a path matches when one ends with the other at a `/` boundary.
 */
export function sameFile(cited: string, evidence: string): boolean {
  return cited === evidence || cited.endsWith(`/${evidence}`) || evidence.endsWith(`/${cited}`);
}

/**
 * `facts`: the stored hypotheses' facts, in the report's order (needed for localising classes). An
 * incident with `expectService` is right when the first hypothesis is the class's detector and names
 * that service; every other incident when the first is the class's detector and cites an evidence file.
 */
export function scoreVariant(v: Pick<Variant, "cls" | "kind" | "index" | "expect" | "evidence" | "axes" | "expectService" | "expectKind" | "serviceAlarm">, report: CliReport, facts: readonly (HypothesisFacts | undefined)[] = []): Outcome {
  const hs = report.hypotheses;
  const first = hs[0] ?? null;
  const right = v.expect ? hs.filter((h) => h.detector === v.expect) : [];
  const cites = first !== null && first.evidence.some((e) => v.evidence.some((p) => sameFile(e.file, p)));
  const top1 =
    v.kind === "incident" && first !== null && first.detector === v.expect && (v.expectService !== undefined ? named(facts[0]) === v.expectService : cites);
  const alarm = (h: CliReport["hypotheses"][number], i: number) =>
    h.confidence >= ALARM && (MECHANISM.has(h.detector) || (v.serviceAlarm === true && (h.detector === "service-fault" || named(facts[i]) !== null)));
  const localised =
    v.expectService !== undefined
      ? {
          expectService: v.expectService,
          ...(v.expectKind !== undefined ? { expectKind: v.expectKind } : {}),
          namedService: first?.detector === v.expect ? named(facts[0]) : null,
          namedKind: first?.detector === v.expect && typeof facts[0]?.kind === "string" ? facts[0].kind : null,
          citesEvidence: cites,
        }
      : {};
  return {
    cls: v.cls,
    kind: v.kind,
    index: v.index,
    expect: v.expect,
    axes: v.axes,
    top: first ? { detector: first.detector, confidence: first.confidence, files: [...new Set(first.evidence.map((e) => e.file))] } : null,
    rightConfidence: v.kind === "incident" ? Math.max(0, ...right.map((h) => h.confidence)) : null,
    top1,
    falseAlarm: v.kind === "healthy" ? hs.some((h) => h.confidence >= ALARM) : v.kind !== "incident" && hs.some(alarm),
    hypotheses: hs.map((h, i) => {
      const s = named(facts[i]);
      return { detector: h.detector, confidence: h.confidence, ...(s ? { service: s } : {}) };
    }),
    status: report.status,
    ...localised,
    ...(facts[0] ? { topFacts: facts[0] } : {}),
  };
}

export interface Row {
  cls: string;
  kind: VariantKind;
  variants: number;
  /** Incidents only. */
  top1: number | null;
  medianConfidence: number | null;
  falseAlarms: number | null;
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** One row per class (in first-seen order) and a totals row. */
export function tabulate(outcomes: readonly Outcome[]): { rows: Row[]; total: Row } {
  const order: string[] = [];
  const by = new Map<string, Outcome[]>();
  for (const o of outcomes) {
    if (!by.has(o.cls)) order.push(o.cls);
    by.set(o.cls, [...(by.get(o.cls) ?? []), o]);
  }
  const row = (cls: string, os: Outcome[], kind: VariantKind): Row => {
    const inc = os.filter((o) => o.kind === "incident");
    const calm = os.filter((o) => o.kind !== "incident");
    return {
      cls,
      kind,
      variants: os.length,
      top1: inc.length ? inc.filter((o) => o.top1).length / inc.length : null,
      medianConfidence: median(inc.map((o) => o.rightConfidence ?? 0)),
      falseAlarms: calm.length ? calm.filter((o) => o.falseAlarm).length : null,
    };
  };
  const rows = order.map((c) => row(c, by.get(c)!, by.get(c)![0]!.kind));
  return { rows, total: row("total", [...outcomes], "incident") };
}

export function formatTable(t: { rows: Row[]; total: Row }): string {
  const pct = (x: number | null) => (x === null ? "-" : `${(x * 100).toFixed(1)} %`);
  const conf = (x: number | null) => (x === null ? "-" : x.toFixed(2));
  const head = ["class", "variants", "top-1", "median conf", "false alarms"];
  const cells = [...t.rows, t.total].map((r) => [r.cls, String(r.variants), pct(r.top1), conf(r.medianConfidence), r.falseAlarms === null ? "-" : String(r.falseAlarms)]);
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((x, i) => (i === 0 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join(" | ")} |`;
  const sep = `|${w.map((n, i) => (i === 0 ? `${"-".repeat(n + 2)}` : `${"-".repeat(n + 1)}:`)).join("|")}|`;
  return [line(head), sep, ...cells.slice(0, -1).map(line), line(cells.at(-1)!.map((c, i) => (i === 0 ? "**total**" : c)))].join("\n");
}

/**
 * Localising classes: share of incidents whose first hypothesis names the right service, the right
 * kind (of those), cites an evidence file; median analysis seconds and bundle size of the class's rows.
 */
export interface LocalisationRow {
  cls: string;
  incidents: number;
  service: number;
  kind: number | null;
  cites: number;
  medianSeconds: number | null;
  medianMB: number | null;
  maxMB: number | null;
}

export function localisation(outcomes: readonly Outcome[]): LocalisationRow[] {
  const classes = [...new Set(outcomes.filter((o) => o.expectService !== undefined).map((o) => o.cls))];
  return classes.map((cls) => {
    const inc = outcomes.filter((o) => o.cls === cls && o.kind === "incident");
    const rows = outcomes.filter((o) => o.cls === cls || o.cls.startsWith(`${cls}/`));
    const right = inc.filter((o) => o.namedService === o.expectService);
    const withKind = right.filter((o) => o.expectKind !== undefined);
    const mb = rows.flatMap((o) => (o.bytes !== undefined ? [o.bytes / 1e6] : []));
    return {
      cls,
      incidents: inc.length,
      service: inc.length ? right.length / inc.length : 0,
      kind: withKind.length ? withKind.filter((o) => o.namedKind === o.expectKind).length / withKind.length : null,
      cites: inc.length ? inc.filter((o) => o.citesEvidence).length / inc.length : 0,
      medianSeconds: median(rows.flatMap((o) => (o.seconds !== undefined ? [o.seconds] : []))),
      medianMB: median(mb),
      maxMB: mb.length ? Math.max(...mb) : null,
    };
  });
}

/** Variants that missed (incident not top-1, or a false alarm), for the failure analysis. */
export function failures(outcomes: readonly Outcome[]): Outcome[] {
  return outcomes.filter((o) => (o.kind === "incident" ? !o.top1 : o.falseAlarm));
}
