import { empty, join, sqltag as sql } from "@prisma/client/runtime/client";
import { IncidentStatus } from "@/lib/schemas/api";
import { Hypothesis } from "@/lib/schemas/hypothesis";
import type { SearchHit, SearchOptionsDto, SearchPlace, SearchQuery, SearchResultDto, Snippet } from "@/lib/schemas/search";
import { getPrisma, type Db } from "@/lib/server/db/client";
import { likePattern } from "@/lib/server/db/like";
import { DETECTORS } from "@/lib/server/detectors";
import { getDraft } from "@/lib/server/services/draft";
import { InvalidInputError, NotReadyError } from "@/lib/server/errors";
import { getIncidentProfiles } from "./incident-profile";
import { log } from "@/lib/server/log";

/**
 * Search across incidents.
 *
 *   candidates  incidents in the date range (window start, else upload time)     ≤ MAX_CANDIDATES, newest first
 *      │ detector  a hypothesis of that detector in the latest finished run
 *      │ service / node  substring of a name in the incident's profile        ≤ MAX_PROFILED profiles
 *      ▼
 *   text q      title, summary (in memory) · hypothesis titles/summaries · human timeline entries
 *               (Evidence source=timeline via the (incidentId, kind, ts) index) · current draft
 *               version — each a case-insensitive substring (LOWER … LIKE, same SQL on SQLite and
 *               PostgreSQL; LOWER folds ASCII only on SQLite)
 *      ▼
 *   hits        one per incident and place (first match + "more"), ≤ MAX_HITS, then one page
 *
 * Drafts are stored when first opened; before searching them, finished incidents whose stored draft
 * is missing or older than their latest run get it generated (the same getDraft the Draft tab uses),
 * at most DRAFTS_PER_SEARCH per request.
 */
export const MAX_CANDIDATES = 5000;
export const MAX_PROFILED = 1000;
export const MAX_HITS = 2000;
export const DRAFTS_PER_SEARCH = 25;
const MAX_TIMELINE_MATCHES = 5000;
const ID_CHUNK = 500;
const SNIPPET_RADIUS = 70;
const PLACE_ORDER: SearchPlace[] = ["title", "summary", "hypothesis", "timeline", "draft", "filters"];

export function searchOptions(): SearchOptionsDto {
  return { detectors: DETECTORS.map((d) => ({ id: d.id, title: d.title })) };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The first match of `term` in `text` with up to `radius` characters either side, whitespace collapsed. */
export function makeSnippet(text: string, term: string, radius = SNIPPET_RADIUS): Snippet | null {
  const m = new RegExp(escapeRegExp(term), "iu").exec(text);
  if (!m) return null;
  const start = m.index;
  const end = start + m[0].length;
  let from = Math.max(0, start - radius);
  let to = Math.min(text.length, end + radius);
  // Cut at word boundaries (when there is one within the context), not mid-word.
  if (from > 0 && /\S/.test(text[from - 1]!)) {
    const space = text.slice(from, start).search(/\s/);
    if (space >= 0) from += space + 1;
  }
  if (to < text.length && /\S/.test(text[to]!)) {
    const space = text.slice(end, to).search(/\s\S*$/);
    if (space > 0) to = end + space;
  }
  const squash = (s: string) => s.replace(/\s+/g, " ");
  return {
    before: `${from > 0 ? "…" : ""}${squash(text.slice(from, start)).trimStart()}`,
    match: text.slice(start, end),
    after: `${squash(text.slice(end, to)).trimEnd()}${to < text.length ? "…" : ""}`,
  };
}

function countMatches(text: string, term: string): number {
  return (text.match(new RegExp(escapeRegExp(term), "giu")) ?? []).length;
}

/** The `## Heading` of the draft section that contains position `index` ("Title" above the first). */
export function draftSectionAt(markdown: string, index: number): string {
  let heading = "Title";
  const re = /^##\s+(.+)$/gm;
  for (let m = re.exec(markdown); m && m.index <= index; m = re.exec(markdown)) heading = m[1]!.trim();
  return heading;
}

function chunks<T>(items: T[], size = ID_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

interface Candidate {
  id: string;
  title: string;
  summary: string;
  status: string;
  occurredAt: number;
  topHypothesis: string | null;
  topConfidence: number | null;
}

export async function searchIncidents(q: SearchQuery, db: Db = getPrisma()): Promise<SearchResultDto> {
  if (!q.q && !q.detector && !q.service && !q.node && q.from === undefined && q.to === undefined) {
    throw new InvalidInputError("empty_query", "Give a word to search for (q) or at least one filter: detector, service, node, from, to.");
  }
  if (q.from !== undefined && q.to !== undefined && q.from > q.to) {
    throw new InvalidInputError("invalid_range", "The date range ends before it starts: swap from and to.");
  }
  const notes: string[] = [];
  let truncated = false;

  // 1. Candidates by date (window start when known, else upload time).
  const range = { ...(q.from !== undefined ? { gte: new Date(q.from) } : {}), ...(q.to !== undefined ? { lte: new Date(q.to) } : {}) };
  const dated = q.from !== undefined || q.to !== undefined;
  const rows = await db.incident.findMany({
    where: dated ? { OR: [{ windowStart: range }, { windowStart: null, createdAt: range }] } : {},
    orderBy: [{ createdAt: "desc" }, { id: "asc" }],
    take: MAX_CANDIDATES + 1,
    select: { id: true, title: true, summary: true, status: true, windowStart: true, createdAt: true, topHypothesis: true, topConfidence: true },
  });
  if (rows.length > MAX_CANDIDATES) {
    truncated = true;
    notes.push(`Only the ${MAX_CANDIDATES} most recent incidents were searched; narrow the date range to reach older ones.`);
  }
  let candidates: Candidate[] = rows.slice(0, MAX_CANDIDATES).map((r) => ({
    id: r.id,
    title: r.title,
    summary: r.summary,
    status: r.status,
    occurredAt: (r.windowStart ?? r.createdAt).getTime(),
    topHypothesis: r.topHypothesis,
    topConfidence: r.topConfidence,
  }));
  const filterNotes = new Map<string, string[]>();
  const addFilterNote = (id: string, text: string) => (filterNotes.get(id) ?? filterNotes.set(id, []).get(id)!).push(text);

  // Latest finished run per candidate: hypotheses and detectors come from it.
  const latestRun = new Map<string, string>();
  for (const ids of chunks(candidates.map((c) => c.id))) {
    const runs = await db.analysisRun.findMany({
      where: { incidentId: { in: ids }, status: { in: ["completed", "partial"] } },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      select: { id: true, incidentId: true },
    });
    for (const r of runs) if (!latestRun.has(r.incidentId)) latestRun.set(r.incidentId, r.id);
  }

  // 2. Detector.
  if (q.detector) {
    const detector = q.detector.toLowerCase();
    const found = new Map<string, { rank: number; confidence: number }>();
    for (const runIds of chunks([...latestRun.values()])) {
      const hs = await db.hypothesisRow.findMany({ where: { detector, runId: { in: runIds } }, orderBy: { rank: "asc" }, select: { incidentId: true, rank: true, confidence: true } });
      for (const h of hs) if (!found.has(h.incidentId)) found.set(h.incidentId, { rank: h.rank, confidence: h.confidence });
    }
    candidates = candidates.filter((c) => found.has(c.id));
    for (const c of candidates) {
      const h = found.get(c.id)!;
      addFilterNote(c.id, `detector ${detector} (#${h.rank}, ${Math.round(h.confidence * 100)}%)`);
    }
  }

  // 3. Service / node, from the memoised incident profiles.
  if (q.service || q.node) {
    if (candidates.length > MAX_PROFILED) {
      truncated = true;
      notes.push(`Service and node filters looked at the ${MAX_PROFILED} most recent matching incidents only; add a date range to reach older ones.`);
      candidates = candidates.slice(0, MAX_PROFILED);
    }
    const profiles = new Map((await getIncidentProfiles(db, candidates.map((c) => c.id))).map((p) => [p.id, p]));
    const service = q.service?.toLowerCase();
    const node = q.node?.toLowerCase();
    candidates = candidates.filter((c) => {
      const p = profiles.get(c.id);
      if (!p) return false;
      if (service) {
        const hit = [...p.serviceNames, ...p.services].find((s) => s.toLowerCase().includes(service));
        if (!hit) return false;
        addFilterNote(c.id, `service ${hit}`);
      }
      if (node) {
        const hit = p.nodes.find((n) => n.toLowerCase().includes(node));
        if (!hit) return false;
        addFilterNote(c.id, `node ${hit}`);
      }
      return true;
    });
  }

  const byId = new Map(candidates.map((c) => [c.id, c]));
  const hits: SearchHit[] = [];
  const hit = (c: Candidate, where: SearchPlace, h: Omit<SearchHit, "incidentId" | "title" | "status" | "occurredAt" | "topHypothesis" | "topConfidence" | "where">): SearchHit => ({
    incidentId: c.id,
    title: c.title,
    status: IncidentStatus.catch("new").parse(c.status),
    occurredAt: new Date(c.occurredAt).toISOString(),
    topHypothesis: c.topHypothesis,
    topConfidence: c.topConfidence,
    where,
    ...h,
  });
  const base = (id: string) => `/incidents/${encodeURIComponent(id)}`;

  if (!q.q) {
    for (const c of candidates) {
      const detail = filterNotes.get(c.id)?.join(" · ") || "in the date range";
      hits.push(hit(c, "filters", { detail, snippet: null, more: 0, href: base(c.id), recordId: null }));
    }
  } else if (candidates.length > 0) {
    const term = q.q;
    const like = likePattern(term);
    const ids = candidates.map((c) => c.id);

    // Title and summary: already in memory.
    for (const c of candidates) {
      const t = makeSnippet(c.title, term);
      if (t) hits.push(hit(c, "title", { detail: "Title", snippet: t, more: countMatches(c.title, term) - 1, href: base(c.id), recordId: null }));
      const s = makeSnippet(c.summary, term);
      if (s) hits.push(hit(c, "summary", { detail: "Summary", snippet: s, more: countMatches(c.summary, term) - 1, href: base(c.id), recordId: null }));
    }

    // Hypotheses of the latest finished run: the JSON text narrows in SQL, title/summary decide.
    const runIds = ids.map((id) => latestRun.get(id)).filter((r): r is string => !!r);
    const jsonTerm = term.split(/["\\]/).sort((a, b) => b.length - a.length)[0] ?? "";
    const jsonLike = jsonTerm ? likePattern(jsonTerm) : null;
    const hypothesisIds: string[] = [];
    for (const chunk of chunks(runIds)) {
      const found = await db.$queryRaw<Array<{ id: string }>>(sql`
        SELECT id FROM "HypothesisRow"
        WHERE "runId" IN (${join(chunk)})
          AND (LOWER(title) LIKE ${like} ESCAPE '\\' ${jsonLike ? sql`OR LOWER(CAST(data AS TEXT)) LIKE ${jsonLike} ESCAPE '\\'` : empty})`);
      hypothesisIds.push(...found.map((f) => f.id));
    }
    const hypothesisHits = new Map<string, { rank: number; snippet: Snippet; detail: string; n: number }>();
    for (const chunk of chunks(hypothesisIds)) {
      const hs = await db.hypothesisRow.findMany({ where: { id: { in: chunk } }, orderBy: [{ incidentId: "asc" }, { rank: "asc" }], select: { incidentId: true, rank: true, detector: true, data: true } });
      for (const h of hs) {
        const parsed = Hypothesis.safeParse(h.data);
        if (!parsed.success) continue;
        const text = `${parsed.data.title}\n${parsed.data.summary}`;
        const snippet = makeSnippet(text, term);
        if (!snippet) continue;
        const prev = hypothesisHits.get(h.incidentId);
        if (!prev) hypothesisHits.set(h.incidentId, { rank: h.rank, snippet, detail: `Hypothesis #${h.rank} (${h.detector})`, n: 1 });
        else if (h.rank < prev.rank) hypothesisHits.set(h.incidentId, { rank: h.rank, snippet, detail: `Hypothesis #${h.rank} (${h.detector})`, n: prev.n + 1 });
        else prev.n++;
      }
    }
    for (const [id, h] of hypothesisHits) {
      const c = byId.get(id);
      if (c) hits.push(hit(c, "hypothesis", { detail: h.detail, snippet: h.snippet, more: h.n - 1, href: base(id), recordId: null }));
    }

    // Human timeline entries (source "timeline"): first match per incident, linked to the record.
    const timelineHits = new Map<string, { id: number; ts: number | null; text: string; n: number }>();
    let timelineRows = 0;
    for (const chunk of chunks(ids)) {
      if (timelineRows >= MAX_TIMELINE_MATCHES) break;
      const found = await db.$queryRaw<Array<{ id: number | bigint; incidentId: string; ts: number | null; text: string }>>(sql`
        SELECT id, "incidentId", ts, text FROM "Evidence"
        WHERE "incidentId" IN (${join(chunk)}) AND kind = 'event' AND source = 'timeline'
          AND LOWER(text) LIKE ${like} ESCAPE '\\'
        ORDER BY "incidentId", ts, id
        LIMIT ${MAX_TIMELINE_MATCHES - timelineRows}`);
      timelineRows += found.length;
      for (const r of found) {
        const prev = timelineHits.get(r.incidentId);
        if (prev) prev.n++;
        else timelineHits.set(r.incidentId, { id: Number(r.id), ts: r.ts === null ? null : Number(r.ts), text: r.text, n: 1 });
      }
    }
    for (const [id, t] of timelineHits) {
      const c = byId.get(id);
      if (!c) continue;
      const when = t.ts !== null ? new Date(t.ts).toISOString().replace("T", " ").slice(0, 19) + " UTC" : "undated";
      hits.push(
        hit(c, "timeline", {
          detail: `Timeline entry ${when}`,
          snippet: makeSnippet(t.text, term) ?? { before: "", match: "", after: t.text.slice(0, 2 * SNIPPET_RADIUS) },
          more: t.n - 1,
          href: `${base(id)}/timeline?record=${t.id}`,
          recordId: t.id,
        }),
      );
    }

    // Drafts: bring missing or stale drafts up to date (bounded), then search the current versions.
    const pending = await draftsToGenerate(db, ids, latestRun);
    for (const id of pending.slice(0, DRAFTS_PER_SEARCH)) {
      await getDraft(id, db).catch((err: unknown) => {
        // Not ready: that incident is searched without a draft.
        if (!(err instanceof NotReadyError)) log.error({ err, incidentId: id }, "search: draft generation failed");
      });
    }
    if (pending.length > DRAFTS_PER_SEARCH) {
      truncated = true;
      notes.push(`${pending.length - DRAFTS_PER_SEARCH} incidents' drafts are not generated yet and were not searched; search again to include more of them.`);
    }
    for (const chunk of chunks(ids)) {
      const found = await db.$queryRaw<Array<{ incidentId: string; markdown: string }>>(sql`
        SELECT d."incidentId" AS "incidentId", v.markdown AS markdown
        FROM "Draft" d JOIN "DraftVersion" v ON v."draftId" = d.id AND v.version = d.version
        WHERE d."incidentId" IN (${join(chunk)}) AND LOWER(v.markdown) LIKE ${like} ESCAPE '\\'`);
      for (const r of found) {
        const c = byId.get(r.incidentId);
        if (!c) continue;
        const m = new RegExp(escapeRegExp(term), "iu").exec(r.markdown);
        hits.push(
          hit(c, "draft", {
            detail: `Draft — ${m ? draftSectionAt(r.markdown, m.index) : "Draft"}`,
            snippet: makeSnippet(r.markdown, term),
            more: Math.max(0, countMatches(r.markdown, term) - 1),
            href: `${base(r.incidentId)}/draft`,
            recordId: null,
          }),
        );
      }
    }
  }

  hits.sort(
    (a, b) =>
      Date.parse(b.occurredAt) - Date.parse(a.occurredAt) ||
      (a.incidentId < b.incidentId ? -1 : a.incidentId > b.incidentId ? 1 : 0) ||
      PLACE_ORDER.indexOf(a.where) - PLACE_ORDER.indexOf(b.where),
  );
  if (hits.length > MAX_HITS) {
    truncated = true;
    notes.push(`Only the first ${MAX_HITS} matches are listed; add a filter to narrow the search.`);
  }
  const kept = hits.slice(0, MAX_HITS);
  const start = (q.page - 1) * q.pageSize;
  return {
    total: kept.length,
    page: q.page,
    pageSize: q.pageSize,
    hits: kept.slice(start, start + q.pageSize),
    incidents: new Set(kept.map((h) => h.incidentId)).size,
    truncated,
    notes,
  };
}

/** Finished incidents whose stored draft is missing or comes from an older run, newest first. */
async function draftsToGenerate(db: Db, ids: string[], latestRun: Map<string, string>): Promise<string[]> {
  const withRun = ids.filter((id) => latestRun.has(id));
  const stored = new Map<string, string | null>();
  for (const chunk of chunks(withRun)) {
    for (const d of await db.draft.findMany({ where: { incidentId: { in: chunk } }, select: { incidentId: true, runId: true } })) stored.set(d.incidentId, d.runId);
  }
  return withRun.filter((id) => !stored.has(id) || stored.get(id) !== latestRun.get(id));
}
