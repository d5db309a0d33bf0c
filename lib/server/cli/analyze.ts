import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CliReport } from "@/lib/schemas/api";
import { ASSESSMENT_LABEL } from "@/lib/schemas/hypothesis";
import { limitsFromEnv } from "@/lib/schemas/limits";
import { createPrisma } from "@/lib/server/db/client";
import { databaseFromUrl } from "@/lib/server/db/provider";
import { migrate } from "@/lib/server/db/migrate";
import { consumeAnalysis, createQueue } from "@/lib/server/jobs";
import { createIncident, getIncident } from "@/lib/server/services/incidents";
import { collectInputs } from "./inputs";
import { parseArgs, UsageError } from "./args";
import { takeDraftFlag, writeDraft } from "@/lib/server/draft/cli";

/**
 * `hindsight analyze`: the same pipeline as the server (unpack → parse in worker threads →
 * correlate → detect) against a temporary SQLite database that is deleted afterwards.
 */
export async function analyzeCommand(rawArgv: string[]): Promise<number> {
  // --draft [FILE]: the postmortem draft (Markdown) to FILE, or to stdout instead of the report.
  const { argv, draft } = takeDraftFlag(rawArgv);
  const { positionals, flags } = parseArgs(argv, { strings: ["manifest", "title"], booleans: ["json"] });
  if (draft?.file === null && flags.json === true) throw new UsageError("--json and --draft to stdout both use stdout: give --draft a FILE");
  if (positionals.length === 0) throw new UsageError("analyze needs at least one file, folder or archive");
  const json = flags.json === true;
  // With --json, stdout carries only the report.
  const log = json ? (..._a: unknown[]) => undefined : (...a: unknown[]) => console.error(...a);
  if (json) console.log = (...a: unknown[]) => console.error(...a);

  const inputs = collectInputs(positionals);
  if (typeof flags.manifest === "string") {
    const m = path.resolve(flags.manifest);
    const ext = /\.json$/i.test(m) ? "json" : "yaml";
    inputs.push({ name: `bundle.${ext}`, absPath: m, size: fs.statSync(m).size });
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hindsight-cli-"));
  process.env.HINDSIGHT_DATA_DIR = tmp;
  const dbConfig = databaseFromUrl(path.join(tmp, "hindsight.db"));
  await migrate(dbConfig);
  const db = createPrisma(dbConfig);
  const queue = await createQueue(dbConfig, db, { ...process.env, HINDSIGHT_JOB_MAX_ATTEMPTS: "2" });
  try {
    await queue.start();
    log(`analyzing ${inputs.length} file(s)…`);
    const totalBytes = inputs.reduce((s, i) => s + i.size, 0);
    const { id } = await createIncident(
      { title: typeof flags.title === "string" ? flags.title : undefined, uploads: inputs.map((i) => ({ name: i.name, tempPath: i.absPath, size: i.size })) },
      { db, queue: async () => queue, dataDir: tmp, limits: limitsFromEnv(process.env) },
    );
    await consumeAnalysis(queue, db, dbConfig, { ...process.env, HINDSIGHT_JOB_MAX_ATTEMPTS: "2" });
    let lastStage = "";
    for (;;) {
      const detail = await getIncident(id, db);
      const run = detail?.run;
      if (run && run.stage !== lastStage) {
        log(`  ${Math.round(run.progress * 100)}% ${run.stage}`);
        lastStage = run.stage;
      }
      if (detail && run && (run.status === "completed" || run.status === "partial" || run.status === "failed")) {
        const report = CliReport.parse({
          status: run.status,
          assessment: run.assessment,
          files: detail.files.map((f) => ({ path: f.path, format: f.format, status: f.status, records: f.records, skipped: f.skipped, warnings: f.warnings, ...(f.summary ? { summary: f.summary } : {}) })),
          hypotheses: detail.hypotheses.map((h) => ({
            detector: h.detector,
            title: h.title,
            confidence: h.confidence,
            summary: h.summary,
            evidence: h.evidence.map((e) => ({ file: e.file, line: e.line ?? null, ts: e.ts ?? null, excerpt: e.excerpt })),
          })),
        });
        if (draft && run.status !== "failed") await writeDraft(db, id, draft, log);
        if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        else if (draft?.file !== null) printHuman(report, totalBytes, run.problems);
        return run.status === "failed" ? 1 : 0;
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  } finally {
    await queue.stop(1000);
    await db.$disconnect();
    fs.rmSync(tmp, { recursive: true, force: true });
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

