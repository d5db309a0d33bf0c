import fs from "node:fs";
import path from "node:path";
import type { Db } from "@/lib/server/db/client";
import { UsageError } from "./args";
import { getDraft } from "@/lib/server/services/draft";

/** `--draft` with no file (or `-`) writes to stdout. */
export interface DraftFlag {
  file: string | null;
}

/**
 * Takes `--draft [FILE]` out of the CLI arguments. The value is optional, so it is only taken when
 * written `--draft=FILE`, or `--draft FILE` with FILE ending in .md/.markdown or being `-`
 * (anything else after a bare --draft is an input path).
 */
export function takeDraftFlag(argv: string[]): { argv: string[]; draft: DraftFlag | null } {
  const rest: string[] = [];
  let draft: DraftFlag | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === "--draft" || a.startsWith("--draft=")) {
      let file: string | null = a.startsWith("--draft=") ? a.slice("--draft=".length) : null;
      const next = argv[i + 1];
      if (file === null && next !== undefined && (next === "-" || /\.(md|markdown)$/i.test(next))) {
        file = next;
        i++;
      }
      if (file === "") throw new UsageError("--draft= needs a file name (or use --draft alone for stdout)");
      draft = { file: file === "-" ? null : file };
    } else rest.push(a);
  }
  return { argv: rest, draft };
}

/** Writes the incident's Markdown draft to the file, or to stdout. */
export async function writeDraft(db: Db, incidentId: string, flag: DraftFlag, log: (...a: unknown[]) => void): Promise<void> {
  const { markdown } = await getDraft(incidentId, db);
  if (flag.file === null) {
    process.stdout.write(markdown);
    return;
  }
  const out = path.resolve(flag.file);
  fs.writeFileSync(out, markdown);
  log(`draft written to ${out}`);
}
