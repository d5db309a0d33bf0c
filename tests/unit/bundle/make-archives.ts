/**
 * Builds (hostile) archives in memory for the bundle tests. yauzl is read-only, so zips are written by
 * hand here; that also lets tests lie in headers (declared sizes, overlapping entries, symlink modes)
 * the way an attacker would.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import * as tar from "tar-stream";

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(data: Uint8Array, seed = 0): number {
  let c = (seed ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) c = (CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8)) >>> 0;
  return (c ^ 0xffffffff) >>> 0;
}

export interface ZipEntrySpec {
  name: string;
  data?: Buffer;
  /** 0 = stored, 8 = deflate (default for non-empty data). */
  method?: 0 | 8;
  /** Unix mode (e.g. 0o120777 for a symlink); written into the external attributes with host = Unix. */
  unixMode?: number;
  /** Lie about the uncompressed size in both headers (row 5). */
  declaredSize?: number;
  /** Raw compressed bytes to store instead of compressing `data` (bombs built without inflating them). */
  raw?: { bytes: Buffer; uncompressedSize: number; crc: number };
  /** Last-modified time as MS-DOS date/time fields (zone-less); 0/0 when absent. */
  dos?: { date: number; time: number };
}

interface Built {
  local: Buffer;
  central: (offset: number) => Buffer;
}

function buildEntry(spec: ZipEntrySpec): Built {
  const name = Buffer.from(spec.name, "utf8");
  const data = spec.data ?? Buffer.alloc(0);
  const method = spec.raw ? 8 : (spec.method ?? (data.length > 0 ? 8 : 0));
  const compressed = spec.raw ? spec.raw.bytes : method === 8 ? zlib.deflateRawSync(data) : data;
  const crc = spec.raw ? spec.raw.crc : crc32(data);
  const size = spec.declaredSize ?? (spec.raw ? spec.raw.uncompressedSize : data.length);
  const flags = 0x800; // names are UTF-8

  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(flags, 6);
  local.writeUInt16LE(method, 8);
  local.writeUInt16LE(spec.dos?.time ?? 0, 10);
  local.writeUInt16LE(spec.dos?.date ?? 0, 12);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(compressed.length, 18);
  local.writeUInt32LE(size, 22);
  local.writeUInt16LE(name.length, 26);

  const central = (offset: number) => {
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(spec.unixMode !== undefined ? (3 << 8) | 20 : 20, 4);
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(flags, 8);
    header.writeUInt16LE(method, 10);
    header.writeUInt16LE(spec.dos?.time ?? 0, 12);
    header.writeUInt16LE(spec.dos?.date ?? 0, 14);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(compressed.length, 20);
    header.writeUInt32LE(size, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt32LE(spec.unixMode !== undefined ? (spec.unixMode << 16) >>> 0 : 0, 38);
    header.writeUInt32LE(offset, 42);
    return Buffer.concat([header, name]);
  };
  return { local: Buffer.concat([local, name, compressed]), central };
}

function endOfCentralDirectory(count: number, size: number, offset: number): Buffer {
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(count, 8);
  eocd.writeUInt16LE(count, 10);
  eocd.writeUInt32LE(size, 12);
  eocd.writeUInt32LE(offset, 16);
  return eocd;
}

export function makeZip(entries: ZipEntrySpec[]): Buffer {
  if (entries.length > 0xffff) throw new Error("makeZip writes no zip64; use fewer entries");
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const spec of entries) {
    const built = buildEntry(spec);
    centrals.push(built.central(offset));
    locals.push(built.local);
    offset += built.local.length;
  }
  const cd = Buffer.concat(centrals);
  return Buffer.concat([...locals, cd, endOfCentralDirectory(entries.length, cd.length, offset)]);
}

/**
 * A raw deflate stream of `bytes` zeros, built without allocating them: 1 MiB blocks are compressed with
 * a sync flush; once the 32 KiB window is all zeros every further block compresses to the same bytes, so
 * the middle block is repeated. Returns ~1 KB per MiB (ratio ≈ 1000:1, the deflate maximum).
 */
export function deflatedZeros(mebibytes: number): { bytes: Buffer; uncompressedSize: number; crc: number } {
  const MiB = 1024 * 1024;
  const block = Buffer.alloc(MiB);
  const first = zlib.deflateRawSync(block, { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  // Same compressor state as "after a MiB of zeros": a preset dictionary of zeros (the window).
  const middle = zlib.deflateRawSync(block, {
    level: 9,
    dictionary: Buffer.alloc(32 * 1024),
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
  });
  const final = Buffer.from([0x03, 0x00]); // empty final fixed-Huffman block
  const parts = [first];
  for (let i = 1; i < mebibytes; i++) parts.push(middle);
  parts.push(final);
  const bytes = Buffer.concat(parts);
  // CRC of n MiB of zeros, computed incrementally from the 1 MiB block. Past 64 MiB it is left at 0: those
  // kernels are bombs, and every consumer must stop long before reaching the trailer that holds the CRC.
  let crc = 0;
  if (mebibytes <= 64) for (let i = 0; i < mebibytes; i++) crc = crc32(block, crc);
  return { bytes, uncompressedSize: mebibytes * MiB, crc };
}

/**
 * "Overlapping" zip bomb (Fifield 2019): one compressed kernel, many central-directory entries pointing at
 * the same local header. Tiny on disk, `count × kernel` bytes when extracted.
 */
export function makeOverlapZip(kernel: { bytes: Buffer; uncompressedSize: number; crc: number }, count: number): Buffer {
  const centrals: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const entry = buildEntry({ name: `z${String(i).padStart(4, "0")}.bin`, raw: kernel });
    centrals.push(entry.central(0));
  }
  const local = buildEntry({ name: "z0000.bin", raw: kernel }).local;
  const cd = Buffer.concat(centrals);
  return Buffer.concat([local, cd, endOfCentralDirectory(count, cd.length, local.length)]);
}

export interface TarEntrySpec {
  name: string;
  type?: "file" | "directory" | "symlink" | "link" | "fifo" | "character-device";
  linkname?: string;
  data?: Buffer | string;
  mtime?: Date;
}

export async function makeTar(entries: TarEntrySpec[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on("data", (c: unknown) => chunks.push(c as Buffer));
    pack.on("end", () => resolve());
    pack.on("error", reject);
  });
  for (const e of entries) {
    const data = e.data === undefined ? undefined : Buffer.from(e.data);
    await new Promise<void>((resolve, reject) => {
      const header = { name: e.name, type: e.type ?? "file", linkname: e.linkname, size: data?.length ?? 0, ...(e.mtime ? { mtime: e.mtime } : {}) };
      pack.entry(header, data ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export const gzip = (data: Buffer | string): Buffer => zlib.gzipSync(Buffer.from(data));

/** Scratch dir for one test: `<tmp>/hindsight-bundle-XXXX/{data,outside}` so escapes are observable. */
export async function scratch(): Promise<{ root: string; dataDir: string; cleanup: () => Promise<void> }> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "hindsight-bundle-"));
  const dataDir = path.join(root, "data");
  await fs.mkdir(dataDir);
  return { root, dataDir, cleanup: () => fs.rm(root, { recursive: true, force: true }) };
}

/** Every file (not directory) below `dir`, relative, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string): Promise<void> {
    let names: import("node:fs").Dirent[];
    try {
      names = await fs.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const n of names) {
      const p = path.join(d, n.name);
      if (n.isDirectory()) await walk(p);
      else out.push(path.relative(dir, p));
    }
  }
  await walk(dir);
  return out.sort();
}

/** A gzip member around an existing raw deflate stream (lets bombs skip actually compressing GBs). */
export function gzipMember(kernel: { bytes: Buffer; uncompressedSize: number; crc: number }): Buffer {
  const header = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0x03]);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(kernel.crc, 0);
  trailer.writeUInt32LE(kernel.uncompressedSize % 2 ** 32, 4);
  return Buffer.concat([header, kernel.bytes, trailer]);
}
