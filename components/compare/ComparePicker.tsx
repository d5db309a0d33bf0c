"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useId, useState, useTransition } from "react";
import { MAX_COMPARE } from "@/lib/schemas/compare";
import { incidentColour, incidentLetter } from "./shared";

export interface PickerOption {
  id: string;
  title: string;
  createdAt: string;
  status: string;
}

/** /compare URL for these ids, keeping the latency service and time span (dump choices belong to the old set). */
export function compareHref(ids: string[], keep: { service?: string | null; span?: number | null } = {}): string {
  const p = new URLSearchParams();
  if (ids.length) p.set("ids", ids.join(","));
  if (keep.service) p.set("service", keep.service);
  if (keep.span) p.set("span", String(keep.span));
  const qs = p.toString().replace(/%2C/g, ",");
  return qs ? `/compare?${qs}` : "/compare";
}

/**
 * The incidents being compared (A–D, each with its colour) and a chooser to add another. The
 * selection lives in the URL (`ids=a,b`), so adding or removing one is a navigation.
 */
export function ComparePicker({
  selected,
  options,
  service,
  span,
}: {
  selected: Array<{ id: string; title: string | null }>;
  options: PickerOption[];
  service: string | null;
  span: number | null;
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [choice, setChoice] = useState("");
  const selectId = useId();
  const ids = selected.map((s) => s.id);
  const available = options.filter((o) => !ids.includes(o.id));
  const full = ids.length >= MAX_COMPARE;
  const go = (next: string[]) => startTransition(() => router.push(compareHref(next, { service, span }), { scroll: false }));

  return (
    <section aria-labelledby="picker-heading" className="rounded-lg border border-line bg-surface p-3" aria-busy={pending}>
      <h2 id="picker-heading" className="sr-only">
        Incidents compared
      </h2>
      <div className="flex flex-wrap items-center gap-2">
        {selected.length === 0 ? <p className="text-sm text-muted">No incident chosen yet.</p> : null}
        <ol className="flex flex-wrap items-center gap-2" aria-label="Incidents compared">
          {selected.map((s, i) => (
            <li key={s.id} className="flex max-w-[28rem] items-center gap-1.5 rounded-md border border-line bg-bg/60 py-1 pr-1 pl-2 text-sm">
              <span aria-hidden="true" className="inline-flex size-5 shrink-0 items-center justify-center rounded text-[11px] font-bold text-white" style={{ background: incidentColour(i) }}>
                {incidentLetter(i)}
              </span>
              {s.title !== null ? (
                <Link href={`/incidents/${encodeURIComponent(s.id)}`} className="truncate font-medium hover:text-accent hover:underline" title={s.title}>
                  <span className="sr-only">{incidentLetter(i)}: </span>
                  {s.title || "(untitled)"}
                </Link>
              ) : (
                <span className="truncate font-mono text-xs text-red-700 dark:text-red-300">unknown id {s.id}</span>
              )}
              <button
                type="button"
                onClick={() => go(ids.filter((x) => x !== s.id))}
                aria-label={`Remove ${s.title || s.id} from the comparison`}
                title="Remove"
                className="ml-0.5 inline-flex size-6 shrink-0 items-center justify-center rounded text-muted hover:bg-subtle hover:text-fg"
              >
                ×
              </button>
            </li>
          ))}
        </ol>
        <form
          className="ml-auto flex flex-wrap items-end gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            if (choice && !full) {
              setChoice("");
              go([...ids, choice]);
            }
          }}
        >
          <div className="flex flex-col gap-0.5">
            <label htmlFor={selectId} className="text-xs font-medium text-muted">
              {full ? `At most ${MAX_COMPARE} incidents` : "Add an incident"}
            </label>
            <select
              id={selectId}
              value={choice}
              disabled={full || available.length === 0}
              onChange={(e) => setChoice(e.target.value)}
              className="h-8 w-72 max-w-full rounded-md border border-line-strong bg-surface px-2 text-sm disabled:opacity-50"
            >
              <option value="">{available.length === 0 ? "No other incidents" : "Choose…"}</option>
              {available.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.title || "(untitled)"} · {o.createdAt.slice(0, 10)}
                  {o.status === "analysed" || o.status === "partial" ? "" : ` · ${o.status}`}
                </option>
              ))}
            </select>
          </div>
          <button
            type="submit"
            disabled={!choice || full}
            className="h-8 rounded-md bg-accent px-3 text-sm font-medium text-accent-fg hover:bg-accent-hover disabled:cursor-not-allowed disabled:opacity-40"
          >
            Add
          </button>
          {ids.length ? (
            <button type="button" onClick={() => go([])} className="h-8 rounded-md px-2.5 text-sm text-muted hover:bg-subtle hover:text-fg">
              Clear
            </button>
          ) : null}
        </form>
      </div>
    </section>
  );
}
