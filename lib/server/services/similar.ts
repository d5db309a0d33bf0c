import type { SimilarIncidentDto, SimilarIncidentsDto } from "@/lib/schemas/similar";
import { getPrisma, type Db } from "@/lib/server/db/client";
import { requireIncident } from "@/lib/server/auth/require-incident";
import { getIncidentProfile, getIncidentProfiles, type IncidentProfile } from "./incident-profile";

/** Incidents considered as candidates: the most recent ones (profiles are memoised per run). */
export const MAX_CANDIDATES = 500;
export const DEFAULT_LIMIT = 5;

/** Points per shared item; a detector counts more when both incidents are confident about it. */
export const WEIGHTS = { detector: 3, detectorConfidence: 2, signature: 2, service: 1, maxServices: 3 } as const;

type Profile = Pick<IncidentProfile, "id" | "title" | "occurredAt" | "topHypothesis" | "detectors" | "serviceNames" | "signatures">;

function bestByDetector(p: Profile): Map<string, number> {
  const m = new Map<string, number>();
  for (const d of p.detectors) m.set(d.id, Math.max(m.get(d.id) ?? 0, d.confidence));
  return m;
}

function list(items: string[], max = 3): string {
  return items.length > max ? `${items.slice(0, max).join(", ")} +${items.length - max}` : items.join(", ");
}

/** "same detector iptables-rule-order; shares services checkout, payment; same errors 503 UF, response_timeout" */
export function similarityReason(detectors: string[], services: string[], signatures: string[]): string {
  const parts: string[] = [];
  if (detectors.length) parts.push(`same detector${detectors.length > 1 ? "s" : ""} ${list(detectors)}`);
  if (services.length) parts.push(`shares service${services.length > 1 ? "s" : ""} ${list(services)}`);
  if (signatures.length) parts.push(`same error${signatures.length > 1 ? "s" : ""} ${list(signatures)}`);
  return parts.join("; ");
}

/**
 * Pure: ranks `others` by what they share with `target`.
 *
 *   score = Σ shared detectors (3 + 2 × the lower confidence)
 *         + Σ shared error signatures × 2
 *         + min(shared services, 3) × 1
 *
 * An incident qualifies with at least one shared detector or error signature, or two shared
 * services (one common service name alone is not a resemblance). Ties: higher score, then the more
 * recent incident, then id — so the same data always gives the same list.
 */
export function rankSimilar(target: Profile, others: Profile[], limit = DEFAULT_LIMIT): SimilarIncidentDto[] {
  const tDetectors = bestByDetector(target);
  const tServices = new Set(target.serviceNames);
  const tSignatures = new Map(target.signatures.map((s) => [s.key, s.label]));
  const scored: SimilarIncidentDto[] = [];
  for (const o of others) {
    if (o.id === target.id) continue;
    const oDetectors = bestByDetector(o);
    const sharedDetectors = [...tDetectors.keys()]
      .filter((d) => oDetectors.has(d))
      .sort((a, b) => Math.min(oDetectors.get(b)!, tDetectors.get(b)!) - Math.min(oDetectors.get(a)!, tDetectors.get(a)!) || a.localeCompare(b));
    const sharedServices = o.serviceNames.filter((s) => tServices.has(s)).sort();
    const sharedSignatureKeys = o.signatures.filter((s) => tSignatures.has(s.key)).map((s) => s.key).sort();
    if (sharedDetectors.length === 0 && sharedSignatureKeys.length === 0 && sharedServices.length < 2) continue;
    let score = 0;
    for (const d of sharedDetectors) score += WEIGHTS.detector + WEIGHTS.detectorConfidence * Math.min(tDetectors.get(d)!, oDetectors.get(d)!);
    score += WEIGHTS.signature * sharedSignatureKeys.length;
    score += WEIGHTS.service * Math.min(WEIGHTS.maxServices, sharedServices.length);
    const sharedSignatures = sharedSignatureKeys.map((k) => tSignatures.get(k)!);
    scored.push({
      id: o.id,
      title: o.title,
      occurredAt: new Date(o.occurredAt).toISOString(),
      score: Math.round(score * 100) / 100,
      reason: similarityReason(sharedDetectors, sharedServices, sharedSignatures),
      sharedDetectors,
      sharedServices,
      sharedSignatures,
      topHypothesis: o.topHypothesis,
    });
  }
  scored.sort((a, b) => b.score - a.score || Date.parse(b.occurredAt) - Date.parse(a.occurredAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return scored.slice(0, limit);
}

/** Up to `limit` incidents most like this one, among the MAX_CANDIDATES most recent analysed ones. */
export async function getSimilarIncidents(incidentId: string, db: Db = getPrisma(), limit = DEFAULT_LIMIT): Promise<SimilarIncidentsDto> {
  const target = await requireIncident(incidentId, () => getIncidentProfile(db, incidentId));
  if (target.runId === null) return { incidentId, analysed: false, items: [], considered: 0 };
  const candidates = await db.incident.findMany({
    where: { id: { not: incidentId }, status: { in: ["analysed", "partial"] } },
    orderBy: [{ createdAt: "desc" }, { id: "asc" }],
    take: MAX_CANDIDATES,
    select: { id: true },
  });
  const profiles = await getIncidentProfiles(db, candidates.map((c) => c.id));
  return { incidentId, analysed: true, items: rankSimilar(target, profiles, limit), considered: profiles.length };
}
