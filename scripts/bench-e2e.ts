/**
 * End-to-end bench line (issue 4): a ~1 GB mixed bundle from upload-complete to first hypothesis.
 *
 *   bundle = the seed-000 scenario (iptables dumps, Envoy logs, OTLP traces, events, timeline,
 *            manifest) + a large, realistic, healthy Envoy access log of another service over the
 *            same window (BENCH_E2E_MB, default 1024)
 *   clock  = starts when the upload is on the server (files on disk), stops when the analysis run
 *            has stored its first hypothesis; unpack + parse + store + correlate + detect inside
 *   memory = peak RSS of this process, which runs the worker (queue consumer + pipeline thread)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DEFAULT_LIMITS } from "@/lib/schemas/limits";
import { createPrisma } from "@/lib/server/db/client";
import { databaseFromUrl } from "@/lib/server/db/provider";
import { migrate } from "@/lib/server/db/migrate";
import { consumeAnalysis, createQueue } from "@/lib/server/jobs";
import { createIncident } from "@/lib/server/services/incidents";
import { mulberry32 } from "@/lib/prng";

const MB = 1024 * 1024;
const TARGET = Number(process.env.BENCH_E2E_MB || 1024) * MB;
const SCENARIO = path.resolve("tests/fixtures/scenarios/seed-000-mesh-iptables-reorder");


/** Healthy catalog → inventory traffic over the scenario window, Istio default Envoy format. */
function writeFiller(file: string, bytes: number): number {
  const r = mulberry32(11);
  const start = Date.parse("2024-10-15T13:55:00Z");
  const span = Date.parse("2024-10-15T14:52:00Z") - start;
  const approxLines = Math.ceil(bytes / 330);
  const fd = fs.openSync(file, "w");
  let written = 0;
  let i = 0;
  try {
    while (written < bytes) {
      const parts: string[] = [];
      for (let k = 0; k < 10_000; k++, i++) {
        const t = new Date(start + Math.floor((i / approxLines) * span)).toISOString();
        const dur = 3 + Math.floor(r() * 30);
        parts.push(
          `[${t}] "GET /api/inventory/${i % 5000} HTTP/1.1" 200 - via_upstream - "-" 0 ${400 + (i % 900)} ${dur} ${dur - 1} "-" "catalog/1.4.0" "${(i * 2654435761 >>> 0).toString(16).padStart(8, "0")}-1c2d-4e5f-8a9b-${i.toString(16).padStart(12, "0")}" "inventory.shop.svc.cluster.local:8080" "10.244.2.${10 + (i % 40)}:8080" outbound|8080||inventory.shop.svc.cluster.local 10.244.1.${50 + (i % 20)}:${30000 + (i % 30000)} 10.96.12.${i % 250}:8080 10.244.1.${50 + (i % 20)}:${40000 + (i % 20000)} - default\n`,
        );
      }
      written += fs.writeSync(fd, parts.join(""));
    }
  } finally {
    fs.closeSync(fd);
  }
  return i;
}

function listFiles(dir: string, rel = ""): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(dir, r));
    else if (e.name !== "expect.json") out.push(r);
  }
  return out;
}

export async function benchEndToEnd(): Promise<{ seconds: number; peakRssMiB: number; bundleMiB: number; firstHypothesis: string | null; line: string }> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hindsight-bench-e2e-"));
  const upload = path.join(tmp, "upload");
  fs.mkdirSync(upload);
  const filler = path.join(upload, "catalog-istio-proxy.log");
  writeFiller(filler, TARGET);
  const uploads = listFiles(SCENARIO).map((rel) => {
    const abs = path.join(SCENARIO, rel);
    return { name: `incident/${rel}`, tempPath: abs, size: fs.statSync(abs).size };
  });
  uploads.push({ name: "incident/logs/catalog-istio-proxy.log", tempPath: filler, size: fs.statSync(filler).size });
  const bundleMiB = uploads.reduce((s, u) => s + u.size, 0) / MB;

  process.env.HINDSIGHT_DATA_DIR = path.join(tmp, "data");
  const dbConfig = databaseFromUrl(path.join(tmp, "data", "hindsight.db"));
  fs.mkdirSync(path.join(tmp, "data"), { recursive: true });
  await migrate(dbConfig);
  const db = createPrisma(dbConfig);
  const queue = await createQueue(dbConfig, db);
  await queue.start();
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 200);
  const t0 = performance.now();
  try {
    const { runId } = await createIncident({ title: "bench e2e", uploads }, { db, queue: async () => queue, dataDir: path.join(tmp, "data"), limits: DEFAULT_LIMITS });
    await consumeAnalysis(queue, db, dbConfig);
    let first: string | null = null;
    for (;;) {
      const h = await db.hypothesisRow.findFirst({ where: { runId }, orderBy: { rank: "asc" } });
      if (h) {
        first = `${h.detector} (${Math.round(h.confidence * 100)}%)`;
        break;
      }
      const run = await db.analysisRun.findUniqueOrThrow({ where: { id: runId } });
      if (run.status === "failed" || ((run.status === "completed" || run.status === "partial") && !h)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const seconds = (performance.now() - t0) / 1000;
    const peakRssMiB = peak / MB;
    const line = `end-to-end: ${bundleMiB.toFixed(0)} MiB mixed bundle, upload-complete → first hypothesis ${seconds.toFixed(1)} s (goal <= 60: ${seconds <= 60 ? "met" : "NOT met"}), first = ${first ?? "none"}, worker peak RSS ${peakRssMiB.toFixed(0)} MiB (goal <= 1024: ${peakRssMiB <= 1024 ? "met" : "NOT met"})`;
    return { seconds, peakRssMiB, bundleMiB, firstHypothesis: first, line };
  } finally {
    clearInterval(sampler);
    await queue.stop(1000);
    await db.$disconnect();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith("bench-e2e.ts")) {
  benchEndToEnd()
    .then((r) => console.log(r.line))
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
