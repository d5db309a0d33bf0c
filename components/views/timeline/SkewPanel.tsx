"use client";

import { useState } from "react";
import { useRouter } from "next/navigation";
import type { TimelineFileDto } from "@/lib/schemas/views-timeline";
import { useCanEdit } from "@/components/auth/RoleContext";
import { patchFileAndFollow } from "@/components/incidents/patch-file";
import { skewMs } from "@/components/format";

/**
 * Clock-skew corrections per file (from the run's correlation) and a small form to override one:
 * PATCH /api/incidents/:id/files/:fileId {clockSkewMs}, after which the incident re-analyses and the
 * page follows the run until it ends.
 */
export function SkewPanel({ incidentId, files }: { incidentId: string; files: TimelineFileDto[] }) {
  const router = useRouter();
  // Viewers see the corrections but get no set/clear controls (the API refuses them too).
  const canEdit = useCanEdit();
  const [editing, setEditing] = useState<string | null>(null);
  const [value, setValue] = useState("");
  const [status, setStatus] = useState<{ tone: "info" | "error"; text: string } | null>(null);
  const skewed = files.filter((f) => (f.appliedMs ?? 0) !== 0 || f.clockSkewMs !== null);

  async function save(file: TimelineFileDto, clear: boolean) {
    const ms = clear ? null : Number(value);
    if (!clear && !Number.isFinite(ms)) return setStatus({ tone: "error", text: "Enter the skew in milliseconds, e.g. 1500 or -250." });
    try {
      await patchFileAndFollow(incidentId, file.id, { clockSkewMs: ms }, setStatus);
      setEditing(null);
      router.refresh();
    } catch (err) {
      setStatus({ tone: "error", text: `Could not save: ${err instanceof Error ? err.message : "error"}` });
    }
  }

  return (
    <details className="rounded-md border border-line bg-surface text-sm">
      <summary className="cursor-pointer px-3 py-2 select-none">
        <span className="font-medium">Clock-skew corrections</span>{" "}
        <span className="text-xs text-muted">
          {skewed.length === 0 ? "none applied" : `${skewed.length} file${skewed.length === 1 ? "" : "s"} shifted`} — every time shown is corrected
        </span>
      </summary>
      <div className="overflow-x-auto border-t border-line px-3 py-2">
        {status ? (
          <p role="status" className={`mb-2 text-xs ${status.tone === "error" ? "text-red-700 dark:text-red-300" : "text-muted"}`}>
            {status.text}
          </p>
        ) : null}
        <table className="w-full text-xs">
          <thead className="text-muted">
            <tr className="border-b border-line text-left">
              <th scope="col" className="py-1 pr-3 font-medium">File</th>
              <th scope="col" className="py-1 pr-3 text-right font-medium">Applied</th>
              <th scope="col" className="py-1 pr-3 text-right font-medium">Estimate</th>
              <th scope="col" className="py-1 pr-3 font-medium">Basis</th>
              <th scope="col" className="py-1 font-medium">Override</th>
            </tr>
          </thead>
          <tbody>
            {files.map((f) => (
              <tr key={f.id} className="border-b border-line/50 last:border-0">
                <td className="py-1 pr-3 font-mono break-all">{f.path}</td>
                <td className="num py-1 pr-3 text-right font-mono">{skewMs(f.appliedMs)}</td>
                <td className="num py-1 pr-3 text-right font-mono text-muted">{skewMs(f.estimateMs)}</td>
                <td className="py-1 pr-3 text-muted" title={f.note ?? undefined}>
                  {f.basis ?? "—"}
                  {f.samples ? ` (${f.samples})` : ""}
                </td>
                <td className="py-1">
                  {editing === f.id && canEdit ? (
                    <form
                      className="flex items-center gap-1"
                      onSubmit={(e) => {
                        e.preventDefault();
                        void save(f, false);
                      }}
                    >
                      <label className="sr-only" htmlFor={`skew-${f.id}`}>
                        Clock skew for {f.path} in ms
                      </label>
                      <input
                        id={`skew-${f.id}`}
                        value={value}
                        onChange={(e) => setValue(e.target.value)}
                        inputMode="numeric"
                        className="w-24 rounded border border-line-strong bg-bg px-1.5 py-0.5 font-mono"
                        placeholder="ms"
                        autoFocus
                      />
                      <button type="submit" className="rounded bg-accent px-2 py-0.5 text-accent-fg hover:bg-accent-hover">
                        Apply
                      </button>
                      <button type="button" className="rounded px-2 py-0.5 text-muted hover:text-fg" onClick={() => setEditing(null)}>
                        Cancel
                      </button>
                    </form>
                  ) : (
                    <span className="flex items-center gap-2">
                      <span className="num font-mono">{f.clockSkewMs === null ? "auto" : skewMs(f.clockSkewMs)}</span>
                      {canEdit ? (
                      <button
                        type="button"
                        className="text-accent hover:underline"
                        onClick={() => {
                          setEditing(f.id);
                          setValue(String(f.clockSkewMs ?? f.estimateMs ?? 0));
                        }}
                        aria-label={`Set clock skew for ${f.path}`}
                      >
                        set
                      </button>
                      ) : null}
                      {canEdit && f.clockSkewMs !== null ? (
                        <button type="button" className="text-muted hover:text-fg hover:underline" onClick={() => void save(f, true)} aria-label={`Clear clock skew override for ${f.path}`}>
                          clear
                        </button>
                      ) : null}
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="mt-2 text-xs text-faint">Skew = how far a file&apos;s clock runs ahead; corrections subtract it. Setting one re-runs the analysis.</p>
      </div>
    </details>
  );
}
