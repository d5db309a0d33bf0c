import { parseArgs as parseArgv, type ParseArgsConfig } from "node:util";

export class UsageError extends Error {}

export interface ArgSpec {
  /** Long options that take a value: `--name value` or `--name=value`. */
  strings: string[];
  /** Long options that are switches: `--name`. */
  booleans: string[];
}

/**
 * `--flag value`, `--flag=value`, `--bool`, positionals; `--` ends the options. Node's util.parseArgs
 * reads the arguments (not strict: a value option takes the next argument even when it starts with a
 * dash, `--title -x`); the usage errors are raised here so every command words them alike:
 * `unknown option --x` (short options too: none are defined) and `--name needs a value`.
 */
export function parseArgs(argv: string[], spec: ArgSpec): { positionals: string[]; flags: Record<string, string | boolean> } {
  const options: NonNullable<ParseArgsConfig["options"]> = {};
  for (const name of spec.strings) options[name] = { type: "string" };
  for (const name of spec.booleans) options[name] = { type: "boolean" };
  const { tokens } = parseArgv({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  const positionals: string[] = [];
  const flags: Record<string, string | boolean> = {};
  for (const token of tokens) {
    if (token.kind === "positional") positionals.push(token.value);
    if (token.kind !== "option") continue;
    if (!token.rawName.startsWith("--")) throw new UsageError(`unknown option ${token.rawName}`);
    if (spec.booleans.includes(token.name)) flags[token.name] = true;
    else if (spec.strings.includes(token.name)) {
      if (token.value === undefined) throw new UsageError(`--${token.name} needs a value`);
      flags[token.name] = token.value;
    } else throw new UsageError(`unknown option --${token.name}`);
  }
  return { positionals, flags };
}
