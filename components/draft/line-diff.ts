import { diffArrays } from "diff";

/**
 * Line diff for the draft's version history: the `diff` package's Myers O(ND) diff over lines
 * (removed lines before the added ones that replace them).
 * Bounded: beyond MAX_EDIT_LENGTH changed lines the middle is shown as "all removed, all added"
 * between the common first and last lines, which keeps a browser tab responsive on huge documents.
 */
export type DiffLine = { op: "same" | "add" | "del"; text: string };

const MAX_EDIT_LENGTH = 4000;

export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before.split("\n");
  const b = after.split("\n");
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const x = a.slice(pre, a.length - suf);
  const y = b.slice(pre, b.length - suf);
  const head: DiffLine[] = a.slice(0, pre).map((text) => ({ op: "same", text }));
  const tail: DiffLine[] = a.slice(a.length - suf).map((text) => ({ op: "same", text }));
  const changes = diffArrays(x, y, { maxEditLength: MAX_EDIT_LENGTH });
  if (!changes) return [...head, ...x.map((text) => ({ op: "del" as const, text })), ...y.map((text) => ({ op: "add" as const, text })), ...tail];
  const mid: DiffLine[] = changes.flatMap((c) => c.value.map((text) => ({ op: c.added ? ("add" as const) : c.removed ? ("del" as const) : ("same" as const), text })));
  return [...head, ...mid, ...tail];
}
