/**
 * `npm run eval [-- --seed S] [--n N] [--only CLASS] [--index I] [--json] [--dump DIR] [--jobs N] [--outcomes FILE]`
 *
 * Variation testing (issue 14): generates N variants per class (and per near-miss, and healthy),
 * analyses each through the CLI's in-process pipeline and prints the per-class table: top-1 rate
 * (right detector first, citing the file that holds the evidence), median confidence of the right
 * cause, false alarms (a hypothesis ≥ 0.5 on a healthy or near-miss variant). Exit 1 when a class is
 * under 95 % top-1 or there is a false alarm. Localising classes (service-fault) add a line each: right
 * service, right kind, evidence cited, median seconds and bundle size. `--outcomes FILE` writes every
 * variant's outcome (not only the misses) as JSON.
 *
 * `npm run eval -- nezha <set-dir> [--only CASE] [--json] [--files] [--out FILE] [--jobs N]`: service localisation
 * (AS@1 / AS@3) on a benchmark set of real incident bundles, see nezha.ts.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, UsageError } from "@/lib/server/cli/args";
import { nezhaMain } from "./nezha";
import { failures, formatTable, localisation, meetsBar, tabulate, type LocalisationRow, type Outcome } from "./score";
import { evaluate, suiteEntries } from "./suite";

/**
 * Each variant is analysed by the CLI's pipeline in one process; `--jobs N` (default: the cores, at
 * most 4) runs N such processes on interleaved shards and merges their outcomes back into the
 * suite's fixed order, so the table is the same whatever N is.
 */
async function inParallel(argv: string[], jobs: number): Promise<Outcome[]> {
  const script = fileURLToPath(import.meta.url);
  const parts = await Promise.all(
    Array.from({ length: jobs }, (_, i) =>
      new Promise<Outcome[]>((resolve, reject) => {
        const out = path.join(os.tmpdir(), `hindsight-eval-shard-${process.pid}-${i}.json`);
        const child = spawn(process.execPath, [...process.execArgv, script, ...argv.filter((a, k) => a !== "--json" && argv[k - 1] !== "--jobs" && a !== "--jobs" && argv[k - 1] !== "--outcomes" && a !== "--outcomes"), "--shard", `${i}/${jobs}`, "--out", out], { stdio: ["ignore", "ignore", "inherit"] });
        child.on("error", reject);
        child.on("close", (code) => {
          try {
            resolve(JSON.parse(fs.readFileSync(out, "utf8")) as Outcome[]);
            fs.rmSync(out, { force: true });
          } catch {
            reject(new Error(`eval shard ${i}/${jobs} exited ${code} without outcomes`));
          }
        });
      }),
    ),
  );
  const all = parts.flat();
  const order = new Map(suiteEntries().map((e, k) => [e.cls, k]));
  return all.sort((a, b) => (order.get(a.cls) ?? 0) - (order.get(b.cls) ?? 0) || a.index - b.index);
}

async function main(argv: string[]): Promise<number> {
  // `npm run eval -- nezha <set-dir> …`: service localisation on a benchmark set (nezha.ts).
  if (argv[0] === "nezha") return nezhaMain(argv.slice(1));
  const { flags } = parseArgs(argv, { strings: ["seed", "n", "only", "index", "dump", "jobs", "shard", "out", "outcomes"], booleans: ["json"] });
  const seed = flags.seed === undefined ? 1 : Number(flags.seed);
  const n = flags.n === undefined ? 200 : Number(flags.n);
  if (!Number.isInteger(seed) || seed < 0 || !Number.isInteger(n) || n < 1) throw new UsageError("--seed and --n take non-negative / positive integers");
  const index = flags.index === undefined ? undefined : Number(flags.index);
  if (index !== undefined && (!Number.isInteger(index) || index < 0)) throw new UsageError("--index takes a non-negative integer");
  const json = flags.json === true;
  const only = typeof flags.only === "string" ? flags.only : undefined;
  const dump = typeof flags.dump === "string" ? flags.dump : undefined;
  const started = Date.now();
  // With --json stdout carries only the result: the pipeline logs to stderr (lib/server/log.ts), and
  // anything a library prints through console.log is sent there too.
  if (json) console.log = (...a: unknown[]) => console.error(...a);
  const jobs = flags.jobs === undefined ? Math.max(1, Math.min(4, os.availableParallelism())) : Number(flags.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError("--jobs takes a positive integer");
  const shard = typeof flags.shard === "string" ? /^(\d+)\/(\d+)$/.exec(flags.shard) : null;
  if (shard) {
    // A child of a parallel run: analyse every `of`-th variant and hand the outcomes back as JSON.
    const of = Number(shard[2]);
    const mine = await evaluate({ seed, n, only, index, dump, shard: { i: Number(shard[1]), of }, onOutcome: (_o, done, total) => done % 50 === 0 && process.stderr.write(`shard ${shard[1]}/${of}: ${done}/${Math.ceil(total / of)}\n`) });
    // Through a file, not stdout: process.exit right after a large write to a pipe loses its tail.
    fs.writeFileSync(String(flags.out), JSON.stringify(mine));
    return 0;
  }
  const progress = (o: Outcome, done: number, total: number) => {
    if (process.stderr.isTTY) process.stderr.write(`\r${done}/${total} ${o.cls.padEnd(34)}`);
    else if (done % 25 === 0 || done === total) process.stderr.write(`${done}/${total}\n`);
  };
  const outcomes = jobs > 1 && index === undefined ? await inParallel(argv, jobs) : await evaluate({ seed, n, only, index, dump, onOutcome: progress });
  if (process.stderr.isTTY) process.stderr.write("\n");
  const table = tabulate(outcomes);
  const failed = failures(outcomes);
  const loc = localisation(outcomes);
  const ok = table.rows.every(meetsBar);
  if (typeof flags.outcomes === "string") fs.writeFileSync(flags.outcomes, `${JSON.stringify(outcomes, null, 1)}\n`);
  if (json) {
    process.stdout.write(`${JSON.stringify({ seed, n, only: only ?? null, ok, table, localisation: loc, failures: failed }, null, 2)}\n`);
    return ok ? 0 : 1;
  }
  const out = (s = "") => process.stdout.write(`${s}\n`);
  out(`eval seed=${seed} n=${n}${only ? ` only=${only}` : ""}${index !== undefined ? ` index=${index}` : ""} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  out();
  out(formatTable(table));
  for (const l of loc) out(`\n${formatLocalisation(l)}`);
  if (failed.length > 0) {
    out();
    out(`Misses (${failed.length}); replay one with --seed ${seed} --only <class> --index <i> --dump DIR:`);
    for (const f of failed.slice(0, 400)) {
      const top = f.top ? `${f.top.detector} ${f.top.confidence.toFixed(2)} cites ${f.top.files.join(", ").slice(0, 120)}` : "no hypothesis";
      const alarms = f.hypotheses.filter((h) => h.confidence >= 0.5).map((h) => `${h.detector} ${h.confidence.toFixed(2)}`).join(", ");
      const service = f.expectService !== undefined ? `; named ${f.namedService ?? "-"}${f.namedKind ? ` (${f.namedKind})` : ""}, expected ${f.expectService} (${f.expectKind ?? "?"})` : "";
      const namedAlarms = f.kind !== "incident" ? f.hypotheses.filter((h) => h.confidence >= 0.5 && h.service).map((h) => ` ${h.service}`).join(",") : "";
      const tf = f.topFacts;
      const signals = tf && f.top?.detector === "service-fault" ? ` [split ${String(tf.splitBasis)}; trace ${String(tf.traceSignal)} metric ${String(tf.metricSignal)} path ${String(tf.pathSignal)} logs ${String(tf.logSignal)} bail ${String(tf.bailSignal)}]` : "";
      out(`- ${f.cls} #${f.index}: top ${top}${f.kind === "incident" ? `; right cause ${(f.rightConfidence ?? 0).toFixed(2)}${service}` : `; ≥0.5: ${alarms}${namedAlarms ? ` naming${namedAlarms}` : ""}`}${signals}`);
      out(`    ${Object.entries(f.axes).map(([k, v]) => `${k}=${v}`).join(" ")}`);
    }
  }
  return ok ? 0 : 1;
}

function formatLocalisation(l: LocalisationRow): string {
  const pct = (x: number | null) => (x === null ? "-" : `${(x * 100).toFixed(1)} %`);
  return (
    `${l.cls}: right service first ${pct(l.service)} of ${l.incidents} incidents, right kind ${pct(l.kind)} of those, evidence file cited ${pct(l.cites)}; ` +
    `median ${l.medianSeconds === null ? "-" : l.medianSeconds.toFixed(1)} s per variant, bundle median ${l.medianMB === null ? "-" : l.medianMB.toFixed(2)} MB (max ${l.maxMB === null ? "-" : l.maxMB.toFixed(2)} MB)`
  );
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`eval: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
