import { Readable } from "node:stream";

/** Bytes needed to recognise every container we handle (the ustar magic sits at offset 257). */
export const SNIFF_BYTES = 512;

export type ContainerKind = "zip" | "tar" | "gzip" | "other";

/**
 * Decides by magic bytes, not by extension: a renamed `.log` that is really a zip is still a zip, and a
 * `.zip` that is text is still text. Recognised:
 *   zip   "PK\x03\x04" (local header), "PK\x05\x06" (empty archive), "PK\x07\x08" (spanned marker)
 *   gzip  1f 8b
 *   tar   "ustar" at 257 (POSIX and GNU). Pre-POSIX v7 tars carry no magic and are treated as plain files.
 */
export function sniffContainer(head: Uint8Array): ContainerKind {
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b) {
    const a = head[2];
    const b = head[3];
    if ((a === 3 && b === 4) || (a === 5 && b === 6) || (a === 7 && b === 8)) return "zip";
  }
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head.length >= 262 && Buffer.from(head.subarray(257, 262)).toString("latin1") === "ustar") return "tar";
  return "other";
}

export interface Peeked {
  /** Up to `n` first bytes (fewer if the stream is shorter). */
  head: Buffer;
  /** The whole stream again, head included. */
  stream: Readable;
  /** Stops reading the source (releases it) when the stream will not be consumed. */
  discard: () => Promise<void>;
}

/**
 * Reads the first `n` bytes without losing them. Works for Node and streamx readables (tar-stream
 * entries) through the async-iterator protocol, so errors of the source surface on the returned stream.
 */
export async function peekStream(source: AsyncIterable<Uint8Array>, n = SNIFF_BYTES): Promise<Peeked> {
  const iterator = source[Symbol.asyncIterator]();
  const buffered: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < n) {
    const step = await iterator.next();
    if (step.done) {
      done = true;
      break;
    }
    const chunk = Buffer.isBuffer(step.value) ? step.value : Buffer.from(step.value);
    buffered.push(chunk);
    length += chunk.length;
  }
  let finished = done;
  const release = async () => {
    if (finished) return;
    finished = true;
    await iterator.return?.();
  };
  async function* replay(): AsyncGenerator<Buffer> {
    try {
      yield* buffered;
      while (!finished) {
        const step = await iterator.next();
        if (step.done) {
          finished = true;
          return;
        }
        yield Buffer.isBuffer(step.value) ? step.value : Buffer.from(step.value);
      }
    } finally {
      // Consumer stopped early (error or destroy): release the source so its file handle closes.
      await release();
    }
  }
  const head = Buffer.concat(buffered).subarray(0, n);
  return { head, stream: Readable.from(replay(), { objectMode: false }), discard: release };
}
