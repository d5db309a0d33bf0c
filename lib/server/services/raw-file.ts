import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { dataDir } from "@/lib/server/config";
import { getPrisma, type Db } from "@/lib/server/db/client";
import { NotFoundError } from "@/lib/server/errors";
import { Cas, isBlobKey } from "@/lib/server/storage/cas";

export interface RawFile {
  /** The stored bytes, streamed from content-addressed storage (never buffered). */
  body: ReadableStream<Uint8Array>;
  size: number;
  /** Headers that make the browser save the file instead of rendering it. */
  headers: Record<string, string>;
}

/**
 * An uploaded evidence file exactly as it was stored, for download (hostile-inputs row 11).
 * Whatever the file contains (`evil.html` with a `<script>`), it is served as an opaque attachment:
 * `application/octet-stream`, `nosniff`, a sandboxing CSP, and an ASCII-only filename so a hostile
 * name cannot inject header parameters. The file must belong to the incident named in the URL.
 */
export async function openRawFile(incidentId: string, fileId: string, db: Db = getPrisma(), root: string = dataDir()): Promise<RawFile> {
  const file = await db.evidenceFile.findFirst({ where: { id: fileId, incidentId }, select: { path: true, storageKey: true, size: true } });
  if (!file || !isBlobKey(file.storageKey)) throw new NotFoundError("file");
  const blobPath = new Cas(root).blobPath(file.storageKey);
  let stream: fs.ReadStream;
  try {
    // Opened before answering so a missing blob is a 404, not a truncated 200.
    const fd = await fs.promises.open(blobPath, "r");
    stream = fd.createReadStream();
  } catch {
    throw new NotFoundError("file");
  }
  const size = Number(file.size);
  const { ascii, utf8 } = attachmentNames(file.path);
  return {
    body: Readable.toWeb(stream) as ReadableStream<Uint8Array>,
    size,
    headers: {
      "Content-Type": "application/octet-stream",
      "Content-Length": String(size),
      "Content-Disposition": `attachment; filename="${ascii}"; filename*=UTF-8''${utf8}`,
      "X-Content-Type-Options": "nosniff",
      "Content-Security-Policy": "default-src 'none'; sandbox",
      "Cache-Control": "private, no-store",
    },
  };
}

/**
 * The last path segment, twice: a quoted ASCII fallback (anything outside [A-Za-z0-9._ -] becomes
 * `_`, so no quote, backslash, CR/LF or `;` reaches the header) and an RFC 5987 percent-encoded
 * UTF-8 form. Leading dots are dropped (no hidden `.bashrc` on the user's disk).
 */
export function attachmentNames(storedPath: string): { ascii: string; utf8: string } {
  const base = path.posix.basename(storedPath.replace(/\\/g, "/")).normalize("NFC");
  const ascii = base.replace(/[^A-Za-z0-9._ -]/g, "_").replace(/^[.\s]+/, "").slice(0, 200) || "evidence.bin";
  const utf8 = encodeURIComponent(base.replace(/^[.\s]+/, "").slice(0, 200) || "evidence.bin").replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return { ascii, utf8 };
}
