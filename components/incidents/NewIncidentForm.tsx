"use client";

import { useRouter } from "next/navigation";
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import { ApiError, CreateIncidentResponse } from "@/lib/schemas/api";
import { humanBytes, integer } from "@/components/format";
import { ProgressBar } from "@/components/ui/ProgressBar";
import type { BundleLimits } from "@/lib/schemas/limits";

type Picked = { key: string; file: File; path: string };
type UploadState =
  | { phase: "idle" }
  | { phase: "uploading"; loaded: number; total: number }
  | { phase: "processing" }
  | { phase: "done"; id: string };
type UploadError = { message: string; code?: string; status?: number; issues?: { path: string; message: string }[] };

/** Strips leading "/" and "./" and normalises separators so the server sees `logs/ztunnel.log`. */
function cleanPath(path: string): string {
  return path.replace(/\\/g, "/").replace(/^(\.?\/)+/, "");
}

function readAllEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  // readEntries returns at most ~100 entries per call; keep calling until it returns none.
  return new Promise((resolve, reject) => {
    const all: FileSystemEntry[] = [];
    const next = () =>
      reader.readEntries((batch) => {
        if (batch.length === 0) resolve(all);
        else {
          all.push(...batch);
          next();
        }
      }, reject);
    next();
  });
}

function entryFile(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

/** Walks a dropped file or folder depth-first, keeping relative paths (`logs/ztunnel.log`). */
async function walkEntry(entry: FileSystemEntry, out: { file: File; path: string }[]): Promise<void> {
  if (entry.isFile) {
    const file = await entryFile(entry as FileSystemFileEntry);
    out.push({ file, path: cleanPath(entry.fullPath || file.name) });
  } else if (entry.isDirectory) {
    const children = await readAllEntries((entry as FileSystemDirectoryEntry).createReader());
    for (const child of children) await walkEntry(child, out);
  }
}

let keySeq = 0;
const nextKey = () => `f${++keySeq}`;

export function NewIncidentForm({ limits }: { limits: BundleLimits }) {
  const router = useRouter();
  const [title, setTitle] = useState("");
  const [picked, setPicked] = useState<Picked[]>([]);
  const [dragDepth, setDragDepth] = useState(0);
  const [reading, setReading] = useState(false);
  const [upload, setUpload] = useState<UploadState>({ phase: "idle" });
  const [error, setError] = useState<UploadError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const xhrRef = useRef<XMLHttpRequest | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);
  const errorRef = useRef<HTMLDivElement>(null);

  const totalBytes = useMemo(() => picked.reduce((sum, p) => sum + p.file.size, 0), [picked]);
  const busy = upload.phase === "uploading" || upload.phase === "processing" || upload.phase === "done";
  const overUpload = totalBytes > limits.maxUploadBytes;
  const overEntries = picked.length > limits.maxEntries;

  const addFiles = useCallback((files: { file: File; path: string }[]) => {
    if (files.length === 0) return;
    setError(null);
    setPicked((current) => {
      // Same relative path twice: the newer pick replaces the older one (a bundle cannot hold both).
      const byPath = new Map(current.map((p) => [p.path, p]));
      let replaced = 0;
      for (const f of files) {
        const path = cleanPath(f.path) || f.file.name;
        if (byPath.has(path)) replaced++;
        byPath.set(path, { key: nextKey(), file: f.file, path });
      }
      setNotice(
        `Added ${integer(files.length)} file${files.length === 1 ? "" : "s"}` +
          (replaced ? ` (${integer(replaced)} replaced a file with the same path)` : "") +
          ".",
      );
      return [...byPath.values()];
    });
  }, []);

  async function onDrop(e: DragEvent<HTMLDivElement>) {
    e.preventDefault();
    setDragDepth(0);
    if (busy) return;
    // webkitGetAsEntry must be called synchronously, before the DataTransfer is neutered.
    const entries: FileSystemEntry[] = [];
    const loose: File[] = [];
    for (const item of Array.from(e.dataTransfer.items ?? [])) {
      if (item.kind !== "file") continue;
      const entry = typeof item.webkitGetAsEntry === "function" ? item.webkitGetAsEntry() : null;
      if (entry) entries.push(entry);
      else {
        const file = item.getAsFile();
        if (file) loose.push(file);
      }
    }
    if (entries.length === 0 && loose.length === 0) {
      for (const file of Array.from(e.dataTransfer.files)) loose.push(file);
    }
    setReading(true);
    try {
      const out: { file: File; path: string }[] = loose.map((file) => ({ file, path: file.name }));
      for (const entry of entries) await walkEntry(entry, out);
      addFiles(out);
    } catch (err) {
      setError({ message: `Could not read the dropped items: ${err instanceof Error ? err.message : String(err)}` });
    } finally {
      setReading(false);
    }
  }

  function onPick(input: HTMLInputElement | null, useRelative: boolean) {
    if (!input?.files) return;
    const files = Array.from(input.files).map((file) => ({
      file,
      path: useRelative && file.webkitRelativePath ? file.webkitRelativePath : file.name,
    }));
    addFiles(files);
    input.value = ""; // so picking the same file again fires change
  }

  function removeAt(key: string) {
    setPicked((current) => current.filter((p) => p.key !== key));
    setNotice(null);
  }

  // Warn before leaving mid-upload.
  useEffect(() => {
    if (upload.phase !== "uploading" && upload.phase !== "processing") return;
    const handler = (ev: BeforeUnloadEvent) => {
      ev.preventDefault();
    };
    window.addEventListener("beforeunload", handler);
    return () => window.removeEventListener("beforeunload", handler);
  }, [upload.phase]);

  useEffect(() => () => xhrRef.current?.abort(), []);

  useEffect(() => {
    if (error) errorRef.current?.focus();
  }, [error]);

  function fail(err: UploadError) {
    xhrRef.current = null;
    setUpload({ phase: "idle" });
    setError(err);
  }

  function submit() {
    if (busy || picked.length === 0 || overUpload) return;
    setError(null);
    setNotice(null);
    const form = new FormData();
    form.append("title", title.trim());
    for (const p of picked) form.append("files", p.file, p.path);

    const xhr = new XMLHttpRequest();
    xhrRef.current = xhr;
    xhr.open("POST", "/api/incidents");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (ev) => {
      const total = ev.lengthComputable ? ev.total : totalBytes;
      setUpload({ phase: "uploading", loaded: ev.loaded, total });
    };
    xhr.upload.onload = () => setUpload({ phase: "processing" });
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status === 201 || xhr.status === 200) {
        const ok = CreateIncidentResponse.safeParse(body);
        if (ok.success) {
          xhrRef.current = null;
          setUpload({ phase: "done", id: ok.data.id });
          router.push(`/incidents/${encodeURIComponent(ok.data.id)}`);
          return;
        }
        fail({ status: xhr.status, message: "The server accepted the upload but its reply had no incident id." });
        return;
      }
      const apiError = ApiError.safeParse(body);
      if (apiError.success) {
        fail({ status: xhr.status, ...apiError.data.error });
      } else {
        fail({
          status: xhr.status,
          message:
            xhr.status === 413
              ? `The upload is larger than the server accepts (${humanBytes(limits.maxUploadBytes)}).`
              : `The server answered ${xhr.status} ${xhr.statusText || ""}`.trim() + ".",
        });
      }
    };
    xhr.onerror = () =>
      fail({ message: "Network error: the upload did not reach the server. Check that Hindsight is running, then retry." });
    xhr.ontimeout = () => fail({ message: "The upload timed out. Retry; large bundles may need a faster link." });
    xhr.onabort = () => {
      xhrRef.current = null;
      setUpload({ phase: "idle" });
      setNotice("Upload cancelled. Your selection is kept.");
    };
    setUpload({ phase: "uploading", loaded: 0, total: totalBytes });
    xhr.send(form);
  }

  const suggestedTitle = useMemo(() => {
    if (picked.length === 0) return "";
    const manifest = picked.find((p) => /(^|\/)bundle\.(ya?ml|json)$/i.test(p.path));
    if (manifest) return "from bundle manifest";
    const roots = new Set(picked.map((p) => p.path.split("/")[0]));
    if (roots.size === 1) return [...roots][0] ?? "";
    return `${picked[0]?.path.split("/")[0] ?? ""} + ${integer(roots.size - 1)} more`;
  }, [picked]);

  const dragging = dragDepth > 0;

  return (
    <form
      className="space-y-4"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
      aria-describedby="upload-limits"
    >
      {error ? (
        <div
          ref={errorRef}
          tabIndex={-1}
          role="alert"
          className="rounded-md border border-red-300 bg-red-50 px-3 py-2.5 text-red-900 focus:outline-none dark:border-red-400/30 dark:bg-red-400/10 dark:text-red-200"
        >
          <p className="font-semibold">
            Upload failed{error.status ? <span className="num font-mono font-normal"> · HTTP {error.status}</span> : null}
            {error.code ? <span className="font-mono font-normal"> · {error.code}</span> : null}
          </p>
          <p className="mt-1 whitespace-pre-wrap break-words">{error.message}</p>
          {error.issues && error.issues.length > 0 ? (
            <ul className="mt-2 list-disc space-y-0.5 pl-5 text-sm">
              {error.issues.map((issue, i) => (
                <li key={i}>
                  {issue.path ? <code className="font-mono">{issue.path}</code> : null}
                  {issue.path ? ": " : null}
                  {issue.message}
                </li>
              ))}
            </ul>
          ) : null}
          <p className="mt-2 text-sm opacity-80">Your selection is kept — fix the problem and upload again.</p>
        </div>
      ) : null}

      <div className="rounded-lg border border-line bg-surface p-4">
        <label htmlFor="incident-title" className="block text-sm font-medium">
          Title <span className="font-normal text-muted">(optional)</span>
        </label>
        <input
          id="incident-title"
          name="title"
          type="text"
          value={title}
          maxLength={300}
          disabled={busy}
          onChange={(e) => setTitle(e.target.value)}
          placeholder={suggestedTitle ? `Default: ${suggestedTitle}` : "e.g. 2025-03-14 checkout 502s after node drain"}
          aria-describedby="incident-title-help"
          className="mt-1.5 h-9 w-full rounded-md border border-line-strong bg-surface px-2.5 text-sm placeholder:text-faint focus:border-accent focus:outline-none focus:ring-2 focus:ring-ring/30 disabled:opacity-60"
        />
        <p id="incident-title-help" className="mt-1 text-xs text-muted">
          Leave empty to use the title in the bundle manifest (bundle.yaml), or else the file names.
        </p>
      </div>

      <div
        onDragEnter={(e) => {
          e.preventDefault();
          if (!busy) setDragDepth((d) => d + 1);
        }}
        onDragOver={(e) => {
          e.preventDefault();
          e.dataTransfer.dropEffect = busy ? "none" : "copy";
        }}
        onDragLeave={() => setDragDepth((d) => Math.max(0, d - 1))}
        onDrop={onDrop}
        className={`rounded-lg border-2 border-dashed px-4 py-8 text-center transition-colors ${
          dragging ? "border-accent bg-accent-soft" : "border-line-strong bg-surface"
        } ${busy ? "opacity-60" : ""}`}
      >
        <svg aria-hidden="true" viewBox="0 0 24 24" className="mx-auto size-7 text-faint" fill="none" stroke="currentColor" strokeWidth="1.6">
          <path d="M12 16V4m0 0l-4 4m4-4l4 4M4 16v3a1 1 0 001 1h14a1 1 0 001-1v-3" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
        <p className="mt-2 font-medium">{dragging ? "Drop to add" : reading ? "Reading folders…" : "Drag files or folders here"}</p>
        <p className="mt-0.5 text-sm text-muted">zip, tar.gz or loose files; folders keep their relative paths</p>
        <div className="mt-4 flex justify-center gap-2">
          <button
            type="button"
            disabled={busy}
            onClick={() => fileInput.current?.click()}
            className="rounded-md border border-line-strong bg-surface px-3 py-1.5 text-sm font-medium hover:bg-subtle disabled:opacity-50"
          >
            Choose files…
          </button>
          <button
            type="button"
            disabled={busy}
            onClick={() => folderInput.current?.click()}
            className="rounded-md border border-line-strong bg-surface px-3 py-1.5 text-sm font-medium hover:bg-subtle disabled:opacity-50"
          >
            Choose folder…
          </button>
        </div>
        <input
          ref={fileInput}
          type="file"
          multiple
          className="sr-only"
          tabIndex={-1}
          aria-label="Choose files"
          onChange={(e) => onPick(e.currentTarget, false)}
        />
        <input
          ref={folderInput}
          type="file"
          multiple
          className="sr-only"
          tabIndex={-1}
          aria-label="Choose folder"
          {...({ webkitdirectory: "", directory: "" } as Record<string, string>)}
          onChange={(e) => onPick(e.currentTarget, true)}
        />
      </div>

      <p className="sr-only" aria-live="polite">
        {notice ?? ""}
      </p>

      <SelectedFiles picked={picked} disabled={busy} onRemove={removeAt} onClear={() => setPicked([])} totalBytes={totalBytes} limits={limits} />

      {overUpload ? (
        <p role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900 dark:border-red-400/30 dark:bg-red-400/10 dark:text-red-200">
          The selection is <span className="num font-mono">{humanBytes(totalBytes)}</span>, above the upload limit of{" "}
          <span className="num font-mono">{humanBytes(limits.maxUploadBytes)}</span>. Remove some files or compress them into a zip/tar.gz.
        </p>
      ) : overEntries ? (
        <p className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-400/30 dark:bg-amber-400/10 dark:text-amber-200">
          {integer(picked.length)} files is more than the {integer(limits.maxEntries)} entries a bundle may hold; the server will reject it.
        </p>
      ) : null}

      <div className="rounded-lg border border-line bg-surface p-4">
        <div className="flex flex-wrap items-center gap-3">
          <button
            type="submit"
            disabled={busy || picked.length === 0 || overUpload}
            className="rounded-md bg-accent px-4 py-2 text-sm font-medium text-accent-fg hover:bg-accent-hover disabled:cursor-not-allowed disabled:opacity-50"
          >
            {upload.phase === "uploading" ? "Uploading…" : upload.phase === "processing" || upload.phase === "done" ? "Creating incident…" : error ? "Retry upload" : "Upload and analyse"}
          </button>
          {upload.phase === "uploading" ? (
            <button
              type="button"
              onClick={() => xhrRef.current?.abort()}
              className="rounded-md border border-line-strong px-3 py-2 text-sm hover:bg-subtle"
            >
              Cancel
            </button>
          ) : null}
          <p className="text-sm text-muted">
            {picked.length === 0 ? "Add at least one file to upload." : (
              <>
                <span className="num font-mono text-fg">{integer(picked.length)}</span> file{picked.length === 1 ? "" : "s"},{" "}
                <span className="num font-mono text-fg">{humanBytes(totalBytes)}</span>
              </>
            )}
          </p>
        </div>
        {/* Always rendered (invisible when idle) so starting an upload does not push content down. */}
        <div className={`mt-3 ${upload.phase === "idle" ? "invisible" : ""}`} aria-hidden={upload.phase === "idle"}>
          <UploadProgress upload={upload} />
        </div>
      </div>

      <dl id="upload-limits" className="grid grid-cols-2 gap-x-6 gap-y-1 rounded-lg border border-line bg-surface p-4 text-xs sm:grid-cols-4 lg:grid-cols-7">
        <div className="col-span-full mb-1 text-xs font-medium text-muted">Limits on this server</div>
        <Limit term="Upload" value={humanBytes(limits.maxUploadBytes)} />
        <Limit term="Archive entry" value={humanBytes(limits.maxEntryBytes)} />
        <Limit term="Inflated bundle" value={humanBytes(limits.maxBundleBytes)} />
        <Limit term="Compression ratio" value={`${integer(limits.maxRatio)}:1`} />
        <Limit term="Entries" value={integer(limits.maxEntries)} />
        <Limit term="Folder depth" value={integer(limits.maxDepth)} />
        <Limit term="Path length" value={`${integer(limits.maxPathLength)} chars`} />
      </dl>
    </form>
  );
}

function Limit({ term, value }: { term: string; value: string }) {
  return (
    <div>
      <dt className="text-muted">{term}</dt>
      <dd className="num font-mono text-sm text-fg">{value}</dd>
    </div>
  );
}

function UploadProgress({ upload }: { upload: UploadState }) {
  if (upload.phase === "uploading") {
    const fraction = upload.total > 0 ? upload.loaded / upload.total : 0;
    const text = `${humanBytes(upload.loaded)} of ${humanBytes(upload.total)} (${Math.floor(fraction * 100)}%)`;
    return (
      <div>
        <div className="mb-1 flex justify-between text-xs text-muted">
          <span>Uploading</span>
          <span className="num font-mono">{text}</span>
        </div>
        <ProgressBar value={fraction} label="Upload progress" valueText={text} />
      </div>
    );
  }
  if (upload.phase === "processing" || upload.phase === "done") {
    return (
      <div>
        <div className="mb-1 flex justify-between text-xs text-muted">
          <span role="status">{upload.phase === "done" ? "Incident created — opening it…" : "Upload complete — the server is checking the bundle…"}</span>
          <span className="num font-mono">100%</span>
        </div>
        <ProgressBar value={1} label="Upload progress" tone="green" />
      </div>
    );
  }
  return (
    <div>
      <div className="mb-1 flex justify-between text-xs text-muted">
        <span>Not started</span>
        <span className="num font-mono">0%</span>
      </div>
      <ProgressBar value={0} label="Upload progress" />
    </div>
  );
}

function SelectedFiles({
  picked,
  disabled,
  onRemove,
  onClear,
  totalBytes,
  limits,
}: {
  picked: Picked[];
  disabled: boolean;
  onRemove: (key: string) => void;
  onClear: () => void;
  totalBytes: number;
  limits: BundleLimits;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const sorted = useMemo(() => [...picked].sort((a, b) => a.path.localeCompare(b.path)), [picked]);
  const virtualizer = useVirtualizer({
    count: sorted.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => 34,
    overscan: 12,
  });

  return (
    <section aria-labelledby="selected-heading" className="rounded-lg border border-line bg-surface">
      <div className="flex items-center justify-between border-b border-line px-4 py-2">
        <h2 id="selected-heading" className="text-sm font-medium">
          Selected files{" "}
          <span className="num font-mono font-normal text-muted">
            ({integer(picked.length)} · {humanBytes(totalBytes)})
          </span>
        </h2>
        {picked.length > 0 ? (
          <button type="button" disabled={disabled} onClick={onClear} className="rounded px-2 py-1 text-xs text-muted hover:bg-subtle hover:text-fg disabled:opacity-50">
            Remove all
          </button>
        ) : null}
      </div>
      {picked.length === 0 ? (
        <p className="px-4 py-6 text-center text-sm text-muted">Nothing selected yet. Drop files or a folder above, or use the buttons.</p>
      ) : (
        <div ref={scrollRef} className="max-h-80 overflow-y-auto" role="list" aria-label="Selected files">
          <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
            {virtualizer.getVirtualItems().map((v) => {
              const p = sorted[v.index];
              if (!p) return null;
              const tooBig = p.file.size > limits.maxUploadBytes;
              return (
                <div
                  key={p.key}
                  role="listitem"
                  className="absolute inset-x-0 flex items-center gap-3 border-b border-line px-4 text-sm last:border-b-0"
                  style={{ top: v.start, height: v.size }}
                >
                  <span className="min-w-0 flex-1 truncate font-mono text-xs" title={p.path}>
                    {p.path}
                  </span>
                  <span className={`num shrink-0 font-mono text-xs ${tooBig ? "text-red-600 dark:text-red-400" : "text-muted"}`}>
                    {humanBytes(p.file.size)}
                  </span>
                  <button
                    type="button"
                    disabled={disabled}
                    onClick={() => onRemove(p.key)}
                    aria-label={`Remove ${p.path}`}
                    title="Remove"
                    className="shrink-0 rounded px-1.5 py-0.5 text-muted hover:bg-subtle hover:text-red-600 disabled:opacity-50"
                  >
                    ✕
                  </button>
                </div>
              );
            })}
          </div>
        </div>
      )}
    </section>
  );
}
