import { describe, expect, it } from "vitest";
import { parseArgs, UsageError } from "@/lib/server/cli/args";

const SPEC = { strings: ["server", "title"], booleans: ["json"] };

describe("CLI flag parsing (lib/server/cli/args.ts)", () => {
  it("reads --flag value, --flag=value, switches and positionals in any order", () => {
    expect(parseArgs(["a.log", "--server", "http://h:3000", "b/", "--json", "--title=Outage = bad", "c.zip"], SPEC)).toEqual({
      positionals: ["a.log", "b/", "c.zip"],
      flags: { server: "http://h:3000", json: true, title: "Outage = bad" },
    });
  });

  it("takes everything after -- as positionals, flags included", () => {
    expect(parseArgs(["--json", "--", "--title", "-x.log"], SPEC)).toEqual({ positionals: ["--title", "-x.log"], flags: { json: true } });
  });

  it("gives a value option the next argument even when it starts with a dash; the last repeat wins", () => {
    expect(parseArgs(["--title", "-- an outage", "--title", "second", "-"], SPEC)).toEqual({ positionals: ["-"], flags: { title: "second" } });
  });

  it("keeps an empty inline value, and reads a switch written with a value as on", () => {
    expect(parseArgs(["--title=", "--json=yes"], SPEC).flags).toEqual({ title: "", json: true });
  });

  it.each([
    [["--verbose"], "unknown option --verbose"],
    [["x", "--verbose=1"], "unknown option --verbose"],
    [["-v", "x"], "unknown option -v"],
    [["x", "--server"], "--server needs a value"],
  ])("%j is a usage error: %s", (argv, message) => {
    expect(() => parseArgs(argv, SPEC)).toThrow(UsageError);
    expect(() => parseArgs(argv, SPEC)).toThrow(new UsageError(message));
  });
});
