import { DRAFT_HEADINGS, type DraftCitation, type DraftSectionId, type GeneratedSection } from "@/lib/schemas/draft";
import { FAULT_KIND_LABEL, type EvidenceRef, type Hypothesis, type Origin } from "@/lib/schemas/hypothesis";
import { originOf } from "@/lib/server/analysis/origin";
import type { CorrelationSummary } from "@/lib/server/correlate/schema";
import { fmtClock, fmtDate, fmtDateTime, fmtDuration, fmtMs, fmtPct, mdCode, mdText, safeZone, zoneName } from "./format";

/** Hypotheses at or above this confidence are causes ("would page someone"); below, they are ruled out. */
export const CAUSE_THRESHOLD = 0.5;

export interface TimelineEntry {
  ts: string | null;
  text: string;
  /** alert | mitigation | resolution | deploy | investigation | other */
  reason: string | null;
  file: string;
  line: number | null;
}

export interface DetectorInfo {
  id: string;
  title: string;
  requires: readonly string[];
}

/** Everything the draft is made of. Pure data: the same input always gives the same draft. */
export interface DraftInput {
  incident: { id: string; title: string; summary: string; timezone: string; windowStart: string | null; windowEnd: string | null };
  run: { id: string; status: string; finishedAt: string | null; problems: { scope: string; message: string }[] } | null;
  correlation: CorrelationSummary | null;
  hypotheses: Hypothesis[];
  timeline: TimelineEntry[];
  files: { path: string; format: string | null; status: string }[];
  detectors: readonly DetectorInfo[];
}

/** Link to a record in the incident's timeline view. */
export function recordHref(incidentId: string, file: string, line: number | null | undefined): string {
  // "/" stays readable in the query (allowed there), so paths read as paths and redact consistently.
  const q = `file=${encodeURIComponent(file).replace(/%2F/g, "/").replace(/[()']/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}${line ? `&line=${line}` : ""}`;
  return `/incidents/${encodeURIComponent(incidentId)}/timeline?${q}`;
}

/** "[nodes/a.txt:12](/incidents/…/timeline?file=…&line=12)" */
function citeLink(incidentId: string, file: string, line: number | null | undefined): string {
  const label = `${file}${line ? `:${line}` : ""}`;
  return `[${mdText(label)}](${recordHref(incidentId, file, line)})`;
}

function evidenceCitation(incidentId: string, source: string, e: EvidenceRef): DraftCitation {
  return { source, file: e.file, line: e.line ?? null, ts: e.ts ?? null, href: recordHref(incidentId, e.file, e.line), ...(e.why ? { note: e.why.slice(0, 500) } : {}) };
}

const pctConf = (c: number) => `${Math.round(c * 100)}%`;

/**
 * Builds the postmortem draft from a finished analysis.
 *
 *   timeline ──────●alert───────●mitigation──●resolution──▶ (human, from the timeline file)
 *   detected ──●onset────●peak─────────────●recovery─────▶ (correlation window)
 *              │◀─alertLag─▶│
 *
 * Every section lists the citations its claims rest on (records, hypotheses, correlation).
 */
export function generateDraft(input: DraftInput): GeneratedSection[] {
  const tz = safeZone(input.incident.timezone);
  const w = input.correlation?.window ?? null;
  const ranked = input.hypotheses;
  const causes = ranked.filter((h) => h.confidence >= CAUSE_THRESHOLD);
  const top = causes[0] ?? null;
  const id = input.incident.id;
  const onset = w?.onset ?? input.incident.windowStart;
  const recovery = w?.recovery ?? input.incident.windowEnd;
  const durationMs = onset && recovery ? Date.parse(recovery) - Date.parse(onset) : null;
  const when = (iso: string) => fmtDateTime(iso, tz);
  const phase = (k: string) => input.correlation?.cohorts.phase.find((c) => c.key === k) ?? null;
  const before = phase("before");
  const during = phase("during");
  // The analysis' one impact (correlate/impact.ts): the figures the Overview and Compare show.
  const impact = input.correlation?.impact ?? null;
  const affected = impact?.affectedServices ?? [];

  const sections: Record<DraftSectionId, { markdown: string; citations: DraftCitation[] }> = {} as never;
  const correlationCite: DraftCitation = { source: "correlation", note: `incident window (basis: ${w?.basis ?? "none"})` };

  // ── title ──────────────────────────────────────────────────────────────────────
  sections.title = { markdown: input.incident.title.replace(/[\r\n]+/g, " ").trim() || "Untitled incident", citations: [] };

  // ── summary ────────────────────────────────────────────────────────────────────
  {
    const s: string[] = [];
    const cites: DraftCitation[] = [];
    if (onset) {
      const errRose = !!w && w.peakErrorRate !== null && w.peakErrorRate > (w.baselineErrorRate ?? 0) + 0.005;
      const latRose = !!w && w.peakP99Ms !== null && w.baselineP99Ms !== null && w.peakP99Ms >= 1.5 * w.baselineP99Ms;
      const what = [
        errRose ? `the error rate rose from ${fmtPct(w!.baselineErrorRate ?? 0)} to ${fmtPct(w!.peakErrorRate!)}` : "",
        latRose ? `${errRose ? "" : "the "}p99 latency ${errRose ? "from" : "rose from"} ${fmtMs(w!.baselineP99Ms!)} to ${fmtMs(w!.peakP99Ms!)}` : "",
      ].filter(Boolean);
      s.push(
        `On ${fmtDate(onset, tz)}, ${what.length ? what.join(" and ") : "the service degraded"}` +
          ` starting ${fmtClock(onset, tz)} ${tz === "UTC" ? "UTC" : tz}${durationMs !== null && durationMs >= 0 ? ` for ${fmtDuration(durationMs)}` : ", with no recovery in the evidence"}.`,
      );
      cites.push(correlationCite);
    } else {
      s.push("The evidence does not show when the incident started (no error-rate or latency change was detected).");
    }
    if (impact && impact.requests > 0) s.push(`${fmtPct(impact.failed / impact.requests)} of requests ${impact.scope === "window" ? "in the window" : "in the evidence"} failed (${impact.failed} of ${impact.requests}).`);
    const failing = affected.filter((a) => a.failed > 0);
    if (failing.length > 0) s.push(`Most failures were seen at ${failing.slice(0, 3).map((a) => mdText(a.service)).join(", ")}.`);
    if (top) {
      s.push(`The most likely root cause (confidence ${pctConf(top.confidence)}): ${mdText(top.title)}.`);
      cites.push({ source: `hypothesis:${top.detector}`, note: top.title.slice(0, 500) });
      const first = top.evidence[0];
      if (first) cites.push(evidenceCitation(id, `hypothesis:${top.detector}`, first));
    } else {
      s.push("No detector found a root cause above the 50% confidence threshold; see Ruled out.");
    }
    const origin = originOf(ranked);
    const started = origin ? originSentence(origin, ranked[origin.rank - 1] === top ? top : null, top !== null) : null;
    if (origin && started) {
      s.push(started);
      cites.push({ source: `hypothesis:${origin.detector}`, note: origin.title.slice(0, 500) });
    }
    if (input.incident.summary.trim()) s.push(`Reported: ${mdText(input.incident.summary.trim())}`);
    sections.summary = { markdown: s.join(" "), citations: cites };
  }

  // ── impact ─────────────────────────────────────────────────────────────────────
  {
    const l: string[] = [];
    const cites: DraftCitation[] = [correlationCite];
    l.push(`- **Start (detected onset):** ${onset ? when(onset) : "unknown"}`);
    if (w?.peak) l.push(`- **Peak:** ${when(w.peak)}`);
    l.push(`- **End (recovery):** ${recovery ? when(recovery) : "not in the evidence"}`);
    l.push(`- **Duration:** ${durationMs !== null && durationMs >= 0 ? fmtDuration(durationMs) : "unknown"}`);
    if (w && w.peakErrorRate !== null) l.push(`- **Error rate:** ${fmtPct(w.baselineErrorRate ?? 0)} baseline → ${fmtPct(w.peakErrorRate)} at peak`);
    if (impact && impact.requests > 0)
      l.push(
        `- **Requests failed ${impact.scope === "window" ? "in the window" : "in the evidence"}:** ${fmtPct(impact.failed / impact.requests)} (${impact.failed} of ${impact.requests}${impact.exact ? "" : ", totals exact, per-service figures estimated from a sample"}${impact.duplicatesMerged ? `; ${impact.duplicatesMerged} records were another source's view of a request already counted` : ""})`,
      );
    const lat: string[] = [];
    if (before?.p50Ms != null && during?.p50Ms != null) lat.push(`p50 ${fmtMs(before.p50Ms)} → ${fmtMs(during.p50Ms)}`);
    if (impact && impact.p99BeforeMs !== null && impact.p99DuringMs !== null) lat.push(`p99 ${fmtMs(impact.p99BeforeMs)} → ${fmtMs(impact.p99DuringMs)}`);
    else if (before?.p99Ms != null && during?.p99Ms != null) lat.push(`p99 ${fmtMs(before.p99Ms)} → ${fmtMs(during.p99Ms)}`);
    if (lat.length) l.push(`- **Latency (before → during):** ${lat.join("; ")}`);
    if (affected.length) l.push(`- **Affected services:** ${affected.map((a) => `${mdText(a.service)} (${a.failed > 0 ? `${a.failed} failed` : `p99 ${fmtMs(a.p99BeforeMs ?? 0)} → ${fmtMs(a.p99DuringMs ?? 0)}`})`).join(", ")}`);
    else l.push("- **Affected services:** not identified from the evidence");
    sections.impact = { markdown: l.join("\n"), citations: cites };
  }

  // ── timeline ───────────────────────────────────────────────────────────────────
  {
    interface Row { ts: string; order: number; event: string; source: string; cite: DraftCitation }
    const rows: Row[] = [];
    for (const t of input.timeline) {
      if (!t.ts) continue;
      rows.push({
        ts: t.ts,
        order: 0,
        event: `${mdText(t.text)}${t.reason && t.reason !== "other" ? ` _(${t.reason})_` : ""}`,
        source: citeLink(id, t.file, t.line),
        cite: { source: "timeline", file: t.file, line: t.line, ts: t.ts, href: recordHref(id, t.file, t.line) },
      });
    }
    const detected = (ts: string | null | undefined, event: string) => {
      if (ts) rows.push({ ts, order: 1, event: `**Detected:** ${event}`, source: "analysis (correlation)", cite: { source: "correlation", ts, note: event } });
    };
    if (w) {
      detected(w.onset, `onset — ${w.basis === "none" ? "incident starts" : `${w.basis} leaves baseline`}`);
      detected(w.peak, `peak${w.peakErrorRate !== null ? ` — error rate ${fmtPct(w.peakErrorRate)}` : ""}${w.peakP99Ms !== null ? `, p99 ${fmtMs(w.peakP99Ms)}` : ""}`);
      detected(w.recovery, "recovery — back to baseline");
    }
    for (const h of causes.slice(0, 3)) {
      const e = h.evidence.find((x) => x.ts);
      if (e?.ts) rows.push({ ts: e.ts, order: 2, event: `**Evidence (${mdText(h.detector)}):** ${mdText(e.why ?? h.title)}`, source: citeLink(id, e.file, e.line), cite: evidenceCitation(id, `hypothesis:${h.detector}`, e) });
    }
    rows.sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts) || a.order - b.order);
    const first = rows[0]?.ts ?? onset ?? null;
    const days = new Set(rows.map((r) => fmtDate(r.ts, tz)));
    const head = `All times ${zoneName(tz, first)}${first ? `; date ${fmtDate(first, tz)}${days.size > 1 ? ` to ${fmtDate(rows[rows.length - 1]!.ts, tz)}` : ""}` : ""}.`;
    const table = rows.length
      ? ["| Time | Event | Source |", "|---|---|---|", ...rows.map((r) => `| ${days.size > 1 ? fmtDateTime(r.ts, tz) : fmtClock(r.ts, tz)} | ${r.event} | ${r.source} |`)].join("\n")
      : "_No timestamped timeline entries or detected events._";
    const undated = input.timeline.filter((t) => !t.ts).length;
    sections.timeline = {
      markdown: `${head}\n\n${table}${undated ? `\n\n${undated} timeline entr${undated === 1 ? "y has" : "ies have"} no time and ${undated === 1 ? "is" : "are"} not shown.` : ""}`,
      citations: rows.map((r) => r.cite),
    };
  }

  // ── root cause ─────────────────────────────────────────────────────────────────
  const evidenceList = (h: Hypothesis, max: number) =>
    uniqueEvidence(h.evidence).slice(0, max).map((e) => `- ${citeLink(id, e.file, e.line)}${e.ts ? ` at ${when(e.ts)}` : ""}: ${mdCode(e.excerpt)}${e.why ? ` — ${mdText(e.why)}` : ""}`);
  {
    if (top) {
      const l = [`**${mdText(top.title)}** (confidence ${pctConf(top.confidence)}, detector \`${top.detector}\`)`, "", mdText(top.summary), "", "Evidence:", "", ...evidenceList(top, 8)];
      const distinct = uniqueEvidence(top.evidence).length;
      if (distinct > 8) l.push(`- …and ${distinct - 8} more in the analysis export`);
      if (top.counterEvidence.length) l.push("", "Evidence against:", "", ...top.counterEvidence.slice(0, 4).map((e) => `- ${citeLink(id, e.file, e.line)}: ${mdCode(e.excerpt)}${e.why ? ` — ${mdText(e.why)}` : ""}`));
      if (top.checks.length) l.push("", "To confirm:", "", ...top.checks.map((c) => `- ${mdText(c)}`));
      sections.rootCause = { markdown: l.join("\n"), citations: [...top.evidence, ...top.counterEvidence].map((e) => evidenceCitation(id, `hypothesis:${top.detector}`, e)) };
    } else {
      sections.rootCause = { markdown: "_No hypothesis reached the 50% confidence threshold. The root cause is not established by the evidence; see Ruled out for what was considered._", citations: [] };
    }
  }

  // ── contributing factors ───────────────────────────────────────────────────────
  {
    const others = causes.slice(1);
    sections.contributing = others.length
      ? {
          markdown: others.map((h) => [`- **${mdText(h.title)}** (confidence ${pctConf(h.confidence)}, detector \`${h.detector}\`): ${mdText(h.summary)}`, ...evidenceList(h, 3).map((x) => `  ${x}`)].join("\n")).join("\n"),
          citations: others.flatMap((h) => h.evidence.slice(0, 3).map((e) => evidenceCitation(id, `hypothesis:${h.detector}`, e))),
        }
      : { markdown: `_No other hypothesis reached the ${pctConf(CAUSE_THRESHOLD)} threshold._`, citations: [] };
  }

  // ── ruled out ──────────────────────────────────────────────────────────────────
  {
    const l: string[] = [];
    const cites: DraftCitation[] = [];
    // Absence is not evidence: a mechanism is ruled out only when its detector saw the evidence that
    // would show it and found it clean; otherwise the draft says what was not checked and why.
    for (const h of ranked.filter((x) => x.confidence < CAUSE_THRESHOLD)) {
      const against = h.counterEvidence[0];
      const why = h.explainedBy ? ` a symptom explained by \`${mdText(h.explainedBy)}\`, not a separate cause.` : ` not established (below the ${pctConf(CAUSE_THRESHOLD)} threshold).`;
      l.push(`- **${mdText(h.title)}** (confidence ${pctConf(h.confidence)}, detector \`${h.detector}\`):${why}${against ? ` Against it: ${citeLink(id, against.file, against.line)}${against.why ? ` — ${mdText(against.why)}` : ""}.` : ""}`);
      cites.push({ source: `hypothesis:${h.detector}`, note: h.title.slice(0, 500) });
      if (against) cites.push(evidenceCitation(id, `hypothesis:${h.detector}`, against));
    }
    const fired = new Set(ranked.map((h) => h.detector));
    const coverage = new Map((input.correlation?.coverage ?? []).map((c) => [c.detector, c]));
    for (const d of input.detectors) {
      if (fired.has(d.id)) continue;
      const c = coverage.get(d.id);
      l.push(
        c?.status === "clean"
          ? `- **${mdText(d.title)}** (\`${d.id}\`): ruled out — ${mdText(c.detail)}.`
          : c
            ? `- **${mdText(d.title)}** (\`${d.id}\`): not checked — ${mdText(c.detail)}.`
            : `- **${mdText(d.title)}** (\`${d.id}\`): no finding; this analysis predates coverage reporting (re-analyse to see whether it was checked).`,
      );
    }
    sections.ruledOut = { markdown: l.length ? l.join("\n") : "_Nothing was considered and rejected._", citations: cites };
  }

  // ── detection ──────────────────────────────────────────────────────────────────
  {
    const l: string[] = [];
    const cites: DraftCitation[] = [];
    const alert = input.timeline.find((t) => t.reason === "alert" && t.ts);
    const alertTs = w?.timeline.alert ?? alert?.ts ?? null;
    if (onset) {
      l.push(`- **First signal in the evidence:** ${w && w.basis !== "none" && w.basis !== "timeline" ? `${w.basis} change` : "the human timeline"} at ${when(onset)}.`);
      cites.push(correlationCite);
    }
    if (alertTs) {
      l.push(`- **First alert (human timeline):** ${when(alertTs)}${alert ? ` — ${mdText(alert.text)} (${citeLink(id, alert.file, alert.line)})` : ""}.`);
      if (alert) cites.push({ source: "timeline", file: alert.file, line: alert.line, ts: alert.ts, href: recordHref(id, alert.file, alert.line) });
    } else {
      l.push("- **First alert:** no alert entry in the human timeline — record how the incident was detected.");
    }
    const lag = w?.timeline.alertLagMs ?? null;
    if (lag !== null) {
      l.push(lag >= 0 ? `- **Time to detect:** ${fmtDuration(lag)} from detected onset to the alert.` : `- **Time to detect:** the alert came ${fmtDuration(-lag)} before the detected onset (alerting led the measured signal).`);
    }
    if (w?.timeline.agrees === false) l.push("- The human timeline and the detected window disagree; check clock skew and the timeline's time zone.");
    const skewed = (input.correlation?.skew ?? []).filter((s) => Math.abs(s.appliedMs) >= 1000);
    for (const s of skewed) l.push(`- Clock skew corrected: ${mdText(s.path)} ran ${fmtDuration(s.skewMs)} ${s.skewMs >= 0 ? "ahead" : "behind"} (basis ${s.basis}, ${s.samples} samples).`);
    sections.detection = { markdown: l.join("\n") || "_No detection data._", citations: cites };
  }

  // ── remediation ────────────────────────────────────────────────────────────────
  {
    const l: string[] = [];
    const applied = input.timeline.filter((t) => t.reason === "mitigation" || t.reason === "resolution");
    if (applied.length) {
      l.push("Applied during the incident:", "", ...applied.map((t) => `- ${t.ts ? `${fmtClock(t.ts, tz)}: ` : ""}${mdText(t.text)} (${citeLink(id, t.file, t.line)})`), "");
    }
    const collect = (k: "immediate" | "longTerm") => {
      const seen = new Set<string>();
      const out: string[] = [];
      for (const h of causes) for (const r of h.remediation[k]) if (!seen.has(r)) { seen.add(r); out.push(`- ${mdText(r)} _(${h.detector})_`); }
      return out;
    };
    const imm = collect("immediate");
    const lt = collect("longTerm");
    l.push("Immediate:", "", ...(imm.length ? imm : ["- _None suggested by the analysis._"]), "", "Long-term:", "", ...(lt.length ? lt : ["- _None suggested by the analysis._"]));
    sections.remediation = {
      markdown: l.join("\n"),
      citations: [
        ...causes.map((h) => ({ source: `hypothesis:${h.detector}`, note: "remediation" })),
        ...applied.map((t) => ({ source: "timeline", file: t.file, line: t.line, ts: t.ts, href: recordHref(id, t.file, t.line) })),
      ],
    };
  }

  // ── lessons learned ────────────────────────────────────────────────────────────
  {
    const wrong: string[] = [];
    const lag = w?.timeline.alertLagMs ?? null;
    if (lag !== null && lag > 5 * 60_000) wrong.push(`- Alerting lagged the onset by ${fmtDuration(lag)}.`);
    if (input.run && input.run.problems.length) wrong.push(`- The analysis was partial: ${input.run.problems.length} problem(s) (${input.run.problems.slice(0, 3).map((p) => mdText(p.scope)).join(", ")}).`);
    if ((input.correlation?.skew ?? []).some((s) => Math.abs(s.appliedMs) >= 1000)) wrong.push("- Node clocks disagreed by a second or more, which slows correlating evidence.");
    if (top) wrong.push(`- ${mdText(top.title)}.`);
    const well: string[] = [];
    if (lag !== null && lag >= 0 && lag <= 5 * 60_000) well.push(`- Alerting fired within ${fmtDuration(lag)} of the onset.`);
    if (input.timeline.some((t) => t.reason === "mitigation")) well.push("- A mitigation was applied and is recorded in the timeline.");
    sections.lessons = {
      markdown: [
        "What went well:", "", ...(well.length ? well : ["- _To be completed by the incident team._"]), "",
        "What went wrong:", "", ...(wrong.length ? wrong : ["- _To be completed by the incident team._"]), "",
        "Where we got lucky:", "", "- _To be completed by the incident team._",
      ].join("\n"),
      citations: lag !== null ? [correlationCite] : [],
    };
  }

  // ── action items ───────────────────────────────────────────────────────────────
  {
    const items: { title: string; priority: string; from: string }[] = [];
    const seen = new Set<string>();
    causes.forEach((h, i) => {
      for (const r of h.remediation.longTerm) if (!seen.has(r)) { seen.add(r); items.push({ title: r, priority: i === 0 ? "P1" : "P2", from: h.detector }); }
    });
    const lag = w?.timeline.alertLagMs ?? null;
    if (lag !== null && lag > 5 * 60_000) items.push({ title: `Alert on the ${w?.basis ?? "error-rate"} signal within 5 min of onset (was ${fmtDuration(lag)})`, priority: "P2", from: "correlation" });
    if (!top) items.push({ title: "Establish the root cause (no hypothesis reached the threshold)", priority: "P1", from: "analysis" });
    sections.actionItems = {
      markdown: items.length
        ? ["| # | Action | Owner | Priority | Status | From |", "|---|---|---|---|---|---|", ...items.map((a, i) => `| ${i + 1} | ${mdText(a.title)} | _TBD_ | ${a.priority} | Open | ${mdText(a.from)} |`)].join("\n")
        : "| # | Action | Owner | Priority | Status |\n|---|---|---|---|---|\n| 1 | _Add action items_ | _TBD_ | _P?_ | Open |",
      citations: causes.map((h) => ({ source: `hypothesis:${h.detector}`, note: "long-term remediation" })),
    };
  }

  return (Object.keys(DRAFT_HEADINGS) as DraftSectionId[]).map((sid) => ({ id: sid, heading: DRAFT_HEADINGS[sid], markdown: sections[sid].markdown, citations: sections[sid].citations }));
}

/**
 * The summary's sentence on where the fault started (see Origin), or null when the root cause's own
 * title already names the service. Its confidence is the hypothesis' own, written as everywhere else.
 *
 *   origin is the root cause      "The fault started in cart (pod cart-1): CPU saturation." (title lacks it)
 *   under a mechanism             "The fault shows first in payment: … (confidence 66%, detector `service-fault`), under that root cause."
 *   a cause ranks above, generic  "The fault started in payment: … (confidence 55%, detector `service-fault`)."
 *   no cause at all               "The strongest lead on where the fault started: payment: … (confidence 40%, …), below the threshold."
 */
function originSentence(origin: Origin, rootCause: Hypothesis | null, anyCause: boolean): string | null {
  const where = `${mdText(origin.service)}${origin.pod ? ` (pod ${mdText(origin.pod)})` : ""}${origin.kind ? `: ${FAULT_KIND_LABEL[origin.kind]}` : ""}`;
  const conf = `confidence ${pctConf(origin.confidence)}, detector \`${origin.detector}\``;
  if (rootCause) return rootCause.title.includes(origin.service) ? null : `The fault started in ${where}.`;
  if (!anyCause) return `The strongest lead on where the fault started: ${where} (${conf}), below the threshold.`;
  if (origin.under) return `The fault shows first in ${where} (${conf}), under ${origin.under.rank === 1 ? "that root cause" : `_${mdText(origin.under.title)}_`}.`;
  return `The fault started in ${where} (${conf}).`;
}

/** Detectors may cite one record for several reasons; the draft lists it once. */
function uniqueEvidence(list: EvidenceRef[]): EvidenceRef[] {
  const seen = new Set<string>();
  return list.filter((e) => {
    const k = `${e.file}\u0000${e.line ?? ""}\u0000${e.pointer ?? ""}\u0000${e.excerpt}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The whole draft as one Markdown document. */
export function draftMarkdown(sections: { id: DraftSectionId; heading: string; markdown: string }[], generatedAt: string | null): string {
  const title = sections.find((s) => s.id === "title")?.markdown.trim() || "Untitled incident";
  const out = [`# Postmortem: ${title.replace(/^#+\s*/, "")}`, ""];
  out.push(`_Draft generated by Hindsight from the analysis${generatedAt ? ` finished ${generatedAt}` : ""}. Links point to the cited records._`, "");
  for (const s of sections) {
    if (s.id === "title") continue;
    out.push(`## ${s.heading}`, "", s.markdown.trim(), "");
  }
  return `${out.join("\n").trimEnd()}\n`;
}
