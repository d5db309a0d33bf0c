/**
 * receiveMultipart against synthetic web Requests (no server): relative paths, the `paths` field,
 * row 9 (upload over the cap → 413, client disconnect → clean abort, partial temp files removed).
 */
import fs from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { receiveMultipart } from "@/lib/server/http/multipart";
import { Cas } from "@/lib/server/storage/cas";
import { BundleLimits, DEFAULT_LIMITS } from "@/lib/schemas/limits";
import { expectBundleError } from "./helpers";
import { listFiles, scratch } from "./make-archives";

const MiB = 1024 * 1024;
const BOUNDARY = "----hindsightTestBoundary7MA4YWxkTrZu0gW";
let dataDir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dataDir, cleanup } = await scratch());
});
afterEach(async () => {
  await cleanup();
});

type Part = { field: string; value: string } | { file: string; filename: string; size: number; byte?: number } | { file: string; filename: string; content: string };

function partHeader(p: Part): Buffer {
  if ("value" in p) return Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${p.field}"\r\n\r\n`);
  return Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${p.file}"; filename="${p.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
}

/**
 * A multipart body produced lazily in 64 KiB chunks, so tests can see how much the receiver pulled.
 * `failAfter` makes the stream error after that many bytes (a client disconnecting mid-upload).
 */
function multipartStream(parts: Part[], options: { failAfter?: number } = {}) {
  const stats = { pulled: 0 };
  function* chunks(): Generator<Buffer> {
    for (const p of parts) {
      yield partHeader(p);
      if ("value" in p) yield Buffer.from(p.value);
      else if ("content" in p) yield Buffer.from(p.content);
      else {
        for (let left = p.size; left > 0; left -= 64 * 1024) yield Buffer.alloc(Math.min(64 * 1024, left), p.byte ?? 0x61);
      }
      yield Buffer.from("\r\n");
    }
    yield Buffer.from(`--${BOUNDARY}--\r\n`);
  }
  const it = chunks();
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (options.failAfter !== undefined && stats.pulled >= options.failAfter) {
        controller.error(new Error("socket hang up"));
        return;
      }
      const next = it.next();
      if (next.done) controller.close();
      else {
        stats.pulled += next.value.length;
        controller.enqueue(new Uint8Array(next.value));
      }
    },
  }, { highWaterMark: 0 }); // pull only on demand, so `pulled` measures what the receiver asked for
  return { body, stats };
}

function request(body: ReadableStream<Uint8Array>, init: { headers?: Record<string, string>; signal?: AbortSignal } = {}): Request {
  return new Request("http://localhost/api/incidents", {
    method: "POST",
    body,
    headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}`, ...init.headers },
    signal: init.signal,
    duplex: "half",
  } as RequestInit);
}

const receive = (req: Request, overrides: Partial<BundleLimits> = {}) =>
  receiveMultipart(req, { limits: BundleLimits.parse({ ...DEFAULT_LIMITS, ...overrides }), dataDir });

describe("receiveMultipart", () => {
  it("streams files to temp files, keeping relative paths from filenames; fields are returned", async () => {
    const { body } = multipartStream([
      { field: "title", value: "Checkout outage" },
      { file: "files", filename: "logs/ztunnel.log", content: "ztunnel line\n" },
      { file: "files", filename: "caf\u00e9/notes.md", content: "# notes\n" },
      { file: "files", filename: "big.bin", size: 300 * 1024, byte: 0x7a },
    ]);
    const form = await receive(request(body));
    expect(form.fields).toEqual({ title: "Checkout outage" });
    expect(form.files.map((f) => [f.name, f.size])).toEqual([
      ["logs/ztunnel.log", 13],
      ["caf\u00e9/notes.md", 8],
      ["big.bin", 300 * 1024],
    ]);
    expect(await fs.readFile(form.files[0]!.tempPath, "utf8")).toBe("ztunnel line\n");
    for (const f of form.files) expect(f.tempPath.startsWith(new Cas(dataDir).tmpDir)).toBe(true);
  });

  it("uses the parallel `paths` field list when it matches the files", async () => {
    const { body } = multipartStream([
      { field: "paths", value: "logs/a.log" },
      { field: "paths", value: "k8s/events.json" },
      { file: "files", filename: "a.log", content: "a" },
      { file: "files", filename: "events.json", content: "{}" },
    ]);
    const form = await receive(request(body));
    expect(form.files.map((f) => f.name)).toEqual(["logs/a.log", "k8s/events.json"]);
    expect(form.fields).toEqual({});
  });

  it("row 9: an upload over the cap is a 413 after reading little more than the cap; temp files removed", async () => {
    const { body, stats } = multipartStream([
      { file: "files", filename: "first.log", size: 512 * 1024 },
      { file: "files", filename: "second.log", size: 10 * MiB },
    ]);
    await expectBundleError(receive(request(body), { maxUploadBytes: 1 * MiB }), "upload_too_large", 413, "HINDSIGHT_MAX_UPLOAD_BYTES");
    // The cap is on all files together (first fits, second pushes over) and reading stops early.
    expect(stats.pulled).toBeLessThan(3 * MiB);
    expect(await listFiles(dataDir)).toEqual([]);
  });

  it("row 9: a Content-Length over the cap is refused before reading the body", async () => {
    const { body, stats } = multipartStream([{ file: "files", filename: "a.log", size: 1024 }]);
    await expectBundleError(
      receive(request(body, { headers: { "content-length": String(5 * MiB) } }), { maxUploadBytes: 1 * MiB }),
      "upload_too_large",
      413,
    );
    expect(stats.pulled).toBe(0);
    expect(await listFiles(dataDir)).toEqual([]);
  });

  it("row 9: a client disconnecting mid-upload is a clean abort; completed and partial temp files removed", async () => {
    const { body } = multipartStream(
      [
        { file: "files", filename: "done.log", size: 200 * 1024 },
        { file: "files", filename: "partial.log", size: 5 * MiB },
      ],
      { failAfter: 1 * MiB },
    );
    await expectBundleError(receive(request(body)), "aborted", 400, "interrupted");
    expect(await listFiles(dataDir)).toEqual([]);
  });

  it("row 9: an aborted request signal stops the upload and removes temp files", async () => {
    const controller = new AbortController();
    const { body, stats } = multipartStream([{ file: "files", filename: "slow.log", size: 50 * MiB }]);
    const pending = receive(request(body, { signal: controller.signal }));
    while (stats.pulled < 256 * 1024) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    await expectBundleError(pending, "aborted", 400);
    expect(stats.pulled).toBeLessThan(50 * MiB);
    expect(await listFiles(dataDir)).toEqual([]);
  });

  it("rejects a non-multipart request and a truncated body with 400", async () => {
    const plain = new Request("http://localhost/x", { method: "POST", body: "hi", headers: { "content-type": "text/plain" } });
    await expectBundleError(receiveMultipart(plain, { limits: DEFAULT_LIMITS, dataDir }), "bad_request", 400);
    const truncated = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array(Buffer.concat([partHeader({ file: "files", filename: "a.log", size: 1 }), Buffer.from("abc")])));
        c.close();
      },
    });
    await expectBundleError(receive(request(truncated)), "bad_request", 400);
    expect(await listFiles(dataDir)).toEqual([]);
  });
});
