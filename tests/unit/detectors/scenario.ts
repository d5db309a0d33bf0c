/**
 * Loads a scenario bundle directory (tests/fixtures/scenarios/<name>/) through the parser registry —
 * sniff each file's head, parse it with the chosen parser and the manifest-derived ParseContext — and
 * runs analyzeRecords on the result, the same path the worker/CLI takes for an uploaded bundle.
 */
import { createReadStream, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { BundleManifest, MANIFEST_NAMES } from "@/lib/schemas/manifest";
import type { EvidenceRecord } from "@/lib/schemas/records";
import { analyzeRecords, type AnalyzeResult, type AnalyzeInput } from "@/lib/server/analysis/analyze";
import { getParser, sniff } from "@/lib/server/parsers/registry";
import type { ParseContext } from "@/lib/server/parsers/types";

export const SCENARIO_ROOT = path.resolve(__dirname, "..", "..", "fixtures", "scenarios");
const HEAD_BYTES = 64 * 1024;

/** The shape of a scenario's expect.json (written by scripts/gen-scenarios.ts, read by the tests). */
export interface ScenarioExpect {
  description: string;
  seed: string | null;
  /** Detector that must rank first with confidence ≥ 0.5, or null: nothing may reach 0.5. */
  top: string | null;
  /** A file the top hypothesis must cite. */
  topEvidenceFile?: string;
  /** Must also produce a hypothesis (any rank, any confidence). */
  alsoFires?: string[];
  /** Must not produce a hypothesis at ≥ 0.5. */
  mustNotFire: string[];
  /** path → parser id that must claim it (the scenario test skips until these parsers land). */
  formats: Record<string, string>;
  /**
   * Figures the named detectors must report: an exact JSON value, {min,max}, {each:{min,max}} for
   * number arrays, or {match: regex}. `skew` (path → {min,max}) checks applied clock-skew corrections.
   */
  facts?: Record<string, Record<string, unknown>>;
  skew?: Record<string, { min: number; max: number }>;
}
export interface LoadedScenario {
  name: string;
  expect: ScenarioExpect;
  manifest?: BundleManifest;
  /** path → parser id chosen by sniffing (null = unclaimed) */
  sniffed: Record<string, string | null>;
  skipped: number;
  warnings: number;
}

export function listScenarios(): string[] {
  return readdirSync(SCENARIO_ROOT).filter((d) => statSync(path.join(SCENARIO_ROOT, d)).isDirectory()).sort();
}
function walk(dir: string, base = ""): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const full = path.join(dir, n);
      const rel = base ? `${base}/${n}` : n;
      return statSync(full).isDirectory() ? walk(full, rel) : [rel];
    });
}
function head(file: string): string {
  const buf = readFileSync(file);
  return buf.subarray(0, HEAD_BYTES).toString("utf8");
}
export function readExpect(name: string): ScenarioExpect {
  return JSON.parse(readFileSync(path.join(SCENARIO_ROOT, name, "expect.json"), "utf8")) as ScenarioExpect;
}

/** Which parser claims each evidence file right now (used to skip until the parsers land). */
export function sniffScenario(name: string): Record<string, string | null> {
  const dir = path.join(SCENARIO_ROOT, name);
  const out: Record<string, string | null> = {};
  for (const rel of walk(dir)) {
    if (rel === "expect.json" || (MANIFEST_NAMES as readonly string[]).includes(rel)) continue;
    out[rel] = sniff(head(path.join(dir, rel)), rel).parser?.id ?? null;
  }
  return out;
}
/** True when every file is claimed by the parser expect.json names for it. */
export function parsersReady(name: string): { ready: boolean; missing: string[] } {
  const exp = readExpect(name);
  const got = sniffScenario(name);
  const missing = Object.entries(exp.formats).filter(([p, id]) => got[p] !== id).map(([p, id]) => `${p} (want ${id}, got ${got[p] ?? "none"})`);
  return { ready: missing.length === 0, missing };
}

function nodeFor(rel: string, manifest?: BundleManifest): string | undefined {
  for (const [prefix, node] of Object.entries(manifest?.nodes ?? {})) if (rel.startsWith(prefix)) return node;
  return /^nodes\/([^/]+)\//.exec(rel)?.[1];
}

export async function runScenario(name: string, opts: { detectors?: AnalyzeInput["detectors"] } = {}): Promise<{ loaded: LoadedScenario; result: AnalyzeResult }> {
  const dir = path.join(SCENARIO_ROOT, name);
  const expect = readExpect(name);
  const manifestFile = MANIFEST_NAMES.find((m) => statSync(path.join(dir, m), { throwIfNoEntry: false }));
  const manifest = manifestFile ? BundleManifest.parse(parseYaml(readFileSync(path.join(dir, manifestFile), "utf8"))) : undefined;
  const sniffed = sniffScenario(name);
  const files = Object.keys(sniffed).map((rel, i) => ({ fileId: `file-${i}`, path: rel, format: manifest?.formats?.[rel] ?? sniffed[rel] ?? null, node: nodeFor(rel, manifest) }));
  let skipped = 0;
  let warnings = 0;
  async function* records(): AsyncGenerator<{ fileId: string; record: EvidenceRecord }> {
    for (const f of files) {
      const parser = f.format ? getParser(f.format) : undefined;
      if (!parser) continue;
      const role = manifest?.iptables?.before?.includes(f.path) ? "before" : manifest?.iptables?.after?.includes(f.path) ? "after" : undefined;
      const ctx: ParseContext = { path: f.path, manifest, node: f.node, timezone: manifest?.timezone, referenceDate: manifest?.date, role };
      for await (const item of parser.parse(createReadStream(path.join(dir, f.path)), ctx)) {
        if (item.kind === "skipped") skipped++;
        else if (item.kind === "warning") warnings++;
        else yield { fileId: f.fileId, record: item };
      }
    }
  }
  const result = await analyzeRecords({ files, records: records(), manifest, ...(opts.detectors ? { detectors: opts.detectors } : {}) });
  return { loaded: { name, expect, manifest, sniffed, skipped, warnings }, result };
}
