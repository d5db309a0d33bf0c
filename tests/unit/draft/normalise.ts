/** Removes what changes between runs of the same analysis (incident id, run finish time) from a draft. */
export function normaliseDraft(markdown: string, v: { incidentId: string; generatedAt: string | null }): string {
  let out = markdown.split(v.incidentId).join("<incident>");
  if (v.generatedAt) out = out.split(v.generatedAt).join("<finished-at>");
  return out;
}
