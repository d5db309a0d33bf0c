import { BundleError } from "@/lib/server/bundle/errors";
import type { BundleLimits } from "@/lib/schemas/limits";

/**
 * Entry-path safety. Every name that reaches storage — archive members and client-supplied upload names
 * alike — goes through `safeEntryPath`, which either returns a normalised relative path or throws.
 * Paths are only ever used as labels (content lives in CAS by hash), but they are shown, exported and
 * may be extracted by users, so anything that could escape a directory is refused outright.
 */

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const DRIVE = /^[A-Za-z]:/;

export interface SafePath {
  /** Normalised path, forward slashes, NFC, no `.`/empty segments; "" for the root itself. */
  path: string;
  /** The raw name ended with "/" (a directory marker). */
  isDirectory: boolean;
}

function reject(code: "unsafe_path", raw: string, where: string, why: string): never {
  throw new BundleError(code, `${where}: entry ${JSON.stringify(raw)} rejected: ${why}`, raw);
}

/**
 * @param raw   name as found in the archive or sent by the client
 * @param where what it came from, for the message ("upload.zip", "upload name")
 */
export function safeEntryPath(raw: string, where: string, limits: BundleLimits): SafePath {
  if (raw.includes("\\")) reject("unsafe_path", raw, where, "backslashes are not allowed (Windows path forms)");
  if (CONTROL.test(raw)) reject("unsafe_path", raw, where, "control characters are not allowed");
  if (DRIVE.test(raw)) reject("unsafe_path", raw, where, "drive-letter paths are not allowed");
  if (raw.startsWith("/")) reject("unsafe_path", raw, where, "absolute paths are not allowed");
  const segments = raw.split("/");
  if (segments.includes("..")) reject("unsafe_path", raw, where, "'..' segments are not allowed");
  const kept = segments.filter((s) => s !== "" && s !== ".").map((s) => s.normalize("NFC"));
  const normalised = kept.join("/");
  // Dropping `.` segments can surface a drive letter (`./C:../x` → `C:../x`): check the result too.
  if (DRIVE.test(normalised)) reject("unsafe_path", raw, where, "drive-letter paths are not allowed");
  // Depth before length: a 10,000-folder path is reported as what it is (too deep).
  if (kept.length > limits.maxDepth) {
    throw new BundleError(
      "path_too_deep",
      `${where}: entry ${JSON.stringify(normalised.slice(0, 120))} is ${kept.length} folders deep; the limit is ${limits.maxDepth} (HINDSIGHT_MAX_DEPTH)`,
      raw.slice(0, 200),
    );
  }
  if (normalised.length > limits.maxPathLength) {
    throw new BundleError(
      "path_too_long",
      `${where}: entry path of ${normalised.length} characters exceeds the limit of ${limits.maxPathLength} (HINDSIGHT_MAX_PATH_LENGTH)`,
      raw.slice(0, 200),
    );
  }
  return { path: normalised, isDirectory: raw.endsWith("/") };
}

/** macOS/Windows artefacts that are never evidence: `__MACOSX/…`, `.DS_Store`, AppleDouble `._x`, `Thumbs.db`. */
export function isJunkPath(normalised: string): boolean {
  const segments = normalised.split("/");
  const base = segments[segments.length - 1] ?? "";
  return (
    segments.includes("__MACOSX") || base === ".DS_Store" || base.startsWith("._") || base === "Thumbs.db"
  );
}

/** Joins an archive's folder (from its upload name) and a member path. */
export function joinPath(prefix: string, member: string): string {
  if (prefix === "") return member;
  return `${prefix}/${member}`;
}

export function dirName(normalised: string): string {
  const slash = normalised.lastIndexOf("/");
  return slash < 0 ? "" : normalised.slice(0, slash);
}

/**
 * Assigns each path a unique name under NFC + case folding. The first writer keeps its name; later ones
 * get `name~2.ext`, `name~3.ext`… in arrival order (archive order), which makes renames deterministic.
 * Two writers can therefore never target one file, on case-insensitive filesystems included.
 */
export class PathRegistry {
  private readonly taken = new Set<string>();

  private static fold(p: string): string {
    return p.normalize("NFC").toLowerCase().normalize("NFC");
  }

  has(p: string): boolean {
    return this.taken.has(PathRegistry.fold(p));
  }

  /** Returns the name to use and, when renamed, the colliding original. */
  claim(p: string): { path: string; renamedFrom?: string } {
    if (!this.has(p)) {
      this.taken.add(PathRegistry.fold(p));
      return { path: p };
    }
    const dir = dirName(p);
    const base = dir === "" ? p : p.slice(dir.length + 1);
    const dot = base.lastIndexOf(".");
    const stem = dot > 0 ? base.slice(0, dot) : base;
    const ext = dot > 0 ? base.slice(dot) : "";
    for (let n = 2; ; n += 1) {
      const candidate = joinPath(dir, `${stem}~${n}${ext}`);
      if (!this.has(candidate)) {
        this.taken.add(PathRegistry.fold(candidate));
        return { path: candidate, renamedFrom: p };
      }
    }
  }
}
