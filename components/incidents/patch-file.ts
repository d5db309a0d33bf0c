import type { FilePatch } from "@/lib/schemas/api";

export interface PatchStatus {
  tone: "info" | "error";
  text: string;
}

/**
 * PATCH /api/incidents/:id/files/:fileId (clock skew, capture time), then follows the re-analysis
 * it starts until the run ends, reporting progress. Throws with the API's message on refusal.
 * Shared by the timeline's skew panel and the Files table.
 */
export async function patchFileAndFollow(incidentId: string, fileId: string, patch: FilePatch, onStatus: (s: PatchStatus) => void): Promise<void> {
  onStatus({ tone: "info", text: "Saving…" });
  const res = await fetch(`/api/incidents/${encodeURIComponent(incidentId)}/files/${encodeURIComponent(fileId)}`, {
    method: "PATCH",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(patch),
  });
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
  }
  onStatus({ tone: "info", text: "Saved. Re-analysing…" });
  for (let i = 0; i < 600; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const d = (await (await fetch(`/api/incidents/${encodeURIComponent(incidentId)}`, { cache: "no-store" })).json()) as { run?: { status?: string; stage?: string } | null };
    const s = d.run?.status;
    if (s === "queued" || s === "running") {
      onStatus({ tone: "info", text: `Re-analysing (${d.run?.stage ?? s})…` });
      continue;
    }
    onStatus({ tone: "info", text: `Re-analysis ${s ?? "finished"}.` });
    return;
  }
}
