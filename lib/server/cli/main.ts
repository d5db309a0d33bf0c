import { analyzeCommand } from "./analyze";
import { uploadCommand } from "./upload";
import { UsageError } from "./args";

const USAGE = `Hindsight — offline postmortem analysis

Usage:
  hindsight analyze <file|dir|archive>… [--json] [--manifest FILE] [--title T]
      Runs the full pipeline in-process against a temporary database and prints a summary
      (or, with --json, only JSON on stdout).
  hindsight upload <file|dir|archive>… --server URL [--title T] [--incident ID] [--token TOKEN]
      Sends a bundle to a running Hindsight server, with a progress bar; --incident adds the
      files to an existing incident as new evidence (it is analysed again). --token (or the
      HINDSIGHT_TOKEN variable) is an API token from the server's Account page (editor or admin).

Exit codes: 0 analysis completed (or partial), 1 failed/rejected, 2 usage error.`;

// What the CLI says to its user goes straight to stdout/stderr; diagnostics of the pipeline it runs
// go to the log (lib/server/log.ts, stderr).
const say = (text: string) => process.stdout.write(`${text}\n`);
const complain = (text: string) => process.stderr.write(`${text}\n`);

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === "analyze") return await analyzeCommand(rest);
    if (cmd === "upload") return await uploadCommand(rest);
    if (cmd === "--help" || cmd === "-h" || cmd === "help") {
      say(USAGE);
      return 0;
    }
    complain(USAGE);
    return 2;
  } catch (err) {
    if (err instanceof UsageError) {
      complain(`hindsight: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    complain(`hindsight: ${(err as Error).message}`);
    return 1;
  }
}
