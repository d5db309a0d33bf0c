"use client";

import { useState } from "react";
import Link from "next/link";
import { ASSESSMENT_LABEL, type Assessment, type DetectorCoverage, type EvidenceRef, type Hypothesis } from "@/lib/schemas/hypothesis";
import { absoluteTime, percent } from "@/components/format";

/**
 * Where an evidence citation opens: the timeline focused on the cited record (file + line, resolved
 * server-side), the trace view for spans, or the timeline filtered to the file.
 */
export function evidenceHref(incidentId: string, ev: EvidenceRef): string {
  const base = `/incidents/${encodeURIComponent(incidentId)}`;
  if (ev.line != null) return `${base}/timeline?${new URLSearchParams({ file: ev.file, line: String(ev.line) })}`;
  if (ev.traceId) return `${base}/traces?${new URLSearchParams({ trace: ev.traceId, ...(ev.spanId ? { span: ev.spanId } : {}) })}`;
  return `${base}/timeline?${new URLSearchParams({ file: ev.file })}`;
}

const PAGE_THRESHOLD = 0.5;

/** Accent for "would page someone", a quiet grey below: the rank, not alarm colours, carries urgency. */
function confidenceTone(c: number): string {
  return c >= PAGE_THRESHOLD ? "bg-accent" : "bg-faint";
}

/** `incidentId` null: a share-link page, where the views behind the links are not available — plain text. */
function Location({ ev, incidentId }: { ev: EvidenceRef; incidentId: string | null }) {
  const where = ev.line != null ? `${ev.file}:${ev.line}` : ev.pointer ? `${ev.file}#${ev.pointer}` : ev.file;
  return (
    <span className="font-mono text-xs">
      {incidentId === null ? (
        <span className="break-all">{where}</span>
      ) : (
        <Link href={evidenceHref(incidentId, ev)} className="break-all text-accent hover:underline" title="Open this record in context">
          {where}
        </Link>
      )}
      {ev.spanId ? <span className="text-muted"> span {ev.spanId}</span> : null}
      {ev.traceId ? <span className="text-muted"> trace {ev.traceId}</span> : null}
    </span>
  );
}

/** Evidence items shown per hypothesis before "Show all N" (detectors can cite dozens). */
export const EVIDENCE_PREVIEW = 3;

function EvidenceList({ items, label, incidentId }: { items: EvidenceRef[]; label: string; incidentId: string | null }) {
  const [all, setAll] = useState(false);
  const shown = all ? items : items.slice(0, EVIDENCE_PREVIEW);
  return (
    <>
    <ol className="space-y-1.5" aria-label={label}>
      {shown.map((ev, i) => (
        <li key={i} className="rounded-md border border-line bg-bg/60 px-2.5 py-1.5">
          <div className="flex flex-wrap items-baseline gap-x-3 gap-y-0.5">
            <Location ev={ev} incidentId={incidentId} />
            {ev.ts ? (
              <time dateTime={ev.ts} className="num font-mono text-xs text-muted" title={absoluteTime(ev.ts)}>
                {ev.ts}
              </time>
            ) : null}
          </div>
          {ev.excerpt ? (
            <pre className="mt-1 max-h-40 overflow-auto font-mono text-xs leading-snug whitespace-pre-wrap break-all text-fg">
              {ev.excerpt}
            </pre>
          ) : null}
          {ev.why ? <p className="mt-1 text-xs text-muted">{ev.why}</p> : null}
        </li>
      ))}
    </ol>
    {items.length > EVIDENCE_PREVIEW ? (
      <button type="button" aria-expanded={all} className="mt-1 text-xs font-medium text-accent hover:underline" onClick={() => setAll((v) => !v)}>
        {all ? `Show the first ${EVIDENCE_PREVIEW}` : `Show all ${items.length}`}
      </button>
    ) : null}
    </>
  );
}

/** "p99BeforeMs" → "p99 before (ms)": facts are figures for people, not keys. */
export function factLabel(key: string): string {
  const unit = /Ms$/.test(key) ? " (ms)" : "";
  const words = key
    .replace(/Ms$/, "")
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase();
  return `${words.charAt(0).toUpperCase()}${words.slice(1)}${unit}`;
}

const signed = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(Math.round(x * 100))}`;

/** "Why this confidence": the named factors the detector and the ranking built it from. */
function WhyConfidence({ h }: { h: Hypothesis }) {
  if (h.confidenceFactors.length === 0) return null;
  return (
    <details className="mt-3">
      <summary className="cursor-pointer text-xs font-medium text-muted select-none hover:text-fg">Why this confidence</summary>
      <ul className="mt-1 space-y-0.5 text-xs" aria-label={`Why ${percent(h.confidence)} for ${h.title}`}>
        {h.confidenceFactors.map((f, i) => (
          <li key={i} className="flex gap-2">
            <span className={`num w-12 shrink-0 text-right font-mono ${f.kind === "base" ? "text-fg" : f.effect < 0 ? "text-amber-700 dark:text-amber-300" : "text-emerald-700 dark:text-emerald-300"}`}>
              {f.kind === "base" ? `${Math.round(f.effect * 100)}` : signed(f.effect)}
            </span>
            <span>
              {f.label}
              {f.kind === "counter" ? <span className="text-faint"> (against)</span> : f.kind === "cap" ? <span className="text-faint"> (limit)</span> : null}
            </span>
          </li>
        ))}
        <li className="flex gap-2 border-t border-line pt-0.5 font-medium">
          <span className="num w-12 shrink-0 text-right font-mono">= {Math.round(h.confidence * 100)}</span>
          <span>confidence, in percent</span>
        </li>
      </ul>
    </details>
  );
}

function FactValue({ value }: { value: Hypothesis["facts"][string] }) {
  const text = Array.isArray(value) ? value.join(", ") : String(value);
  return <span className="num font-mono break-all">{text}</span>;
}

function HypothesisCard({ h, rank, incidentId }: { h: Hypothesis; rank: number; incidentId: string | null }) {
  const facts = Object.entries(h.facts ?? {});
  const hasMore = h.checks.length > 0 || h.remediation.immediate.length > 0 || h.remediation.longTerm.length > 0 || facts.length > 0;
  const headingId = `hyp-${rank}`;
  return (
    <li aria-labelledby={headingId} className="rounded-lg border border-line bg-surface p-4">
      <div className="flex items-start gap-4">
        <div className="w-20 shrink-0 pt-0.5">
          <div className="num font-mono text-lg leading-none font-semibold">{percent(h.confidence)}</div>
          <div
            className="mt-1.5 h-1.5 w-full overflow-hidden rounded-full bg-subtle"
            role="meter"
            aria-label="Confidence"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={Math.round(h.confidence * 100)}
          >
            <div className={`h-full ${confidenceTone(h.confidence)}`} style={{ width: `${Math.round(h.confidence * 100)}%` }} />
          </div>
          <div className="mt-1 text-[11px] text-faint">confidence</div>
        </div>
        <div className="min-w-0 flex-1">
          <div className="flex flex-wrap items-baseline gap-x-2">
            <span className="num font-mono text-xs text-faint">#{rank}</span>
            <h3 id={headingId} className="font-semibold">
              {h.title}
            </h3>
            <code className="rounded bg-subtle px-1.5 font-mono text-[11px] text-muted">{h.detector}</code>
          </div>
          <p className="mt-1 whitespace-pre-line text-sm">{h.summary}</p>
          {h.explainedBy ? (
            <p className="mt-1 text-xs text-muted">
              A symptom: explained by <code className="font-mono">{h.explainedBy}</code>, which ranks above it.
            </p>
          ) : null}
          <WhyConfidence h={h} />

          {h.evidence.length > 0 ? (
            <div className="mt-3">
              <h4 className="mb-1 text-xs font-medium text-muted">Evidence ({h.evidence.length})</h4>
              <EvidenceList incidentId={incidentId} items={h.evidence} label={`Evidence for ${h.title}`} />
            </div>
          ) : (
            <p className="mt-3 text-xs text-amber-700 dark:text-amber-300">No evidence cited.</p>
          )}

          {h.counterEvidence.length > 0 ? (
            <details className="mt-3">
              <summary className="cursor-pointer text-xs font-medium text-muted select-none hover:text-fg">
                Counter-evidence ({h.counterEvidence.length})
              </summary>
              <div className="mt-1">
                <EvidenceList incidentId={incidentId} items={h.counterEvidence} label={`Counter-evidence for ${h.title}`} />
              </div>
            </details>
          ) : null}

          {hasMore ? (
            <details className="mt-3">
              <summary className="cursor-pointer text-xs font-medium text-muted select-none hover:text-fg">
                Checks and remediation
              </summary>
              <div className="mt-2 grid gap-4 text-sm md:grid-cols-3">
                {h.checks.length > 0 ? (
                  <div>
                    <h4 className="mb-1 text-xs font-semibold text-muted">Checks</h4>
                    <ul className="list-disc space-y-0.5 pl-4">
                      {h.checks.map((c, i) => (
                        <li key={i}>{c}</li>
                      ))}
                    </ul>
                  </div>
                ) : null}
                {h.remediation.immediate.length > 0 ? (
                  <div>
                    <h4 className="mb-1 text-xs font-semibold text-muted">Immediate</h4>
                    <ul className="list-disc space-y-0.5 pl-4">
                      {h.remediation.immediate.map((c, i) => (
                        <li key={i}>{c}</li>
                      ))}
                    </ul>
                  </div>
                ) : null}
                {h.remediation.longTerm.length > 0 ? (
                  <div>
                    <h4 className="mb-1 text-xs font-semibold text-muted">Long term</h4>
                    <ul className="list-disc space-y-0.5 pl-4">
                      {h.remediation.longTerm.map((c, i) => (
                        <li key={i}>{c}</li>
                      ))}
                    </ul>
                  </div>
                ) : null}
                {facts.length > 0 ? (
                  <div className="md:col-span-3">
                    <h4 className="mb-1 text-xs font-semibold text-muted">Facts</h4>
                    <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-0.5 text-xs">
                      {facts.map(([k, v]) => (
                        <div key={k} className="contents">
                          <dt className="text-muted">{factLabel(k)}</dt>
                          <dd>
                            <FactValue value={v} />
                          </dd>
                        </div>
                      ))}
                    </dl>
                  </div>
                ) : null}
              </div>
            </details>
          ) : null}
        </div>
      </div>
    </li>
  );
}

export function HypothesisList({
  incidentId,
  hypotheses,
  finished,
  outcome,
  assessment = null,
  coverage = [],
}: {
  /** null on share-link pages: evidence is shown without links into the (unshared) views. */
  incidentId: string | null;
  hypotheses: Hypothesis[];
  /** The analysis' verdict on the whole bundle (null for older runs). */
  assessment?: Assessment | null;
  /** What each detector checked; shown under the list so "not found" and "not checked" stay apart. */
  coverage?: DetectorCoverage[];
  /** The run is over (no more hypotheses will appear). */
  finished: boolean;
  outcome: "completed" | "partial" | "failed";
}) {
  const ranked = [...hypotheses].sort((a, b) => b.confidence - a.confidence);
  const anyStrong = ranked.some((h) => h.confidence >= PAGE_THRESHOLD);
  return (
    <section aria-labelledby="hyp-heading" className="space-y-2">
      <div className="flex items-baseline gap-2">
        <h2 id="hyp-heading" className="text-sm font-semibold">
          Hypotheses
        </h2>
        <span className="num font-mono text-xs text-muted">{ranked.length}</span>
        <span className="text-xs text-faint">ranked by confidence; ≥ 50% would page someone</span>
      </div>
      {finished && !anyStrong ? (
        <div className="rounded-lg border border-line bg-surface px-4 py-3 text-sm">
          {outcome === "failed" ? (
            <p>
              <span className="font-medium">No hypotheses:</span>{" "}
              <span className="text-muted">the analysis failed before detectors could finish. See the error above.</span>
            </p>
          ) : assessment?.kind === "nothing-analysable" ? (
            <p>
              <span className="font-medium text-amber-700 dark:text-amber-300">{ASSESSMENT_LABEL["nothing-analysable"]}:</span>{" "}
              <span className="text-muted">{assessment.detail}. This says nothing about whether the system was healthy; add the evidence files (logs, dumps, traces).</span>
            </p>
          ) : outcome === "partial" ? (
            <p>
              <span className="font-medium text-amber-700 dark:text-amber-300">No hypothesis ≥ 50%, but the analysis is incomplete.</span>{" "}
              <span className="text-muted">
                Some files or detectors failed (see the problems above), so this does not mean the bundle is healthy.
              </span>
            </p>
          ) : assessment ? (
            <p>
              <span className={`font-medium ${assessment.kind === "healthy" ? "text-emerald-700 dark:text-emerald-300" : "text-amber-700 dark:text-amber-300"}`}>
                {ASSESSMENT_LABEL[assessment.kind]}:
              </span>{" "}
              <span className="text-muted">
                {assessment.detail}.{ranked.length > 0 ? " Low-confidence findings are listed below for completeness." : ""}
              </span>
            </p>
          ) : (
            <p>
              <span className="font-medium">No hypothesis ≥ 50%.</span>{" "}
              <span className="text-muted">{ranked.length > 0 ? "Low-confidence findings are listed below for completeness." : "No detector found a problem in these files."}</span>
            </p>
          )}
        </div>
      ) : null}
      {!finished && ranked.length === 0 ? (
        <div className="rounded-lg border border-dashed border-line-strong bg-surface px-4 py-6 text-center text-sm text-muted">
          No hypotheses yet: detectors run after parsing.
        </div>
      ) : null}
      {ranked.length > 0 ? (
        <ol className="space-y-2">
          {ranked.map((h, i) => (
            <HypothesisCard key={`${h.detector}-${i}`} h={h} rank={i + 1} incidentId={incidentId} />
          ))}
        </ol>
      ) : null}
      {finished ? <CoverageList coverage={coverage} /> : null}
    </section>
  );
}

/** Mechanisms that did not fire: ruled out (checked clean) apart from not checked (evidence missing). */
function CoverageList({ coverage }: { coverage: DetectorCoverage[] }) {
  const quiet = coverage.filter((c) => c.status !== "fired");
  if (quiet.length === 0) return null;
  const clean = quiet.filter((c) => c.status === "clean");
  const unchecked = quiet.filter((c) => c.status === "not-checked");
  return (
    <details className="rounded-lg border border-line bg-surface px-4 py-2 text-sm">
      <summary className="cursor-pointer text-xs font-medium text-muted select-none hover:text-fg">
        Other mechanisms: {clean.length} ruled out, {unchecked.length} not checked
      </summary>
      <ul className="mt-2 space-y-1 text-xs">
        {[...clean, ...unchecked].map((c) => (
          <li key={c.detector}>
            <code className="font-mono">{c.detector}</code>{" "}
            <span className={c.status === "clean" ? "text-emerald-700 dark:text-emerald-300" : "text-amber-700 dark:text-amber-300"}>{c.status === "clean" ? "ruled out" : "not checked"}</span>
            <span className="text-muted"> — {c.detail}</span>
          </li>
        ))}
      </ul>
    </details>
  );
}
