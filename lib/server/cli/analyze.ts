import fs from "node:fs";
import path from "node:path";
import { format } from "node:util";
import type { CliReport } from "@/lib/schemas/api";
import { ASSESSMENT_LABEL } from "@/lib/schemas/hypothesis";
import { openAnalysisSession } from "@/lib/server/cli/session";
import { collectInputs } from "./inputs";
import { parseArgs, UsageError } from "./args";
import { takeDraftFlag, writeDraft } from "@/lib/server/cli/draft";

/**
 * `hindsight analyze`: the same pipeline as the server (unpack → parse in worker threads →
 * correlate → detect) against a temporary SQLite database that is deleted afterwards
 * (lib/server/cli/session.ts, shared with `npm run eval`).
 */
export async function analyzeCommand(rawArgv: string[]): Promise<number> {
  // --draft [FILE]: the postmortem draft (Markdown) to FILE, or to stdout instead of the report.
  const { argv, draft } = takeDraftFlag(rawArgv);
  const { positionals, flags } = parseArgs(argv, { strings: ["manifest", "title"], booleans: ["json"] });
  if (draft?.file === null && flags.json === true) throw new UsageError("--json and --draft to stdout both use stdout: give --draft a FILE");
  if (positionals.length === 0) throw new UsageError("analyze needs at least one file, folder or archive");
  const json = flags.json === true;
  // Progress for the user on stderr; with --json, stdout carries only the report (the pipeline's
  // diagnostics go to the log on stderr; anything a library prints through console.log follows).
  const log = json ? () => undefined : (...a: unknown[]) => void process.stderr.write(`${format(...a)}\n`);
  // eslint-disable-next-line no-console -- not logging: keeps a library's console.log off stdout
  if (json) console.log = (...a: unknown[]) => console.error(...a);

  const inputs = collectInputs(positionals);
  if (typeof flags.manifest === "string") {
    const m = path.resolve(flags.manifest);
    const ext = /\.json$/i.test(m) ? "json" : "yaml";
    inputs.push({ name: `bundle.${ext}`, absPath: m, size: fs.statSync(m).size });
  }
  const session = await openAnalysisSession(process.env);
  try {
    log(`analyzing ${inputs.length} file(s)…`);
    const totalBytes = inputs.reduce((s, i) => s + i.size, 0);
    const { incidentId, report, problems } = await session.analyze(inputs, {
      title: typeof flags.title === "string" ? flags.title : undefined,
      onStage: (progress, stage) => log(`  ${Math.round(progress * 100)}% ${stage}`),
    });
    if (draft && report.status !== "failed") await writeDraft(session.db, incidentId, draft, log);
    if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else if (draft?.file !== null) printHuman(report, totalBytes, problems);
    return report.status === "failed" ? 1 : 0;
  } finally {
    await session.close();
  }
}

function printHuman(report: CliReport, totalBytes: number, problems: { scope: string; message: string }[]): void {
  const out = (s = "") => process.stdout.write(`${s}\n`);
  out(`Status: ${report.status}  (${report.files.length} files, ${(totalBytes / 1024 / 1024).toFixed(1)} MiB)`);
  out();
  const w = Math.min(70, Math.max(...report.files.map((f) => f.path.length), 4));
  out(`${"FILE".padEnd(w)}  ${"FORMAT".padEnd(16)}  ${"STATUS".padEnd(12)}  ${"RECORDS".padStart(9)}  ${"SKIPPED".padStart(8)}  WARN`);
  for (const f of report.files) {
    const p = f.path.length > w ? `…${f.path.slice(-(w - 1))}` : f.path;
    out(`${p.padEnd(w)}  ${(f.format ?? "-").padEnd(16)}  ${f.status.padEnd(12)}  ${String(f.records).padStart(9)}  ${String(f.skipped).padStart(8)}  ${f.warnings.length}`);
  }
  if (problems.length > 0) {
    out();
    out("Problems:");
    for (const p of problems) out(`  ${p.scope}: ${p.message}`);
  }
  out();
  if (report.assessment) out(`Assessment: ${ASSESSMENT_LABEL[report.assessment.kind]} — ${report.assessment.detail}`);
  if (report.hypotheses.length === 0) {
    out("No hypotheses.");
    return;
  }
  out("Hypotheses (ranked):");
  report.hypotheses.forEach((h, i) => {
    out(`${i + 1}. [${Math.round(h.confidence * 100)}%] ${h.title}  (${h.detector})`);
    out(`   ${h.summary}`);
    for (const e of h.evidence.slice(0, 5)) out(`   - ${e.file}${e.line ? `:${e.line}` : ""}${e.ts ? ` @ ${e.ts}` : ""}  ${e.excerpt.slice(0, 120)}`);
  });
}

