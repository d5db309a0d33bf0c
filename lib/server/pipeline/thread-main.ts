import { parentPort } from "node:worker_threads";
import { ingestFile, type IngestFileInput } from "./ingest-file";
import { runAnalysisStage, type AnalysisStageInput } from "./analysis-stage";
import { parseChunk, type ChunkTask } from "./summarised-chunks";
import { closeBatchSink, parseSpanBatch, type SpanBatchTask } from "./summarised-spans";

type TaskMessage =
  | { id: number; task: "ingest-file"; input: IngestFileInput }
  | { id: number; task: "analyze"; input: AnalysisStageInput }
  | { id: number; task: "parse-chunk"; input: ChunkTask }
  | { id: number; task: "parse-span-batch"; input: SpanBatchTask }
  | { id: number; task: "close-batch-sink"; input: null };

/** Runs tasks one at a time, in the order they arrive (PipelineThread sends one at a time). */
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
  }
}
