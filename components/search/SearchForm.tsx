"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { SEARCH_KEYS, searchHref, type SearchFormValues } from "./url";

const input =
  "h-8 rounded-md border border-line-strong bg-surface px-2.5 text-sm placeholder:text-faint focus:border-accent focus:outline-none focus:ring-2 focus:ring-ring/30";

/** The search criteria; submitting puts them in the URL (the server page runs the search). */
export function SearchForm({ initial, detectors }: { initial: SearchFormValues; detectors: Array<{ id: string; title: string }> }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [v, setV] = useState(initial);
  const field = (k: keyof SearchFormValues) => ({
    id: `search-${k}`,
    name: k,
    value: v[k],
    onChange: (e: { target: { value: string } }) => setV((old) => ({ ...old, [k]: e.target.value })),
  });
  const dateValue = (s: string) => (/^\d{4}-\d{2}-\d{2}$/.test(s) ? s : "");
  const any = SEARCH_KEYS.some((k) => v[k].trim());
  return (
    <form
      role="search"
      aria-label="Search incidents"
      className="space-y-3 rounded-lg border border-line bg-surface p-3"
      onSubmit={(e) => {
        e.preventDefault();
        startTransition(() => router.push(searchHref(v)));
      }}
    >
      <div className="flex flex-wrap items-end gap-3">
        <div className="flex min-w-[16rem] flex-1 flex-col gap-1">
          <label htmlFor="search-q" className="text-xs font-medium text-muted">
            Text
          </label>
          <input {...field("q")} type="search" maxLength={200} placeholder="Titles, drafts, timeline entries, hypotheses…" className={input} autoFocus={!initial.q} />
        </div>
        <div className="flex flex-col gap-1">
          <label htmlFor="search-detector" className="text-xs font-medium text-muted">
            Detector
          </label>
          <select {...field("detector")} className={`${input} max-w-[18rem]`}>
            <option value="">Any detector</option>
            {detectors.map((d) => (
              <option key={d.id} value={d.id} title={d.title}>
                {d.id}
              </option>
            ))}
          </select>
        </div>
        <div className="flex flex-col gap-1">
          <label htmlFor="search-service" className="text-xs font-medium text-muted">
            Service
          </label>
          <input {...field("service")} maxLength={300} placeholder="e.g. checkout" className={`${input} w-40`} />
        </div>
        <div className="flex flex-col gap-1">
          <label htmlFor="search-node" className="text-xs font-medium text-muted">
            Node
          </label>
          <input {...field("node")} maxLength={300} placeholder="e.g. worker-1" className={`${input} w-40`} />
        </div>
        <div className="flex flex-col gap-1">
          <label htmlFor="search-from" className="text-xs font-medium text-muted">
            From (UTC)
          </label>
          <input {...field("from")} value={dateValue(v.from)} type="date" className={input} />
        </div>
        <div className="flex flex-col gap-1">
          <label htmlFor="search-to" className="text-xs font-medium text-muted">
            To (UTC)
          </label>
          <input {...field("to")} value={dateValue(v.to)} type="date" className={input} />
        </div>
        <div className="flex items-end gap-2">
          <button type="submit" disabled={pending} className="h-8 rounded-md bg-accent px-4 text-sm font-medium text-accent-fg hover:bg-accent-hover disabled:opacity-60">
            {pending ? "Searching…" : "Search"}
          </button>
          {any ? (
            <button
              type="button"
              onClick={() => {
                setV({ q: "", detector: "", service: "", node: "", from: "", to: "" });
                startTransition(() => router.push("/search"));
              }}
              className="h-8 rounded-md px-2.5 text-sm text-muted hover:bg-subtle hover:text-fg"
            >
              Clear
            </button>
          ) : null}
        </div>
      </div>
      <p className="text-xs text-muted">
        Text is matched case-insensitively as a substring; all criteria must hold. Dates are the incident&apos;s window start (else its upload day), whole UTC
        days.
      </p>
    </form>
  );
}
