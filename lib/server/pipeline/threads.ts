import path from "node:path";
import { Worker } from "node:worker_threads";
import { projectRoot } from "@/lib/server/paths";

/**
 * Runs a CPU-heavy pipeline task (parsing, analysis) in a worker thread so the event loop of the
 * web process keeps answering requests. Each task gets a fresh thread: tasks are coarse (a whole
 * file, a whole analysis), so start-up cost is negligible and a leak in one cannot accumulate.
 */
export function runInThread<T>(task: "ingest-file" | "analyze", input: unknown, onProgress?: (value: number) => void, signal?: AbortSignal): Promise<T> {
  const entry = path.join(projectRoot(), "lib/server/pipeline/thread-entry.mjs");
  return new Promise<T>((resolve, reject) => {
    const worker = new Worker(entry, {
      workerData: { task, input },
      // Don't inherit --import flags of the parent: the entry registers its own loader.
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: 1536 },
    });
    let settled = false;
    const onAbort = () => {
      void worker.terminate();
      finish(() => reject(new Error("aborted")));
    };
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      fn();
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    worker.on("message", (msg: { type: string; value?: number; result?: T; message?: string; stack?: string }) => {
      if (msg.type === "progress" && typeof msg.value === "number") onProgress?.(msg.value);
      else if (msg.type === "result") finish(() => resolve(msg.result as T));
      else if (msg.type === "error") {
        const err = new Error(msg.message);
        err.stack = msg.stack;
        finish(() => reject(err));
      }
    });
    worker.on("error", (err) => finish(() => reject(err)));
    worker.on("exit", (code) => finish(() => reject(new Error(`pipeline thread exited with code ${code} before finishing ${task}`))));
  });
}
