"use strict";
// The SQLite sink's statement executor (sqlite-writer.ts). Plain CommonJS, so a writer thread loads
// it without the TypeScript loader: starting a thread costs milliseconds, not the ~0.5 s of
// registering tsx and loading the pipeline. Non-pipelined sinks run the same code in their own
// thread (openWriter), so both paths execute identical code. CommonJS (require) because Node 20
// cannot require() an ES module, and the TypeScript pipeline that imports this file runs as CommonJS.
/* eslint-disable @typescript-eslint/no-require-imports */
const Database = require("better-sqlite3");
const { isMainThread, parentPort, workerData } = require("node:worker_threads");

/** Values per Evidence row in a "rows" message (sink.ts ROW_WIDTH), spelled out in the insert below. */
const ROW_WIDTH = 14;

/** Opens the connection and prepares the statements; returns the message handler. */
function openWriter(w) {
  if (w.rowWidth !== ROW_WIDTH) throw new Error(`SQLite writer: rows of ${w.rowWidth} values, expected ${ROW_WIDTH}`);
  const conn = new Database(w.sqlitePath, { timeout: 5000 });
  for (const p of w.pragmas) conn.pragma(p);
  const insertEvidence = conn.prepare(w.sql.insertEvidence);
  const insertBucket = conn.prepare(w.sql.insertBucket);
  const insertHistogram = conn.prepare(w.sql.insertHistogram);
  const deletes = w.sql.deletes.map((d) => conn.prepare(d));
  const inc = w.incidentId;
  const file = w.fileId;
  // Arguments spelled out rather than spread: this loop runs once per stored record.
  const writeRows = conn.transaction((v) => {
    for (let i = 0; i < v.length; i += ROW_WIDTH) {
      insertEvidence.run(inc, file, v[i], v[i + 1], v[i + 2], v[i + 3], v[i + 4], v[i + 5], v[i + 6], v[i + 7], v[i + 8], v[i + 9], v[i + 10], v[i + 11], v[i + 12], v[i + 13]);
    }
  });
  const clear = conn.transaction(() => {
    for (const d of deletes) d.run(file);
  });
  const writeBuckets = conn.transaction((rows) => {
    for (const r of rows) insertBucket.run(inc, file, r.second, r.source, r.dest, r.status, r.flag, r.count, r.durationSumMs);
  });
  const writeHistograms = conn.transaction((rows) => {
    for (const r of rows) insertHistogram.run(inc, file, r.service, r.hop, r.minute, r.metric, r.count, r.histogram);
  });
  return (m) => {
    switch (m.op) {
      case "rows":
        writeRows(m.values);
        break;
      case "clear":
        clear();
        break;
      case "buckets":
        writeBuckets(m.rows);
        break;
      case "histograms":
        writeHistograms(m.rows);
        break;
      case "close":
        if (conn.open) conn.close();
        break;
    }
  };
}

// As a writer thread (WriterThread in sqlite-writer.ts): messages in order, each acknowledged `{ id, error? }`.
if (!isMainThread && workerData && workerData.hindsightSqliteWriter) {
  const handle = openWriter(workerData.hindsightSqliteWriter);
  parentPort.on("message", (m) => {
    try {
      handle(m);
      parentPort.postMessage({ id: m.id });
    } catch (e) {
      parentPort.postMessage({ id: m.id, error: String((e && e.message) || e) });
    }
  });
}

module.exports = { openWriter };
