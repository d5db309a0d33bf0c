import { Readable } from "node:stream";
import { expect } from "vitest";
import { EvidenceRecord } from "@/lib/schemas/records";
import type { ParseContext, ParseItem, Parser } from "@/lib/server/parsers/types";

/**
 * Runs a parser over `text` (one chunk) and returns everything it yielded, after checking that every
 * record satisfies the shared schema (`EvidenceRecord`; brands are plain numbers at runtime) — so a
 * parser test checks the boundary the records cross into the database too. `batches` reads through
 * `parseBatches` instead of `parse` (the summarised-file path).
 */
export async function parseChecked(parser: Parser, text: string | Buffer, ctx: ParseContext, options: { batches?: boolean } = {}): Promise<ParseItem[]> {
  const input = Readable.from([Buffer.from(text)]);
  const out: ParseItem[] = [];
  if (options.batches) {
    if (!parser.parseBatches) throw new Error(`${parser.id} has no parseBatches`);
    for await (const batch of parser.parseBatches(input, ctx)) out.push(...batch);
  } else {
    for await (const item of parser.parse(input, ctx)) out.push(item);
  }
  for (const item of out) if (item.kind !== "skipped" && item.kind !== "warning") expect(EvidenceRecord.safeParse(item).success, JSON.stringify(item)).toBe(true);
  return out;
}
