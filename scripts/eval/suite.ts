import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openAnalysisSession } from "@/lib/server/cli/session";
import { getIncident } from "@/lib/server/services/incidents";
import { CLASSES } from "./classes";
import { generateVariant, type ClassSpec, type Variant, type VariantKind } from "./generator";
import { scoreVariant, type Outcome } from "./score";

export interface SuiteEntry {
  cls: string;
  spec: ClassSpec | "healthy";
  kind: VariantKind;
}

/** Every row of the table: each class and its near-miss, then healthy. `only` selects by name or class prefix. */
export function suiteEntries(only?: string): SuiteEntry[] {
  const all: SuiteEntry[] = [
    ...CLASSES.flatMap((spec): SuiteEntry[] => [
      { cls: spec.id, spec, kind: "incident" },
      { cls: `${spec.id}/near-miss`, spec, kind: "near-miss" },
    ]),
    { cls: "healthy", spec: "healthy", kind: "healthy" },
  ];
  if (!only) return all;
  const picked = all.filter((e) => e.cls === only || e.cls.startsWith(`${only}/`));
  if (picked.length === 0) throw new Error(`--only ${only}: no such class (${all.map((e) => e.cls).join(", ")})`);
  return picked;
}

/** `index` picks one variant per row (a replay of a printed miss); otherwise indices 0 … n−1. */
export function* variants(seed: number, n: number, only?: string, index?: number, shard?: { i: number; of: number }): Generator<Variant> {
  const indices = index === undefined ? Array.from({ length: n }, (_, i) => i) : [index];
  let k = -1;
  for (const e of suiteEntries(only))
    for (const i of indices) {
      k++;
      // A shard of a parallel run skips the others' variants before generating them.
      if (!shard || k % shard.of === shard.i) yield generateVariant(e.spec, e.kind, seed, i);
    }
}

/** Writes a variant's files under `dir/<cls>/<index>/` and returns them as uploads named by their bundle path. */
export function writeVariant(dir: string, v: Variant): { name: string; absPath: string; size: number }[] {
  const root = path.join(dir, v.cls.replace("/", "__"), String(v.index).padStart(4, "0"));
  fs.mkdirSync(root, { recursive: true });
  fs.writeFileSync(path.join(root, "variant.json"), `${JSON.stringify({ cls: v.cls, kind: v.kind, index: v.index, expect: v.expect, expectService: v.expectService, expectKind: v.expectKind, evidence: v.evidence, axes: v.axes }, null, 2)}\n`);
  return v.files.map((f) => {
    const abs = path.join(root, "bundle", f.path);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, f.content);
    return { name: f.path, absPath: abs, size: fs.statSync(abs).size };
  });
}

/**
 * Generates, analyses (one in-process session, the CLI's pipeline) and scores every variant, in a
 * fixed order so a seed gives the same table. With `dump` the bundles stay there for inspection.
 */
export async function evaluate(opts: { seed: number; n: number; only?: string; index?: number; dump?: string; shard?: { i: number; of: number }; onOutcome?: (o: Outcome, done: number, total: number) => void }): Promise<Outcome[]> {
  const dir = opts.dump ? path.resolve(opts.dump) : fs.mkdtempSync(path.join(os.tmpdir(), "hindsight-eval-"));
  const total = suiteEntries(opts.only).length * (opts.index === undefined ? opts.n : 1);
  const session = await openAnalysisSession(process.env);
  const outcomes: Outcome[] = [];
  try {
    for (const v of variants(opts.seed, opts.n, opts.only, opts.index, opts.shard)) {
      const inputs = writeVariant(dir, v);
      const started = performance.now();
      const { incidentId, report } = await session.analyze(inputs, { title: `eval ${v.cls} #${v.index}` });
      const seconds = (performance.now() - started) / 1000;
      // The stored hypotheses carry their facts (the service a localising class is scored on); the report does not.
      const stored = (await getIncident(incidentId, session.db))?.hypotheses ?? [];
      const facts = report.hypotheses.map((h, i) => (stored[i]?.detector === h.detector ? stored[i]!.facts : undefined));
      const o = { ...scoreVariant(v, report, facts), seconds, bytes: v.bytes ?? inputs.reduce((a, x) => a + x.size, 0) };
      outcomes.push(o);
      opts.onOutcome?.(o, outcomes.length, total);
      if (!opts.dump) fs.rmSync(path.join(dir, v.cls.replace("/", "__"), String(v.index).padStart(4, "0")), { recursive: true, force: true });
    }
  } finally {
    await session.close();
    if (!opts.dump) fs.rmSync(dir, { recursive: true, force: true });
  }
  return outcomes;
}
