import { parentPort } from "node:worker_threads";
import type { DatabaseConfig } from "@/lib/server/db/provider";
import { ingestFile, type IngestFileInput } from "@/lib/server/pipeline/ingest-file";
import { runAnalysisStage, type AnalysisStageInput } from "@/lib/server/pipeline/analysis-stage";
import { parseChunk, type ChunkTask } from "@/lib/server/pipeline/summarised-chunks";
import { closeBatchSink, parseSpanBatch, type SpanBatchTask } from "@/lib/server/pipeline/summarised-spans";

type TaskMessage =
  | { id: number; task: "ingest-file"; input: IngestFileInput }
  | { id: number; task: "analyze"; input: AnalysisStageInput }
  | { id: number; task: "parse-chunk"; input: ChunkTask }
  | { id: number; task: "parse-span-batch"; input: SpanBatchTask }
  | { id: number; task: "close-batch-sink"; input: null }
  | { id: number; task: "warm-views"; input: { db: DatabaseConfig; incidentId: string; runId: string } };

/**
 * The program of a pipeline thread (lib/server/pipeline/threads.ts starts it through thread-entry.mjs):
 * the pipeline's tasks, and after a run the views' warm-up — which is why it lives in jobs, above
 * both pipeline and views, rather than in pipeline.
 *
 * Runs tasks one at a time, in the order they arrive (PipelineThread sends one at a time).
 */
let queue: Promise<void> = Promise.resolve();

parentPort?.on("message", (msg: TaskMessage) => {
  queue = queue.then(() => handle(msg));
});

async function handle(msg: TaskMessage): Promise<void> {
  const progress = (value: number) => parentPort?.postMessage({ id: msg.id, type: "progress", value });
  try {
    const result = await run(msg, progress);
    parentPort?.postMessage({ id: msg.id, type: "result", result });
  } catch (err) {
    const e = err as Error;
    parentPort?.postMessage({ id: msg.id, type: "error", message: e.message, stack: e.stack });
  }
}

function run(msg: TaskMessage, progress: (value: number) => void): Promise<unknown> {
  switch (msg.task) {
    case "ingest-file":
      return ingestFile(msg.input, progress);
    case "analyze":
      return runAnalysisStage(msg.input, progress);
    case "parse-chunk":
      return parseChunk(msg.input, progress);
    case "parse-span-batch":
      return parseSpanBatch(msg.input);
    case "close-batch-sink":
      return closeBatchSink();
    case "warm-views":
      return warmViews(msg.input.db, msg.input.incidentId, msg.input.runId);
  }
}

/** The views' per-run caches, with a client of this thread's own (Prisma is loaded only here). */
async function warmViews(db: DatabaseConfig, incidentId: string, runId: string): Promise<{ ms: number; failed: string[] }> {
  const [{ createPrisma }, { warmViewCache }] = await Promise.all([import("@/lib/server/db/client"), import("@/lib/server/views/warm")]);
  const prisma = createPrisma(db);
  try {
    return await warmViewCache(prisma, incidentId, runId);
  } finally {
    await prisma.$disconnect();
  }
}
