/**
 * `npm run eval -- nezha <set-dir> [--only CASE] [--json] [--files] [--out FILE] [--jobs N]` (issue 17)
 *
 * Service localisation on a benchmark set such as ../shared/eval/nezha-ob: every `<case>.tar.gz`
 * of the set is analysed as a user's upload would be (the CLI's in-process pipeline,
 * lib/server/cli/session.ts), and the ranked hypotheses are scored against the set's
 * `expected.json` (AS@1 / AS@3, nezha-score.ts). Prints per case the top-3 named services and the
 * seconds the analysis took, then AS@1 / AS@3 per fault type and overall with the median seconds.
 * A measurement: the exit code is 0 whatever the scores; 2 when the set directory is not a set.
 *
 *   --only CASE   one case, or every case whose id starts with CASE
 *   --json        the results as JSON on stdout (per case: named services, files parsed, problems)
 *   --files       under each case: every file's format, status and record count, and each
 *                 hypothesis with the service it names and the field that decided it
 *   --out FILE    also write the JSON results to FILE
 *   --jobs N      N processes on interleaved shards (default 1: the seconds are measured too)
 *
 * Nothing is specific to one application: the services and pods a hypothesis may name are read
 * from each bundle (OTLP resource `service.name` / `k8s.pod.name`, Jaeger `serviceName`,
 * Prometheus series labels `service` / `pod`, pod log file names), the truth only from
 * `expected.json`.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { StringDecoder } from "node:string_decoder";
import { createGunzip } from "node:zlib";
import { fileURLToPath } from "node:url";
import * as tar from "tar-stream";
import { z } from "zod";
import type { Hypothesis } from "@/lib/schemas/hypothesis";
import { openAnalysisSession } from "@/lib/server/cli/session";
import { parseArgs, UsageError } from "@/lib/server/cli/args";
import { getIncident } from "@/lib/server/services/incidents";
import { buildVocabulary, formatSummary, namedService, scoreServices, serviceOfPod, summarise, type MentionField, type NezhaOutcome, type Vocabulary } from "./nezha-score";

const Expected = z.record(z.string(), z.object({ service: z.string().min(1), pod: z.string().optional(), fault: z.string().min(1), inject_time: z.string().optional() }).loose());

export interface NezhaCase {
  id: string;
  archive: string;
  service: string;
  pod: string | null;
  fault: string;
}

/** A set directory: `expected.json` and one `<case>.tar.gz` (or `.tgz`) per case it lists. Throws UsageError otherwise. */
export function loadSet(dir: string): { name: string; cases: NezhaCase[] } {
  const root = path.resolve(dir);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new UsageError(`nezha: ${dir} is not a directory`);
  const file = path.join(root, "expected.json");
  if (!fs.existsSync(file)) throw new UsageError(`nezha: ${dir} has no expected.json`);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new UsageError(`nezha: ${file} is not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const parsed = Expected.safeParse(raw);
  if (!parsed.success) throw new UsageError(`nezha: ${file} is not {case: {service, pod, fault, inject_time}}: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  const missing: string[] = [];
  const cases = Object.entries(parsed.data)
    .map(([id, e]): NezhaCase | null => {
      const archive = [`${id}.tar.gz`, `${id}.tgz`].map((n) => path.join(root, n)).find((p) => fs.existsSync(p));
      if (!archive) {
        missing.push(id);
        return null;
      }
      return { id, archive, service: e.service, pod: e.pod ?? null, fault: e.fault };
    })
    .filter((c): c is NezhaCase => c !== null)
    .sort((a, b) => a.id.localeCompare(b.id));
  if (missing.length > 0) throw new UsageError(`nezha: ${missing.length} case(s) of expected.json have no <case>.tar.gz in ${dir}: ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", …" : ""}`);
  if (cases.length === 0) throw new UsageError(`nezha: ${file} lists no case`);
  return { name: path.basename(root), cases };
}

/** `--only`: a case id, or a prefix of ids (`ob-20220823`). */
export function selectCases(cases: readonly NezhaCase[], only?: string): NezhaCase[] {
  if (!only) return [...cases];
  const picked = cases.filter((c) => c.id === only || c.id.startsWith(only));
  if (picked.length === 0) throw new UsageError(`nezha: --only ${only}: no such case`);
  return picked;
}

// ---------------------------------------------------------------------------------------------
// The system's names, from the bundle

/** Text after a match that a name pair is read from: a resource's attributes, a series' labels. */
const WINDOW = 4096;
const RESOURCE = /"resource"\s*:\s*\{/g;
const OTLP_ATTR = /"key"\s*:\s*"(service\.name|k8s\.pod\.name)"\s*,\s*"value"\s*:\s*\{\s*"stringValue"\s*:\s*"([^"\\]*)"/g;
const PROM_METRIC = /"metric"\s*:\s*\{([^{}]*)\}/g;
const PROM_LABEL = /"(service|pod|pod_name|kubernetes_pod_name)"\s*:\s*"([^"\\]*)"/g;
const JAEGER_SERVICE = /"serviceName"\s*:\s*"([^"\\]*)"/g;

/**
 * Reads (service, pod) pairs from JSON text fed in chunks of any size, in bounded memory: OTLP
 * resources (`service.name`, `k8s.pod.name` among a resource's attributes), Prometheus series
 * (`"metric": {…, "service": …, "pod": …}`) and Jaeger processes (`serviceName`). A match is read
 * once the WINDOW after its start has arrived (or the text ended); then the text before is dropped.
 */
export class NameScanner {
  readonly seen: { service?: string; pod?: string }[] = [];
  private readonly keys = new Set<string>();
  private buf = "";

  push(text: string): void {
    this.buf += text;
    this.scan(false);
  }

  end(): void {
    this.scan(true);
    this.buf = "";
  }

  private add(service: string | undefined, pod: string | undefined): void {
    if (!service && !pod) return;
    const key = `${service ?? ""}\0${pod ?? ""}`;
    if (this.keys.has(key)) return;
    this.keys.add(key);
    this.seen.push({ ...(service ? { service } : {}), ...(pod ? { pod } : {}) });
  }

  private scan(final: boolean): void {
    // Matches starting before `limit` have their whole window; the rest wait for more text.
    const limit = final ? this.buf.length : this.buf.length - WINDOW;
    if (limit <= 0) return;
    for (const m of matchesBefore(RESOURCE, this.buf, limit)) {
      let attrs = this.buf.slice(m.index + m[0].length, m.index + WINDOW);
      const next = attrs.search(/"resource"\s*:/);
      if (next >= 0) attrs = attrs.slice(0, next);
      const found: Record<string, string> = {};
      for (const a of attrs.matchAll(OTLP_ATTR)) found[a[1]!] ??= a[2]!;
      this.add(found["service.name"], found["k8s.pod.name"]);
    }
    for (const m of matchesBefore(PROM_METRIC, this.buf, limit)) {
      const labels: Record<string, string> = {};
      for (const l of m[1]!.matchAll(PROM_LABEL)) labels[l[1]!] ??= l[2]!;
      this.add(labels.service, labels.pod ?? labels.pod_name ?? labels.kubernetes_pod_name);
    }
    for (const m of matchesBefore(JAEGER_SERVICE, this.buf, limit)) this.add(m[1], undefined);
    this.buf = this.buf.slice(limit);
  }
}

function* matchesBefore(re: RegExp, text: string, limit: number): Generator<RegExpExecArray> {
  const g = new RegExp(re.source, re.flags);
  for (let m = g.exec(text); m !== null && m.index < limit; m = g.exec(text)) {
    yield m;
    if (m[0].length === 0) g.lastIndex++;
  }
}

/** A `.log` file named after a pod (`pods/cartservice-579f59597d-wc2lz.log`): that pod. */
export function podOfLogFile(entry: string): string | null {
  const base = path.posix.basename(entry).replace(/\.log$/i, "");
  if (base === path.posix.basename(entry)) return null;
  return serviceOfPod(base) ? base : null;
}

/** Every (service, pod) the bundle names, read from the archive as a stream. */
export async function bundleNames(archive: string): Promise<{ service?: string; pod?: string }[]> {
  const extract = tar.extract();
  const scanner = new NameScanner();
  const logPods: { pod: string }[] = [];
  const pipeline = new Promise<void>((resolve, reject) => {
    const source = fs.createReadStream(archive);
    const gunzip = createGunzip();
    for (const s of [source, gunzip]) s.on("error", reject);
    extract.on("error", reject);
    extract.on("finish", resolve);
    source.pipe(gunzip).pipe(extract);
  });
  for await (const entry of extract) {
    const name = entry.header.name;
    const pod = entry.header.type === "file" ? podOfLogFile(name) : null;
    if (pod) logPods.push({ pod });
    if (entry.header.type === "file" && /\.json$/i.test(name)) {
      const decoder = new StringDecoder("utf8");
      for await (const chunk of entry as AsyncIterable<Buffer>) scanner.push(decoder.write(chunk));
      scanner.push(decoder.end());
      scanner.end();
    } else entry.resume();
  }
  await pipeline;
  return [...scanner.seen, ...logPods];
}

// ---------------------------------------------------------------------------------------------
// Running the cases

/** One case as scored, with what the pipeline made of the bundle. */
export interface NezhaCaseResult extends NezhaOutcome {
  status: string;
  assessment: string | null;
  vocabulary: { services: number; pods: number; expectedInBundle: boolean };
  hypothesesNamed: { detector: string; confidence: number; title: string; service: string | null; field: MentionField | null }[];
  files: { path: string; format: string | null; status: string; records: number; skipped: number; warnings: number }[];
  problems: { scope: string; message: string }[];
}

function withExpected(vocab: Vocabulary, c: NezhaCase): { vocab: Vocabulary; inBundle: boolean } {
  const service = c.service.toLowerCase();
  const inBundle = vocab.services.has(service);
  if (inBundle && (!c.pod || vocab.pods.has(c.pod.toLowerCase()))) return { vocab, inBundle };
  // The truth is a name of the system even where the bundle's files missed it: a hypothesis naming it is right.
  const pods = new Map(vocab.pods);
  if (c.pod) pods.set(c.pod.toLowerCase(), service);
  return { vocab: { services: new Set([...vocab.services, service]), pods }, inBundle };
}

/** Analyses and scores the cases in order, one analysis session for all of them. */
export async function runCases(cases: readonly NezhaCase[], onResult?: (r: NezhaCaseResult) => void): Promise<NezhaCaseResult[]> {
  const session = await openAnalysisSession(process.env);
  const results: NezhaCaseResult[] = [];
  try {
    for (const c of cases) {
      const { vocab, inBundle } = withExpected(buildVocabulary(await bundleNames(c.archive)), c);
      const started = performance.now();
      let hypotheses: Hypothesis[] = [];
      let r: Omit<NezhaCaseResult, keyof NezhaOutcome | "vocabulary" | "hypothesesNamed">;
      let error: string | undefined;
      try {
        const size = fs.statSync(c.archive).size;
        const { incidentId, report, problems } = await session.analyze([{ name: path.basename(c.archive), absPath: c.archive, size }], { title: `nezha ${c.id}` });
        // The stored hypotheses carry their facts (the CLI report does not).
        hypotheses = (await getIncident(incidentId, session.db))?.hypotheses ?? [];
        r = {
          status: report.status,
          assessment: report.assessment ? `${report.assessment.kind}: ${report.assessment.detail}` : null,
          files: report.files.map((f) => ({ path: f.path, format: f.format, status: f.status, records: f.records, skipped: f.skipped, warnings: f.warnings.length })),
          problems,
        };
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
        r = { status: "error", assessment: null, files: [], problems: [] };
      }
      const seconds = (performance.now() - started) / 1000;
      const named = hypotheses.map((h) => namedService(h, vocab));
      const top = [0, 1, 2].map((k) => named[k]?.service ?? null);
      const result: NezhaCaseResult = {
        case: c.id,
        fault: c.fault,
        expected: c.service,
        top,
        hypotheses: hypotheses.length,
        ...scoreServices(c.service, named.map((n) => n?.service ?? null)),
        seconds,
        ...(error ? { error } : {}),
        ...r,
        vocabulary: { services: vocab.services.size, pods: vocab.pods.size, expectedInBundle: inBundle },
        hypothesesNamed: hypotheses.map((h, k) => ({ detector: h.detector, confidence: h.confidence, title: h.title, service: named[k]?.service ?? null, field: named[k]?.field ?? null })),
      };
      results.push(result);
      onResult?.(result);
    }
  } finally {
    await session.close();
  }
  return results;
}

/** `--jobs N`: N processes on interleaved shards of the cases, merged back into case order. */
async function inParallel(argv: string[], jobs: number, total: number): Promise<NezhaCaseResult[]> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), "run.ts");
  const forwarded = argv.filter((a, k) => a !== "--json" && a !== "--files" && !["--jobs", "--out"].includes(a) && !["--jobs", "--out"].includes(argv[k - 1] ?? ""));
  let done = 0;
  const parts = await Promise.all(
    Array.from({ length: jobs }, (_, i) =>
      new Promise<NezhaCaseResult[]>((resolve, reject) => {
        const out = path.join(os.tmpdir(), `hindsight-nezha-shard-${process.pid}-${i}.json`);
        const child = spawn(process.execPath, [...process.execArgv, script, "nezha", ...forwarded, "--shard", `${i}/${jobs}`, "--out", out], { stdio: ["ignore", "ignore", "pipe"] });
        child.stderr.on("data", (d: Buffer) => {
          for (const line of d.toString().split("\n").filter(Boolean)) {
            if (line.startsWith("case ")) process.stderr.write(`[${++done}/${total}] ${line.slice(5)}\n`);
            else process.stderr.write(`${line}\n`);
          }
        });
        child.on("error", reject);
        child.on("close", (code) => {
          try {
            resolve(JSON.parse(fs.readFileSync(out, "utf8")) as NezhaCaseResult[]);
            fs.rmSync(out, { force: true });
          } catch {
            reject(new Error(`nezha shard ${i}/${jobs} exited ${code} without results`));
          }
        });
      }),
    ),
  );
  return parts.flat().sort((a, b) => a.case.localeCompare(b.case));
}

// ---------------------------------------------------------------------------------------------
// Output

const COLS = { case: 18, fault: 15, svc: 22 };

function caseHeader(): string {
  return `${"case".padEnd(COLS.case)} ${"fault".padEnd(COLS.fault)} ${"expected".padEnd(COLS.svc)} ${"#1".padEnd(COLS.svc)} ${"#2".padEnd(COLS.svc)} ${"#3".padEnd(COLS.svc)} hyps       s`;
}

/** One line per case; a named service that is the expected one is marked `*`. */
export function formatCase(r: NezhaOutcome): string {
  const want = r.expected.toLowerCase();
  const slot = (s: string | null) => (s === null ? "-" : s === want ? `${s}*` : s);
  const err = r.error ? `  error: ${r.error.slice(0, 200)}` : "";
  return `${r.case.padEnd(COLS.case)} ${r.fault.padEnd(COLS.fault)} ${r.expected.padEnd(COLS.svc)} ${[0, 1, 2].map((k) => slot(r.top[k] ?? null).padEnd(COLS.svc)).join(" ")} ${String(r.hypotheses).padStart(4)} ${r.seconds.toFixed(1).padStart(7)}${err}`;
}

/** `--files`: what the pipeline made of each file of the bundle, and the hypotheses with the field that named their service. */
function formatDetail(r: NezhaCaseResult): string {
  const lines = [`  status ${r.status}${r.assessment ? `; ${r.assessment}` : ""}; vocabulary ${r.vocabulary.services} services, ${r.vocabulary.pods} pods${r.vocabulary.expectedInBundle ? "" : " (expected service not found in the bundle)"}`];
  for (const f of r.files) lines.push(`  ${f.path.padEnd(60)} ${(f.format ?? "-").padEnd(14)} ${f.status.padEnd(12)} ${String(f.records).padStart(7)} rec ${f.skipped ? ` ${f.skipped} skipped` : ""}${f.warnings ? ` ${f.warnings} warnings` : ""}`);
  for (const p of r.problems) lines.push(`  problem ${p.scope}: ${p.message}`);
  r.hypothesesNamed.forEach((h, k) => lines.push(`  ${k + 1}. [${Math.round(h.confidence * 100)}%] ${h.detector}: ${h.title} → ${h.service ?? "-"}${h.field ? ` (${h.field})` : ""}`));
  return lines.join("\n");
}

export async function nezhaMain(argv: string[]): Promise<number> {
  const { positionals, flags } = parseArgs(argv, { strings: ["only", "jobs", "shard", "out"], booleans: ["json", "files"] });
  if (positionals.length !== 1) throw new UsageError("usage: npm run eval -- nezha <set-dir> [--only CASE] [--json] [--files] [--out FILE] [--jobs N]");
  const set = loadSet(positionals[0]!);
  const cases = selectCases(set.cases, typeof flags.only === "string" ? flags.only : undefined);
  const json = flags.json === true;
  // The pipeline logs through console; with --json stdout carries only the result.
  if (json) console.log = (...a: unknown[]) => console.error(...a);
  // Default one process: the seconds per case are part of the measurement, and parallel runs share the cores.
  const jobs = flags.jobs === undefined ? 1 : Number(flags.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError("--jobs takes a positive integer");
  const shard = typeof flags.shard === "string" ? /^(\d+)\/(\d+)$/.exec(flags.shard) : null;
  if (shard) {
    // A child of a parallel run: every `of`-th case, handed back through a file.
    const [i, of] = [Number(shard[1]), Number(shard[2])];
    const mine = await runCases(cases.filter((_c, k) => k % of === i), (r) => process.stderr.write(`case ${r.case} ${r.seconds.toFixed(1)} s\n`));
    fs.writeFileSync(String(flags.out), JSON.stringify(mine));
    return 0;
  }
  const started = Date.now();
  const out = (s = "") => process.stdout.write(`${s}\n`);
  const stream = !json && Math.min(jobs, cases.length) === 1;
  if (!json) {
    out(`nezha ${set.name}: ${cases.length} case(s), --jobs ${Math.min(jobs, cases.length)}`);
    out(caseHeader());
  }
  let done = 0;
  const results =
    Math.min(jobs, cases.length) > 1
      ? await inParallel(argv, Math.min(jobs, cases.length), cases.length)
      : await runCases(cases, (r) => {
          process.stderr.write(`[${++done}/${cases.length}] ${r.case} ${r.seconds.toFixed(1)} s\n`);
          if (stream) {
            out(formatCase(r));
            if (flags.files === true) out(formatDetail(r));
          }
        });
  const summary = summarise(results);
  const seconds = (Date.now() - started) / 1000;
  const report = `${JSON.stringify({ set: set.name, jobs, seconds, summary, cases: results }, null, 2)}\n`;
  if (typeof flags.out === "string") fs.writeFileSync(flags.out, report);
  if (json) {
    process.stdout.write(report);
    return 0;
  }
  if (!stream)
    for (const r of results) {
      out(formatCase(r));
      if (flags.files === true) out(formatDetail(r));
    }
  out();
  out(`total ${seconds.toFixed(0)} s`);
  out(formatSummary(set.name, summary));
  return 0;
}
