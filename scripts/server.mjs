#!/usr/bin/env node
// The production web server `npm start` runs (scripts/start.mjs): Next.js as a custom server
// (https://nextjs.org/docs/app/guides/custom-server) with one addition — every request is first
// offered to the page cache's front door (lib/server/page-cache/front.ts, installed by
// instrumentation.ts), which answers cached incident and share pages without going through
// Next's request pipeline and hands everything else to Next.js untouched.
//
// Otherwise it behaves as `next start`: same build (.next), same proxy.ts, same instrumentation,
// same exit codes on SIGTERM (143) and SIGINT (130) after closing the listener.
//
//   node scripts/server.mjs --port 3000 [--hostname 127.0.0.1]
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bindHost } from "./bind-host.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const port = Number(arg("port") ?? process.env.PORT ?? 3000);
// scripts/start.mjs passes the address; started directly, the same rule applies (single-user mode
// listens on 127.0.0.1 only).
const hostname = arg("hostname") ?? bindHost(process.env).host ?? undefined;
process.env.NODE_ENV = "production";
process.title = "next-server (hindsight)";
// What `next start` records: the app's own URL (the page cache renders through it).
const formatted = !hostname || hostname === "0.0.0.0" ? "localhost" : hostname === "::" ? "[::1]" : hostname.includes(":") ? `[${hostname}]` : hostname;
process.env.__NEXT_PRIVATE_ORIGIN = `http://${formatted}:${port}`;
process.env.PORT = String(port);

const { default: next } = await import("next");
const app = next({ dev: false, dir: root, hostname: hostname ?? "localhost", port });
const handle = app.getRequestHandler();
await app.prepare();

// The process's log (lib/server/log.ts: pino, JSON lines on stderr), which the server's start-up
// (instrumentation.ts → lib/server/boot.ts) has created by now; console only if it has not.
const log = () => globalThis.__hindsightLog ?? { info: (_fields, msg) => console.log(msg), error: (fields, msg) => console.error(msg, fields.err ?? "") };

// The TCP peer, for rate limits (lib/server/http/client-address.ts): always overwritten, so a
// client cannot choose the value by sending the header itself.
const SOCKET_ADDRESS_HEADER = "x-hindsight-socket-address";

const server = http.createServer((req, res) => {
  req.headers[SOCKET_ADDRESS_HEADER] = req.socket.remoteAddress ?? "";
  // Security headers on every response, malformed URLs and TRACE refused, heavy reads admitted a
  // few at a time (lib/server/http/gate.ts); then the page cache, then Next.js.
  const gate = globalThis.__hindsightGate;
  if (gate) gate(req, res, () => route(req, res));
  else route(req, res);
});

function route(req, res) {
  const front = globalThis.__hindsightPageFront;
  if (!front || req.method !== "GET") return void handle(req, res);
  front(req, res).then(
    (served) => {
      if (!served) void handle(req, res);
    },
    (err) => {
      log().error({ err, url: req.url }, "page cache: front door failed");
      if (!res.headersSent) void handle(req, res);
    },
  );
}
server.listen(port, hostname, () => log().info({ origin: process.env.__NEXT_PRIVATE_ORIGIN }, `ready on ${process.env.__NEXT_PRIVATE_ORIGIN}`));
server.on("error", (err) => {
  log().error({ err, hostname: hostname ?? "*", port }, `cannot listen on ${hostname ?? "*"}:${port}`);
  process.exit(1);
});

let closing = false;
for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]]) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    server.close(() => void app.close().finally(() => process.exit(code)));
    // Keep-alive connections would hold close() open: stop idle ones now, the rest after a moment.
    server.closeIdleConnections();
    setTimeout(() => process.exit(code), 5_000).unref();
  });
}
