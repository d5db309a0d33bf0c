"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import type { DraftDto, DraftSection, DraftSectionId, DraftVersionDto, DraftVersionList } from "@/lib/schemas/draft";
import { Markdown } from "./markdown";
import { DiffView } from "./DiffView";
import { useCanEdit } from "@/components/auth/RoleContext";

const AUTOSAVE_MS = 700;

type SaveState = { kind: "idle" } | { kind: "saving" } | { kind: "saved"; version: number } | { kind: "error"; message: string };

async function api<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { ...init, headers: { "Content-Type": "application/json", ...(init?.headers ?? {}) } });
  const body = (await res.json().catch(() => null)) as (T & { error?: { message?: string } }) | null;
  if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
  return body as T;
}

/** Markdown editor for the postmortem draft: per-section text + live preview, autosave, history, regeneration notices. */
export function DraftEditor({ initial }: { initial: DraftDto }) {
  // Viewers get the rendered draft only (the API refuses their writes anyway).
  const canEdit = useCanEdit();
  const [draft, setDraft] = useState(initial);
  const [texts, setTexts] = useState<Record<string, string>>(() => Object.fromEntries(initial.sections.map((s) => [s.id, s.markdown])));
  const [save, setSave] = useState<SaveState>({ kind: "idle" });
  const [busy, setBusy] = useState(false);
  const [showHistory, setShowHistory] = useState(false);
  const dirty = useRef<Set<DraftSectionId>>(new Set());
  const latest = useRef<Record<string, string>>(texts);
  // Timers and callbacks read the latest texts; refs are updated after render, not during it.
  useEffect(() => {
    latest.current = texts;
  }, [texts]);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const base = `/api/incidents/${encodeURIComponent(initial.incidentId)}/draft`;

  const apply = useCallback((d: DraftDto, keepDirty = true) => {
    setDraft(d);
    setTexts((prev) => {
      const next: Record<string, string> = {};
      for (const s of d.sections) next[s.id] = keepDirty && dirty.current.has(s.id) ? (prev[s.id] ?? s.markdown) : s.markdown;
      return next;
    });
  }, []);

  const flush = useCallback(async () => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    if (dirty.current.size === 0) return;
    const ids = [...dirty.current];
    dirty.current.clear();
    const sections: Partial<Record<DraftSectionId, string>> = {};
    for (const id of ids) sections[id] = latest.current[id] ?? "";
    setSave({ kind: "saving" });
    try {
      const d = await api<DraftDto>(base, { method: "PUT", body: JSON.stringify({ sections }) });
      apply(d);
      setSave({ kind: "saved", version: d.version });
    } catch (e) {
      for (const id of ids) dirty.current.add(id);
      setSave({ kind: "error", message: (e as Error).message });
    }
  }, [apply, base]);

  useEffect(() => () => void flush(), [flush]);

  const onEdit = (id: DraftSectionId, text: string) => {
    latest.current = { ...latest.current, [id]: text };
    setTexts(latest.current);
    dirty.current.add(id);
    setSave({ kind: "idle" });
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => void flush(), AUTOSAVE_MS);
  };

  const action = async (body: object) => {
    await flush();
    setBusy(true);
    try {
      const d = await api<DraftDto>(base, { method: "PUT", body: JSON.stringify(body) });
      apply(d, false);
      setSave({ kind: "saved", version: d.version });
    } catch (e) {
      setSave({ kind: "error", message: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };

  const regenerate = async () => {
    await flush();
    setBusy(true);
    try {
      const d = await api<DraftDto>(`${base}/regenerate`, { method: "POST" });
      apply(d, false);
      setSave({ kind: "saved", version: d.version });
    } catch (e) {
      setSave({ kind: "error", message: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };

  const pending = draft.sections.filter((s) => s.pending !== null);
  const mdUrl = `/api/incidents/${encodeURIComponent(draft.incidentId)}/draft.md`;

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center gap-2 text-sm">
        {canEdit && (
          <button type="button" onClick={() => void regenerate()} disabled={busy} className="rounded border border-zinc-300 px-3 py-1 hover:bg-zinc-50 disabled:opacity-50 dark:border-zinc-700 dark:hover:bg-zinc-900">
            Regenerate from analysis
          </button>
        )}
        <a href={mdUrl} className="rounded border border-zinc-300 px-3 py-1 hover:bg-zinc-50 dark:border-zinc-700 dark:hover:bg-zinc-900" data-testid="export-md">Download Markdown</a>
        <a href={`${mdUrl}?redact=1`} className="rounded border border-zinc-300 px-3 py-1 hover:bg-zinc-50 dark:border-zinc-700 dark:hover:bg-zinc-900" data-testid="export-md-redacted">Markdown (redacted)</a>
        <a href={`${base}/analysis.json`} className="rounded border border-zinc-300 px-3 py-1 hover:bg-zinc-50 dark:border-zinc-700 dark:hover:bg-zinc-900">Analysis JSON</a>
        <a href={`${base}/analysis.json?redact=1`} className="rounded border border-zinc-300 px-3 py-1 hover:bg-zinc-50 dark:border-zinc-700 dark:hover:bg-zinc-900">JSON (redacted)</a>
        <a href={`/incidents/${encodeURIComponent(draft.incidentId)}/print`} target="_blank" rel="noopener" className="rounded border border-zinc-300 px-3 py-1 hover:bg-zinc-50 dark:border-zinc-700 dark:hover:bg-zinc-900">Print / PDF</a>
        <button type="button" onClick={() => setShowHistory((v) => !v)} className="rounded border border-zinc-300 px-3 py-1 hover:bg-zinc-50 dark:border-zinc-700 dark:hover:bg-zinc-900" aria-expanded={showHistory}>
          History
        </button>
        <span className="ml-auto text-xs text-zinc-500" data-testid="save-state" aria-live="polite">
          {save.kind === "saving" ? "Saving…" : save.kind === "saved" ? `Saved · version ${save.version}` : save.kind === "error" ? `Not saved: ${save.message}` : `Version ${draft.version}`}
        </span>
      </div>
      <p className="text-xs text-zinc-500">
        Generated from the analysis finished {draft.generatedAt ?? "—"}. Regenerating updates only sections nobody edited; edited sections keep your text and show what the new analysis would change.
      </p>
      {pending.length > 0 && (
        <div role="status" data-testid="pending-notice" className="rounded border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-200">
          A newer analysis would change {pending.length} edited section{pending.length > 1 ? "s" : ""}: {pending.map((s) => s.heading).join(", ")}. Your edits were kept — review the changes below.
        </div>
      )}
      {showHistory && <History base={base} current={draft.version} />}
      {draft.sections.map((s) => (
        <SectionEditor key={s.id} readOnly={!canEdit} section={s} text={texts[s.id] ?? ""} onEdit={(t) => onEdit(s.id, t)} busy={busy} onAccept={() => void action({ accept: [s.id] })} onDismiss={() => void action({ dismiss: [s.id] })} onReset={() => void action({ reset: [s.id] })} />
      ))}
    </div>
  );
}

function SectionEditor(props: { readOnly: boolean; section: DraftSection; text: string; busy: boolean; onEdit(t: string): void; onAccept(): void; onDismiss(): void; onReset(): void }) {
  const { section: s, text } = props;
  const rows = Math.min(24, Math.max(s.id === "title" ? 1 : 4, text.split("\n").length + 1));
  if (props.readOnly) {
    return (
      <section data-testid={`section-${s.id}`} className="rounded-lg border border-zinc-200 p-3 dark:border-zinc-800">
        <h2 className="mb-2 text-base font-semibold">{s.heading}</h2>
        <div data-testid={`preview-${s.id}`} className="min-w-0 overflow-x-auto">
          <Markdown source={s.id === "title" ? `# ${text}` : text} />
        </div>
      </section>
    );
  }
  return (
    <section data-testid={`section-${s.id}`} className="rounded-lg border border-zinc-200 p-3 dark:border-zinc-800">
      <div className="mb-2 flex flex-wrap items-center gap-2">
        <h2 className="text-base font-semibold">{s.heading}</h2>
        {s.edited && <span className="rounded bg-sky-100 px-1.5 text-[11px] font-medium text-sky-800 dark:bg-sky-900 dark:text-sky-200" data-testid={`edited-${s.id}`}>edited</span>}
        {s.citations.length > 0 && <span className="text-[11px] text-zinc-500">{s.citations.length} citation{s.citations.length > 1 ? "s" : ""}</span>}
        {s.edited && s.pending === null && (
          <button type="button" disabled={props.busy} onClick={props.onReset} className="ml-auto text-xs text-zinc-500 underline hover:text-zinc-800">
            Revert to generated
          </button>
        )}
      </div>
      {s.pending !== null && (
        <div className="mb-2 space-y-2 rounded border border-amber-300 bg-amber-50 p-2 text-xs dark:border-amber-700 dark:bg-amber-950" data-testid={`pending-${s.id}`}>
          <p>The new analysis would change this section (your text → generated):</p>
          <DiffView before={s.markdown} after={s.pending} />
          <div className="flex gap-2">
            <button type="button" disabled={props.busy} onClick={props.onAccept} className="rounded border border-amber-400 px-2 py-0.5 hover:bg-amber-100 dark:hover:bg-amber-900">Use the new text</button>
            <button type="button" disabled={props.busy} onClick={props.onDismiss} className="rounded border border-amber-400 px-2 py-0.5 hover:bg-amber-100 dark:hover:bg-amber-900">Keep my edit</button>
          </div>
        </div>
      )}
      <div className="grid gap-3 lg:grid-cols-2">
        <label className="block">
          <span className="sr-only">{s.heading} (Markdown)</span>
          <textarea
            data-testid={`editor-${s.id}`}
            value={text}
            rows={rows}
            spellCheck
            onChange={(e) => props.onEdit(e.target.value)}
            className="w-full resize-y rounded border border-zinc-300 bg-white p-2 font-mono text-xs leading-5 dark:border-zinc-700 dark:bg-zinc-950"
          />
        </label>
        <div data-testid={`preview-${s.id}`} className="min-w-0 overflow-x-auto rounded border border-dashed border-zinc-200 p-2 dark:border-zinc-800">
          <Markdown source={s.id === "title" ? `# ${text}` : text} />
        </div>
      </div>
    </section>
  );
}

function History({ base, current }: { base: string; current: number }) {
  const [list, setList] = useState<DraftVersionList["versions"]>([]);
  const [a, setA] = useState<number | null>(null);
  const [b, setB] = useState<number | null>(null);
  const [docs, setDocs] = useState<{ a: string; b: string } | null>(null);
  const [err, setErr] = useState<string | null>(null);

  useEffect(() => {
    api<DraftVersionList>(`${base}/versions`)
      .then((l) => {
        setList(l.versions);
        setB(l.versions[0]?.version ?? null);
        setA(l.versions[1]?.version ?? l.versions[0]?.version ?? null);
      })
      .catch((e: Error) => setErr(e.message));
  }, [base, current]);

  useEffect(() => {
    if (a === null || b === null) return;
    Promise.all([api<DraftVersionDto>(`${base}/versions/${a}`), api<DraftVersionDto>(`${base}/versions/${b}`)])
      .then(([x, y]) => setDocs({ a: x.markdown, b: y.markdown }))
      .catch((e: Error) => setErr(e.message));
  }, [a, b, base]);

  const pick = (value: number | null, set: (v: number) => void, label: string) => (
    <label className="flex items-center gap-1">
      {label}
      <select value={value ?? ""} onChange={(e) => set(Number(e.target.value))} className="rounded border border-zinc-300 bg-white px-1 py-0.5 dark:border-zinc-700 dark:bg-zinc-950">
        {list.map((v) => (
          <option key={v.version} value={v.version}>
            v{v.version} · {v.author} · {v.createdAt.replace("T", " ").slice(0, 19)}
          </option>
        ))}
      </select>
    </label>
  );

  return (
    <div className="space-y-2 rounded-lg border border-zinc-200 p-3 text-xs dark:border-zinc-800" data-testid="history">
      <div className="flex flex-wrap items-center gap-3">
        <strong className="text-sm">Version history</strong>
        <span className="text-zinc-500">{list.length} versions</span>
        {pick(a, setA, "from")}
        {pick(b, setB, "to")}
      </div>
      {err && <p className="text-rose-600">{err}</p>}
      {docs && <DiffView before={docs.a} after={docs.b} testId="history-diff" />}
    </div>
  );
}
