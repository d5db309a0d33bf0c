import { getPrisma, type Db } from "@/lib/server/db/client";
import { VersionedMemo } from "@/lib/server/page-cache/memo";
import { contentVersion } from "@/lib/server/page-cache/version";
import { getDraft } from "@/lib/server/services/draft";
import { getIncident } from "./incidents";

/**
 * GET /api/incidents/:id as JSON text, kept per content version (security row 13). For an incident
 * of 2,000 files the answer is a megabyte: reading it (files, runs, hypotheses) and serialising it
 * took tens of ms of the main thread per request, so 50 viewers polling it held every other request
 * for seconds. The text is now built once per content version (lib/server/page-cache/version.ts,
 * read on every call with one indexed query: a new run, file, title or skew override is a new
 * version, so nothing stale is served) and concurrent callers share that one computation.
 * An incident still being analysed is not kept (its progress changes without a new version).
 */
const holder = globalThis as typeof globalThis & { __hindsightIncidentJson?: VersionedMemo<string | null> };
const memo = () => (holder.__hindsightIncidentJson ??= new VersionedMemo<string | null>(32, 10 * 60_000));

const builds = { incident: 0, print: 0 };

/** How many times each was built from the database in this process (tests, row 13). */
export function cachedReadBuilds(): Readonly<typeof builds> {
  return { ...builds };
}

async function build(id: string, db: Db): Promise<string | null> {
  builds.incident += 1;
  const incident = await getIncident(id, db);
  return incident ? JSON.stringify(incident) : null;
}

/** The incident's detail DTO as JSON text, or null when there is no such incident. */
export async function incidentDetailJson(id: string, db: Db = getPrisma()): Promise<string | null> {
  const version = await contentVersion(db, id);
  if (!version) return null;
  if (!version.settled) return build(id, db);
  return memo().get("incident-json", version, () => build(id, db));
}

const drafts = globalThis as typeof globalThis & { __hindsightPrintDrafts?: VersionedMemo<string> };
const draftMemo = () => (drafts.__hindsightPrintDrafts ??= new VersionedMemo<string>(32, 10 * 60_000));

/**
 * The draft's Markdown for the print page, kept per content version including the draft's own
 * version (row 13): getDraft regenerates the draft from the whole analysis on every call to see
 * whether a newer run changed it, which is what 50 viewers of /print each paid. Throws what getDraft
 * throws (not found, not ready).
 */
export async function printableDraft(id: string, db: Db = getPrisma()): Promise<string> {
  const version = await contentVersion(db, id, { draft: true });
  if (!version || !version.settled) return (await getDraft(id, db)).markdown;
  return draftMemo().get("print-draft", version, async () => {
    builds.print += 1;
    return (await getDraft(id, db)).markdown;
  });
}
