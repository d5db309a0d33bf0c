"use client";

import type { IpvsDumpDto, NetworkViewDto } from "@/lib/schemas/views-network";
import { absoluteTime, integer } from "@/components/format";
import { EmptyState } from "@/components/ui/EmptyState";
import { EvidenceLink } from "@/components/ui/EvidenceLink";
import { useSearchParamState } from "@/components/ui/useSearchParamState";
import { ConntrackChart } from "./ConntrackChart";

const when = (ts: number | null) => (ts != null ? absoluteTime(new Date(ts).toISOString()) : "time unknown");

function IpvsNode({ d, incidentId }: { d: IpvsDumpDto; incidentId: string }) {
  const id = `ipvs-${d.id}`;
  return (
    <section aria-labelledby={id} className="min-w-0 overflow-hidden rounded-lg border border-line bg-surface">
      <div className="flex flex-wrap items-baseline gap-x-3 border-b border-line px-3 py-2">
        <h3 id={id} className="font-mono text-sm font-semibold">
          {d.node}
        </h3>
        <span className="text-xs text-muted">
          <EvidenceLink incidentId={incidentId} path={d.path} line={d.line} record={d.id}>
            {when(d.capturedAt)}
          </EvidenceLink>
        </span>
        <span className={`num ml-auto rounded px-1.5 text-[11px] font-medium ${d.staleCount ? "bg-red-100 text-red-900 dark:bg-red-400/20 dark:text-red-200" : "bg-emerald-100 text-emerald-900 dark:bg-emerald-400/20 dark:text-emerald-200"}`}>
          {d.staleCount ? `${d.staleCount} stale backend${d.staleCount > 1 ? "s" : ""}` : "no stale backends"}
        </span>
      </div>
      <table className="w-full table-fixed text-left text-xs">
        <caption className="sr-only">IPVS virtual services and real servers on {d.node}</caption>
        <thead className="bg-subtle text-[11px] text-muted uppercase">
          <tr>
            <th scope="col" className="px-2 py-1 font-medium">Virtual → real</th>
            <th scope="col" className="w-14 px-2 py-1 text-right font-medium">Weight</th>
            <th scope="col" className="w-16 px-2 py-1 text-right font-medium">Active</th>
            <th scope="col" className="w-16 px-2 py-1 text-right font-medium">Inact.</th>
          </tr>
        </thead>
        {d.virtuals.map((v) => (
          <tbody key={v.vip} className="border-t border-line">
            <tr className="bg-bg/40">
              <th scope="rowgroup" colSpan={4} className="px-2 py-1 text-left font-mono font-medium">
                <EvidenceLink incidentId={incidentId} path={d.path} line={v.line} record={d.id}>
                  {v.vip}
                </EvidenceLink>{" "}
                <span className="font-sans font-normal text-muted">
                  {v.scheduler}
                  {v.service ? ` · ${v.service}` : ""}
                </span>
              </th>
            </tr>
            {v.reals.map((r) => (
              <tr key={`${r.address}:${r.port}`} className={r.stale ? "bg-red-50 dark:bg-red-400/10" : ""}>
                <td className="px-2 py-0.5 pl-6 font-mono">
                  → {r.address}:{r.port}
                  {r.stale ? (
                    <span className="ml-2 font-sans text-[11px] font-medium text-red-800 dark:text-red-200">
                      <span className="rounded bg-red-100 px-1 dark:bg-red-400/20">STALE</span> {r.why}
                    </span>
                  ) : null}
                </td>
                <td className="num px-2 py-0.5 text-right font-mono">{r.weight}</td>
                <td className="num px-2 py-0.5 text-right font-mono">
                  <EvidenceLink incidentId={incidentId} path={d.path} line={v.line} record={d.id}>
                    {integer(r.activeConns)}
                  </EvidenceLink>
                </td>
                <td className="num px-2 py-0.5 text-right font-mono">{integer(r.inactiveConns)}</td>
              </tr>
            ))}
          </tbody>
        ))}
      </table>
      {!d.virtuals.length ? <p className="px-3 py-3 text-xs text-muted">No virtual services to show with this filter.</p> : null}
      {d.hiddenVirtuals ? <p className="num px-3 py-2 text-xs text-muted">{d.hiddenVirtuals} more virtual services not shown.</p> : null}
    </section>
  );
}

export function NetworkView({ incidentId, data, node, staleOnly }: { incidentId: string; data: NetworkViewDto; node: string | null; staleOnly: boolean }) {
  const { set, pending } = useSearchParamState();
  const nodes = [...new Set(data.conntrack.map((c) => c.node))];
  const toggleCounter = (c: string, on: boolean) => {
    const next = on ? [...data.selectedCounters, c] : data.selectedCounters.filter((x) => x !== c);
    set({ counters: next.join(",") || "none" });
  };
  return (
    <div className="space-y-6" aria-busy={pending}>
      <section aria-labelledby="ipvs-heading" className="space-y-3">
        <div className="flex flex-wrap items-baseline gap-x-4 gap-y-1">
          <h2 id="ipvs-heading" className="text-base font-semibold">
            IPVS virtual → real servers per node
          </h2>
          {data.ipvs.length ? (
            <>
              <span className="text-xs text-muted">
                Stale = {data.basis === "endpointslices" ? "not in the EndpointSlices/live pods known when the dump was taken" : data.basis === "cross-node-majority" ? "missing on most other nodes (no k8s objects in the bundle)" : "cannot be judged: add EndpointSlices/pods or dumps from ≥ 3 nodes"}
              </span>
              <label className="ml-auto flex items-center gap-1.5 text-xs text-muted">
                <input type="checkbox" checked={staleOnly} onChange={(e) => set({ stale: e.target.checked ? "1" : null })} />
                Only virtual services with stale backends
              </label>
            </>
          ) : null}
        </div>
        {data.ipvs.length ? (
          <div className="grid gap-4 lg:grid-cols-2">
            {data.ipvs.map((d) => (
              <IpvsNode key={d.id} d={d} incidentId={incidentId} />
            ))}
          </div>
        ) : (
          <EmptyState title="No IPVS dumps in this bundle">
            Add <code className="font-mono">ipvsadm -Ln --stats</code> output from each node (e.g. <code className="font-mono">nodes/&lt;node&gt;/ipvsadm-Ln.txt</code>) plus{" "}
            <code className="font-mono">kubectl get endpointslices,pods -A -o yaml</code> from the same time, then upload them to this incident.
          </EmptyState>
        )}
      </section>

      <section aria-labelledby="ct-heading" className="space-y-3">
        <h2 id="ct-heading" className="text-base font-semibold">
          conntrack counter deltas per node
        </h2>
        {data.counterNames.length ? (
          <>
            <form className="flex flex-wrap items-center gap-x-4 gap-y-2 rounded-lg border border-line bg-surface p-3" onSubmit={(e) => e.preventDefault()}>
              <label className="flex items-center gap-1.5 text-xs font-medium text-muted">
                Node
                <select className="rounded-md border border-line bg-bg px-2 py-1 font-mono text-xs text-fg" value={node ?? ""} onChange={(e) => set({ node: e.target.value || null })}>
                  <option value="">All nodes</option>
                  {(node && !nodes.includes(node) ? [...nodes, node] : nodes).map((n) => (
                    <option key={n} value={n}>
                      {n}
                    </option>
                  ))}
                </select>
              </label>
              <fieldset className="flex flex-wrap items-center gap-1">
                <legend className="sr-only">Counters</legend>
                <span className="mr-1 text-xs font-medium text-muted">Counters</span>
                {data.counterNames.map((c) => {
                  const on = data.selectedCounters.includes(c);
                  return (
                    <label key={c} className={`cursor-pointer rounded-md border px-2 py-0.5 font-mono text-[11px] has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-ring ${on ? "border-accent bg-accent-soft text-fg" : "border-line text-muted hover:text-fg"}`}>
                      <input type="checkbox" className="sr-only" checked={on} onChange={(e) => toggleCounter(c, e.target.checked)} />
                      {c}
                    </label>
                  );
                })}
              </fieldset>
            </form>
            {data.conntrack.map((n) => (
              <div key={n.node} className="overflow-hidden rounded-lg border border-line bg-surface">
                <div className="flex flex-wrap items-baseline gap-x-3 border-b border-line px-3 py-2">
                  <h3 className="font-mono text-sm font-semibold">{n.node}</h3>
                  <span className="num text-xs text-muted">
                    {n.snapshots} snapshots, {n.points.length} intervals
                  </span>
                </div>
                {n.points.length && n.counters.length ? (
                  <div className="px-2 pt-2">
                    <ConntrackChart n={n} />
                  </div>
                ) : (
                  <p className="px-3 py-3 text-xs text-muted">{n.counters.length ? "Only one snapshot: deltas need at least two (run conntrack -S every minute during the incident)." : "Pick counters above."}</p>
                )}
                <div className="overflow-x-auto">
                  <table className="w-full text-left text-xs">
                    <caption className="sr-only">Per-interval and per-CPU deltas on {n.node}</caption>
                    <thead className="bg-subtle text-[11px] text-muted uppercase">
                      <tr>
                        <th scope="col" className="px-2 py-1 font-medium">Interval / CPU</th>
                        {n.counters.map((c) => (
                          <th key={c} scope="col" className="px-2 py-1 text-right font-mono font-medium normal-case">
                            Δ {c}
                          </th>
                        ))}
                      </tr>
                    </thead>
                    <tbody>
                      {n.points.map((p, i) => (
                        <tr key={`p${i}`} className="border-t border-line">
                          <th scope="row" className="num px-2 py-0.5 text-left font-mono font-normal">
                            {p.fromTs != null ? new Date(p.fromTs).toISOString().slice(11, 19) : "?"} → {p.ts != null ? new Date(p.ts).toISOString().slice(11, 19) : "?"}
                          </th>
                          {n.counters.map((c) => (
                            <td key={c} className={`num px-2 py-0.5 text-right font-mono ${(p.values[c] ?? 0) > 0 ? "font-semibold text-red-700 dark:text-red-300" : ""}`}>
                              <EvidenceLink incidentId={incidentId} path={p.path} line={p.line}>
                                {p.values[c] === null ? "reset" : integer(p.values[c] ?? 0)}
                              </EvidenceLink>
                            </td>
                          ))}
                        </tr>
                      ))}
                      {n.cpus.map((c) => (
                        <tr key={`cpu${c.cpu}`} className="border-t border-line bg-bg/40">
                          <th scope="row" className="px-2 py-0.5 text-left font-mono font-normal text-muted">
                            cpu {c.cpu} (whole range)
                          </th>
                          {n.counters.map((k) => (
                            <td key={k} className="num px-2 py-0.5 text-right font-mono text-muted">
                              <EvidenceLink incidentId={incidentId} path={c.path} line={c.line}>
                                {integer(c.totals[k] ?? 0)}
                              </EvidenceLink>
                            </td>
                          ))}
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </div>
            ))}
          </>
        ) : (
          <EmptyState title="No conntrack statistics in this bundle">
            Add <code className="font-mono">conntrack -S</code> (or <code className="font-mono">/proc/net/stat/nf_conntrack</code>) snapshots from each node, taken repeatedly with a{" "}
            <code className="font-mono">date</code> line before each (e.g. <code className="font-mono">while sleep 60; do date; conntrack -S; done</code>), then upload them to this incident.
          </EmptyState>
        )}
      </section>
    </div>
  );
}
