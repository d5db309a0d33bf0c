/**
 * Hostile inputs rows 1–8 (../shared/checklists/hostile-inputs.md). Every archive is built in the test;
 * each test checks the rejection (code, status, message naming entry and limit) AND that nothing was
 * left behind: no blob, no temp file, nothing outside the data dir.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { unpackUploads } from "@/lib/server/bundle/unpack";
import { Cas } from "@/lib/server/storage/cas";
import { BundleLimits, DEFAULT_LIMITS, RATIO_GRACE_BYTES } from "@/lib/schemas/limits";
import { bufferInput, expectBundleError, expectNothingStored, expectOnlyUnderData } from "./helpers";
import {
  deflatedZeros,
  gzip,
  gzipMember,
  listFiles,
  makeOverlapZip,
  makeTar,
  makeZip,
  scratch,
} from "./make-archives";

const MiB = 1024 * 1024;
let root: string;
let dataDir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ root, dataDir, cleanup } = await scratch());
});
afterEach(async () => {
  await cleanup();
});

const limits = (overrides: Partial<BundleLimits> = {}) => BundleLimits.parse({ ...DEFAULT_LIMITS, ...overrides });
const unpack = (inputs: Parameters<typeof unpackUploads>[0], l = DEFAULT_LIMITS) =>
  unpackUploads(inputs, { limits: l, dataDir });

/** Bad deflate data: extracting this entry fails, so a limit error proves the check ran before extraction. */
const CORRUPT = { bytes: Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]), uncompressedSize: 10, crc: 0 };

describe("row 1: path traversal", () => {
  // `./C:../x` only becomes a drive path once `.` is dropped (found by the row 26 property test).
  const hostile = ["../../x", "/etc/x", "C:\\..\\x", "C:../x", "logs/../../x", "C:/x", "a\\..\\..\\x", "./C:../x", ".//C:/x"];

  it.each(hostile)("row 1: rejects zip entry %j before extracting anything", async (name) => {
    const zip = makeZip([{ name: "ok.log", data: Buffer.from("fine\n") }, { name, data: Buffer.from("pwned") }]);
    await expectBundleError(unpack([bufferInput("upload.zip", zip)]), "unsafe_path", 422, "upload.zip", JSON.stringify(name));
    await expectNothingStored(dataDir);
    await expectOnlyUnderData(root);
  });

  it.each(hostile)("row 1: rejects tar entry %j and rolls back the entry written before it", async (name) => {
    const tarball = await makeTar([{ name: "ok.log", data: "fine\n" }, { name, data: "pwned" }]);
    await expectBundleError(unpack([bufferInput("upload.tar", tarball)]), "unsafe_path", 422, JSON.stringify(name));
    await expectNothingStored(dataDir);
    await expectOnlyUnderData(root);
  });

  it.each(hostile)("row 1: rejects client-supplied upload name %j", async (name) => {
    await expectBundleError(unpack([bufferInput("ok.log", "a"), bufferInput(name, "pwned")]), "unsafe_path", 422);
    await expectNothingStored(dataDir);
    await expectOnlyUnderData(root);
  });
});

describe("row 2: symlinks", () => {
  it("row 2: rejects a tar symlink dir -> / followed by a file written through it", async () => {
    const tarball = await makeTar([
      { name: "dir", type: "symlink", linkname: "/" },
      { name: "dir/etc/cron.d/evil", data: "* * * * * root sh" },
    ]);
    await expectBundleError(unpack([bufferInput("b.tar", tarball)]), "link_entry", 422, '"dir"', "symbolic link");
    await expectNothingStored(dataDir);
    await expectOnlyUnderData(root);
  });

  it("row 2: rejects a zip entry whose Unix mode marks a symlink", async () => {
    const zip = makeZip([
      { name: "dir", data: Buffer.from("/"), method: 0, unixMode: 0o120777 },
      { name: "dir/evil", data: Buffer.from("x") },
    ]);
    await expectBundleError(unpack([bufferInput("b.zip", zip)]), "link_entry", 422, '"dir"');
    await expectNothingStored(dataDir);
  });

  it("row 2: rejects other special tar entries (fifo, device)", async () => {
    for (const type of ["fifo", "character-device"] as const) {
      const tarball = await makeTar([{ name: "a.log", data: "x" }, { name: "dev", type }]);
      await expectBundleError(unpack([bufferInput("b.tar", tarball)]), "special_entry", 422, '"dev"');
      await expectNothingStored(dataDir);
    }
  });
});

describe("row 3: hardlinks", () => {
  it("row 3: rejects a hardlink plus same-name file and keeps a pre-existing blob intact", async () => {
    // Another bundle already stored "original" — the rejected bundle must not remove or change it.
    const earlier = await unpack([bufferInput("target.txt", "original")]);
    const before = await listFiles(dataDir);
    const tarball = await makeTar([
      { name: "target.txt", data: "original" },
      { name: "target.txt", type: "link", linkname: "/etc/passwd" },
      { name: "target.txt", data: "overwritten" },
    ]);
    await expectBundleError(unpack([bufferInput("b.tar", tarball)]), "link_entry", 422, "hard link", "/etc/passwd");
    expect(await listFiles(dataDir)).toEqual(before);
    const blob = await fs.readFile(new Cas(dataDir).blobPath(earlier.entries[0]!.key), "utf8");
    expect(blob).toBe("original");
  });
});

describe("row 4: decompression bombs", () => {
  it("row 4: ~10 KB overlapping zip claiming 10 GB is stopped by the ratio cap after ~1 MiB (default limits)", async () => {
    const kernel = deflatedZeros(10); // 10 MiB of zeros in ~10 KB
    const bomb = makeOverlapZip(kernel, 1000); // 1000 entries × 10 MiB = 10 GiB inflated
    expect(bomb.length).toBeLessThan(80 * 1024);
    const error = await expectBundleError(
      unpack([bufferInput("bomb.zip", bomb)]),
      "ratio_exceeded",
      413,
      "z0000.bin",
      "HINDSIGHT_MAX_RATIO",
    );
    // Stopped right after the grace window, not after inflating gigabytes.
    expect(error.observed).toBeGreaterThan(RATIO_GRACE_BYTES);
    expect(error.observed).toBeLessThan(RATIO_GRACE_BYTES + 256 * 1024);
    await expectNothingStored(dataDir);
  });

  it("row 4: 2 MB gzip of 2 GiB zeros is stopped by the ratio cap after ~1 MiB (default limits)", async () => {
    const bomb = gzipMember(deflatedZeros(2048));
    expect(bomb.length).toBeLessThan(3 * MiB);
    const error = await expectBundleError(unpack([bufferInput("zeros.log.gz", bomb)]), "ratio_exceeded", 413, "zeros.log");
    expect(error.observed).toBeLessThan(RATIO_GRACE_BYTES + 256 * 1024);
    await expectNothingStored(dataDir);
  });

  it("row 4: tar.gz bomb names the entry being inflated", async () => {
    const tarball = await makeTar([{ name: "logs/zeros.log", data: Buffer.alloc(24 * MiB) }]);
    await expectBundleError(unpack([bufferInput("b.tgz", gzip(tarball))]), "ratio_exceeded", 413, "logs/zeros.log");
    await expectNothingStored(dataDir);
  });

  it("row 4: the per-bundle counter stops an overlapping zip even with the ratio cap lifted", async () => {
    const bomb = makeOverlapZip(deflatedZeros(10), 1000);
    const error = await expectBundleError(
      unpack([bufferInput("bomb.zip", bomb)], limits({ maxRatio: 1e9, maxBundleBytes: 64 * MiB })),
      "bundle_too_large",
      413,
      "HINDSIGHT_MAX_BUNDLE_BYTES",
    );
    expect(error.message).toMatch(/stopped in entry "z000[6-7]\.bin"/);
    // Earlier entries were stored (deduped to one blob) and must be rolled back with everything else.
    await expectNothingStored(dataDir);
  });

  it("row 4: the per-entry counter stops a single gzip with the ratio cap lifted", async () => {
    const bomb = gzipMember(deflatedZeros(64));
    const error = await expectBundleError(
      unpack([bufferInput("big.log.gz", bomb)], limits({ maxRatio: 1e9, maxEntryBytes: 8 * MiB })),
      "entry_too_large",
      413,
      '"big.log"',
      "HINDSIGHT_MAX_ENTRY_BYTES",
    );
    expect(error.observed).toBeGreaterThan(8 * MiB);
    expect(error.observed).toBeLessThan(8 * MiB + 256 * 1024);
    await expectNothingStored(dataDir);
  });

  it("row 4: ordinary compressible logs below the ratio cap are accepted", async () => {
    // Varied lines compress ~10–20:1, far below 200:1, and are larger than the 1 MiB grace window.
    const lines = Array.from({ length: 40_000 }, (_, i) => `2024-05-01T10:00:${String(i % 60).padStart(2, "0")}Z req=${i * 7919} status=${200 + (i % 5)}\n`);
    const result = await unpack([bufferInput("app.log.gz", gzip(lines.join("")))]);
    expect(result.entries.map((e) => [e.path, e.size])).toEqual([["app.log", Buffer.byteLength(lines.join(""))]]);
  });
});

describe("row 5: lying zip headers", () => {
  it("row 5: an entry that under-declares its size is capped on real bytes", async () => {
    const data = Buffer.alloc(4 * MiB, "abcdefghijklmnop");
    const zip = makeZip([{ name: "small.log", data, declaredSize: 100 }]);
    const error = await expectBundleError(
      unpack([bufferInput("lie.zip", zip)], limits({ maxRatio: 1e9, maxEntryBytes: 1 * MiB })),
      "entry_too_large",
      413,
      '"small.log"',
    );
    expect(error.observed).toBeGreaterThan(1 * MiB);
    await expectNothingStored(dataDir);
  });

  it("row 5: a mis-declared size within the caps is stored with its real size and a warning", async () => {
    const data = Buffer.from("x".repeat(5000));
    const result = await unpack([bufferInput("lie.zip", makeZip([{ name: "a.log", data, declaredSize: 10 }]))]);
    expect(result.entries[0]?.size).toBe(5000);
    expect(result.warnings.join("\n")).toContain("declares 10 bytes but 5000 were inflated");
  });
});

describe("row 6: nested archives", () => {
  it("row 6: rejects zip in zip (by magic bytes, whatever the name)", async () => {
    const inner = makeZip([{ name: "deeper.zip", data: makeZip([{ name: "x.log", data: Buffer.from("x") }]) }]);
    for (const name of ["inner.zip", "inner.log"]) {
      const outer = makeZip([{ name: "a.log", data: Buffer.from("a") }, { name, data: inner }]);
      await expectBundleError(unpack([bufferInput("outer.zip", outer)]), "nested_archive", 422, JSON.stringify(name), "zip archive");
      await expectNothingStored(dataDir);
    }
  });

  it("row 6: rejects a .tgz and a tar inside a tar", async () => {
    const innerTar = await makeTar([{ name: "x.log", data: "x" }]);
    for (const [name, data] of [
      ["nested.tgz", gzip(innerTar)],
      ["nested.tar", innerTar],
    ] as const) {
      const outer = await makeTar([{ name: "a.log", data: "a" }, { name, data }]);
      await expectBundleError(unpack([bufferInput("outer.tar", outer)]), "nested_archive", 422, JSON.stringify(name));
      await expectNothingStored(dataDir);
    }
  });

  it("row 6: decompresses a single-file .gz inside a tar one level", async () => {
    const outer = await makeTar([{ name: "logs/app.log.gz", data: gzip("line 1\nline 2\n") }]);
    const result = await unpack([bufferInput("outer.tar", outer)]);
    expect(result.entries.map((e) => e.path)).toEqual(["logs/app.log"]);
    const content = await fs.readFile(new Cas(dataDir).blobPath(result.entries[0]!.key), "utf8");
    expect(content).toBe("line 1\nline 2\n");
  });

  it("row 6: rejects gzip inside gzip (only one level is decompressed)", async () => {
    const outer = await makeTar([{ name: "double.log.gz", data: gzip(gzip("x")) }]);
    await expectBundleError(unpack([bufferInput("outer.tar", outer)]), "nested_archive", 422, "gzip inside gzip");
    await expectBundleError(unpack([bufferInput("double.log.gz", gzip(gzip("x")))]), "nested_archive", 422);
    await expectNothingStored(dataDir);
  });
});

describe("row 7: entry count and depth caps", () => {
  it("row 7: a zip with more entries than the cap is rejected from the central directory, before extraction", async () => {
    // The first entry is corrupt: had anything been extracted, the error would be bad_archive instead.
    const entries = [{ name: "corrupt.bin", raw: CORRUPT }, ...Array.from({ length: 1000 }, (_, i) => ({ name: `e${i}` }))];
    const error = await expectBundleError(
      unpack([bufferInput("many.zip", makeZip(entries))], limits({ maxEntries: 1000 })),
      "too_many_entries",
      413,
      "many.zip",
      "HINDSIGHT_MAX_ENTRIES",
    );
    expect(error.observed).toBe(1001);
    await expectNothingStored(dataDir);
  });

  it("row 7: a tar with more entries than the cap is rejected at the first entry over it", async () => {
    const tarball = await makeTar(Array.from({ length: 1001 }, (_, i) => ({ name: `e${i}`, data: "" })));
    const error = await expectBundleError(unpack([bufferInput("many.tar", tarball)], limits({ maxEntries: 1000 })), "too_many_entries", 413);
    expect(error.observed).toBe(1001);
    await expectNothingStored(dataDir);
  });

  it("row 7: the entry cap counts loose uploads and archive entries together", async () => {
    const inputs = Array.from({ length: 6 }, (_, i) => bufferInput(`f${i}.log`, `${i}`));
    await expectBundleError(unpack(inputs, limits({ maxEntries: 5 })), "too_many_entries", 413);
    await expectNothingStored(dataDir);
  });

  const deep = `${"a/".repeat(10_000)}x.log`;

  it("row 7: a path 10,000 folders deep is rejected by the depth cap (zip: before extraction)", async () => {
    const zip = makeZip([{ name: "corrupt.bin", raw: CORRUPT }, { name: deep, data: Buffer.from("x") }]);
    await expectBundleError(unpack([bufferInput("deep.zip", zip)]), "path_too_deep", 422, "10001 folders deep", "HINDSIGHT_MAX_DEPTH");
    await expectNothingStored(dataDir);
  });

  it("row 7: a path 10,000 folders deep is rejected in a tar (pax header) and as an upload name", async () => {
    await expectBundleError(unpack([bufferInput("deep.tar", await makeTar([{ name: deep, data: "x" }]))]), "path_too_deep", 422);
    await expectBundleError(unpack([bufferInput(deep, "x")]), "path_too_deep", 422);
    await expectNothingStored(dataDir);
  });

  it("row 7: the depth cap also applies once an archive is placed under its upload folder", async () => {
    const zip = makeZip([{ name: "b/c/d.log", data: Buffer.from("x") }]);
    await expect(unpack([bufferInput("x/y/z.zip", zip)], limits({ maxDepth: 5 }))).resolves.toBeTruthy();
    await expectBundleError(unpack([bufferInput("w/x/y/z.zip", zip)], limits({ maxDepth: 5 })), "path_too_deep", 422);
  });

  it("row 7: an over-long name is rejected by the path-length cap", async () => {
    const zip = makeZip([{ name: `${"n".repeat(1025)}.log`, data: Buffer.from("x") }]);
    await expectBundleError(unpack([bufferInput("long.zip", zip)]), "path_too_long", 422, "HINDSIGHT_MAX_PATH_LENGTH");
    await expectNothingStored(dataDir);
  });
});

describe("row 8: names colliding after normalisation", () => {
  const build = () =>
    makeZip([
      { name: "Logs/App.log", data: Buffer.from("first") },
      { name: "logs/app.log", data: Buffer.from("second") },
      { name: "LOGS/APP.LOG", data: Buffer.from("third") },
      { name: "caf\u00e9.txt", data: Buffer.from("nfc") },
      { name: "cafe\u0301.txt", data: Buffer.from("nfd") },
    ]);

  it("row 8: case and Unicode collisions get deterministic ~N renames and warnings; no content is lost", async () => {
    const first = await unpack([bufferInput("c.zip", build())]);
    expect(first.entries.map((e) => e.path)).toEqual([
      "Logs/App.log",
      "logs/app~2.log",
      "LOGS/APP~3.LOG",
      "caf\u00e9.txt",
      "caf\u00e9~2.txt",
    ]);
    expect(first.warnings.filter((w) => w.includes("collides"))).toHaveLength(3);
    const cas = new Cas(dataDir);
    const contents = await Promise.all(first.entries.map((e) => fs.readFile(cas.blobPath(e.key), "utf8")));
    expect(contents).toEqual(["first", "second", "third", "nfc", "nfd"]);

    const second = await unpack([bufferInput("c.zip", build())]);
    expect(second.entries.map((e) => e.path)).toEqual(first.entries.map((e) => e.path));
  });

  it("row 8: a renamed name never collides with a later real name", async () => {
    const result = await unpack([
      bufferInput("a.log", "1"),
      bufferInput("A.log", "2"),
      bufferInput("a~2.log", "3"),
    ]);
    const folded = result.entries.map((e) => e.path.toLowerCase());
    expect(new Set(folded).size).toBe(3);
    expect(result.entries.map((e) => e.path)).toEqual(["a.log", "A~2.log", "a~2~2.log"]);
  });
});

describe("rollback never touches what it did not create", () => {
  it("keeps blobs that existed before a rejected bundle and removes the ones it created", async () => {
    const kept = await unpack([bufferInput("shared.log", "shared content")]);
    const tarball = await makeTar([
      { name: "shared.log", data: "shared content" },
      { name: "new.log", data: "new content" },
      { name: "../escape", data: "x" },
    ]);
    await expectBundleError(unpack([bufferInput("b.tar", tarball)]), "unsafe_path", 422);
    const cas = new Cas(dataDir);
    expect(await cas.has(kept.entries[0]!.key)).toBe(true);
    const blobs = (await listFiles(dataDir)).filter((p) => p.startsWith("blobs"));
    expect(blobs).toEqual([path.join("blobs", kept.entries[0]!.key.slice(0, 2), kept.entries[0]!.key.slice(2))]);
  });

  it("leaves no spooled temp file when a streamed zip is rejected", async () => {
    const zip = makeZip([{ name: "../x", data: Buffer.from("x") }]);
    await expectBundleError(unpack([{ name: "z.zip", stream: Readable.from([zip]) }]), "unsafe_path", 422);
    await expectNothingStored(dataDir);
  });
});
