import type { AnalysisRunDto, IncidentStatus } from "@/lib/schemas/api";
import { absoluteTime, durationMs, integer, percent } from "@/components/format";
import { ProgressBar } from "@/components/ui/ProgressBar";
import { StatusBadge } from "@/components/ui/StatusBadge";
import { RelativeTime } from "@/components/ui/RelativeTime";

const STAGE_LABELS: Record<string, string> = {
  queued: "Waiting for a worker",
  extract: "Extracting the bundle",
  extracting: "Extracting the bundle",
  sniff: "Recognising file formats",
  sniffing: "Recognising file formats",
  parse: "Parsing files",
  parsing: "Parsing files",
  correlate: "Correlating the timeline",
  correlating: "Correlating the timeline",
  detect: "Running detectors",
  detecting: "Running detectors",
  done: "Done",
};

/** "parse" → "Parsing files"; unknown stages are shown as they are. */
export function stageLabel(stage: string): string {
  return STAGE_LABELS[stage.toLowerCase()] ?? stage;
}

export function isRunActive(status: IncidentStatus, run: Pick<AnalysisRunDto, "status"> | null): boolean {
  return status === "new" || status === "processing" || run?.status === "queued" || run?.status === "running";
}

export function RunPanel({
  run,
  incidentStatus,
  pollError,
}: {
  run: AnalysisRunDto | null;
  incidentStatus: IncidentStatus;
  pollError: string | null;
}) {
  const active = isRunActive(incidentStatus, run);
  const duration =
    run?.startedAt && run.finishedAt ? new Date(run.finishedAt).getTime() - new Date(run.startedAt).getTime() : null;
  const timings = run ? Object.entries(run.timings) : [];

  return (
    <section aria-labelledby="run-heading" className="rounded-lg border border-line bg-surface">
      <div className="flex flex-wrap items-center gap-x-4 gap-y-1 border-b border-line px-4 py-2.5">
        <h2 id="run-heading" className="text-sm font-semibold">
          Analysis
        </h2>
        {run ? <StatusBadge status={run.status} /> : <span className="text-xs text-muted">no run yet</span>}
        {run ? (
          <dl className="flex flex-wrap gap-x-4 gap-y-1 text-xs text-muted">
            <div className="flex gap-1">
              <dt>Attempts</dt>
              <dd className="num font-mono text-fg">{integer(run.attempts)}</dd>
            </div>
            <div className="flex gap-1">
              <dt>Started</dt>
              <dd className="text-fg">
                <RelativeTime iso={run.startedAt} className="num" />
              </dd>
            </div>
            {run.finishedAt ? (
              <div className="flex gap-1">
                <dt>Took</dt>
                <dd className="num font-mono text-fg" title={`${absoluteTime(run.startedAt)} → ${absoluteTime(run.finishedAt)}`}>
                  {durationMs(duration)}
                </dd>
              </div>
            ) : null}
          </dl>
        ) : null}
        {pollError ? (
          <p className="ml-auto text-xs text-amber-700 dark:text-amber-300" role="status">
            {pollError}
          </p>
        ) : active ? (
          <p className="ml-auto text-xs text-muted" role="status">
            Live — updates every second
          </p>
        ) : null}
      </div>

      <div className="space-y-3 px-4 py-3">
        {active ? (
          <div aria-live="polite">
            <div className="mb-1 flex justify-between text-sm">
              <span className="font-medium">{run ? stageLabel(run.status === "queued" ? "queued" : run.stage) : "Waiting for the analysis to start"}</span>
              <span className="num font-mono text-muted">{percent(run?.progress ?? 0)}</span>
            </div>
            <ProgressBar value={run?.progress ?? 0} label="Analysis progress" tone="blue" valueText={`${run ? stageLabel(run.stage) : "queued"}: ${percent(run?.progress ?? 0)}`} />
          </div>
        ) : run ? (
          <p className="text-sm text-muted">
            {run.status === "completed"
              ? "Analysis completed: every file was read and every detector ran."
              : run.status === "partial"
                ? "Analysis finished with problems: some files or detectors failed. Results below are based on what could be read."
                : run.status === "failed"
                  ? "Analysis failed. The files below show how far it got."
                  : null}
          </p>
        ) : (
          <p className="text-sm text-muted">This incident has not been analysed.</p>
        )}

        {run?.error ? (
          <div role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900 dark:border-red-400/30 dark:bg-red-400/10 dark:text-red-200">
            <p className="font-semibold">Error</p>
            <pre className="mt-1 font-mono text-xs whitespace-pre-wrap break-words">{run.error}</pre>
          </div>
        ) : null}

        {run && run.problems.length > 0 ? <Problems problems={run.problems} /> : null}

        {timings.length > 0 && !active ? (
          <details className="text-xs text-muted">
            <summary className="cursor-pointer select-none hover:text-fg">Stage timings</summary>
            <dl className="mt-1 grid grid-cols-[max-content_max-content] gap-x-4 gap-y-0.5">
              {timings.map(([stage, ms]) => (
                <div key={stage} className="contents">
                  <dt className="font-mono">{stage}</dt>
                  <dd className="num text-right font-mono text-fg">{durationMs(ms)}</dd>
                </div>
              ))}
            </dl>
          </details>
        ) : null}
      </div>
    </section>
  );
}

/**
 * Problems grouped by message: one crashing parser often fails every file the same way, and 18
 * identical lines hide the one that differs.
 */
function Problems({ problems }: { problems: AnalysisRunDto["problems"] }) {
  const groups = new Map<string, string[]>();
  for (const p of problems) {
    const scopes = groups.get(p.message);
    if (scopes) scopes.push(p.scope);
    else groups.set(p.message, [p.scope]);
  }
  return (
    <div className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-950 dark:border-amber-400/30 dark:bg-amber-400/10 dark:text-amber-100">
      <p className="font-semibold">
        {integer(problems.length)} problem{problems.length === 1 ? "" : "s"}
      </p>
      <ul className="mt-1 space-y-1">
        {[...groups.entries()].map(([message, scopes]) => (
          <li key={message} className="break-words">
            {scopes.length === 1 ? (
              <>
                <code className="mr-2 font-mono text-xs break-all opacity-80">{scopes[0]}</code>
                {message}
              </>
            ) : (
              <details>
                <summary className="cursor-pointer">
                  {message} <span className="num font-mono text-xs opacity-80">× {integer(scopes.length)}</span>
                </summary>
                <ul className="mt-0.5 mb-1 ml-4 space-y-0.5">
                  {scopes.map((scope, i) => (
                    <li key={i} className="font-mono text-xs break-all opacity-80">
                      {scope}
                    </li>
                  ))}
                </ul>
              </details>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
