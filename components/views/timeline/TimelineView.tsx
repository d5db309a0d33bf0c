"use client";

import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { TimelinePageDto, TimelineRatesDto, type TimelineFirstViewDto, type TimelineMetaDto, type TimelineRowDto } from "@/lib/schemas/views-timeline";
import { integer } from "@/components/format";
import { RateChart, sourceColour } from "./RateChart";
import { RecordList } from "./RecordList";
import { RecordDetail } from "./RecordDetail";
import { SkewPanel } from "./SkewPanel";
import { chartQueryFor, filterQuery, firstPageQueryFor, isoInput, parseTimeInput, readState, TIMELINE_PAGE as PAGE, withPatch, type FilterKey } from "@/lib/timeline-url";
import { formatMs, TERSE } from "@/lib/format-ms";
const SEVERITIES = ["critical", "error", "warning", "notice", "info", "debug"];

type Patch = Partial<Record<FilterKey | "record", string | null>>;

export function TimelineView({ incidentId, meta, notice, initial = null }: { incidentId: string; meta: TimelineMetaDto; notice: string | null; initial?: TimelineFirstViewDto | null }) {
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const state = useMemo(() => readState(new URLSearchParams(params?.toString() ?? "")), [params]);
  const api = `/api/incidents/${encodeURIComponent(incidentId)}`;
  const setUrl = useCallback((patch: Patch) => router.replace(`${pathname}?${withPatch(state, patch)}`, { scroll: false }), [router, pathname, state]);

  // ── rate chart ──
  const filters = filterQuery(state);
  const chartQuery = chartQueryFor(state, meta);
  /** The chart shows the incident window of a much longer range (no zoom in the URL). */
  const autoRange = chartQuery !== filters;
  // Server-rendered first chart and page (initial), used while the URL still asks for the same.
  const [rates, setRates] = useState<TimelineRatesDto | null>(() => (initial?.rates && initial.ratesQuery === chartQuery ? initial.rates : null));
  const [ratesError, setRatesError] = useState<string | null>(null);
  const ratesFrom = useRef<string | null>(initial?.rates ? initial.ratesQuery : null);
  useEffect(() => {
    if (ratesFrom.current === chartQuery) return;
    ratesFrom.current = null;
    const c = new AbortController();
    fetch(`${api}/timeline?${chartQuery}`, { signal: c.signal, cache: "no-store" })
      .then(async (r) => {
        if (!r.ok) throw new Error(((await r.json().catch(() => null)) as { error?: { message?: string } } | null)?.error?.message ?? `HTTP ${r.status}`);
        setRates(TimelineRatesDto.parse(await r.json()));
        setRatesError(null);
      })
      .catch((e: unknown) => !c.signal.aborted && setRatesError(e instanceof Error ? e.message : "error"));
    return () => c.abort();
  }, [api, chartQuery]);

  // ── rows, paged both ways ──
  const first = initial?.page && initial.pageQuery === firstPageQueryFor(state) ? initial.page : null;
  const [rows, setRows] = useState<TimelineRowDto[]>(() => first?.rows ?? []);
  const [cursors, setCursors] = useState<{ before: string | null; after: string | null }>(() => ({ before: first?.before ?? null, after: first?.after ?? null }));
  const [loading, setLoading] = useState(first === null);
  const [listError, setListError] = useState<string | null>(null);
  const [focusId, setFocusId] = useState<number | null>(() => first?.focus ?? null);
  const [focusMissing, setFocusMissing] = useState(() => first !== null && state.record !== undefined && first.focus === null);
  const listFrom = useRef<string | null>(first ? filters : null);
  const [prepended, setPrepended] = useState({ count: 0, seq: 0 });
  const record = state.record ? Number(state.record) : null;
  // The selected record anchors reloads only when it arrives by link (not on every click).
  const anchor = useRef<number | null>(record);
  const generation = useRef(0);

  useEffect(() => {
    // The server-rendered page answers these filters: nothing to fetch until they change.
    if (listFrom.current === filters) return;
    listFrom.current = null;
    const gen = ++generation.current;
    setLoading(true);
    setListError(null);
    const around = anchor.current;
    fetch(`${api}/timeline/records?${filterQuery(state, { limit: String(PAGE), ...(around ? { around: String(around) } : {}) })}`, { cache: "no-store" })
      .then(async (r) => {
        if (!r.ok) throw new Error(((await r.json().catch(() => null)) as { error?: { message?: string } } | null)?.error?.message ?? `HTTP ${r.status}`);
        const page = TimelinePageDto.parse(await r.json());
        if (gen !== generation.current) return;
        setRows(page.rows);
        setCursors({ before: page.before, after: page.after });
        setFocusId(page.focus);
        setFocusMissing(around !== null && page.focus === null);
      })
      .catch((e: unknown) => gen === generation.current && setListError(e instanceof Error ? e.message : "error"))
      .finally(() => gen === generation.current && setLoading(false));
    // Filters (not the selection) reload the list.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, filters]);

  const loadMore = useCallback(
    (dir: "before" | "after") => {
      const cursor = cursors[dir];
      if (!cursor || loading) return;
      const gen = generation.current;
      setLoading(true);
      fetch(`${api}/timeline/records?${filterQuery(state, { limit: String(PAGE), cursor, dir })}`, { cache: "no-store" })
        .then(async (r) => {
          if (!r.ok) throw new Error(`HTTP ${r.status}`);
          const page = TimelinePageDto.parse(await r.json());
          if (gen !== generation.current) return;
          if (dir === "before") {
            setRows((old) => [...page.rows, ...old]);
            setPrepended((p) => ({ count: page.rows.length, seq: p.seq + 1 }));
            setCursors((c) => ({ ...c, before: page.before }));
          } else {
            setRows((old) => [...old, ...page.rows]);
            setCursors((c) => ({ ...c, after: page.after }));
          }
        })
        .catch((e: unknown) => setListError(e instanceof Error ? e.message : "error"))
        .finally(() => gen === generation.current && setLoading(false));
    },
    [api, cursors, loading, state],
  );
  const needBefore = useCallback(() => loadMore("before"), [loadMore]);
  const needAfter = useCallback(() => loadMore("after"), [loadMore]);

  const select = useCallback((id: number) => setUrl({ record: String(id) }), [setUrl]);
  const zoom = useCallback((from: number, to: number) => {
    anchor.current = null;
    setUrl({ from: String(Math.floor(from)), to: String(Math.ceil(to)), record: null });
  }, [setUrl]);
  const setFilter = (patch: Patch) => {
    anchor.current = record;
    setUrl(patch);
  };

  const zoomed = Boolean(state.from || state.to);
  const activeFilters = (["kind", "source", "severity", "service", "node", "fileId", "q"] as const).filter((k) => state[k]);
  const selectedSources = new Set((state.source ?? "").split(",").filter(Boolean));
  const fileName = state.fileId ? meta.files.find((f) => f.id === state.fileId)?.path ?? state.fileId : null;

  return (
    <div className="space-y-3">
      {notice ? (
        <p role="status" className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-400/30 dark:bg-amber-400/10 dark:text-amber-200">
          {notice}
        </p>
      ) : null}

      <section aria-labelledby="rate-heading" className="rounded-lg border border-line bg-surface p-3">
        <div className="mb-1 flex flex-wrap items-center gap-x-3 gap-y-1">
          <h2 id="rate-heading" className="text-sm font-semibold">
            Events per interval
          </h2>
          <span className="text-xs text-muted">
            {rates ? `${integer(rates.total)} records · ${formatMs(rates.bucketMs, TERSE)} buckets · drag across the chart to zoom` : "loading…"}
          </span>
          {rates?.partial ? (
            <span className="text-xs text-amber-700 dark:text-amber-300" title="Summarised files keep their healthy requests as per-second counts; a text or node filter can only count the ones stored as rows (notable, sampled, or shown before).">
              text/node filter: large files&apos; healthy requests only partly counted
            </span>
          ) : null}
          <div className="ml-auto flex flex-wrap items-center gap-2 text-xs">
            {meta.window.onset !== null ? (
              <button type="button" className="rounded border border-line-strong px-2 py-0.5 hover:bg-subtle" onClick={() => zoom(meta.window.onset! - 60_000, (meta.window.recovery ?? meta.window.onset!) + 60_000)}>
                Zoom to incident window
              </button>
            ) : null}
            {autoRange && meta.range.start !== null && meta.range.end !== null ? (
              <button type="button" className="rounded border border-line-strong px-2 py-0.5 hover:bg-subtle" title="The chart starts on the incident window; the records span a much longer time" onClick={() => zoom(meta.range.start!, meta.range.end! + 1)}>
                Show whole range
              </button>
            ) : null}
            {zoomed ? (
              <button type="button" className="rounded border border-line-strong px-2 py-0.5 hover:bg-subtle" onClick={() => setFilter({ from: null, to: null })}>
                Reset zoom
              </button>
            ) : null}
          </div>
        </div>
        {ratesError ? (
          <p role="alert" className="py-8 text-center text-sm text-red-700 dark:text-red-300">
            The chart could not load ({ratesError}). Reload the page; if it persists, the server log has the details.
          </p>
        ) : rates && rates.points.length > 0 ? (
          <>
            <RateChart rates={rates} window={meta.window} onZoom={zoom} />
            <ul className="mt-1 flex flex-wrap gap-x-3 gap-y-1 text-xs text-muted" aria-label="Chart legend">
              {rates.sources.map((s) => (
                <li key={s} className="flex items-center gap-1">
                  <span className="inline-block h-2.5 w-2.5 rounded-sm" style={{ background: sourceColour(rates.sources, s) }} />
                  {s}
                </li>
              ))}
              <li className="flex items-center gap-1">
                <span className="inline-block h-0.5 w-3 bg-red-500" /> errors
              </li>
              {meta.window.onset !== null ? (
                <li className="flex items-center gap-1">
                  <span className="inline-block h-2.5 w-3 bg-red-500/15" /> incident window
                </li>
              ) : null}
            </ul>
          </>
        ) : (
          <div className="flex h-[180px] items-center justify-center text-sm text-muted">{rates ? "No timestamped records in this range — reset the zoom or the filters." : "Loading chart…"}</div>
        )}
      </section>

      <form
        className="flex flex-wrap items-end gap-2 rounded-lg border border-line bg-surface p-3 text-xs"
        aria-label="Timeline filters"
        onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          const text = (k: string) => String(f.get(k) ?? "").trim() || null;
          const from = text("from");
          const to = text("to");
          const fromMs = from ? parseTimeInput(from) : null;
          const toMs = to ? parseTimeInput(to) : null;
          setFilter({
            q: text("q"),
            service: text("service"),
            node: text("node"),
            kind: text("kind"),
            severity: text("severity"),
            from: fromMs === null ? null : String(fromMs),
            to: toMs === null ? null : String(toMs),
          });
        }}
        key={filters}
      >
        <label className="flex flex-col gap-0.5">
          <span className="text-muted">Search text</span>
          <input name="q" defaultValue={state.q ?? ""} className="w-48 rounded border border-line-strong bg-bg px-2 py-1" placeholder="e.g. 503, Killing" />
        </label>
        <label className="flex flex-col gap-0.5">
          <span className="text-muted">Service / workload</span>
          <input name="service" defaultValue={state.service ?? ""} className="w-40 rounded border border-line-strong bg-bg px-2 py-1" />
        </label>
        <label className="flex flex-col gap-0.5">
          <span className="text-muted">Node</span>
          <input name="node" defaultValue={state.node ?? ""} className="w-32 rounded border border-line-strong bg-bg px-2 py-1" />
        </label>
        <label className="flex flex-col gap-0.5">
          <span className="text-muted">Kind</span>
          <select name="kind" defaultValue={state.kind ?? ""} className="rounded border border-line-strong bg-bg px-2 py-1">
            <option value="">all</option>
            {meta.kinds.map((k) => (
              <option key={k.kind} value={k.kind}>
                {k.kind} ({integer(k.count)})
              </option>
            ))}
          </select>
        </label>
        <label className="flex flex-col gap-0.5">
          <span className="text-muted">Severity</span>
          <select name="severity" defaultValue={state.severity ?? ""} className="rounded border border-line-strong bg-bg px-2 py-1">
            <option value="">all</option>
            <option value="error,critical">error + critical</option>
            <option value="warning,error,critical">warning and worse</option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label className="flex flex-col gap-0.5">
          <span className="text-muted">From (UTC)</span>
          <input name="from" defaultValue={isoInput(state.from ? Number(state.from) : null)} className="w-48 rounded border border-line-strong bg-bg px-2 py-1 font-mono" placeholder="2025-06-12 10:14:00" />
        </label>
        <label className="flex flex-col gap-0.5">
          <span className="text-muted">To (UTC)</span>
          <input name="to" defaultValue={isoInput(state.to ? Number(state.to) : null)} className="w-48 rounded border border-line-strong bg-bg px-2 py-1 font-mono" placeholder="2025-06-12 10:20:00" />
        </label>
        <button type="submit" className="rounded bg-accent px-3 py-1 font-medium text-accent-fg hover:bg-accent-hover">
          Apply
        </button>
        {activeFilters.length > 0 || zoomed ? (
          <button
            type="button"
            className="rounded px-2 py-1 text-muted hover:text-fg hover:underline"
            onClick={() => setFilter({ kind: null, source: null, severity: null, service: null, node: null, fileId: null, q: null, from: null, to: null })}
          >
            Clear all
          </button>
        ) : null}
        <fieldset className="flex w-full flex-wrap items-center gap-1.5 pt-1">
          <legend className="sr-only">Sources</legend>
          <span className="mr-1 text-muted">Sources:</span>
          {meta.sources.map((s) => {
            const on = selectedSources.has(s.source);
            return (
              <button
                key={s.source}
                type="button"
                aria-pressed={on}
                onClick={() => {
                  const next = new Set(selectedSources);
                  if (on) next.delete(s.source);
                  else next.add(s.source);
                  setFilter({ source: [...next].join(",") || null });
                }}
                className={`rounded-full border px-2 py-0.5 ${on ? "border-accent bg-accent-soft text-fg" : "border-line text-muted hover:text-fg"}`}
              >
                {s.source} <span className="num font-mono text-faint">{integer(s.count)}</span>
              </button>
            );
          })}
          {fileName ? (
            <span className="ml-2 rounded-full border border-accent bg-accent-soft px-2 py-0.5">
              file: <span className="font-mono">{fileName}</span>{" "}
              <button type="button" className="ml-1 text-muted hover:text-fg" aria-label="Remove file filter" onClick={() => setFilter({ fileId: null })}>
                ×
              </button>
            </span>
          ) : null}
        </fieldset>
      </form>

      <SkewPanel incidentId={incidentId} files={meta.files} />

      <div className="grid gap-3 lg:grid-cols-[minmax(0,1fr)_380px]">
        <section aria-labelledby="records-heading" className="min-w-0 space-y-1">
          <div className="flex flex-wrap items-baseline gap-x-3 text-xs text-muted">
            <h2 id="records-heading" className="text-sm font-semibold text-fg">
              Records
            </h2>
            <span>
              {integer(rows.length)} loaded{cursors.before || cursors.after ? " · scroll for more" : ""}
              {loading ? " · loading…" : ""}
            </span>
            <span className="flex items-center gap-1">
              <span className="inline-block h-3 w-1 bg-accent" /> detector evidence
            </span>
            <span className="flex items-center gap-1">
              <span className="inline-block h-3 w-3 bg-amber-100 dark:bg-amber-400/20" /> human timeline
            </span>
          </div>
          {focusMissing ? (
            <p role="status" className="text-xs text-amber-700 dark:text-amber-300">
              The linked record is hidden by the current filters or zoom.{" "}
              <button type="button" className="underline" onClick={() => setFilter({ kind: null, source: null, severity: null, service: null, node: null, fileId: null, q: null, from: null, to: null })}>
                Clear them
              </button>{" "}
              to see it in context.
            </p>
          ) : null}
          {listError ? (
            <p role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900 dark:border-red-400/30 dark:bg-red-400/10 dark:text-red-200">
              Records could not load: {listError}. Try again, or clear the filters.
            </p>
          ) : null}
          {!loading && rows.length === 0 && !listError ? (
            <div className="flex h-[60vh] min-h-[320px] items-center justify-center rounded-md border border-dashed border-line-strong bg-surface text-sm text-muted">
              {activeFilters.length > 0 || zoomed ? "No records match these filters — widen the zoom or clear a filter." : "This incident has no records yet: upload files or wait for parsing to finish."}
            </div>
          ) : (
            <RecordList
              rows={rows}
              selected={record}
              focusId={focusId}
              prepended={prepended}
              onSelect={select}
              onNeedBefore={needBefore}
              onNeedAfter={needAfter}
              hasBefore={cursors.before !== null}
              hasAfter={cursors.after !== null}
              loading={loading}
            />
          )}
        </section>
        <aside aria-label="Selected record" className="h-fit max-h-[calc(60vh+2rem)] overflow-auto rounded-lg border border-line bg-surface lg:sticky lg:top-4">
          <RecordDetail incidentId={incidentId} id={record} />
        </aside>
      </div>
    </div>
  );
}
