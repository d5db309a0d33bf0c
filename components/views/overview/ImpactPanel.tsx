import Link from "next/link";
import type { OverviewDto } from "@/lib/schemas/views-overview";
import { absoluteTime, durationMs, integer, latencyMs } from "@/components/format";
import { OriginLine } from "./OriginLine";

function pct(rate: number | null | undefined, digits = 1): string {
  if (rate == null || !Number.isFinite(rate)) return "—";
  return `${(rate * 100).toFixed(digits)}%`;
}

/** One headline figure; the value links to the evidence behind it. */
function Figure({ label, value, href, detail }: { label: string; value: string; href: string; detail?: string }) {
  return (
    <div className="rounded-md border border-line bg-bg/60 px-3 py-2">
      <dt className="text-xs text-muted">{label}</dt>
      <dd>
        <Link href={href} className="num font-mono text-lg font-semibold text-fg hover:text-accent hover:underline">
          {value}
        </Link>
        {detail ? <span className="ml-2 text-xs text-muted">{detail}</span> : null}
      </dd>
    </div>
  );
}

/**
 * Incident window and impact: onset → recovery from the run's correlation, where the fault started
 * (when a hypothesis names a service), failures and p99 before/during from the request aggregates,
 * the services hit hardest. Every figure links to the Timeline or Latency view that shows the
 * records behind it; the origin links to its hypothesis further down the page.
 */
export function ImpactPanel({ incidentId, overview }: { incidentId: string; overview: OverviewDto }) {
  const base = `/incidents/${encodeURIComponent(incidentId)}`;
  const w = overview.window;
  const onset = w.onset ? Date.parse(w.onset) : null;
  const recovery = w.recovery ? Date.parse(w.recovery) : null;
  const range: Record<string, string> = onset !== null && recovery !== null ? { from: String(onset), to: String(recovery + 1000) } : {};
  const timeline = (extra: Record<string, string>) => `${base}/timeline?${new URLSearchParams({ ...range, ...extra })}`;
  const latency = (service?: string) => `${base}/latency${service ? `?${new URLSearchParams({ service })}` : ""}`;
  const i = overview.impact;

  if (!overview.analysed) {
    return (
      <section aria-labelledby="impact-heading" className="rounded-lg border border-dashed border-line-strong bg-surface px-4 py-4 text-sm">
        <h2 id="impact-heading" className="font-semibold">
          Impact
        </h2>
        <p className="mt-1 text-muted">No correlation yet: impact figures appear once an analysis run has correlated the files. Re-run the analysis if it failed.</p>
      </section>
    );
  }

  return (
    <section aria-labelledby="impact-heading" className="rounded-lg border border-line bg-surface">
      <div className="flex flex-wrap items-baseline gap-x-4 gap-y-1 border-b border-line px-4 py-2.5">
        <h2 id="impact-heading" className="text-sm font-semibold">
          Impact
        </h2>
        {onset !== null ? (
          <p className="text-xs text-muted">
            <span className="sr-only">Window: </span>
            <Link href={timeline({})} className="num font-mono text-fg hover:text-accent hover:underline">
              {absoluteTime(w.onset)} → {w.recovery ? absoluteTime(w.recovery) : "not recovered"}
            </Link>
            {w.durationMs !== null ? <span className="ml-2">({durationMs(w.durationMs)})</span> : null}
            <span className="ml-2 text-faint">from {w.basis}</span>
            {w.peak ? (
              <span className="ml-2">
                peak <span className="num font-mono text-fg">{absoluteTime(w.peak).slice(11)}</span>
              </span>
            ) : null}
            {w.alertLagMs != null ? (
              <span className="ml-2">
                alert {w.alertLagMs >= 0 ? `${durationMs(w.alertLagMs)} after onset` : `${durationMs(-w.alertLagMs)} before onset`}
              </span>
            ) : null}
          </p>
        ) : (
          <p className="text-xs text-muted">No incident window detected: figures cover the whole time range.</p>
        )}
      </div>
      <div className="space-y-3 px-4 py-3">
        {overview.origin ? <OriginLine origin={overview.origin} /> : null}
        <dl className="grid grid-cols-2 gap-2 md:grid-cols-4">
          <Figure label="Peak error rate" value={pct(i.peakErrorRate)} detail={`baseline ${pct(i.baselineErrorRate)}`} href={timeline({ severity: "error" })} />
          <Figure label="Requests failed" value={integer(i.failed)} detail={`of ${integer(i.requests)}`} href={timeline({ kind: "request", severity: "error" })} />
          <Figure label="p99 before" value={latencyMs(i.p99BeforeMs)} href={latency()} />
          <Figure
            label="p99 during"
            value={latencyMs(i.p99DuringMs)}
            detail={i.p99BeforeMs && i.p99DuringMs ? `×${(i.p99DuringMs / i.p99BeforeMs).toFixed(1)}` : undefined}
            href={latency()}
          />
        </dl>
        {i.affectedServices.length > 0 ? (
          <div className="overflow-x-auto">
            <table className="w-full text-sm">
              <caption className="mb-1 text-left text-xs font-medium text-muted">Affected services {onset !== null ? "in the window" : ""}</caption>
              <thead className="text-xs text-muted">
                <tr className="border-b border-line">
                  <th scope="col" className="py-1 pr-3 text-left font-medium">Service</th>
                  <th scope="col" className="py-1 pr-3 text-right font-medium">Requests</th>
                  <th scope="col" className="py-1 pr-3 text-right font-medium">Failed</th>
                  <th scope="col" className="py-1 pr-3 text-right font-medium">Error rate</th>
                  <th scope="col" className="py-1 pr-3 text-right font-medium">p99 before</th>
                  <th scope="col" className="py-1 text-right font-medium">p99 during</th>
                </tr>
              </thead>
              <tbody>
                {i.affectedServices.map((s) => (
                  <tr key={s.service} className="border-b border-line/60 last:border-0">
                    <td className="py-1 pr-3 font-mono text-xs break-all">
                      <Link href={latency(s.service)} className="hover:text-accent hover:underline">
                        {s.service}
                      </Link>
                    </td>
                    <td className="num py-1 pr-3 text-right font-mono text-xs">
                      <Link href={timeline({ kind: "request", service: s.service })} className="hover:text-accent hover:underline">
                        {integer(s.requests)}
                      </Link>
                    </td>
                    <td className="num py-1 pr-3 text-right font-mono text-xs">
                      <Link href={timeline({ kind: "request", service: s.service, severity: "error" })} className="text-red-700 hover:underline dark:text-red-300">
                        {integer(s.failed)}
                      </Link>
                    </td>
                    <td className="num py-1 pr-3 text-right font-mono text-xs">{pct(s.errorRate)}</td>
                    <td className="num py-1 pr-3 text-right font-mono text-xs">
                      <Link href={latency(s.service)} className="hover:text-accent hover:underline">
                        {latencyMs(s.p99BeforeMs)}
                      </Link>
                    </td>
                    <td className="num py-1 text-right font-mono text-xs">
                      <Link href={latency(s.service)} className="hover:text-accent hover:underline">
                        {latencyMs(s.p99DuringMs)}
                      </Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p className="text-xs text-muted">No service had failed requests or a slower p99 in this range.</p>
        )}
        {overview.requestsSampled ? (
          <p className="text-xs text-amber-700 dark:text-amber-300">Request volume exceeded the analysis cap: detectors saw a sample; the figures above are complete.</p>
        ) : null}
      </div>
    </section>
  );
}
