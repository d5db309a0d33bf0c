import fs from "node:fs";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { currentTid, lowerThreadPriority, niceFromEnv } from "@/lib/server/thread-priority";

/** Nice value of every thread of this process, from /proc/self/task/<tid>/stat (field 19). */
function threadNices(): Map<number, number> {
  const out = new Map<number, number>();
  for (const t of fs.readdirSync("/proc/self/task")) {
    try {
      const stat = fs.readFileSync(`/proc/self/task/${t}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(Number(t), Number(fields[16]));
    } catch {
      /* the thread ended meanwhile */
    }
  }
  return out;
}

const linux = process.platform === "linux" && fs.existsSync("/proc/thread-self");

describe("lowerThreadPriority", () => {
  it("reads HINDSIGHT_PIPELINE_NICE as 0–19, anything else as 0 (leave the priority alone)", () => {
    expect(niceFromEnv({})).toBe(0);
    expect(niceFromEnv({ HINDSIGHT_PIPELINE_NICE: "10" })).toBe(10);
    expect(niceFromEnv({ HINDSIGHT_PIPELINE_NICE: "40" })).toBe(19);
    expect(niceFromEnv({ HINDSIGHT_PIPELINE_NICE: "-5" })).toBe(0);
    expect(niceFromEnv({ HINDSIGHT_PIPELINE_NICE: "off" })).toBe(0);
  });

  it("never touches the main thread (it would slow the web's event loop)", () => {
    const before = linux ? threadNices().get(process.pid) : undefined;
    expect(lowerThreadPriority(10)).toBeNull();
    if (linux) expect(threadNices().get(process.pid)).toBe(before);
  });

  it.runIf(linux)("the pipeline thread entry renices its own thread only, and threads it starts inherit it", async () => {
    expect(currentTid()).toBe(process.pid);
    const before = new Set(threadNices().keys());
    const mainNice = threadNices().get(process.pid);
    // The real entry point of parse/analysis threads (threads.ts), with the server's setting.
    const entry = path.resolve(__dirname, "../../lib/server/jobs/thread-entry.mjs");
    const worker = new Worker(entry, { execArgv: [], env: { ...process.env, HINDSIGHT_PIPELINE_NICE: "10" } });
    try {
      let reniced: number[] = [];
      for (let i = 0; i < 300 && reniced.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        reniced = [...threadNices()].filter(([tid, nice]) => !before.has(tid) && nice === 10).map(([tid]) => tid);
      }
      expect(reniced.length, "a new thread at nice 10").toBeGreaterThan(0);
      expect(threadNices().get(process.pid), "main thread unchanged").toBe(mainNice);
      // Threads that existed before (libuv pool, V8 platform, other workers) keep their priority.
      for (const [tid, nice] of threadNices()) if (before.has(tid)) expect(nice, `thread ${tid}`).toBeLessThan(10);
    } finally {
      await worker.terminate();
    }
    // A thread started by a reniced thread inherits its nice value (the SQLite writer thread of a parse).
    const nested = new Worker(
      `const { Worker, parentPort } = require("node:worker_threads");
       const fs = require("node:fs"), os = require("node:os");
       const tid = () => Number(fs.readlinkSync("/proc/thread-self").split("/").pop());
       os.setPriority(tid(), 10);
       const inner = new Worker("const fs = require('node:fs'), os = require('node:os'); const t = Number(fs.readlinkSync('/proc/thread-self').split('/').pop()); require('node:worker_threads').parentPort.postMessage(os.getPriority(t));", { eval: true });
       inner.on("message", (n) => parentPort.postMessage(n));`,
      { eval: true },
    );
    const innerNice = await new Promise<number>((resolve, reject) => {
      nested.once("message", resolve);
      nested.once("error", reject);
    });
    await nested.terminate();
    expect(innerNice).toBe(10);
  }, 60_000);
});
