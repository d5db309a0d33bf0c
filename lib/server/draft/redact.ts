/**
 * Consistent redaction for sharing a draft outside the team: IP addresses, hostnames, pod and node
 * names are replaced by aliases (ip-1, host-1, pod-1, node-1). The alias table is built from ALL
 * the texts being exported (the Markdown and the JSON) and assigned in sorted order, so the same
 * name gets the same alias in every exported file, whatever order the names appear in.
 */

export type RedactKind = "node" | "host" | "pod" | "ip";

const IPV4 = String.raw`(?<![\w.])(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(?![\w.]*\d)`;
const IPV6 = String.raw`(?<![\w:])(?:(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|(?:[0-9a-fA-F]{1,4}:){1,6}:(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4}){0,5})?|::(?:[fF]{4}:)?[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4}){0,5})(?![\w:])`;
/** EC2-style node names and internal DNS names. */
const AWS_HOST = String.raw`\bip-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3}(?:\.[a-z0-9-]+)*\.(?:internal|compute\.internal)\b|\bip-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3}\b`;
const INTERNAL_HOST = String.raw`\b[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*\.(?:internal|local|lan|corp|intranet)\b`;
/** Deployment pods (name-<replicaset hash>-<5>) and daemonset/job pods (name-<5 chars with a digit>). */
const POD = String.raw`\b[a-z0-9](?:[a-z0-9-]*[a-z0-9])?-[bcdfghjklmnpqrstvwxz2456789]{6,10}-[bcdfghjklmnpqrstvwxz2456789]{5}\b|\b[a-z][a-z0-9]*(?:-[a-z][a-z0-9]*)*-(?=[a-z]{0,4}\d)[bcdfghjklmnpqrstvwxz2456789]{5}\b`;

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export interface Redactor {
  redact(text: string): string;
  /** original → alias, for the export's legend (never exported itself: it would undo the redaction). */
  readonly table: ReadonlyMap<string, string>;
}

export function buildRedactor(texts: string[], known: { nodes?: string[]; pods?: string[]; hosts?: string[] } = {}): Redactor {
  const knownKind = new Map<string, RedactKind>();
  for (const h of known.hosts ?? []) if (h) knownKind.set(h, "host");
  for (const p of known.pods ?? []) if (p) knownKind.set(p, "pod");
  for (const n of known.nodes ?? []) if (n) knownKind.set(n, "node");
  const knownAlt = [...knownKind.keys()].filter((k) => k.length >= 3).sort((a, b) => b.length - a.length || (a < b ? -1 : 1)).map(escapeRe);
  const parts: [RedactKind | "known", string][] = [
    ...(knownAlt.length ? ([["known", String.raw`(?<![\w-])(?:${knownAlt.join("|")})(?![\w-])`]] as [RedactKind | "known", string][]) : []),
    ["host", AWS_HOST],
    ["host", INTERNAL_HOST],
    ["pod", POD],
    ["ip", IPV6],
    ["ip", IPV4],
  ];
  const re = new RegExp(parts.map(([, p], i) => `(?<g${i}>${p})`).join("|"), "g");
  const kindOf = (m: RegExpExecArray | RegExpMatchArray): RedactKind => {
    const g = m.groups ?? {};
    for (let i = 0; i < parts.length; i++) {
      if (g[`g${i}`] !== undefined) {
        const k = parts[i]![0];
        return k === "known" ? knownKind.get(m[0])! : k;
      }
    }
    return "host";
  };

  const found = new Map<string, RedactKind>();
  for (const t of texts) for (const m of t.matchAll(re)) if (!found.has(m[0])) found.set(m[0], kindOf(m));
  const table = new Map<string, string>();
  for (const kind of ["node", "host", "pod", "ip"] as const) {
    const names = [...found].filter(([, k]) => k === kind).map(([n]) => n).sort(kind === "ip" ? compareIp : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
    names.forEach((n, i) => table.set(n, `${kind}-${i + 1}`));
  }
  return {
    table,
    redact: (text) => text.replace(re, (m) => table.get(m) ?? m),
  };
}

function compareIp(a: string, b: string): number {
  const key = (s: string) => (s.includes(":") ? `6:${s.toLowerCase()}` : `4:${s.split(".").map((o) => o.padStart(3, "0")).join(".")}`);
  const ka = key(a);
  const kb = key(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
