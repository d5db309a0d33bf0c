import fs from "node:fs";
import os from "node:os";
import { isMainThread } from "node:worker_threads";

/**
 * Lowers the CPU priority of the calling worker thread — and of threads it starts later, which
 * inherit it (the SQLite writer thread of a parse) — so that parsing and analysing a big bundle
 * take the CPU the web's main thread leaves over instead of competing with it as equals.
 *
 * Linux schedules threads, not processes: each thread has its own nice value. Inside a worker
 * thread `/proc/thread-self` links to `<pid>/task/<tid>`, and setpriority(PRIO_PROCESS, tid) —
 * `os.setPriority(tid, n)` — changes that one thread. Raising the nice value needs no privilege
 * (lowering it back would, so this only ever raises it).
 *
 * The nice value comes from HINDSIGHT_PIPELINE_NICE: the web server and `npm run worker` set it to
 * 10 when unset (boot.ts, worker-main.ts); the CLI, benchmarks and tests leave it unset, so their
 * threads keep the normal priority. A no-op (null) on the main thread (it would renice the whole
 * web's event loop), where /proc/thread-self does not exist (not Linux) and on any error.
 */
export function lowerThreadPriority(nice = niceFromEnv()): { tid: number; nice: number } | null {
  if (isMainThread || nice <= 0) return null;
  try {
    const tid = currentTid();
    if (tid === null || tid === process.pid) return null;
    const current = os.getPriority(tid);
    if (current < nice) os.setPriority(tid, nice);
    return { tid, nice: os.getPriority(tid) };
  } catch {
    return null;
  }
}

/** This thread's id, from `/proc/thread-self` → `<pid>/task/<tid>`; null where that does not exist. */
export function currentTid(): number | null {
  try {
    const m = /(?:^|\/)(\d+)\/task\/(\d+)$/.exec(fs.readlinkSync("/proc/thread-self"));
    return m ? Number(m[2]) : null;
  } catch {
    return null;
  }
}

/** HINDSIGHT_PIPELINE_NICE as a nice value 0–19 (0: leave the priority alone). */
export function niceFromEnv(env: Record<string, string | undefined> = process.env): number {
  const n = Number(env.HINDSIGHT_PIPELINE_NICE);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 19) : 0;
}
