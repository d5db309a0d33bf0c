import { Readable, Transform } from "node:stream";
import type { ReadableStream as NodeWebReadableStream } from "node:stream/web";
import Busboy from "busboy";
import { BundleError, formatBytes, toBundleError } from "@/lib/server/bundle/errors";
import { Cas, LimitError } from "@/lib/server/storage/cas";
import type { BundleLimits } from "@/lib/schemas/limits";

export interface ReceivedFile {
  /** Client-supplied relative path (from the `paths` list or the part's filename); validated by unpack. */
  name: string;
  /** Temp file in `<dataDir>/tmp/`; the caller removes it once unpacked. */
  tempPath: string;
  size: number;
}

export interface ReceivedForm {
  /** Plain fields (last value wins); the `paths` list is consumed into file names, not returned here. */
  fields: Record<string, string>;
  files: ReceivedFile[];
}

/** Form field carrying files; each part's filename may be a relative path (`logs/ztunnel.log`). */
export const FILES_FIELD = "files";
/** Optional parallel list of relative paths, one per file part, for clients whose filenames lose folders. */
export const PATHS_FIELD = "paths";

/**
 * Streams a multipart upload from a web Request straight to temp files (busboy; never the whole body in
 * memory). All file bytes together are capped at `maxUploadBytes`: over the cap → BundleError 413; a
 * malformed body → 400; a client that disconnects → 400 "aborted". Whatever the failure, every temp
 * file written for this request is removed before the promise rejects.
 */
export async function receiveMultipart(
  request: Request,
  options: { limits: BundleLimits; dataDir: string },
): Promise<ReceivedForm> {
  const { limits } = options;
  const contentType = request.headers.get("content-type") ?? "";
  if (!/^multipart\/form-data\b/i.test(contentType)) {
    throw new BundleError("bad_request", "expected a multipart/form-data upload");
  }
  // Refuse early when the client announces more than we accept: no byte needs to be read.
  const announced = Number(request.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(announced) && announced > limits.maxUploadBytes) {
    throw tooLarge(limits.maxUploadBytes, announced);
  }
  if (!request.body) throw new BundleError("bad_request", "the upload has no body");

  const cas = new Cas(options.dataDir);
  let busboy: Busboy.Busboy;
  try {
    busboy = Busboy({
      headers: { "content-type": contentType },
      // Keep folder paths in filenames (busboy strips them to the basename by default).
      preservePath: true,
      // Browsers send raw UTF-8 in filename="…"; busboy's default would read it as latin1.
      defParamCharset: "utf8",
      limits: {
        // Per-file backstop; the real cap is the running total below.
        fileSize: limits.maxUploadBytes + 1,
        files: limits.maxEntries,
        fields: limits.maxEntries + 100,
        fieldSize: 1024 * 1024,
      },
    });
  } catch (error) {
    throw new BundleError("bad_request", `malformed multipart request (${(error as Error).message})`);
  }

  const body = Readable.fromWeb(request.body as unknown as NodeWebReadableStream<Uint8Array>);
  const fields: Record<string, string> = {};
  const paths: string[] = [];
  const received: { filename: string; tempPath: string; size: number }[] = [];
  const writes: Promise<unknown>[] = [];
  const openFiles = new Set<Readable>();
  let total = 0;
  let failure: unknown = null;

  return new Promise<ReceivedForm>((resolve, reject) => {
    const cleanupAndReject = async (error: unknown) => {
      // Let in-flight writes observe the failure (their file streams are destroyed) and remove their temp.
      await Promise.allSettled(writes);
      await Promise.allSettled(received.map((f) => cas.removeTempFile(f.tempPath)));
      try {
        reject(toBundleError(error));
      } catch {
        reject(new BundleError("bad_request", `upload failed (${(error as Error)?.message ?? String(error)})`));
      }
    };

    const fail = (error: unknown) => {
      if (failure !== null) return;
      failure = error;
      request.signal?.removeEventListener("abort", onAbort);
      for (const file of openFiles) file.destroy(error as Error);
      body.unpipe(busboy);
      body.destroy();
      busboy.destroy();
      void cleanupAndReject(error);
    };

    const onAbort = () => fail(new BundleError("aborted", "the client aborted the upload"));
    if (request.signal?.aborted) return onAbort();
    request.signal?.addEventListener("abort", onAbort, { once: true });

    busboy.on("field", (name, value) => {
      if (name === PATHS_FIELD) paths.push(value);
      else fields[name] = value;
    });

    busboy.on("file", (name, file, info) => {
      if (failure !== null || name !== FILES_FIELD) {
        file.resume();
        return;
      }
      openFiles.add(file);
      file.on("limit", () => fail(tooLarge(limits.maxUploadBytes, total)));
      // Shared running total across all parts: the cap is per request, not per file.
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          total += chunk.length;
          if (total > limits.maxUploadBytes) {
            callback(tooLarge(limits.maxUploadBytes, total));
            return;
          }
          callback(null, chunk);
        },
      });
      const write = cas
        .writeTemp(file.pipe(counter))
        .then((temp) => {
          openFiles.delete(file);
          // A failure elsewhere may have happened while this one finished: it is removed by cleanup.
          received.push({ filename: info.filename ?? "", tempPath: temp.tempPath, size: temp.size });
          if (failure !== null) void cas.removeTempFile(temp.tempPath);
        })
        .catch((error: unknown) => {
          openFiles.delete(file);
          file.resume();
          fail(error);
        });
      file.on("error", (error) => counter.destroy(error));
      // writeTemp attaches its pipeline only after creating the temp path; an error before that must not
      // surface as an unhandled 'error' event (the pipeline still sees the destroyed stream and rejects).
      counter.on("error", () => undefined);
      writes.push(write);
    });

    busboy.on("filesLimit", () => fail(tooMany(limits.maxEntries, "files")));
    busboy.on("fieldsLimit", () => fail(tooMany(limits.maxEntries + 100, "fields")));
    busboy.on("error", (error: unknown) =>
      fail(
        error instanceof BundleError || error instanceof LimitError
          ? error
          : new BundleError("bad_request", `malformed multipart body (${(error as Error).message})`),
      ),
    );
    busboy.on("close", () => {
      void Promise.allSettled(writes).then(() => {
        if (failure !== null) return;
        request.signal?.removeEventListener("abort", onAbort);
        // Parts are written one after another, so `received` is in part order.
        const usePaths = paths.length === received.length;
        const all = received.map((f, i) => ({
          name: usePaths ? (paths[i] ?? f.filename) : f.filename,
          tempPath: f.tempPath,
          size: f.size,
        }));
        // An empty <input type=file> submits a part with no filename and no bytes: not a file.
        const files = all.filter((f) => f.name !== "" || f.size > 0);
        for (const f of all) if (!files.includes(f)) void cas.removeTempFile(f.tempPath);
        const unnamed = files.find((f) => f.name === "");
        if (unnamed) {
          fail(new BundleError("bad_request", "a file part has no filename"));
          return;
        }
        resolve({ fields, files });
      });
    });

    body.on("error", (error) =>
      fail(error instanceof BundleError ? error : new BundleError("aborted", `the upload was interrupted (${error.message})`)),
    );
    body.pipe(busboy);
  });
}

function tooLarge(limit: number, observed: number): BundleError {
  return new BundleError(
    "upload_too_large",
    `the upload exceeds the limit of ${formatBytes(limit)} (HINDSIGHT_MAX_UPLOAD_BYTES)`,
    undefined,
    observed,
  );
}

function tooMany(limit: number, what: string): BundleError {
  return new BundleError(
    "too_many_entries",
    `the upload has more than ${limit} ${what}; the limit is ${limit} (HINDSIGHT_MAX_ENTRIES)`,
  );
}
