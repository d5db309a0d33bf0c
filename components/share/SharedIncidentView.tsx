import type { SharedIncidentDto } from "@/lib/schemas/shares";
import { IncidentStatus } from "@/lib/schemas/api";
import { absoluteTime, integer, latencyMs, percent } from "@/components/format";
import { StatusBadge } from "@/components/ui/StatusBadge";
import { HypothesisList } from "@/components/incidents/HypothesisList";
import { IncidentFacts, runOutcome } from "@/components/incidents/IncidentFacts";
import { Markdown } from "@/components/draft/markdown";
import { RoleProvider } from "@/components/auth/RoleContext";
import { OriginLine } from "@/components/views/overview/OriginLine";

/**
 * The page behind a share link: the analysis (window, impact, ranked hypotheses with their cited
 * evidence, files) and the postmortem draft, rendered without a single edit control or link into
 * the signed-in views. The RoleProvider with no role keeps any reused component read-only even when
 * the visitor happens to be signed in.
 */
export function SharedIncidentView({ data }: { data: SharedIncidentDto }) {
  const { incident, run, overview, hypotheses, files, draft } = data;
  // The same window and outcome as the incident page: one component and one rule for both.
  const { finished, outcome } = runOutcome(incident, run);
  const impact = overview?.analysed ? overview.impact : null;
  return (
    <RoleProvider role={null}>
      <article className="space-y-5" data-testid="shared-incident">
        <header className="space-y-2">
          <p className="text-xs text-muted">
            Shared read-only view{data.share.expiresAt ? ` · link expires ${absoluteTime(data.share.expiresAt)}` : ""}
          </p>
          <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
            <h1 className="min-w-0 text-xl font-semibold tracking-tight break-words">{incident.title || "(untitled)"}</h1>
            <StatusBadge status={IncidentStatus.catch("new").parse(incident.status)} />
          </div>
          <IncidentFacts incident={incident} />
        </header>

        {impact ? (
          <section aria-labelledby="shared-impact" className="rounded-lg border border-line bg-surface p-4">
            <h2 id="shared-impact" className="text-sm font-semibold">
              Impact
            </h2>
            <dl className="mt-2 grid grid-cols-2 gap-3 text-sm sm:grid-cols-4">
              <div>
                <dt className="text-xs text-muted">Peak error rate</dt>
                <dd className="num font-mono text-lg font-semibold">{percent(impact.peakErrorRate)}</dd>
              </div>
              <div>
                <dt className="text-xs text-muted">Requests failed</dt>
                <dd className="num font-mono text-lg font-semibold">
                  {integer(impact.failed)} <span className="text-xs font-normal text-muted">of {integer(impact.requests)}</span>
                </dd>
              </div>
              <div>
                <dt className="text-xs text-muted">p99 before</dt>
                <dd className="num font-mono text-lg font-semibold">{latencyMs(impact.p99BeforeMs)}</dd>
              </div>
              <div>
                <dt className="text-xs text-muted">p99 during</dt>
                <dd className="num font-mono text-lg font-semibold">{latencyMs(impact.p99DuringMs)}</dd>
              </div>
            </dl>
            {overview?.origin ? (
              <div className="mt-3">
                <OriginLine origin={overview.origin} />
              </div>
            ) : null}
          </section>
        ) : null}

        <HypothesisList incidentId={null} hypotheses={hypotheses} finished={finished} outcome={outcome} assessment={run?.assessment ?? null} coverage={run?.coverage ?? []} />

        <section aria-labelledby="shared-files" className="rounded-lg border border-line bg-surface">
          <h2 id="shared-files" className="border-b border-line px-4 py-2.5 text-sm font-semibold">
            Evidence files
          </h2>
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm">
              <thead className="text-xs text-muted">
                <tr>
                  <th scope="col" className="px-4 py-1.5 font-medium">File</th>
                  <th scope="col" className="px-2 py-1.5 font-medium">Format</th>
                  <th scope="col" className="px-2 py-1.5 font-medium">Status</th>
                  <th scope="col" className="px-2 py-1.5 text-right font-medium">Records</th>
                  <th scope="col" className="px-4 py-1.5 text-right font-medium">Skipped</th>
                </tr>
              </thead>
              <tbody>
                {files.map((f) => (
                  <tr key={f.path} className="border-t border-line">
                    <td className="px-4 py-1.5 font-mono text-xs break-all">{f.path}</td>
                    <td className="px-2 py-1.5 font-mono text-xs">{f.format ?? "—"}</td>
                    <td className="px-2 py-1.5">
                      <StatusBadge status={f.status} />
                    </td>
                    <td className="num px-2 py-1.5 text-right font-mono">{integer(f.records)}</td>
                    <td className="num px-4 py-1.5 text-right font-mono">{integer(f.skipped)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>

        <section aria-labelledby="shared-draft" className="rounded-lg border border-line bg-surface p-4">
          <h2 id="shared-draft" className="mb-3 text-sm font-semibold">
            Postmortem draft
          </h2>
          {draft ? (
            <div data-testid="shared-draft">
              <Markdown source={draft.markdown} />
            </div>
          ) : (
            <p className="text-sm text-muted">The draft is written when the analysis finishes.</p>
          )}
        </section>
      </article>
    </RoleProvider>
  );
}
