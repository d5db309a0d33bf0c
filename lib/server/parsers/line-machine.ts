import type { Readable } from "node:stream";
import { excerpt, readLineBatches } from "./lines";
import type { LineMachine, ParseItem } from "./types";

/**
 * Drives a LineMachine over a stream and yields what it produced, one batch per input chunk.
 * A bug in the machine costs one line (a skipped item), a failing stream one warning; neither
 * throws out of the parser.
 */
export async function* driveLines(input: Readable, machine: LineMachine): AsyncGenerator<ParseItem[]> {
  try {
    for await (const batch of readLineBatches(input)) {
      for (const l of batch) {
        try {
          machine.line(l.no, l.offset, l.text, l.truncated);
        } catch (e) {
          machine.out.push({ kind: "skipped", line: l.no, reason: `internal parser error: ${(e as Error).message}`, excerpt: excerpt(l.text) });
        }
      }
      if (machine.out.length) yield machine.out.splice(0);
    }
  } catch (e) {
    machine.out.push({ kind: "warning", message: `input stream failed: ${(e as Error).message}` });
  }
  machine.end();
  if (machine.out.length) yield machine.out.splice(0);
}

/** The per-item view of a batch generator (Parser.parse from Parser.parseBatches). */
export async function* flattenBatches(batches: AsyncIterable<ParseItem[]>): AsyncGenerator<ParseItem> {
  for await (const batch of batches) yield* batch;
}
