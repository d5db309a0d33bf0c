import path from "node:path";
import { Worker } from "node:worker_threads";
import { projectRoot } from "@/lib/server/paths";

export type ThreadTask = "ingest-file" | "analyze" | "parse-chunk" | "parse-span-batch" | "close-batch-sink" | "warm-views";

/**
 * The thread itself died (out of memory, native crash, exit) — as opposed to its task throwing
 * (a database or filesystem error, which the job retries).
 */
export class ThreadCrashError extends Error {
  override readonly name = "ThreadCrashError";
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; onProgress?: (v: number) => void };

/**
 * A worker thread that runs CPU-heavy pipeline tasks (parsing, analysis) so the event loop of the
 * web process keeps answering requests. One thread serves a whole job (its files one after the
 * other, then the analysis): loading the pipeline's TypeScript once per job instead of once per
 * file. If the thread dies (out of memory, native crash) the current task fails and the next task
 * gets a fresh thread.
 */
export class PipelineThread {
  private worker: Worker | null = null;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();

  private ensure(): Worker {
    if (this.worker) return this.worker;
    // The thread's program (jobs/thread-main.ts: the pipeline's tasks and the views' warm-up) is
    // assembled in jobs, the layer above both pipeline and views; it is named here by path, not imported.
    const entry = path.join(/*turbopackIgnore: true*/ projectRoot(), "lib/server/jobs/thread-entry.mjs");
    // The ignore comments keep Next's bundler from replacing this worker with a bundled chunk:
    // the thread loads the TypeScript pipeline from disk through tsx, in the CLI and the server alike.
    const worker = new Worker(/* webpackIgnore: true */ /*turbopackIgnore: true*/ entry, {
      // Don't inherit --import flags of the parent: the entry registers its own loader.
      execArgv: [],
      // A bounded heap keeps the web process lean while it parses (GC runs sooner; records are streamed,
      // so a parse never needs much live memory). Big-document parsers cap their own buffers.
      // The young generation matters as much: parsing allocates a few short-lived objects per
      // line, and at 16 MB (≈ 5 MB semi-spaces) scavenges took half the CPU — 10 µs a record
      // instead of 5 (measured, 100 MB access log). 48 MB gives the main thread's 16 MB semi-spaces.
      resourceLimits: { maxOldGenerationSizeMb: 512, maxYoungGenerationSizeMb: 48 },
    });
    worker.on("message", (msg: { id: number; type: string; value?: number; result?: unknown; message?: string; stack?: string }) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      if (msg.type === "progress" && typeof msg.value === "number") p.onProgress?.(msg.value);
      else if (msg.type === "result") {
        this.pending.delete(msg.id);
        p.resolve(msg.result);
      } else if (msg.type === "error") {
        this.pending.delete(msg.id);
        const err = new Error(msg.message);
        err.stack = msg.stack;
        p.reject(err);
      }
    });
    const failAll = (err: Error) => {
      if (this.worker === worker) this.worker = null;
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        p.reject(err);
      }
    };
    worker.on("error", (err) => failAll(new ThreadCrashError(err.message)));
    worker.on("exit", (code) => failAll(new ThreadCrashError(`pipeline thread exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  run<T>(task: ThreadTask, input: unknown, onProgress?: (value: number) => void, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(new Error("aborted"));
    const worker = this.ensure();
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        // Abandoning a task mid-way: the thread's state is unknown, so it goes.
        void this.close();
        reject(new Error("aborted"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.pending.set(id, {
        resolve: (v) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(v as T);
        },
        reject: (e) => {
          signal?.removeEventListener("abort", onAbort);
          reject(e);
        },
        onProgress,
      });
      worker.postMessage({ id, task, input });
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}

/** One-shot convenience (bench, tests): a thread for a single task. */
export async function runInThread<T>(task: ThreadTask, input: unknown, onProgress?: (value: number) => void, signal?: AbortSignal): Promise<T> {
  const t = new PipelineThread();
  try {
    return await t.run<T>(task, input, onProgress, signal);
  } finally {
    await t.close();
  }
}
