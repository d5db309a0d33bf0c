/**
 * `npm run eval [-- --seed S] [--n N] [--only CLASS] [--index I] [--json] [--dump DIR]`
 *
 * Variation testing (issue 14): generates N variants per class (and per near-miss, and healthy),
 * analyses each through the CLI's in-process pipeline and prints the per-class table: top-1 rate
 * (right detector first, citing the file that holds the evidence), median confidence of the right
 * cause, false alarms (a hypothesis ≥ 0.5 on a healthy or near-miss variant). Exit 1 when a class is
 * under 95 % top-1 or there is a false alarm.
 */
import { parseArgs, UsageError } from "@/lib/server/cli/args";
import { failures, formatTable, meetsBar, tabulate, type Outcome } from "./score";
import { evaluate } from "./suite";

async function main(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv, { strings: ["seed", "n", "only", "index", "dump"], booleans: ["json"] });
  const seed = flags.seed === undefined ? 1 : Number(flags.seed);
  const n = flags.n === undefined ? 200 : Number(flags.n);
  if (!Number.isInteger(seed) || seed < 0 || !Number.isInteger(n) || n < 1) throw new UsageError("--seed and --n take non-negative / positive integers");
  const index = flags.index === undefined ? undefined : Number(flags.index);
  if (index !== undefined && (!Number.isInteger(index) || index < 0)) throw new UsageError("--index takes a non-negative integer");
  const json = flags.json === true;
  const only = typeof flags.only === "string" ? flags.only : undefined;
  const dump = typeof flags.dump === "string" ? flags.dump : undefined;
  const started = Date.now();
  // The pipeline logs through console; with --json stdout carries only the result.
  if (json) console.log = (...a: unknown[]) => console.error(...a);
  const outcomes = await evaluate({
    seed,
    n,
    only,
    index,
    dump,
    onOutcome: (o: Outcome, done, total) => {
      if (process.stderr.isTTY) process.stderr.write(`\r${done}/${total} ${o.cls.padEnd(34)}`);
      else if (done % 25 === 0 || done === total) process.stderr.write(`${done}/${total}\n`);
    },
  });
  if (process.stderr.isTTY) process.stderr.write("\n");
  const table = tabulate(outcomes);
  const failed = failures(outcomes);
  const ok = table.rows.every(meetsBar);
  if (json) {
    process.stdout.write(`${JSON.stringify({ seed, n, only: only ?? null, ok, table, failures: failed }, null, 2)}\n`);
    return ok ? 0 : 1;
  }
  const out = (s = "") => process.stdout.write(`${s}\n`);
  out(`eval seed=${seed} n=${n}${only ? ` only=${only}` : ""}${index !== undefined ? ` index=${index}` : ""} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  out();
  out(formatTable(table));
  if (failed.length > 0) {
    out();
    out(`Misses (${failed.length}); replay one with --seed ${seed} --only <class> --index <i> --dump DIR:`);
    for (const f of failed.slice(0, 400)) {
      const top = f.top ? `${f.top.detector} ${f.top.confidence.toFixed(2)} cites ${f.top.files.join(", ").slice(0, 120)}` : "no hypothesis";
      const alarms = f.hypotheses.filter((h) => h.confidence >= 0.5).map((h) => `${h.detector} ${h.confidence.toFixed(2)}`).join(", ");
      out(`- ${f.cls} #${f.index}: top ${top}${f.kind === "incident" ? `; right cause ${(f.rightConfidence ?? 0).toFixed(2)}` : `; ≥0.5: ${alarms}`}`);
      out(`    ${Object.entries(f.axes).map(([k, v]) => `${k}=${v}`).join(" ")}`);
    }
  }
  return ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`eval: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
