import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import { randomBytes } from "node:crypto";
import { collectInputs, type InputFile } from "./inputs";
import { parseArgs, UsageError } from "./args";

/**
 * `hindsight upload`: streams a multipart body (never buffered) to POST /api/incidents with a
 * known Content-Length, drawing a progress bar on stderr, then prints the incident URL.
 */
export async function uploadCommand(argv: string[]): Promise<number> {
  const { positionals, flags } = parseArgs(argv, { strings: ["server", "title", "incident", "token"], booleans: ["json"] });
  if (typeof flags.server !== "string") throw new UsageError("upload needs --server URL");
  if (positionals.length === 0) throw new UsageError("upload needs at least one file, folder or archive");
  const inputs = collectInputs(positionals);
  // An API token (Account page) when the server has accounts; none needed with HINDSIGHT_AUTH=off.
  const token = typeof flags.token === "string" ? flags.token : process.env.HINDSIGHT_TOKEN?.trim() || undefined;
  // --incident ID adds the files to an existing incident (new evidence → re-analysis).
  const url = new URL(typeof flags.incident === "string" ? `/api/incidents/${encodeURIComponent(flags.incident)}/bundles` : "/api/incidents", flags.server);
  const boundary = `----hindsight${randomBytes(12).toString("hex")}`;
  const parts = buildParts(inputs, boundary, typeof flags.title === "string" ? flags.title : undefined);
  const total = parts.reduce((s, p) => s + (typeof p === "string" ? Buffer.byteLength(p) : p.size), 0);

  const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const lib = url.protocol === "https:" ? https : http;
    // The server may answer before the body is sent (401/403/413 come first): stop sending then, and
    // report its answer rather than the broken pipe that follows.
    let answered = false;
    const req = lib.request(url, { method: "POST", headers: { "Content-Type": `multipart/form-data; boundary=${boundary}`, "Content-Length": total, ...(token ? { Authorization: `Bearer ${token}` } : {}) } }, (r) => {
      answered = true;
      let body = "";
      r.setEncoding("utf8");
      r.on("data", (c: string) => (body += c.length < 1_000_000 ? c : ""));
      r.on("end", () => resolve({ status: r.statusCode ?? 0, body }));
      // The connection may close without a clean end after an early answer: keep what came.
      r.on("close", () => resolve({ status: r.statusCode ?? 0, body }));
    });
    req.on("error", (err) => {
      if (!answered) reject(err);
    });
    let sent = 0;
    const bar = progressBar(total);
    (async () => {
      for (const p of parts) {
        if (answered) return;
        if (typeof p === "string") {
          sent += Buffer.byteLength(p);
          if (!req.write(p)) await new Promise((r) => req.once("drain", r));
        } else {
          for await (const chunk of fs.createReadStream(p.absPath, { highWaterMark: 1024 * 1024 })) {
            if (answered) return;
            sent += (chunk as Buffer).length;
            bar(sent);
            if (!req.write(chunk)) await new Promise((r) => req.once("drain", r));
          }
        }
      }
      bar(sent, true);
      req.end();
    })().catch((err) => req.destroy(err as Error));
  });
  if (res.status === 201) {
    const { id } = JSON.parse(res.body) as { id: string };
    const link = new URL(`/incidents/${id}`, flags.server).toString();
    if (flags.json) process.stdout.write(`${JSON.stringify({ id, url: link })}\n`);
    else process.stdout.write(`Uploaded: ${link}\n`);
    return 0;
  }
  let message = res.body;
  try {
    message = (JSON.parse(res.body) as { error: { message: string } }).error.message;
  } catch {
    /* not our JSON */
  }
  process.stderr.write(`Upload refused (HTTP ${res.status}): ${message}\n`);
  if (res.status === 401) process.stderr.write("The server has accounts: create an API token on its Account page and pass --token TOKEN (or set HINDSIGHT_TOKEN).\n");
  return 1;
}

function buildParts(inputs: InputFile[], boundary: string, title?: string): (string | InputFile)[] {
  const parts: (string | InputFile)[] = [];
  if (title) parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\n${title}\r\n`);
  for (const f of inputs) {
    const name = f.name.replace(/["\r\n]/g, "_");
    parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
    parts.push(f);
    parts.push("\r\n");
  }
  parts.push(`--${boundary}--\r\n`);
  return parts;
}

function progressBar(total: number): (sent: number, final?: boolean) => void {
  let last = 0;
  const tty = process.stderr.isTTY;
  return (sent, final = false) => {
    const now = Date.now();
    if (!final && now - last < 200) return;
    last = now;
    const pct = total > 0 ? sent / total : 1;
    const width = 30;
    const line = `[${"#".repeat(Math.round(pct * width)).padEnd(width, ".")}] ${(pct * 100).toFixed(0).padStart(3)}%  ${(sent / 1048576).toFixed(1)}/${(total / 1048576).toFixed(1)} MiB`;
    if (tty) process.stderr.write(`\r${line}${final ? "\n" : ""}`);
    else if (final) process.stderr.write(`${line}\n`);
  };
}
