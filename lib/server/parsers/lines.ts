import type { Readable } from "node:stream";
import type { SkippedItem } from "./types";

/** Lines longer than this are truncated (the rest of the line is dropped, not buffered). */
export const MAX_LINE_BYTES = 1024 * 1024;

export interface Line {
  /** 1-based line number */
  no: number;
  /** Byte offset of the line start in the stream */
  offset: number;
  /** Line text without the trailing \n / \r\n, decoded as UTF-8 (invalid bytes → U+FFFD) */
  text: string;
  /** True when the line exceeded maxLineBytes and was cut */
  truncated: boolean;
}

/**
 * Splits a byte stream into lines with bounded memory: a line longer than `maxLineBytes` is cut
 * at the limit and the remainder skipped until the next newline (hostile input: a 50 MB line
 * with no newline stays O(maxLineBytes) in memory and linear in time).
 *
 * Yields *batches* of lines (one per input chunk) because a per-line async iteration costs more
 * than parsing most access-log lines; use `readLines` when convenience matters more.
 */
export async function* readLineBatches(input: Readable | AsyncIterable<Buffer | string>, maxLineBytes = MAX_LINE_BYTES): AsyncGenerator<Line[]> {
  let carry: Buffer[] = [];
  let carryLen = 0;
  let skippingRest = false; // inside an over-long line, dropping bytes until \n
  let lineNo = 0;
  let offset = 0; // offset of the next unconsumed byte in the stream
  let lineStart = 0; // offset of the current line start
  let truncatedCurrent = false;

  for await (const raw of input as AsyncIterable<Buffer | string>) {
    const chunk = typeof raw === "string" ? Buffer.from(raw) : raw;
    const out: Line[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      const nl = chunk.indexOf(10, pos);
      if (nl === -1) {
        if (!skippingRest) {
          const room = maxLineBytes - carryLen;
          const take = Math.min(room, chunk.length - pos);
          if (take > 0) {
            carry.push(chunk.subarray(pos, pos + take));
            carryLen += take;
          }
          if (take < chunk.length - pos) {
            skippingRest = true;
            truncatedCurrent = true;
          }
        }
        pos = chunk.length;
        break;
      }
      let text: string;
      if (skippingRest) {
        text = decode(carry, carryLen);
      } else {
        const room = maxLineBytes - carryLen;
        const segLen = nl - pos;
        if (segLen > room) {
          truncatedCurrent = true;
          if (room > 0) carry.push(chunk.subarray(pos, pos + room));
          text = decode(carry, carryLen + Math.max(room, 0));
        } else if (carryLen === 0) {
          text = chunk.toString("utf8", pos, nl);
        } else {
          carry.push(chunk.subarray(pos, nl));
          text = decode(carry, carryLen + segLen);
        }
      }
      if (text.length > 0 && text.charCodeAt(text.length - 1) === 13) text = text.slice(0, -1);
      lineNo++;
      out.push({ no: lineNo, offset: lineStart, text, truncated: truncatedCurrent });
      lineStart = offset + nl + 1;
      carry = [];
      carryLen = 0;
      skippingRest = false;
      truncatedCurrent = false;
      pos = nl + 1;
    }
    offset += chunk.length;
    if (out.length > 0) yield out;
  }
  if (carryLen > 0 || truncatedCurrent) {
    let text = decode(carry, carryLen);
    if (text.length > 0 && text.charCodeAt(text.length - 1) === 13) text = text.slice(0, -1);
    lineNo++;
    yield [{ no: lineNo, offset: lineStart, text, truncated: truncatedCurrent }];
  }
}

function decode(parts: Buffer[], len: number): string {
  if (parts.length === 1) return parts[0]!.toString("utf8", 0, len);
  return Buffer.concat(parts, len).toString("utf8");
}

/** Convenience per-line iterator over readLineBatches. */
export async function* readLines(input: Readable | AsyncIterable<Buffer | string>, maxLineBytes = MAX_LINE_BYTES): AsyncGenerator<Line> {
  for await (const batch of readLineBatches(input, maxLineBytes)) yield* batch;
}

/** Strips ANSI escape sequences (colourised kubectl/ztunnel output). Linear time. */
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;
export function stripAnsi(s: string): string {
  return s.indexOf("\x1b") === -1 ? s : s.replace(ANSI, "");
}

/** A short excerpt for skipped-line reasons and evidence. */
export function excerpt(s: string, max = 200): string {
  return s.length <= max ? s : `${s.slice(0, max)}…`;
}

/** One JSON Lines record that must be an object: the object, or the skipped item saying why not. */
export function jsonObjectLine(no: number, text: string): { obj: Record<string, unknown> } | { skipped: SkippedItem } {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    return { skipped: { kind: "skipped", line: no, reason: "invalid JSON", excerpt: excerpt(text) } };
  }
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) return { skipped: { kind: "skipped", line: no, reason: "JSON line is not an object", excerpt: excerpt(text) } };
  return { obj: obj as Record<string, unknown> };
}
