import { lineDiff } from "./line-diff";

/** Unified line diff; unchanged runs longer than 6 lines are folded. */
export function DiffView({ before, after, testId }: { before: string; after: string; testId?: string }) {
  const lines = lineDiff(before, after);
  const rows: { op: "same" | "add" | "del" | "fold"; text: string }[] = [];
  for (let i = 0; i < lines.length; ) {
    if (lines[i]!.op !== "same") {
      rows.push(lines[i++]!);
      continue;
    }
    let j = i;
    while (j < lines.length && lines[j]!.op === "same") j++;
    const run = lines.slice(i, j);
    if (run.length > 6) rows.push(...run.slice(0, i === 0 ? 0 : 2), { op: "fold", text: `… ${run.length - (i === 0 ? 0 : 2) - (j === lines.length ? 0 : 2)} unchanged lines` }, ...run.slice(j === lines.length ? run.length : run.length - 2));
    else rows.push(...run);
    i = j;
  }
  const changed = lines.some((l) => l.op !== "same");
  return (
    <pre data-testid={testId} className="max-h-96 overflow-auto rounded border border-zinc-200 bg-white p-2 font-mono text-xs dark:border-zinc-700 dark:bg-zinc-950">
      {!changed && <span className="text-zinc-500">No differences.</span>}
      {changed &&
        rows.map((r, n) => (
          <div key={n} className={r.op === "add" ? "bg-emerald-50 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300" : r.op === "del" ? "bg-rose-50 text-rose-800 dark:bg-rose-950 dark:text-rose-300" : r.op === "fold" ? "text-zinc-400 italic" : "text-zinc-600 dark:text-zinc-400"}>
            {r.op === "add" ? "+ " : r.op === "del" ? "- " : "  "}
            {r.text}
          </div>
        ))}
    </pre>
  );
}
