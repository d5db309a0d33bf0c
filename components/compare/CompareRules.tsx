"use client";

import type { CompareDto } from "@/lib/schemas/compare";
import type { ChainDiffDto, RuleDiffRowDto, RuleDumpDto, RuleSideDto } from "@/lib/schemas/views-rules";
import { absoluteTime, integer } from "@/components/format";
import { EvidenceLink } from "@/components/ui/EvidenceLink";
import { useSearchParamState } from "@/components/ui/useSearchParamState";
import { incidentColour, incidentLetter } from "./shared";

const STATUS_STYLE: Record<RuleDiffRowDto["status"], string> = {
  same: "",
  moved: "bg-amber-50 dark:bg-amber-400/10",
  added: "bg-emerald-50 dark:bg-emerald-400/10",
  removed: "bg-red-50 dark:bg-red-400/10",
};
const STATUS_BADGE: Record<RuleDiffRowDto["status"], string> = {
  same: "text-faint",
  moved: "bg-amber-100 text-amber-900 dark:bg-amber-400/20 dark:text-amber-200",
  added: "bg-emerald-100 text-emerald-900 dark:bg-emerald-400/20 dark:text-emerald-200",
  removed: "bg-red-100 text-red-900 dark:bg-red-400/20 dark:text-red-200",
};

function dumpLabel(d: RuleDumpDto): string {
  const when = d.capturedAt != null ? absoluteTime(new Date(d.capturedAt).toISOString()) : "time unknown";
  return `${d.node} · ${d.role ?? "dump"} · ${d.family} · ${when} · ${d.path.split("/").slice(-1)[0]}`;
}

function Side({ s, dump, incidentId }: { s: RuleSideDto | null; dump: RuleDumpDto; incidentId: string }) {
  if (!s) return <td colSpan={2} className="border-l border-line px-2 py-1 text-faint">—</td>;
  return (
    <>
      <td className="num border-l border-line px-2 py-1 text-right align-top font-mono text-xs">
        <EvidenceLink incidentId={incidentId} path={dump.path} line={s.line} label={`position ${s.position}, ${dump.path} line ${s.line}`}>
          {s.position}
        </EvidenceLink>
      </td>
      <td className="px-2 py-1 align-top font-mono text-xs break-all">
        {s.text}
        {s.shadowedBy ? (
          <div className="mt-0.5 font-sans text-[11px] font-medium text-muted">
            ⚠ shadowed by #{s.shadowedBy.position} <span className="font-mono font-normal break-all">{s.shadowedBy.text.replace(/^-A \S+ /, "")}</span>
          </div>
        ) : null}
      </td>
    </>
  );
}

function ChainDiff({ c, a, b }: { c: ChainDiffDto; a: { incidentId: string; dump: RuleDumpDto }; b: { incidentId: string; dump: RuleDumpDto } }) {
  const headingId = `xchain-${c.table}-${c.chain}`.replace(/[^A-Za-z0-9_-]/g, "_");
  return (
    <section aria-labelledby={headingId} className="overflow-hidden rounded-md border border-line">
      <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1 border-b border-line px-3 py-1.5">
        <h3 id={headingId} className="font-mono text-sm font-semibold">
          <span className="text-muted">{c.table} /</span> {c.chain}
        </h3>
        {c.relevance !== "other" ? <span className="rounded bg-accent-soft px-1.5 text-[11px] font-medium text-accent">{c.relevance}</span> : null}
        {(["moved", "added", "removed"] as const).map((k) =>
          c.counts[k] ? (
            <span key={k} className={`num rounded px-1.5 text-[11px] font-medium ${STATUS_BADGE[k]}`}>
              {c.counts[k]} {k}
            </span>
          ) : null,
        )}
        {c.rows.some((r) => r.newlyShadowed) ? <span className="rounded bg-red-100 px-1.5 text-[11px] font-medium text-red-900 dark:bg-red-400/20 dark:text-red-200">shadowed only on the right</span> : null}
        {c.policyA !== c.policyB ? <span className="text-xs text-muted">policy {c.policyA ?? "—"} → {c.policyB ?? "—"}</span> : null}
        <span className="num ml-auto text-xs text-faint">
          {c.counts.same} unchanged{c.hiddenSame ? `, ${integer(c.hiddenSame)} not shown` : ""}
        </span>
      </div>
      <div className="overflow-x-auto">
        <table className="w-full min-w-[820px] table-fixed border-collapse text-left">
          <caption className="sr-only">
            {c.table} {c.chain}: left {dumpLabel(a.dump)}, right {dumpLabel(b.dump)}
          </caption>
          <colgroup>
            <col className="w-20" />
            <col className="w-12" />
            <col />
            <col className="w-12" />
            <col />
          </colgroup>
          <thead className="bg-subtle text-[11px] text-muted uppercase">
            <tr>
              <th scope="col" className="px-2 py-1 font-medium">Change</th>
              <th scope="col" className="border-l border-line px-2 py-1 text-right font-medium">#</th>
              <th scope="col" className="px-2 py-1 font-medium">Left rule</th>
              <th scope="col" className="border-l border-line px-2 py-1 text-right font-medium">#</th>
              <th scope="col" className="px-2 py-1 font-medium">Right rule</th>
            </tr>
          </thead>
          <tbody>
            {c.rows.map((r, i) => (
              <tr key={i} className={`border-t border-line ${STATUS_STYLE[r.status]}`}>
                <td className="px-2 py-1 align-top text-[11px]">
                  <span className={`rounded px-1 font-medium ${STATUS_BADGE[r.status]}`}>{r.status}</span>
                  {r.a && r.b && r.a.position !== r.b.position ? <div className="num mt-0.5 font-mono text-muted">{`${r.a.position} → ${r.b.position}`}</div> : null}
                </td>
                <Side s={r.a} dump={a.dump} incidentId={a.incidentId} />
                <Side s={r.b} dump={b.dump} incidentId={b.incidentId} />
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/**
 * iptables across incidents: one dump of one incident (left) against one of another (right), with
 * the Rules tab's diff engine — rules moved, added, removed and newly shadowed, per chain. The
 * dumps are chosen in the URL (`ra`, `rb`: their record ids).
 */
export function CompareRules({ data }: { data: CompareDto }) {
  const { set, pending } = useSearchParamState();
  const r = data.rules;
  const indexOf = new Map(data.incidents.map((inc, i) => [inc.id, i]));
  const titleOf = (id: string) => data.incidents.find((x) => x.id === id)?.title || id;
  const picker = (key: "ra" | "rb", label: string, current: number | undefined) => (
    <label className="flex min-w-0 flex-col gap-0.5 text-xs">
      <span className="font-medium text-muted">{label}</span>
      <select
        value={current ?? ""}
        onChange={(e) => set({ [key]: e.target.value || null })}
        className="h-8 max-w-[36rem] rounded-md border border-line-strong bg-surface px-2 text-sm"
      >
        {r.available.map((g) => (
          <optgroup key={g.incidentId} label={`${incidentLetter(indexOf.get(g.incidentId) ?? 0)}: ${titleOf(g.incidentId)}`}>
            {g.dumps.map((d) => (
              <option key={d.id} value={d.id}>
                {incidentLetter(indexOf.get(g.incidentId) ?? 0)} · {dumpLabel(d)}
              </option>
            ))}
          </optgroup>
        ))}
      </select>
    </label>
  );
  return (
    <section aria-labelledby="xrules-heading" className="space-y-3 rounded-lg border border-line bg-surface p-3" aria-busy={pending}>
      <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1">
        <h2 id="xrules-heading" className="text-sm font-semibold">
          iptables rules across incidents
        </h2>
        <p className="text-xs text-muted">Changed chains only: moved, added, removed and newly shadowed rules between one dump of each incident.</p>
      </div>
      {r.a && r.b ? (
        <>
          <div className="flex flex-wrap items-end gap-3">
            {picker("ra", "Left dump", r.a.dump.id)}
            <span aria-hidden="true" className="pb-1.5 text-muted">
              ⇄
            </span>
            {picker("rb", "Right dump", r.b.dump.id)}
            <button
              type="button"
              onClick={() => set({ ra: String(r.b!.dump.id), rb: String(r.a!.dump.id) })}
              className="h-8 rounded-md border border-line px-2.5 text-sm hover:bg-subtle"
            >
              Swap sides
            </button>
          </div>
          <p className="text-xs text-muted">
            Left:{" "}
            <span className="inline-flex size-4 items-center justify-center rounded text-[10px] font-bold text-white" style={{ background: incidentColour(indexOf.get(r.a.incidentId) ?? 0) }}>
              {incidentLetter(indexOf.get(r.a.incidentId) ?? 0)}
            </span>{" "}
            {titleOf(r.a.incidentId)} — {dumpLabel(r.a.dump)}. Right:{" "}
            <span className="inline-flex size-4 items-center justify-center rounded text-[10px] font-bold text-white" style={{ background: incidentColour(indexOf.get(r.b.incidentId) ?? 0) }}>
              {incidentLetter(indexOf.get(r.b.incidentId) ?? 0)}
            </span>{" "}
            {titleOf(r.b.incidentId)} — {dumpLabel(r.b.dump)}.
          </p>
          {r.note ? <p className="rounded-md border border-dashed border-line-strong px-3 py-3 text-sm text-muted">{r.note}</p> : null}
          <div className="space-y-2">
            {r.chains.map((c) => (
              <ChainDiff key={`${c.table}/${c.chain}`} c={c} a={r.a!} b={r.b!} />
            ))}
          </div>
          {r.hiddenChains ? <p className="text-xs text-muted">{integer(r.hiddenChains)} chains without changes (or beyond the first 25) are not shown.</p> : null}
        </>
      ) : (
        <p className="rounded-md border border-dashed border-line-strong px-3 py-4 text-sm text-muted">{r.note}</p>
      )}
    </section>
  );
}
