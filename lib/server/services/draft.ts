import { getIncident } from "./incidents";
import {
  AnalysisExport,
  DraftDto,
  DraftSections,
  type DraftSection,
  type DraftSectionId,
  type DraftUpdate,
  type DraftVersionDto,
  type DraftVersionList,
  type GeneratedSection,
} from "@/lib/schemas/draft";
import { getPrisma, type Db } from "@/lib/server/db/client";
import { NotFoundError, NotReadyError } from "@/lib/server/errors";
import { requireIncident } from "@/lib/server/auth/require-incident";
import { draftMarkdown, generateDraft } from "@/lib/server/draft/generate";
import { loadDraftInput } from "./draft-input";
import { buildRedactor } from "@/lib/server/draft/redact";

export type DraftAuthor = "generator" | "editor";

/**
 * Merges a freshly generated draft into the stored one.
 *
 *   not edited  → takes the new text (generated = markdown = new)
 *   edited      → keeps the human text; if the new text differs from the text the human started
 *                 from, it is kept as `pending` so the editor can show what the analysis would change
 */
export function mergeSections(stored: DraftSection[] | null, fresh: GeneratedSection[]): DraftSection[] {
  const byId = new Map((stored ?? []).map((s) => [s.id, s]));
  return fresh.map((f) => {
    const old = byId.get(f.id);
    if (!old || !old.edited) return { ...f, generated: f.markdown, edited: false, pending: null };
    return { ...old, heading: f.heading, citations: f.citations, pending: f.markdown === old.generated ? null : f.markdown };
  });
}

function sameSections(a: DraftSection[], b: DraftSection[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

async function loadOrThrow(db: Db, incidentId: string) {
  const loaded = await requireIncident(incidentId, () => loadDraftInput(db, incidentId));
  if (!loaded.runId) throw new NotReadyError("The analysis has not finished yet: the draft is generated from a completed run.");
  return loaded;
}

/**
 * The incident's draft, brought up to date with the latest finished run. Stores a new version
 * only when something changed (first generation, or a newer analysis changed unedited sections).
 */
export async function getDraft(incidentId: string, db: Db = getPrisma()): Promise<DraftDto> {
  const loaded = await loadOrThrow(db, incidentId);
  const fresh = generateDraft(loaded.input);
  const existing = await db.draft.findUnique({ where: { incidentId } });
  const stored = existing ? DraftSections.safeParse(existing.sections).data ?? null : null;
  const merged = mergeSections(stored, fresh);
  if (existing && stored && sameSections(stored, merged) && existing.runId === loaded.runId) {
    return toDto(incidentId, loaded.runId, loaded.generatedAt, existing.version, merged);
  }
  const version = await saveVersion(db, incidentId, loaded.runId, merged, loaded.generatedAt, "generator");
  return toDto(incidentId, loaded.runId, loaded.generatedAt, version, merged);
}

/** Applies a human edit (or accepts/dismisses a pending regeneration) and stores a version. */
export async function updateDraft(incidentId: string, update: DraftUpdate, db: Db = getPrisma()): Promise<DraftDto> {
  const current = await getDraft(incidentId, db);
  const edits = update.sections as Partial<Record<DraftSectionId, string>>;
  const sections = current.sections.map((s): DraftSection => {
    let next = s;
    if (update.reset.includes(s.id)) next = { ...next, markdown: next.pending ?? next.generated, generated: next.pending ?? next.generated, edited: false, pending: null };
    if (update.accept.includes(s.id) && next.pending !== null) next = { ...next, markdown: next.pending, generated: next.pending, edited: false, pending: null };
    if (update.dismiss.includes(s.id) && next.pending !== null) next = { ...next, generated: next.pending, pending: null };
    const text = edits[s.id];
    if (text !== undefined && text !== next.markdown) next = { ...next, markdown: text, edited: text !== next.generated };
    return next;
  });
  if (sameSections(current.sections, sections)) return current;
  const version = await saveVersion(db, incidentId, current.runId, sections, current.generatedAt, "editor");
  return toDto(incidentId, current.runId, current.generatedAt, version, sections);
}

/** Writes the draft and its next version in one transaction; retries once if a concurrent writer took the number. */
async function saveVersion(db: Db, incidentId: string, runId: string | null, sections: DraftSection[], generatedAt: string | null, author: DraftAuthor): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await db.$transaction(async (tx) => {
        const d = await tx.draft.upsert({
          where: { incidentId },
          create: { incidentId, runId, sections: sections as object, version: 1 },
          update: { runId, sections: sections as object, version: { increment: 1 } },
        });
        await tx.draftVersion.create({ data: { draftId: d.id, version: d.version, markdown: draftMarkdown(sections, generatedAt), sections: sections as object, author } });
        return d.version;
      });
    } catch (err) {
      if (attempt >= 2) throw err;
    }
  }
}

function toDto(incidentId: string, runId: string | null, generatedAt: string | null, version: number, sections: DraftSection[]): DraftDto {
  return DraftDto.parse({ incidentId, runId, generatedAt, version, sections, markdown: draftMarkdown(sections, generatedAt) });
}

export async function listDraftVersions(incidentId: string, db: Db = getPrisma()): Promise<DraftVersionList> {
  const draft = await db.draft.findUnique({ where: { incidentId }, select: { id: true } });
  if (!draft) return { versions: [] };
  const rows = await db.draftVersion.findMany({ where: { draftId: draft.id }, orderBy: { version: "desc" }, take: 500, select: { version: true, author: true, createdAt: true } });
  return { versions: rows.map((r) => ({ version: r.version, author: r.author, createdAt: r.createdAt.toISOString() })) };
}

export async function getDraftVersion(incidentId: string, version: number, db: Db = getPrisma()): Promise<DraftVersionDto> {
  const draft = await db.draft.findUnique({ where: { incidentId }, select: { id: true } });
  const row = draft ? await db.draftVersion.findUnique({ where: { draftId_version: { draftId: draft.id, version } } }) : null;
  if (!row) throw new NotFoundError("draft version");
  return { version: row.version, author: row.author, createdAt: row.createdAt.toISOString(), markdown: row.markdown, sections: DraftSections.catch([]).parse(row.sections) };
}

/** Node and pod names the redactor must know beyond its patterns. */
async function knownNames(db: Db, incidentId: string): Promise<{ nodes: string[] }> {
  const files = await db.evidenceFile.findMany({ where: { incidentId, node: { not: null } }, select: { node: true }, distinct: ["node"] });
  const ev = await db.evidence.findMany({ where: { incidentId, node: { not: null } }, select: { node: true }, distinct: ["node"], take: 1000 });
  return { nodes: [...new Set([...files, ...ev].map((r) => r.node!).filter(Boolean))].sort() };
}

export interface DraftExports {
  markdown: string;
  analysis: AnalysisExport;
}

/**
 * The Markdown draft and the full analysis JSON, optionally redacted. Both are redacted with one
 * alias table built from both texts, so a name has the same alias in the Markdown and the JSON.
 */
export async function exportDraft(incidentId: string, opts: { redact: boolean }, db: Db = getPrisma()): Promise<DraftExports> {
  const draft = await getDraft(incidentId, db);
  const detail = await requireIncident(incidentId, () => getIncident(incidentId, db));
  const loaded = await loadDraftInput(db, incidentId);
  const analysis: AnalysisExport = {
    schema: "hindsight.analysis/v1",
    redacted: opts.redact,
    incident: { id: detail.id, title: detail.title, summary: detail.summary, timezone: detail.timezone, windowStart: detail.windowStart, windowEnd: detail.windowEnd },
    run: detail.run,
    files: detail.files.map((f) => ({ path: f.path, format: f.format, status: f.status, records: f.records, skipped: f.skipped, node: f.node, clockSkewMs: f.clockSkewMs })),
    correlation: loaded?.input.correlation ?? null,
    hypotheses: loaded?.input.hypotheses ?? detail.hypotheses,
    draft,
  };
  if (!opts.redact) return { markdown: draft.markdown, analysis: AnalysisExport.parse(analysis) };
  const json = JSON.stringify(analysis);
  const redactor = buildRedactor([draft.markdown, json], await knownNames(db, incidentId));
  return { markdown: redactor.redact(draft.markdown), analysis: AnalysisExport.parse(JSON.parse(redactor.redact(json))) };
}

/** File name for downloads: the title reduced to safe characters. */
export function exportFileName(title: string, ext: string, redacted: boolean): string {
  const base = title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60) || "incident";
  return `postmortem-${base}${redacted ? "-redacted" : ""}.${ext}`;
}
