import { parentPort, workerData } from "node:worker_threads";
import { ingestFile, type IngestFileInput } from "./ingest-file";
import { runAnalysisStage, type AnalysisStageInput } from "./analysis-stage";

type Task = { task: "ingest-file"; input: IngestFileInput } | { task: "analyze"; input: AnalysisStageInput };

async function main(): Promise<void> {
  const data = workerData as Task;
  const progress = (value: number) => parentPort?.postMessage({ type: "progress", value });
  try {
    const result = data.task === "ingest-file" ? await ingestFile(data.input, progress) : await runAnalysisStage(data.input, progress);
    parentPort?.postMessage({ type: "result", result });
  } catch (err) {
    const e = err as Error;
    parentPort?.postMessage({ type: "error", message: e.message, stack: e.stack });
  }
}

void main();
