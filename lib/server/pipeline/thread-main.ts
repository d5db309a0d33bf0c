import { parentPort } from "node:worker_threads";
import { ingestFile, type IngestFileInput } from "./ingest-file";
import { runAnalysisStage, type AnalysisStageInput } from "./analysis-stage";
import { parseChunk, type ChunkTask } from "./summarised-chunks";

type TaskMessage =
  | { id: number; task: "ingest-file"; input: IngestFileInput }
  | { id: number; task: "analyze"; input: AnalysisStageInput }
  | { id: number; task: "parse-chunk"; input: ChunkTask };

/** Runs tasks one at a time, in the order they arrive (PipelineThread sends one at a time). */
let queue: Promise<void> = Promise.resolve();

parentPort?.on("message", (msg: TaskMessage) => {
  queue = queue.then(() => handle(msg));
});

async function handle(msg: TaskMessage): Promise<void> {
  const progress = (value: number) => parentPort?.postMessage({ id: msg.id, type: "progress", value });
  try {
    const result =
      msg.task === "ingest-file"
        ? await ingestFile(msg.input, progress)
        : msg.task === "parse-chunk"
          ? await parseChunk(msg.input, progress)
          : await runAnalysisStage(msg.input, progress);
    parentPort?.postMessage({ id: msg.id, type: "result", result });
  } catch (err) {
    const e = err as Error;
    parentPort?.postMessage({ id: msg.id, type: "error", message: e.message, stack: e.stack });
  }
}
