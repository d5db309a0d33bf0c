/** Happy paths of bundle intake: every accepted input shape, folder paths, junk skipping, manifests. */
import fs from "node:fs/promises";
import path from "node:path";
import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { unpackUploads, type UnpackResult } from "@/lib/server/bundle/unpack";
import { Cas } from "@/lib/server/storage/cas";
import { DEFAULT_LIMITS } from "@/lib/schemas/limits";
import { bufferInput, expectBundleError, expectNothingStored } from "./helpers";
import { gzip, makeTar, makeZip, scratch } from "./make-archives";

let dataDir: string;
let root: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ root, dataDir, cleanup } = await scratch());
});
afterEach(async () => {
  await cleanup();
});

const unpack = (inputs: Parameters<typeof unpackUploads>[0]) => unpackUploads(inputs, { limits: DEFAULT_LIMITS, dataDir });
const sha = (s: string) => createHash("sha256").update(s).digest("hex");

/** path → stored content, read back from CAS (proves the bytes, not just the names). */
async function contents(result: UnpackResult): Promise<Record<string, string>> {
  const cas = new Cas(dataDir);
  const out: Record<string, string> = {};
  for (const e of result.entries) out[e.path] = await fs.readFile(cas.blobPath(e.key), "utf8");
  return out;
}

describe("accepted inputs", () => {
  it("zip: stored and deflated entries, directories and macOS junk skipped with a warning", async () => {
    const zip = makeZip([
      { name: "incident/" },
      { name: "incident/logs/ztunnel.log", data: Buffer.from("ztunnel line\n".repeat(50)) },
      { name: "incident/iptables-save.txt", data: Buffer.from("*filter\nCOMMIT\n"), method: 0 },
      { name: "__MACOSX/incident/._iptables-save.txt", data: Buffer.from("junk") },
      { name: "incident/.DS_Store", data: Buffer.from("junk") },
    ]);
    const result = await unpack([bufferInput("incident.zip", zip)]);
    expect(await contents(result)).toEqual({
      "incident/logs/ztunnel.log": "ztunnel line\n".repeat(50),
      "incident/iptables-save.txt": "*filter\nCOMMIT\n",
    });
    expect(result.entries[1]).toMatchObject({ size: 15, sha256: sha("*filter\nCOMMIT\n"), key: sha("*filter\nCOMMIT\n") });
    expect(result.warnings.join("\n")).toContain("skipped 2 macOS/Windows metadata entries");
    expect(result.totalBytes).toBe(50 * 13 + 15);
  });

  it("tar with ./ prefixes and directory entries", async () => {
    const tarball = await makeTar([
      { name: "./", type: "directory" },
      { name: "./k8s/", type: "directory" },
      { name: "./k8s/events.json", data: '{"items":[]}' },
    ]);
    const result = await unpack([bufferInput("b.tar", tarball)]);
    expect(await contents(result)).toEqual({ "k8s/events.json": '{"items":[]}' });
  });

  it("tar.gz / tgz, recognised by content even when misnamed", async () => {
    const tarball = await makeTar([{ name: "a.log", data: "A" }, { name: "b/c.log", data: "C" }]);
    for (const name of ["b.tar.gz", "b.tgz", "b.bin"]) {
      const result = await unpack([bufferInput(name, gzip(tarball))]);
      expect(await contents(result)).toEqual({ "a.log": "A", "b/c.log": "C" });
    }
  });

  it("single .gz becomes one entry named without .gz", async () => {
    const result = await unpack([bufferInput("logs/envoy.log.gz", gzip("GET / 200\n"))]);
    expect(await contents(result)).toEqual({ "logs/envoy.log": "GET / 200\n" });
    expect(result.warnings).toEqual([]);
  });

  it("loose files and folder uploads keep their relative paths; a zip inside a folder unpacks in place", async () => {
    const result = await unpack([
      bufferInput("timeline.md", "# t\n"),
      bufferInput("logs/ztunnel.log", "z\n"),
      bufferInput("nodes/worker-1/dumps.zip", makeZip([{ name: "ipvsadm.txt", data: Buffer.from("IP Virtual Server\n") }])),
    ]);
    expect(await contents(result)).toEqual({
      "timeline.md": "# t\n",
      "logs/ztunnel.log": "z\n",
      "nodes/worker-1/ipvsadm.txt": "IP Virtual Server\n",
    });
  });

  it("loose files from temp paths are read, not moved or deleted (the caller owns them)", async () => {
    const temp = path.join(root, "upload.part");
    await fs.writeFile(temp, makeZip([{ name: "x.log", data: Buffer.from("x") }]));
    const result = await unpack([{ name: "bundle.zip", tempPath: temp }]);
    expect(await contents(result)).toEqual({ "x.log": "x" });
    await expect(fs.stat(temp)).resolves.toBeTruthy();
  });

  it("identical content is stored once (dedupe) and a second bundle creates nothing", async () => {
    const first = await unpack([bufferInput("a.log", "same"), bufferInput("b.log", "same")]);
    expect(first.entries[0]!.key).toBe(first.entries[1]!.key);
    expect(first.createdKeys).toEqual([sha("same")]);
    const second = await unpack([bufferInput("c.log", "same")]);
    expect(second.createdKeys).toEqual([]);
  });

  it("empty files are kept as entries", async () => {
    const result = await unpack([bufferInput("empty.log", "")]);
    expect(result.entries).toEqual([{ path: "empty.log", size: 0, sha256: sha(""), key: sha("") }]);
  });

  it("malformed archives are a 422 naming the upload and leave nothing", async () => {
    const zip = makeZip([{ name: "a.log", data: Buffer.from("a".repeat(100)) }]);
    await expectBundleError(unpack([bufferInput("cut.zip", zip.subarray(0, zip.length - 10))]), "bad_archive", 422, "cut.zip");
    const tgz = gzip(await makeTar([{ name: "a.log", data: "a".repeat(5000) }]));
    await expectBundleError(unpack([bufferInput("cut.tgz", tgz.subarray(0, 40))]), "bad_archive", 422, "cut.tgz");
    await expectNothingStored(dataDir);
  });
});

describe("manifest", () => {
  const valid = "title: Checkout outage\nwindow:\n  start: 2024-05-01T10:00:00Z\n  end: 2024-05-01T11:00:00+02:00\ntimezone: UTC\n";

  it("reads bundle.yaml at the root", async () => {
    const result = await unpack([bufferInput("bundle.yaml", valid), bufferInput("a.log", "a")]);
    expect(result.manifest).toEqual({
      title: "Checkout outage",
      window: { start: "2024-05-01T10:00:00Z", end: "2024-05-01T11:00:00+02:00" },
      timezone: "UTC",
    });
    expect(result.manifestPath).toBe("bundle.yaml");
  });

  it("reads bundle.json at the root of a single top-level folder", async () => {
    const zip = makeZip([
      { name: "inc/bundle.json", data: Buffer.from(JSON.stringify({ title: "From JSON", date: "2024-05-01" })) },
      { name: "inc/a.log", data: Buffer.from("a") },
    ]);
    const result = await unpack([bufferInput("inc.zip", zip)]);
    expect(result.manifest).toEqual({ title: "From JSON", date: "2024-05-01" });
    expect(result.manifestPath).toBe("inc/bundle.json");
  });

  it("ignores a manifest that is neither at the root nor under a single top folder", async () => {
    const result = await unpack([bufferInput("a/bundle.yaml", "title: x\n"), bufferInput("b/c.log", "c")]);
    expect(result.manifest).toBeNull();
  });

  it("no manifest → null", async () => {
    expect((await unpack([bufferInput("a.log", "a")])).manifest).toBeNull();
  });

  it("an invalid field is a 422 naming the file and the field path; nothing is kept", async () => {
    await expectBundleError(
      unpack([bufferInput("a.log", "a"), bufferInput("bundle.yaml", "window:\n  start: yesterday\n")]),
      "bad_manifest",
      422,
      "bundle.yaml: window.start: Invalid ISO datetime",
    );
    await expectNothingStored(dataDir);
  });

  it("unknown keys and broken YAML are reported, not ignored", async () => {
    await expectBundleError(unpack([bufferInput("bundle.yml", "titel: typo\n")]), "bad_manifest", 422, "bundle.yml", "titel");
    await expectBundleError(unpack([bufferInput("bundle.yaml", "title: [unclosed\n")]), "bad_manifest", 422, "not valid YAML");
    await expectBundleError(unpack([bufferInput("bundle.json", "{nope")]), "bad_manifest", 422, "not valid JSON");
  });
});

describe("archive entry times (capture time of snapshots)", () => {
  it("tar and zip entries keep their modification time; placeholders (1970, DOS zero) and loose files have none", async () => {
    const tarball = await makeTar([
      { name: "b/node-a/conntrack-S.txt", data: "cpu=0 found=1 insert_failed=2\n", mtime: new Date("2025-03-12T09:05:00Z") },
      { name: "b/node-a/ipvsadm.txt", data: "IP Virtual Server\n", mtime: new Date(0) },
    ]);
    const t = await unpack([bufferInput("b.tar", tarball)]);
    expect(Object.fromEntries(t.entries.map((e) => [e.path, e.mtime]))).toEqual({ "b/node-a/conntrack-S.txt": Date.parse("2025-03-12T09:05:00Z"), "b/node-a/ipvsadm.txt": undefined });
    // MS-DOS fields 2025-03-12 09:05:00: no zone in the format, read as UTC.
    const dos = { date: ((2025 - 1980) << 9) | (3 << 5) | 12, time: (9 << 11) | (5 << 5) };
    const z = await unpack([bufferInput("z.zip", makeZip([{ name: "z/conntrack.txt", data: Buffer.from("x"), dos }, { name: "z/other.txt", data: Buffer.from("y") }]))]);
    expect(Object.fromEntries(z.entries.map((e) => [e.path, e.mtime]))).toEqual({ "z/conntrack.txt": Date.parse("2025-03-12T09:05:00Z"), "z/other.txt": undefined });
    const loose = await unpack([bufferInput("conntrack.txt", Buffer.from("x"))]);
    expect(loose.entries[0]!.mtime).toBeUndefined();
  });
});
