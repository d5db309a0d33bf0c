export class UsageError extends Error {}

/** Minimal flag parser: --flag value, --bool, positionals. */
export function parseArgs(argv: string[], spec: { strings: string[]; booleans: string[] }): { positionals: string[]; flags: Record<string, string | boolean> } {
  const positionals: string[] = [];
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith("--")) {
      const [name, inline] = a.slice(2).split("=", 2) as [string, string | undefined];
      if (spec.booleans.includes(name)) flags[name] = true;
      else if (spec.strings.includes(name)) {
        const v = inline ?? argv[++i];
        if (v === undefined) throw new UsageError(`--${name} needs a value`);
        flags[name] = v;
      } else throw new UsageError(`unknown option --${name}`);
    } else positionals.push(a);
  }
  return { positionals, flags };
}
