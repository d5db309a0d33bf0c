import { createReadStream } from "node:fs";
import type { Duplex, Readable } from "node:stream";
import { Transform } from "node:stream";
import zlib from "node:zlib";
import * as tar from "tar-stream";
import YAML from "yaml";
import yauzl from "yauzl";
import { BundleError, formatBytes, toBundleError } from "@/lib/server/bundle/errors";
import { PathRegistry, dirName, isJunkPath, joinPath, safeEntryPath } from "@/lib/server/bundle/paths";
import { peekStream, sniffContainer, type ContainerKind } from "@/lib/server/bundle/sniff";
import { Cas } from "@/lib/server/storage/cas";
import { RATIO_GRACE_BYTES, type BundleLimits } from "@/lib/schemas/limits";
import { BundleManifest, MANIFEST_NAMES } from "@/lib/schemas/manifest";

/**
 * Safe bundle intake: uploads (archives, compressed files, loose files, folder uploads) → content-addressed
 * blobs + a list of entries, or a BundleError and nothing left behind.
 *
 *   upload ──sniff──┬─ zip  → central directory: count, names, types checked for ALL entries ─┐
 *                   ├─ tar  → per header: count, name, type, declared size checked ──────────┤
 *                   ├─ gzip → gunzip(+ratio guard) → tar? as above : one file (name minus .gz)┤
 *                   └─ file ──────────────────────────────────────────────────────────────────┤
 *                                                                                             ▼
 *   addEntry: sniff again (zip/tar inside → reject; .gz → gunzip one level) → rename on collision
 *             → CAS temp file with a byte cap = min(entry cap, bundle bytes left) → link into place
 *
 * Sizes in headers are never trusted: every cap counts bytes that really came out of the decompressor.
 * A ratio guard sits right after each decompressor and compares its output with the compressed bytes it
 * consumed (zlib `bytesWritten`) once more than RATIO_GRACE_BYTES came out.
 */

export interface UploadInput {
  /** Client-supplied relative path (may contain folders, e.g. `logs/ztunnel.log`). Checked like archive names. */
  name: string;
  /** A file already on disk (e.g. from receiveMultipart). Not deleted here: the caller owns it. */
  tempPath?: string;
  stream?: Readable | AsyncIterable<Uint8Array>;
}

export interface UnpackOptions {
  limits: BundleLimits;
  dataDir: string;
}

export interface BundleEntry {
  path: string;
  size: number;
  sha256: string;
  /** CAS key (same as sha256). */
  key: string;
  /**
   * Modification time of the archive entry (epoch ms), when the archive gives a plausible one: a
   * capture script writes a snapshot file when it runs, so this dates snapshots that carry no time
   * (lib/server/pipeline/capture-time.ts). Loose uploads have none.
   */
  mtime?: number;
}

/**
 * Archive times before this are placeholders, not capture times: reproducible archives write 0
 * (1970) and zip's DOS format cannot go below 1980-01-01.
 */
const MIN_PLAUSIBLE_MTIME = Date.UTC(1990, 0, 1);

function plausibleMtime(d: Date | undefined | null): number | undefined {
  const t = d?.getTime();
  return t !== undefined && Number.isFinite(t) && t >= MIN_PLAUSIBLE_MTIME ? t : undefined;
}

export interface UnpackResult {
  entries: BundleEntry[];
  manifest: BundleManifest | null;
  /** Entry path the manifest came from, null when there is none. */
  manifestPath: string | null;
  warnings: string[];
  /** Blobs this call put in the store; delete them if the caller's own commit fails. */
  createdKeys: string[];
  /** Inflated bytes of all entries. */
  totalBytes: number;
}

/** A manifest is a few KB of YAML; more than this is not a manifest worth parsing in memory. */
const MANIFEST_MAX_BYTES = 1024 * 1024;

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const HOST_UNIX = 3;
const HOST_OSX = 19;

type YauzlLowLevel = {
  getFileNameLowLevel(flags: number, raw: Buffer, extra: unknown, strict: boolean): string;
};

/** Wires streams with `.pipe` and makes any error (or an early destroy of the last one) tear all down. */
function chain(first: Readable, ...rest: Duplex[]): Readable {
  const all: (Readable | Duplex)[] = [first, ...rest];
  let previous: Readable = first;
  for (const stream of rest) {
    previous.pipe(stream);
    previous = stream;
  }
  const last = previous;
  const fail = (error: Error) => {
    for (const stream of all) if (!stream.destroyed) stream.destroy(error);
  };
  for (const stream of all) stream.on("error", fail);
  last.on("close", () => {
    for (const stream of all) if (!stream.destroyed) stream.destroy();
  });
  return last;
}

function describeKind(kind: ContainerKind): string {
  return kind === "zip" ? "a zip archive" : kind === "tar" ? "a tar archive" : "gzip data";
}

function stripGz(p: string): string | null {
  const match = /^(.*[^/])\.(gz|gzip)$/i.exec(p);
  if (match?.[1]) return match[1];
  if (/\.tgz$/i.test(p)) return p.replace(/\.tgz$/i, ".tar");
  return null;
}

class Unpacker {
  private readonly cas: Cas;
  private readonly limits: BundleLimits;
  private readonly registry = new PathRegistry();
  readonly entries: BundleEntry[] = [];
  readonly warnings: string[] = [];
  readonly created: string[] = [];
  private readonly pinned = new Set<string>();
  private readonly spooled: string[] = [];
  private entryCount = 0;
  private junkSkipped = 0;
  totalBytes = 0;
  /** Entry being written, so stream-level guards (tar.gz) can name it. */
  private current: string | null = null;

  constructor(options: UnpackOptions) {
    this.cas = new Cas(options.dataDir);
    this.limits = options.limits;
  }

  private countEntries(n: number, where: string): void {
    this.entryCount += n;
    if (this.entryCount > this.limits.maxEntries) {
      throw new BundleError(
        "too_many_entries",
        `${where}: the bundle has more than ${this.limits.maxEntries} entries (${this.entryCount} so far); the limit is ${this.limits.maxEntries} (HINDSIGHT_MAX_ENTRIES)`,
        where,
        this.entryCount,
      );
    }
  }

  /** Re-checks depth/length once an archive member is placed under its archive's folder. */
  private placed(prefix: string, member: string, where: string): string {
    return prefix === "" ? member : safeEntryPath(joinPath(prefix, member), where, this.limits).path;
  }

  private ratioGuard(decompressor: zlib.Gunzip | zlib.InflateRaw, label: () => string): Transform {
    const { maxRatio } = this.limits;
    let out = 0;
    return new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        out += chunk.length;
        if (out > RATIO_GRACE_BYTES) {
          const ratio = out / Math.max(1, decompressor.bytesWritten);
          if (ratio > maxRatio) {
            callback(
              new BundleError(
                "ratio_exceeded",
                `${label()}: compression ratio ${Math.round(ratio)}:1 exceeds the limit of ${maxRatio}:1 (HINDSIGHT_MAX_RATIO), stopped after ${formatBytes(out)} inflated`,
                label(),
                out,
              ),
            );
            return;
          }
        }
        callback(null, chunk);
      },
    });
  }

  private gunzip(source: Readable, label: () => string): Readable {
    const gunzip = zlib.createGunzip();
    return chain(source, gunzip, this.ratioGuard(gunzip, label));
  }

  async processInput(input: UploadInput): Promise<void> {
    const safe = safeEntryPath(input.name, "upload name", this.limits);
    if (safe.path === "") {
      throw new BundleError("unsafe_path", `upload name ${JSON.stringify(input.name)} is empty`, input.name);
    }
    const name = safe.path;
    const source = input.stream ?? (input.tempPath ? createReadStream(input.tempPath) : null);
    if (!source) throw new BundleError("bad_request", `${name}: no content`, name);
    const peeked = await peekStream(source);
    const kind = sniffContainer(peeked.head);
    const prefix = dirName(name);
    this.current = name;
    try {
      if (kind === "zip") {
        let filePath = input.tempPath;
        if (filePath) {
          await peeked.discard();
        } else {
          // yauzl needs random access (central directory at the end): spool the stream first.
          const spool = await this.cas.writeTemp(peeked.stream, {
            maxBytes: this.limits.maxUploadBytes,
            limitCode: "upload_too_large",
            limitMessage: (limit) =>
              `${name}: upload exceeds the limit of ${formatBytes(limit)} (HINDSIGHT_MAX_UPLOAD_BYTES)`,
          });
          this.spooled.push(spool.tempPath);
          filePath = spool.tempPath;
        }
        await this.processZip(filePath, name, prefix);
      } else if (kind === "tar") {
        await this.processTar(peeked.stream, name, prefix);
      } else if (kind === "gzip") {
        await this.processGzip(peeked.stream, name, prefix);
      } else {
        this.countEntries(1, name);
        if (isJunkPath(name)) {
          this.junkSkipped += 1;
          await peeked.discard();
          return;
        }
        await this.addEntry(name, peeked.stream, name, false);
      }
    } catch (error) {
      await peeked.discard().catch(() => undefined);
      throw this.asBundleError(error, name);
    }
  }

  /** Library errors (zlib, yauzl, tar-stream) become a 422 naming the archive and the entry. */
  private asBundleError(error: unknown, archive: string): BundleError {
    try {
      return toBundleError(error);
    } catch {
      const entry = this.current && this.current !== archive ? `${this.current}: ` : "";
      const reason = error instanceof Error ? error.message : String(error);
      return new BundleError("bad_archive", `${archive}: ${entry}unreadable or corrupt data (${reason})`, archive);
    }
  }

  private async processGzip(stream: Readable, name: string, prefix: string): Promise<void> {
    const inflated = this.gunzip(stream, () => this.current ?? name);
    const inner = await peekStream(inflated);
    const kind = sniffContainer(inner.head);
    if (kind === "tar") {
      await this.processTar(inner.stream, name, prefix);
      return;
    }
    if (kind !== "other") {
      await inner.discard();
      throw new BundleError(
        "nested_archive",
        `${name}: the gzip stream contains ${describeKind(kind)}; nested archives are not unpacked`,
        name,
      );
    }
    this.countEntries(1, name);
    let target = stripGz(name);
    if (target === null) {
      target = name;
      this.warnings.push(`${name}: gzip-compressed content stored decompressed under the same name`);
    }
    await this.addEntry(target, inner.stream, name, true);
  }

  private async processZip(filePath: string, name: string, prefix: string): Promise<void> {
    let zip: yauzl.ZipFile;
    try {
      zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
        yauzl.open(
          filePath,
          // decodeStrings:false → we decode and validate names ourselves (yauzl would turn "\" into "/"),
          // validateEntrySizes:false → our own counters on real bytes are the only size authority.
          { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: false },
          (error, zipfile) => (error || !zipfile ? reject(error ?? new Error("no zipfile")) : resolve(zipfile)),
        ),
      );
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new BundleError("bad_archive", `${name}: not a readable zip archive (${reason})`, name);
    }
    try {
      // The central directory states the count up front: refuse before reading a single entry.
      this.countEntries(zip.entryCount, name);
      const entries = await new Promise<yauzl.Entry[]>((resolve, reject) => {
        const list: yauzl.Entry[] = [];
        zip.on("entry", (entry: yauzl.Entry) => {
          list.push(entry);
          zip.readEntry();
        });
        zip.once("end", () => resolve(list));
        zip.once("error", reject);
        zip.readEntry();
      });

      // Every name and type is checked before any byte is extracted.
      const plan: { entry: yauzl.Entry; path: string }[] = [];
      for (const entry of entries) {
        const raw = (yauzl as unknown as YauzlLowLevel).getFileNameLowLevel(
          entry.generalPurposeBitFlag,
          entry.fileName as unknown as Buffer,
          entry.extraFields,
          true,
        );
        const member = safeEntryPath(raw, name, this.limits);
        const host = entry.versionMadeBy >>> 8;
        const fileType = (entry.externalFileAttributes >>> 16) & S_IFMT;
        if (fileType === S_IFLNK) {
          throw new BundleError(
            "link_entry",
            `${name}: entry ${JSON.stringify(raw)} is a symbolic link; links are not accepted in bundles`,
            raw,
          );
        }
        if ((host === HOST_UNIX || host === HOST_OSX) && fileType !== 0 && fileType !== S_IFREG && fileType !== S_IFDIR) {
          throw new BundleError(
            "special_entry",
            `${name}: entry ${JSON.stringify(raw)} is a special file (mode ${fileType.toString(8)}); only regular files are accepted`,
            raw,
          );
        }
        if (member.isDirectory || member.path === "" || fileType === S_IFDIR) continue;
        if (entry.generalPurposeBitFlag & 0x1) {
          throw new BundleError("bad_archive", `${name}: entry ${JSON.stringify(raw)} is encrypted; encrypted zips are not supported`, raw);
        }
        if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
          throw new BundleError(
            "bad_archive",
            `${name}: entry ${JSON.stringify(raw)} uses compression method ${entry.compressionMethod}; only stored and deflate are supported`,
            raw,
          );
        }
        const full = this.placed(prefix, member.path, name);
        if (isJunkPath(full)) {
          this.junkSkipped += 1;
          continue;
        }
        plan.push({ entry, path: full });
      }

      for (const { entry, path } of plan) {
        this.current = path;
        const raw = await new Promise<Readable>((resolve, reject) =>
          zip.openReadStream(
            entry,
            (entry.compressionMethod === 8 ? { decompress: false } : {}) as yauzl.ZipFileOptions,
            (error, stream) => (error || !stream ? reject(error ?? new Error("no stream")) : resolve(stream)),
          ),
        );
        let content: Readable = raw;
        if (entry.compressionMethod === 8) {
          // Inflate ourselves (not yauzl) so the ratio guard sees the real compressed bytes consumed.
          const inflate = zlib.createInflateRaw();
          content = chain(raw, inflate, this.ratioGuard(inflate, () => path));
        }
        // Info-ZIP's "UT" / NTFS extra fields are UTC; the DOS time fallback has no zone and is read as UTC.
        const mtime = plausibleMtime((entry as unknown as { getLastModDate(o: { timezone: "UTC" }): Date }).getLastModDate({ timezone: "UTC" }));
        const stored = await this.addEntry(path, content, name, false, mtime);
        if (stored && entry.compressionMethod === 8 && stored.size !== entry.uncompressedSize && entry.uncompressedSize !== 0xffffffff) {
          this.warnings.push(
            `${name}: ${path}: header declares ${entry.uncompressedSize} bytes but ${stored.size} were inflated`,
          );
        }
      }
    } finally {
      zip.close();
    }
  }

  private async processTar(stream: Readable, name: string, prefix: string): Promise<void> {
    const extract = tar.extract();
    stream.on("error", (error) => extract.destroy(error));
    stream.pipe(extract as unknown as NodeJS.WritableStream);
    try {
      for await (const entry of extract) {
        const header = entry.header;
        this.countEntries(1, name);
        const member = safeEntryPath(header.name, name, this.limits);
        if (header.type === "directory") {
          entry.resume();
          continue;
        }
        if (header.type === "symlink" || header.type === "link") {
          const kind = header.type === "symlink" ? "a symbolic link" : "a hard link";
          throw new BundleError(
            "link_entry",
            `${name}: entry ${JSON.stringify(header.name)} is ${kind} (to ${JSON.stringify(header.linkname)}); links are not accepted in bundles`,
            header.name,
          );
        }
        if (header.type !== "file") {
          throw new BundleError(
            "special_entry",
            `${name}: entry ${JSON.stringify(header.name)} has tar type ${JSON.stringify(header.type ?? "unknown")}; only regular files and directories are accepted`,
            header.name,
          );
        }
        if (member.path === "") {
          entry.resume();
          continue;
        }
        const full = this.placed(prefix, member.path, name);
        // The declared size of a tar entry is exactly what the stream will deliver, so check it up front.
        if (header.size > this.limits.maxEntryBytes) {
          throw new BundleError(
            "entry_too_large",
            `${name}: entry ${JSON.stringify(full)} is ${formatBytes(header.size)}; the limit is ${formatBytes(this.limits.maxEntryBytes)} (HINDSIGHT_MAX_ENTRY_BYTES)`,
            full,
            header.size,
          );
        }
        if (isJunkPath(full)) {
          this.junkSkipped += 1;
          entry.resume();
          continue;
        }
        this.current = full;
        await this.addEntry(full, entry as unknown as AsyncIterable<Uint8Array>, name, false, plausibleMtime(header.mtime));
      }
    } catch (error) {
      extract.destroy();
      stream.destroy();
      throw error;
    }
  }

  /**
   * Stores one file. `decompressed` is true when the content already came out of a single-file gzip, so a
   * second gzip layer is a nested archive, not something to unwrap again.
   */
  private async addEntry(
    path: string,
    source: AsyncIterable<Uint8Array>,
    where: string,
    decompressed: boolean,
    mtime?: number,
  ): Promise<BundleEntry | null> {
    let peeked = await peekStream(source);
    let kind = sniffContainer(peeked.head);
    let target = path;
    if (kind === "gzip" && !decompressed) {
      const inner = await peekStream(this.gunzip(peeked.stream, () => path));
      peeked = inner;
      kind = sniffContainer(inner.head);
      target = stripGz(path) ?? path;
      if (kind === "other" && target === path) {
        this.warnings.push(`${path}: gzip-compressed content stored decompressed under the same name`);
      }
      if (kind === "gzip") {
        await inner.discard();
        throw new BundleError(
          "nested_archive",
          `${where}: entry ${JSON.stringify(path)} is gzip inside gzip; only one level of .gz is decompressed`,
          path,
        );
      }
    }
    if (kind !== "other") {
      await peeked.discard();
      throw new BundleError(
        "nested_archive",
        `${where}: entry ${JSON.stringify(path)} is ${describeKind(kind)}; nested archives are not unpacked (upload it separately)`,
        path,
      );
    }

    const claim = this.registry.claim(target);
    if (claim.renamedFrom !== undefined) {
      this.warnings.push(
        `${where}: ${JSON.stringify(claim.renamedFrom)} collides with an earlier entry after Unicode/case normalisation; stored as ${JSON.stringify(claim.path)}`,
      );
    }
    this.current = claim.path;

    const bundleLeft = this.limits.maxBundleBytes - this.totalBytes;
    const entryBinds = this.limits.maxEntryBytes <= bundleLeft;
    const limits = this.limits;
    const temp = await this.cas.writeTemp(peeked.stream, {
      maxBytes: Math.min(this.limits.maxEntryBytes, bundleLeft),
      limitCode: entryBinds ? "entry_too_large" : "bundle_too_large",
      limitMessage: (_limit, observed) =>
        entryBinds
          ? `${where}: entry ${JSON.stringify(claim.path)} inflates to more than ${formatBytes(limits.maxEntryBytes)} (HINDSIGHT_MAX_ENTRY_BYTES); stopped after ${formatBytes(observed)}`
          : `${where}: the bundle inflates to more than ${formatBytes(limits.maxBundleBytes)} (HINDSIGHT_MAX_BUNDLE_BYTES); stopped in entry ${JSON.stringify(claim.path)}`,
    });
    try {
      // Pin before linking so a concurrent rollback in this process cannot unlink the blob under us.
      // One pin per key per unpack: a second pin from another unpack is what marks a blob as shared.
      if (!this.pinned.has(temp.sha256)) {
        this.cas.pin(temp.sha256);
        this.pinned.add(temp.sha256);
      }
      if (await this.cas.commitTemp(temp.tempPath, temp.sha256)) this.created.push(temp.sha256);
    } finally {
      await this.cas.removeTempFile(temp.tempPath);
    }
    this.totalBytes += temp.size;
    const stored: BundleEntry = { path: claim.path, size: temp.size, sha256: temp.sha256, key: temp.sha256, ...(mtime !== undefined ? { mtime } : {}) };
    this.entries.push(stored);
    return stored;
  }

  async readManifest(): Promise<{ manifest: BundleManifest | null; path: string | null }> {
    const byPath = new Map(this.entries.map((e) => [e.path, e]));
    const roots = new Set(this.entries.map((e) => (e.path.includes("/") ? e.path.split("/")[0] : "")));
    const folder = roots.size === 1 && !roots.has("") ? `${[...roots][0]}/` : "";
    const found = MANIFEST_NAMES.map((n) => byPath.get(n) ?? (folder ? byPath.get(folder + n) : undefined)).filter(
      (e): e is BundleEntry => e !== undefined,
    );
    const chosen = found[0];
    if (!chosen) return { manifest: null, path: null };
    if (found.length > 1) {
      this.warnings.push(`several manifests found (${found.map((e) => e.path).join(", ")}); using ${chosen.path}`);
    }
    if (chosen.size > MANIFEST_MAX_BYTES) {
      throw new BundleError(
        "bad_manifest",
        `${chosen.path}: manifest is ${formatBytes(chosen.size)}; a manifest may be at most ${formatBytes(MANIFEST_MAX_BYTES)}`,
        chosen.path,
      );
    }
    const chunks: Buffer[] = [];
    for await (const chunk of this.cas.openBlob(chosen.key)) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    let data: unknown;
    try {
      // yaml 2 caps alias expansion (maxAliasCount 100), so a "billion laughs" manifest fails instead of exploding.
      data = chosen.path.endsWith(".json") ? JSON.parse(text) : YAML.parse(text);
    } catch (error) {
      const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
      throw new BundleError("bad_manifest", `${chosen.path}: not valid ${chosen.path.endsWith(".json") ? "JSON" : "YAML"}: ${reason}`, chosen.path);
    }
    const result = BundleManifest.safeParse(data ?? {});
    if (!result.success) {
      const details = result.error.issues
        .map((issue) => (issue.path.length ? `${issue.path.join(".")}: ${issue.message}` : issue.message))
        .join("; ");
      throw new BundleError("bad_manifest", `${chosen.path}: ${details}`, chosen.path);
    }
    return { manifest: result.data, path: chosen.path };
  }

  finish(): void {
    if (this.junkSkipped > 0) {
      this.warnings.push(`skipped ${this.junkSkipped} macOS/Windows metadata entries (__MACOSX/, .DS_Store, ._*, Thumbs.db)`);
    }
  }

  async release(): Promise<void> {
    for (const key of this.pinned) this.cas.unpin(key);
    this.pinned.clear();
    for (const temp of this.spooled.splice(0)) await this.cas.removeTempFile(temp);
  }

  /** Removes blobs this call created (never ones that existed before or that another unpack also holds). */
  async rollback(): Promise<void> {
    await this.release();
    for (const key of this.created.splice(0)) await this.cas.removeBlob(key);
  }
}

/**
 * Unpacks uploads into content-addressed storage. Resolves with the entries (in upload/archive order),
 * the validated manifest and warnings; or rejects with a BundleError after removing every blob and temp
 * file this call created.
 */
export async function unpackUploads(inputs: UploadInput[], options: UnpackOptions): Promise<UnpackResult> {
  const unpacker = new Unpacker(options);
  try {
    for (const input of inputs) await unpacker.processInput(input);
    unpacker.finish();
    const { manifest, path } = await unpacker.readManifest();
    await unpacker.release();
    return {
      entries: unpacker.entries,
      manifest,
      manifestPath: path,
      warnings: unpacker.warnings,
      createdKeys: [...unpacker.created],
      totalBytes: unpacker.totalBytes,
    };
  } catch (error) {
    await unpacker.rollback();
    throw toBundleErrorOrBadArchive(error);
  }
}

function toBundleErrorOrBadArchive(error: unknown): BundleError {
  try {
    return toBundleError(error);
  } catch {
    const reason = error instanceof Error ? error.message : String(error);
    return new BundleError("bad_archive", `unreadable bundle (${reason})`);
  }
}
