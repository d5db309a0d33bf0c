/** Content-addressed storage and limit configuration. */
import fs from "node:fs/promises";
import path from "node:path";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Cas, LimitError, dataDirFromEnv } from "@/lib/server/storage/cas";
import { DEFAULT_LIMITS, limitsFromEnv, parseSize } from "@/lib/schemas/limits";
import { listFiles, scratch } from "./make-archives";

let dataDir: string;
let root: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ root, dataDir, cleanup } = await scratch());
});
afterEach(async () => {
  await cleanup();
});

describe("Cas", () => {
  it("stores by sha256 under blobs/ab/cdef… and dedupes", async () => {
    const cas = new Cas(dataDir);
    const key = createHash("sha256").update("hello").digest("hex");
    const first = await cas.writeStream(Readable.from([Buffer.from("hel"), Buffer.from("lo")]));
    expect(first).toEqual({ sha256: key, size: 5, key, created: true });
    expect(cas.blobPath(key)).toBe(path.join(dataDir, "blobs", key.slice(0, 2), key.slice(2)));
    const second = await cas.writeStream(Readable.from([Buffer.from("hello")]));
    expect(second.created).toBe(false);
    expect(await listFiles(dataDir)).toEqual([path.join("blobs", key.slice(0, 2), key.slice(2))]);
    const chunks: Buffer[] = [];
    for await (const c of cas.openBlob(key)) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe("hello");
  });

  it("enforces maxBytes with a typed LimitError and removes the temp file", async () => {
    const cas = new Cas(dataDir);
    const big = Readable.from((function* () {
      for (let i = 0; i < 100; i++) yield Buffer.alloc(1024);
    })());
    const error = await cas.writeStream(big, { maxBytes: 10_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LimitError);
    expect(error).toMatchObject({ code: "upload_too_large", limit: 10_000 });
    expect((error as LimitError).observed).toBeLessThanOrEqual(10_000 + 1024);
    expect(await listFiles(dataDir)).toEqual([]);
  });

  it("refuses keys that are not 64 hex characters (no traversal through keys)", () => {
    const cas = new Cas(dataDir);
    for (const key of ["../../etc/passwd", "ab/../../x", "A".repeat(64), "a".repeat(63), `${"a".repeat(62)}/x`, ""]) {
      expect(() => cas.blobPath(key)).toThrow(/invalid blob key/);
    }
  });

  it("removeTempFile refuses paths outside tmp/", async () => {
    const cas = new Cas(dataDir);
    const outside = path.join(root, "precious.txt");
    await fs.writeFile(outside, "keep");
    await expect(cas.removeTempFile(outside)).rejects.toThrow(/not a temp file/);
    await expect(cas.removeTempFile(path.join(cas.tmpDir, "..", "..", "precious.txt"))).rejects.toThrow();
    expect(await fs.readFile(outside, "utf8")).toBe("keep");
  });

  it("removeTemp sweeps only stale temp files", async () => {
    const cas = new Cas(dataDir);
    const stale = await cas.newTempPath();
    const fresh = await cas.newTempPath();
    await fs.writeFile(stale, "x");
    await fs.writeFile(fresh, "y");
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await fs.utimes(stale, old, old);
    expect(await cas.removeTemp()).toBe(1);
    expect(await listFiles(cas.tmpDir)).toEqual([path.basename(fresh)]);
  });

  it("a pinned blob survives removeBlob; it goes once unpinned", async () => {
    const cas = new Cas(dataDir);
    const { key } = await cas.writeStream(Readable.from([Buffer.from("pinned")]));
    cas.pin(key);
    expect(await cas.removeBlob(key)).toBe(false);
    expect(await cas.has(key)).toBe(true);
    cas.unpin(key);
    expect(await cas.removeBlob(key)).toBe(true);
    expect(await cas.has(key)).toBe(false);
  });

  it("a blob held by two unpacks at once is not removed by the one that created it", async () => {
    const cas = new Cas(dataDir);
    const { key } = await cas.writeStream(Readable.from([Buffer.from("shared")]));
    cas.pin(key); // creator
    cas.pin(key); // a second, concurrent bundle deduped onto it
    cas.unpin(key); // the second one finished and committed
    cas.unpin(key); // the creator rolls back
    expect(await cas.removeBlob(key)).toBe(false);
    expect(await cas.has(key)).toBe(true);
  });

  it("data dir defaults to ./data and follows HINDSIGHT_DATA_DIR", () => {
    expect(dataDirFromEnv({})).toBe(path.resolve("./data"));
    expect(dataDirFromEnv({ HINDSIGHT_DATA_DIR: "/srv/hindsight" })).toBe("/srv/hindsight");
  });
});

describe("limits", () => {
  it("defaults match the documented table", () => {
    expect(limitsFromEnv({})).toEqual({
      maxUploadBytes: 2 * 1024 ** 3,
      maxEntryBytes: 2 * 1024 ** 3,
      maxBundleBytes: 4 * 1024 ** 3,
      maxRatio: 200,
      maxEntries: 10_000,
      maxDepth: 32,
      maxPathLength: 1024,
    });
    expect(limitsFromEnv({})).toEqual(DEFAULT_LIMITS);
  });

  it("reads every HINDSIGHT_MAX_* variable, with binary units for sizes", () => {
    const limits = limitsFromEnv({
      HINDSIGHT_MAX_UPLOAD_BYTES: "512MiB",
      HINDSIGHT_MAX_ENTRY_BYTES: "1g",
      HINDSIGHT_MAX_BUNDLE_BYTES: "3221225472",
      HINDSIGHT_MAX_RATIO: "50.5",
      HINDSIGHT_MAX_ENTRIES: "20",
      HINDSIGHT_MAX_DEPTH: "4",
      HINDSIGHT_MAX_PATH_LENGTH: "200",
    });
    expect(limits).toEqual({
      maxUploadBytes: 512 * 1024 ** 2,
      maxEntryBytes: 1024 ** 3,
      maxBundleBytes: 3 * 1024 ** 3,
      maxRatio: 50.5,
      maxEntries: 20,
      maxDepth: 4,
      maxPathLength: 200,
    });
  });

  it("a malformed value throws naming the variable instead of lifting the limit", () => {
    expect(() => limitsFromEnv({ HINDSIGHT_MAX_UPLOAD_BYTES: "lots" })).toThrow(/HINDSIGHT_MAX_UPLOAD_BYTES/);
    expect(() => limitsFromEnv({ HINDSIGHT_MAX_ENTRIES: "0" })).toThrow(/HINDSIGHT_MAX_ENTRIES/);
    expect(() => limitsFromEnv({ HINDSIGHT_MAX_RATIO: "-1" })).toThrow(/HINDSIGHT_MAX_RATIO/);
    expect(() => limitsFromEnv({ HINDSIGHT_MAX_DEPTH: "2.5" })).toThrow(/HINDSIGHT_MAX_DEPTH/);
  });

  it("parseSize", () => {
    expect(parseSize("10")).toBe(10);
    expect(parseSize("1.5 KiB")).toBe(1536);
    expect(parseSize("2GB")).toBe(2 * 1024 ** 3);
    expect(parseSize("2 parsecs")).toBeNull();
    expect(parseSize("-5")).toBeNull();
  });
});
