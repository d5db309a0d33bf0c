import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, type ReadStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { dataDir } from "@/lib/server/config";

/**
 * Content-addressed blob store on the local filesystem.
 *
 *   <dataDir>/tmp/<ms>-<random>.part     uploads and blobs being written (never read by anyone else)
 *   <dataDir>/blobs/ab/cdef…             sha256 "abcdef…" (64 hex), immutable once in place
 *
 * A blob is written to tmp/ while its sha256 is computed, then hard-linked into place. link(2) fails
 * with EEXIST when another writer got there first, which gives an atomic "did *I* create it?" answer:
 * callers that roll back only delete blobs they created (dedupe means another bundle may own it).
 */

export type LimitCode =
  | "upload_too_large"
  | "entry_too_large"
  | "bundle_too_large"
  | "ratio_exceeded"
  | "too_many_entries";

/** A byte/count limit was hit while streaming. `limit` is the cap, `observed` how far we got. */
export class LimitError extends Error {
  override readonly name = "LimitError";
  constructor(
    readonly code: LimitCode,
    message: string,
    readonly limit: number,
    readonly observed: number,
  ) {
    super(message);
  }
}

const KEY_RE = /^[0-9a-f]{64}$/;
/** sha256 of zero bytes: the key every empty file dedupes to. */
export const EMPTY_SHA256 = createHash("sha256").digest("hex");

export function dataDirFromEnv(env: Record<string, string | undefined> = process.env): string {
  return dataDir(env);
}

export function isBlobKey(key: unknown): key is string {
  return typeof key === "string" && KEY_RE.test(key);
}

export interface WriteOptions {
  /** Stop and throw LimitError once more than this many bytes arrive. */
  maxBytes?: number;
  /** Error code and message used when maxBytes is exceeded. */
  limitCode?: LimitCode;
  limitMessage?: (limit: number, observed: number) => string;
}

export interface TempFile {
  tempPath: string;
  size: number;
  sha256: string;
}

export interface StoredBlob {
  sha256: string;
  size: number;
  key: string;
  /** True when this call put the blob in place (it did not exist before). */
  created: boolean;
}

/*
 * In-process pins: while an unpack holds a key (created or deduped), a concurrent rollback of another
 * bundle in the same process must not delete it. `deleting` lets a writer wait for an in-flight unlink of
 * the same key before deciding whether the blob exists. Cross-process safety needs DB reference counts
 * (the caller's garbage collector); see docs/BUNDLES.md.
 */
const pins = new Map<string, number>();
const deleting = new Map<string, Promise<void>>();
/** Blobs two in-flight unpacks held at once: whoever created it must not delete it on rollback. */
const shared = new Set<string>();

function meter(options: WriteOptions, hash: ReturnType<typeof createHash>, counter: { size: number }): Transform {
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      counter.size += chunk.length;
      if (counter.size > maxBytes) {
        const code = options.limitCode ?? "upload_too_large";
        const message = options.limitMessage
          ? options.limitMessage(maxBytes, counter.size)
          : `more than ${maxBytes} bytes received (limit ${maxBytes})`;
        callback(new LimitError(code, message, maxBytes, counter.size));
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
  });
}

export class Cas {
  readonly dataDir: string;
  readonly blobsDir: string;
  readonly tmpDir: string;

  constructor(dataDir: string = dataDirFromEnv()) {
    this.dataDir = path.resolve(/*turbopackIgnore: true*/ dataDir);
    this.blobsDir = path.join(this.dataDir, "blobs");
    this.tmpDir = path.join(this.dataDir, "tmp");
  }

  /** Absolute path of a blob. Throws unless `key` is exactly 64 lowercase hex (no traversal possible). */
  blobPath(key: string): string {
    if (!isBlobKey(key)) throw new Error(`invalid blob key ${JSON.stringify(String(key).slice(0, 80))}`);
    return path.join(this.blobsDir, key.slice(0, 2), key.slice(2));
  }

  async has(key: string): Promise<boolean> {
    try {
      await fs.access(this.blobPath(key));
      return true;
    } catch {
      return false;
    }
  }

  openBlob(key: string, range?: { start?: number; end?: number }): ReadStream {
    return createReadStream(this.blobPath(key), range);
  }

  /** A fresh, unique path inside tmp/ (the directory is created). */
  async newTempPath(): Promise<string> {
    await fs.mkdir(this.tmpDir, { recursive: true });
    return path.join(this.tmpDir, `${Date.now()}-${randomBytes(12).toString("hex")}.part`);
  }

  /** Streams `readable` into a new temp file, hashing and enforcing maxBytes. Nothing is left on error. */
  async writeTemp(readable: Readable | AsyncIterable<Uint8Array>, options: WriteOptions = {}): Promise<TempFile> {
    const tempPath = await this.newTempPath();
    const hash = createHash("sha256");
    const counter = { size: 0 };
    try {
      // flags "wx": never follow or clobber something already at the path.
      await pipeline(readable, meter(options, hash, counter), createWriteStream(tempPath, { flags: "wx" }));
    } catch (error) {
      await fs.rm(tempPath, { force: true });
      throw error;
    }
    return { tempPath, size: counter.size, sha256: hash.digest("hex") };
  }

  /** Streams into the store: temp file → sha256 → atomic link into place (dedupe if present). */
  async writeStream(readable: Readable | AsyncIterable<Uint8Array>, options: WriteOptions = {}): Promise<StoredBlob> {
    const temp = await this.writeTemp(readable, options);
    try {
      const created = await this.commitTemp(temp.tempPath, temp.sha256);
      return { sha256: temp.sha256, size: temp.size, key: temp.sha256, created };
    } finally {
      await fs.rm(temp.tempPath, { force: true });
    }
  }

  /**
   * Puts a temp file in place as blob `sha256` (caller computed the hash). Returns whether this call
   * created it. The temp file is left for the caller to remove.
   */
  async commitTemp(tempPath: string, sha256: string): Promise<boolean> {
    this.assertTemp(tempPath);
    const target = this.blobPath(sha256);
    await deleting.get(target);
    await fs.mkdir(path.dirname(target), { recursive: true });
    try {
      await fs.link(tempPath, target);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EEXIST") return false;
      // Filesystems without hard links (some network/overlay mounts): copy without clobbering instead.
      if (code === "EPERM" || code === "ENOTSUP" || code === "EXDEV" || code === "ENOSYS") {
        try {
          await fs.copyFile(tempPath, target, fs.constants.COPYFILE_EXCL);
          return true;
        } catch (copyError) {
          if ((copyError as NodeJS.ErrnoException).code === "EEXIST") return false;
          throw copyError;
        }
      }
      throw error;
    }
  }

  pin(key: string): void {
    const target = this.blobPath(key);
    const count = pins.get(target) ?? 0;
    if (count > 0) shared.add(target);
    pins.set(target, count + 1);
  }

  unpin(key: string): void {
    const target = this.blobPath(key);
    const count = (pins.get(target) ?? 0) - 1;
    if (count > 0) pins.set(target, count);
    else pins.delete(target);
  }

  /**
   * Deletes a blob unless another unpack in this process holds it or held it at the same time as the
   * caller (it may have committed rows that reference it). Returns whether it was removed.
   */
  async removeBlob(key: string): Promise<boolean> {
    const target = this.blobPath(key);
    if ((pins.get(target) ?? 0) > 0) return false;
    if (shared.delete(target)) return false;
    const done = fs.rm(target, { force: true }).finally(() => deleting.delete(target));
    deleting.set(target, done);
    await done;
    return true;
  }

  /** Removes one temp file; refuses paths outside tmp/ so a caller bug cannot delete arbitrary files. */
  async removeTempFile(tempPath: string): Promise<void> {
    this.assertTemp(tempPath);
    await fs.rm(tempPath, { force: true });
  }

  /**
   * Sweeps leftovers of crashed processes from tmp/. Only files older than `olderThanMs` (default 1 h)
   * go, so uploads in flight in another process survive a restart of this one.
   */
  async removeTemp(options: { olderThanMs?: number } = {}): Promise<number> {
    const olderThanMs = options.olderThanMs ?? 60 * 60 * 1000;
    let names: string[];
    try {
      names = await fs.readdir(this.tmpDir);
    } catch {
      return 0;
    }
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    for (const name of names) {
      const file = path.join(this.tmpDir, name);
      try {
        const stat = await fs.lstat(file);
        if (stat.mtimeMs <= cutoff) {
          await fs.rm(file, { force: true, recursive: true });
          removed += 1;
        }
      } catch {
        // Raced with its owner removing it: fine.
      }
    }
    return removed;
  }

  private assertTemp(tempPath: string): void {
    const resolved = path.resolve(tempPath);
    if (path.dirname(resolved) !== this.tmpDir) {
      throw new Error(`refusing to touch ${resolved}: not a temp file of ${this.tmpDir}`);
    }
  }
}
