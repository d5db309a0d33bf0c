"use client";

import type { ChainDiffDto, RuleDiffRowDto, RuleDumpDto, RuleRefDto, RuleSideDto, RulesViewDto, SemanticDiffDto } from "@/lib/schemas/views-rules";
import { absoluteTime, integer } from "@/components/format";
import { EmptyState } from "@/components/ui/EmptyState";
import { EvidenceLink } from "@/components/ui/EvidenceLink";
import { useSearchParamState } from "@/components/ui/useSearchParamState";

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

function Side({ s, dump, incidentId, newlyShadowed }: { s: RuleSideDto | null; dump: RuleDumpDto; incidentId: string; newlyShadowed: boolean }) {
  if (!s) return <td colSpan={3} className="border-l border-line px-2 py-1 text-faint" aria-label="absent">—</td>;
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
          <div className={`mt-0.5 font-sans text-[11px] font-medium ${newlyShadowed ? "text-red-700 dark:text-red-300" : "text-muted"}`}>
            ⚠ {s.shadow === "fully" ? "fully shadowed" : "partly shadowed"} by{" "}
            <EvidenceLink incidentId={incidentId} path={dump.path} line={s.shadowedBy.line}>
              #{s.shadowedBy.position}
            </EvidenceLink>{" "}
            <span className="font-mono font-normal break-all">{s.shadowedBy.text.replace(/^-A \S+ /, "")}</span>
            {newlyShadowed ? " — new in this dump" : null}
          </div>
        ) : null}
      </td>
      <td className="num px-2 py-1 text-right align-top font-mono text-xs whitespace-nowrap text-muted">
        {s.packets != null ? (
          <EvidenceLink incidentId={incidentId} path={dump.path} line={s.line} label={`${s.packets} packets`}>
            {integer(s.packets)}
          </EvidenceLink>
        ) : (
          "—"
        )}
      </td>
    </>
  );
}

function RuleLink({ r, dump, incidentId }: { r: RuleRefDto; dump: RuleDumpDto; incidentId: string }) {
  return (
    <EvidenceLink incidentId={incidentId} path={dump.path} line={r.line} label={`${r.table}/${r.chain} position ${r.position}, ${dump.path} line ${r.line}`}>
      <span className="font-mono">
        {r.chain} #{r.position}
      </span>
    </EvidenceLink>
  );
}

/**
 * What the change does to traffic, from the packet-class model: verdict changes in words, rules
 * newly shadowed (fully / partly) and counter evidence — the findings the rule-order detector uses.
 */
function TrafficChanges({ s, a, b, incidentId }: { s: SemanticDiffDto; a: RuleDumpDto; b: RuleDumpDto; incidentId: string }) {
  const headingId = "traffic-changes";
  return (
    <section aria-labelledby={headingId} className="space-y-2 rounded-lg border border-line bg-surface p-3">
      <h3 id={headingId} className="text-sm font-semibold">
        What changed for traffic
      </h3>
      {s.identical ? <p className="text-sm text-muted">Same rules in the same order: no packet gets a different verdict (counters aside).</p> : null}
      {s.approximate ? <p className="text-sm text-amber-800 dark:text-amber-200">Part of these rulesets is too large to compare exactly; nothing is claimed for it.</p> : null}
      {!s.identical && !s.changes.length ? <p className="text-sm text-muted">The rules differ, but every packet class gets the same verdict in both dumps.</p> : null}
      {s.changes.length ? (
        <ul className="space-y-1 text-sm" aria-label="Verdict changes">
          {s.changes.map((c, i) => (
            <li key={i} className={c.traffic === "other" ? "text-muted" : ""}>
              {c.traffic !== "other" ? <span className="mr-1 rounded bg-accent-soft px-1.5 text-[11px] font-medium text-accent">{c.traffic}</span> : null}
              <span className="font-mono text-xs">
                {c.table}/{c.chain}
              </span>{" "}
              <strong className={/^(DROP|REJECT)$/.test(c.after) ? "text-red-700 dark:text-red-300" : ""}>{c.words}</strong>
              {c.uncertain ? <span className="text-xs text-muted"> (depends on a rewritten mark: may not happen)</span> : null}
              <span className="text-xs text-muted">
                {" "}
                — decided by {c.afterRule ? <RuleLink r={c.afterRule} dump={b} incidentId={incidentId} /> : "the policy"} ({c.after}) now
                {c.beforeRule ? (
                  <>
                    , by <RuleLink r={c.beforeRule} dump={a} incidentId={incidentId} /> ({c.before}) before
                  </>
                ) : (
                  `, by the policy (${c.before}) before`
                )}
              </span>
            </li>
          ))}
        </ul>
      ) : null}
      {s.shadowed.length ? (
        <ul className="space-y-1 text-sm" aria-label="Newly shadowed rules">
          {s.shadowed.map((x, i) => (
            <li key={i}>
              <RuleLink r={x.rule} dump={b} incidentId={incidentId} /> is now <strong>{x.status} shadowed</strong>
              {x.was !== "live" ? <span className="text-muted"> (was {x.was})</span> : null}
              {x.blockers.length ? (
                <>
                  {" "}
                  by{" "}
                  {x.blockers.map((bl, k) => (
                    <span key={k}>
                      {k ? ", " : ""}
                      <RuleLink r={bl} dump={b} incidentId={incidentId} />
                    </span>
                  ))}
                </>
              ) : null}
              <div className="font-mono text-xs break-all text-muted">{x.rule.text}</div>
            </li>
          ))}
        </ul>
      ) : null}
      {s.counters.length ? (
        <ul className="space-y-1 text-sm" aria-label="Counter evidence">
          {s.counters.map((e, i) => (
            <li key={i}>
              <span className="mr-1 rounded bg-subtle px-1.5 text-[11px] font-medium text-muted">counters</span>
              {e.words} (<RuleLink r={e.grew} dump={b} incidentId={incidentId} />, <RuleLink r={e.stopped} dump={b} incidentId={incidentId} />)
            </li>
          ))}
        </ul>
      ) : s.countersCompared ? null : (
        <p className="text-xs text-muted">No counter evidence: one of the dumps has no rule counters (capture with iptables-save -c).</p>
      )}
    </section>
  );
}

function ChainTable({ c, a, b, incidentId }: { c: ChainDiffDto; a: RuleDumpDto; b: RuleDumpDto; incidentId: string }) {
  const headingId = `chain-${c.table}-${c.chain}`.replace(/[^A-Za-z0-9_-]/g, "_");
  const chips: [string, number, string][] = [
    ["moved", c.counts.moved, STATUS_BADGE.moved],
    ["added", c.counts.added, STATUS_BADGE.added],
    ["removed", c.counts.removed, STATUS_BADGE.removed],
  ];
  return (
    <section aria-labelledby={headingId} className="overflow-hidden rounded-lg border border-line bg-surface">
      <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1 border-b border-line px-3 py-2">
        <h3 id={headingId} className="font-mono text-sm font-semibold">
          <span className="text-muted">{c.table} /</span> {c.chain}
        </h3>
        {c.relevance !== "other" ? <span className="rounded bg-accent-soft px-1.5 text-[11px] font-medium text-accent">{c.relevance}</span> : null}
        {chips.map(([label, n, cls]) => (n ? <span key={label} className={`num rounded px-1.5 text-[11px] font-medium ${cls}`}>{n} {label}</span> : null))}
        {c.counts.shadowedB ? <span className="num rounded bg-red-100 px-1.5 text-[11px] font-medium text-red-900 dark:bg-red-400/20 dark:text-red-200">{c.counts.shadowedB} shadowed (right)</span> : null}
        {c.policyA !== c.policyB ? <span className="text-xs text-muted">policy {c.policyA ?? "—"} → {c.policyB ?? "—"}</span> : null}
        <span className="num ml-auto text-xs text-faint">{c.counts.same} unchanged{c.hiddenSame ? `, ${integer(c.hiddenSame)} not shown` : ""}</span>
      </div>
      <div className="overflow-x-auto">
        <table className="w-full min-w-[900px] table-fixed border-collapse text-left">
          <caption className="sr-only">
            {c.table} {c.chain}: left {dumpLabel(a)}, right {dumpLabel(b)}
          </caption>
          <colgroup>
            <col className="w-20" />
            <col className="w-12" />
            <col />
            <col className="w-20" />
            <col className="w-12" />
            <col />
            <col className="w-20" />
          </colgroup>
          <thead className="bg-subtle text-[11px] text-muted uppercase">
            <tr>
              <th scope="col" className="px-2 py-1 font-medium">Change</th>
              <th scope="col" className="border-l border-line px-2 py-1 text-right font-medium">#</th>
              <th scope="col" className="px-2 py-1 font-medium">Left rule</th>
              <th scope="col" className="px-2 py-1 text-right font-medium">pkts</th>
              <th scope="col" className="border-l border-line px-2 py-1 text-right font-medium">#</th>
              <th scope="col" className="px-2 py-1 font-medium">Right rule</th>
              <th scope="col" className="px-2 py-1 text-right font-medium">pkts</th>
            </tr>
          </thead>
          <tbody>
            {c.rows.map((r, i) => {
              const shift = r.a && r.b && r.a.position !== r.b.position ? `${r.a.position} → ${r.b.position}` : null;
              return (
                <tr key={i} className={`border-t border-line ${STATUS_STYLE[r.status]} ${r.newlyShadowed ? "outline outline-1 -outline-offset-1 outline-red-400/70" : ""}`}>
                  <td className="px-2 py-1 align-top text-[11px]">
                    <span className={`rounded px-1 font-medium ${STATUS_BADGE[r.status]}`}>{r.status}</span>
                    {shift ? <div className="num mt-0.5 font-mono text-muted">{shift}</div> : null}
                  </td>
                  <Side s={r.a} dump={a} incidentId={incidentId} newlyShadowed={false} />
                  <Side s={r.b} dump={b} incidentId={incidentId} newlyShadowed={r.newlyShadowed} />
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function RulesView({ incidentId, data, filter, unchanged }: { incidentId: string; data: RulesViewDto; filter: "all" | "mesh" | "service"; unchanged: boolean }) {
  const { set, pending } = useSearchParamState();
  if (!data.dumps.length)
    return (
      <EmptyState title="No iptables dumps in this bundle">
        Add <code className="font-mono">iptables-save -c</code> output from each node, before and after the change (name them e.g.{" "}
        <code className="font-mono">nodes/&lt;node&gt;/iptables-save.before.txt</code>, or list them under <code className="font-mono">iptables: before/after</code> in
        bundle.yaml), then upload them to this incident.
      </EmptyState>
    );
  const { a, b } = data;
  const totals = data.chains.reduce((n, c) => ({ moved: n.moved + c.counts.moved, added: n.added + c.counts.added, removed: n.removed + c.counts.removed, shadowed: n.shadowed + c.rows.filter((r) => r.newlyShadowed).length }), { moved: 0, added: 0, removed: 0, shadowed: 0 });
  return (
    <div className="space-y-4" aria-busy={pending}>
      <form className="grid gap-3 rounded-lg border border-line bg-surface p-3 md:grid-cols-2" onSubmit={(e) => e.preventDefault()}>
        {(["a", "b"] as const).map((k) => (
          <label key={k} className="flex min-w-0 flex-col gap-1 text-xs font-medium text-muted">
            {k === "a" ? "Left dump (before / baseline node)" : "Right dump (after / compared node)"}
            <select
              className="min-w-0 rounded-md border border-line bg-bg px-2 py-1.5 font-mono text-xs text-fg"
              value={(k === "a" ? a?.id : b?.id) ?? ""}
              onChange={(e) => set({ [k]: e.target.value, ...(k === "a" ? { b: String(b?.id ?? "") } : { a: String(a?.id ?? "") }) })}
            >
              {k === "b" && !b ? <option value="">(pick a second dump)</option> : null}
              {data.dumps.map((d) => (
                <option key={d.id} value={d.id}>
                  {dumpLabel(d)}
                </option>
              ))}
            </select>
          </label>
        ))}
        <div className="flex flex-wrap items-center gap-x-4 gap-y-2 md:col-span-2">
          <fieldset className="flex items-center gap-1">
            <legend className="sr-only">Chains</legend>
            <span className="mr-1 text-xs font-medium text-muted">Chains</span>
            {(
              [
                ["all", "All"],
                ["mesh", "Mesh (ISTIO_*, 15001/15006/15008)"],
                ["service", "Service (KUBE-*)"],
              ] as const
            ).map(([v, label]) => (
              <label key={v} className={`cursor-pointer rounded-md border px-2 py-1 text-xs has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-ring ${filter === v ? "border-accent bg-accent-soft text-fg" : "border-line text-muted hover:text-fg"}`}>
                <input type="radio" name="filter" value={v} checked={filter === v} onChange={() => set({ filter: v === "all" ? null : v })} className="sr-only" />
                {label}
              </label>
            ))}
          </fieldset>
          <label className="flex items-center gap-1.5 text-xs text-muted">
            <input type="checkbox" checked={unchanged} onChange={(e) => set({ unchanged: e.target.checked ? "1" : null })} />
            Show unchanged chains
          </label>
          {data.pairs.length ? (
            <div className="flex flex-wrap items-center gap-1 text-xs">
              <span className="text-muted">Before → after:</span>
              {data.pairs.map((p) => (
                <button key={`${p.a}-${p.b}`} type="button" onClick={() => set({ a: String(p.a), b: String(p.b) })} className={`rounded-md border px-2 py-0.5 font-mono ${a?.id === p.a && b?.id === p.b ? "border-accent bg-accent-soft" : "border-line hover:border-line-strong"}`}>
                  {p.node}
                </button>
              ))}
            </div>
          ) : null}
        </div>
      </form>

      {!a || !b ? (
        <EmptyState title="Only one iptables dump">
          A diff needs two dumps: add the same node&apos;s <code className="font-mono">iptables-save -c</code> from before the change, or a dump from a healthy node to compare against.
        </EmptyState>
      ) : (
        <>
          <p className="text-sm text-muted" aria-live="polite">
            {data.mode === "before-after" ? "Before/after on" : "Node vs node:"} <span className="font-mono text-fg">{a.node}</span>
            {data.mode === "node-vs-node" ? (
              <>
                {" "}
                vs <span className="font-mono text-fg">{b.node}</span>
              </>
            ) : null}
            {" — "}
            <span className="num">
              {totals.moved} moved, {totals.added} added, {totals.removed} removed, <strong className={totals.shadowed ? "text-red-700 dark:text-red-300" : ""}>{totals.shadowed} newly shadowed</strong>
            </span>
            {data.hiddenChains ? <span className="num"> · {data.hiddenChains} chains hidden ({unchanged ? "filter" : "unchanged or filtered"})</span> : null}
          </p>
          {data.semantic ? <TrafficChanges s={data.semantic} a={a} b={b} incidentId={incidentId} /> : null}
          {data.chains.length ? (
            data.chains.map((c) => <ChainTable key={`${c.table}|${c.chain}`} c={c} a={a} b={b} incidentId={incidentId} />)
          ) : (
            <EmptyState title={filter === "all" ? "No chain differs between these dumps" : `No ${filter} chain differs between these dumps`}>
              Tick “Show unchanged chains” to see every chain, or pick another pair of dumps above.
            </EmptyState>
          )}
        </>
      )}
    </div>
  );
}
