/**
 * Line diff by longest common subsequence (dependency-free stand-in for a diff library).
 * O(n·m) table, bounded: inputs beyond MAX_CELLS fall back to "all removed, all added" after the
 * common prefix/suffix, which keeps a browser tab responsive on huge documents.
 */
export type DiffLine = { op: "same" | "add" | "del"; text: string };

const MAX_CELLS = 4_000_000;

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
  if ((x.length + 1) * (y.length + 1) > MAX_CELLS) {
    return [...head, ...x.map((text) => ({ op: "del" as const, text })), ...y.map((text) => ({ op: "add" as const, text })), ...tail];
  }
  const n = x.length;
  const m = y.length;
  // lcs[i][j] = LCS length of x[i..] and y[j..], one flat array.
  const w = m + 1;
  const lcs = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--) lcs[i * w + j] = x[i] === y[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
  const mid: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) {
      mid.push({ op: "same", text: x[i]! });
      i++;
      j++;
    } else if (lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!) mid.push({ op: "del", text: x[i++]! });
    else mid.push({ op: "add", text: y[j++]! });
  }
  while (i < n) mid.push({ op: "del", text: x[i++]! });
  while (j < m) mid.push({ op: "add", text: y[j++]! });
  return [...head, ...mid, ...tail];
}
