import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CliReport } from "@/lib/schemas/api";
import { limitsFromEnv } from "@/lib/schemas/limits";
import { createPrisma, type Db } from "@/lib/server/db/client";
import { databaseFromUrl } from "@/lib/server/db/provider";
import { migrate } from "@/lib/server/db/migrate";
import { consumeAnalysis, createQueue } from "@/lib/server/jobs";
import { createIncident, getIncident } from "@/lib/server/services/incidents";

/** One file handed to the analysis, named as it is inside the bundle. */
export interface SessionInput {
  name: string;
  absPath: string;
  size: number;
}

export interface SessionResult {
  incidentId: string;
  report: CliReport;
  problems: { scope: string; message: string }[];
}

export interface AnalysisSession {
  /** The session's database: for follow-up reads such as the draft. */
  db: Db;
  analyze(inputs: SessionInput[], opts?: { title?: string; onStage?: (progress: number, stage: string) => void }): Promise<SessionResult>;
  close(): Promise<void>;
}

/**
 * The server's pipeline (unpack → parse in worker threads → correlate → detect) in this process,
 * against a temporary SQLite database deleted on close. The CLI and `npm run eval` both analyse
 * through this, so what eval measures is what a user of either gets; one session serves many
 * bundles, so the migration and queue start are paid once.
 */
export async function openAnalysisSession(env: NodeJS.ProcessEnv = process.env): Promise<AnalysisSession> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hindsight-cli-"));
  // Parse threads read the data directory from the environment.
  process.env.HINDSIGHT_DATA_DIR = tmp;
  const jobEnv = { ...env, HINDSIGHT_DATA_DIR: tmp, HINDSIGHT_JOB_MAX_ATTEMPTS: "2" };
  const dbConfig = databaseFromUrl(path.join(tmp, "hindsight.db"));
  await migrate(dbConfig);
  const db = createPrisma(dbConfig);
  const queue = await createQueue(dbConfig, db, jobEnv);
  await queue.start();
  await consumeAnalysis(queue, db, dbConfig, jobEnv, { warmViews: false });
  return {
    db,
    async analyze(inputs, opts = {}) {
      const { id } = await createIncident(
        { title: opts.title, uploads: inputs.map((i) => ({ name: i.name, tempPath: i.absPath, size: i.size })) },
        { db, queue: async () => queue, dataDir: tmp, limits: limitsFromEnv(env) },
      );
      let lastStage = "";
      for (;;) {
        const detail = await getIncident(id, db);
        const run = detail?.run;
        if (run && run.stage !== lastStage) {
          opts.onStage?.(run.progress, run.stage);
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
          return { incidentId: id, report, problems: run.problems };
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      await queue.stop(1000);
      await db.$disconnect();
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}
