"use client";

import { useCallback, useEffect, useId, useState } from "react";
import { ShareCreated, ShareLinkDto } from "@/lib/schemas/shares";
import { z } from "zod";
import { Alert } from "@/components/ui/Alert";
import { RelativeTime } from "@/components/ui/RelativeTime";
import { absoluteTime } from "@/components/format";
import { DANGER, errorMessage, INPUT, PRIMARY, SECONDARY, sendJson } from "@/components/auth/ui";

const EXPIRY = [
  { value: "", label: "Never expires" },
  { value: "3600000", label: "1 hour" },
  { value: "86400000", label: "1 day" },
  { value: "604800000", label: "7 days" },
  { value: "2592000000", label: "30 days" },
] as const;

/**
 * Read-only share links of an incident (editors and admins): create one (optionally expiring), copy
 * its URL — shown once, only a hash is stored — and see/revoke the active ones.
 */
export function SharePanel({ incidentId }: { incidentId: string }) {
  const base = `/api/incidents/${encodeURIComponent(incidentId)}/shares`;
  const [links, setLinks] = useState<ShareLinkDto[] | null>(null);
  const [created, setCreated] = useState<ShareCreated | null>(null);
  const [expiry, setExpiry] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState(false);
  const expiryId = useId();
  const urlId = useId();

  const load = useCallback(async () => {
    const res = await sendJson(base, "GET");
    if (!res.ok) throw new Error(await errorMessage(res));
    return z.array(ShareLinkDto).parse(await res.json());
  }, [base]);

  useEffect(() => {
    let live = true;
    load()
      .then((l) => live && setLinks(l))
      .catch((e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [load]);

  async function create() {
    setBusy(true);
    setError(null);
    setCopied(false);
    try {
      const body = expiry ? { expiresAt: new Date(Date.now() + Number(expiry)).toISOString() } : {};
      const res = await sendJson(base, "POST", body);
      if (!res.ok) throw new Error(await errorMessage(res));
      setCreated(ShareCreated.parse(await res.json()));
      setLinks(await load());
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  async function revoke(link: ShareLinkDto) {
    setBusy(true);
    setError(null);
    try {
      const res = await sendJson(`${base}/${encodeURIComponent(link.id)}`, "DELETE");
      if (!res.ok && res.status !== 404) throw new Error(await errorMessage(res));
      if (created?.id === link.id) setCreated(null);
      setLinks(await load());
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  async function copy() {
    if (!created) return;
    try {
      await navigator.clipboard.writeText(created.url);
      setCopied(true);
    } catch {
      // Clipboard refused (insecure origin): the URL is selected for a manual copy.
      (document.getElementById(urlId) as HTMLInputElement | null)?.select();
    }
  }

  return (
    <section aria-labelledby="share-heading" className="rounded-lg border border-line bg-surface" data-testid="share-panel">
      <div className="flex flex-wrap items-center gap-x-4 gap-y-1 border-b border-line px-4 py-2.5">
        <h2 id="share-heading" className="text-sm font-semibold">
          Share links
        </h2>
        <p className="text-xs text-muted">Read-only: anyone with the link sees the analysis and the draft, nothing else, and can change nothing.</p>
      </div>
      <div className="space-y-3 p-4">
        <div className="flex flex-wrap items-end gap-2">
          <div>
            <label htmlFor={expiryId} className="block text-xs font-medium">
              Expiry
            </label>
            <select id={expiryId} value={expiry} onChange={(e) => setExpiry(e.target.value)} className={`${INPUT} w-40`}>
              {EXPIRY.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          </div>
          <button type="button" onClick={() => void create()} disabled={busy} className={PRIMARY}>
            Create share link
          </button>
        </div>
        {created ? (
          <div className="space-y-1.5 rounded-md border border-accent/40 bg-accent-soft/40 p-3">
            <label htmlFor={urlId} className="block text-xs font-medium">
              New link — copy it now, it is shown only once
            </label>
            <div className="flex gap-2">
              <input id={urlId} readOnly value={created.url} data-testid="share-url" onFocus={(e) => e.currentTarget.select()} className={`${INPUT} mt-0 font-mono text-xs`} />
              <button type="button" onClick={() => void copy()} className={SECONDARY}>
                {copied ? "Copied" : "Copy"}
              </button>
            </div>
          </div>
        ) : null}
        {error ? (
          <Alert tone="error" role="alert">
            {error}
          </Alert>
        ) : null}
        {links === null ? (
          <p className="text-sm text-muted">Loading links…</p>
        ) : links.length === 0 ? (
          <p className="text-sm text-muted">No active share links.</p>
        ) : (
          <table className="w-full text-left text-sm" data-testid="share-list">
            <caption className="sr-only">Active share links</caption>
            <thead className="text-xs text-muted">
              <tr>
                <th scope="col" className="py-1 pr-3 font-medium">Link</th>
                <th scope="col" className="py-1 pr-3 font-medium">Created by</th>
                <th scope="col" className="py-1 pr-3 font-medium">Created</th>
                <th scope="col" className="py-1 pr-3 font-medium">Expires</th>
                <th scope="col" className="py-1 pr-3 font-medium">Last used</th>
                <th scope="col" className="py-1 font-medium">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {links.map((l) => (
                <tr key={l.id} className="border-t border-line">
                  <td className="py-1.5 pr-3 font-mono text-xs">/s/{l.prefix}…</td>
                  <td className="py-1.5 pr-3">{l.createdBy ?? "—"}</td>
                  <td className="py-1.5 pr-3">
                    <RelativeTime iso={l.createdAt} />
                  </td>
                  <td className="py-1.5 pr-3" title={l.expiresAt ? absoluteTime(l.expiresAt) : undefined}>
                    {l.expiresAt ? absoluteTime(l.expiresAt) : "never"}
                  </td>
                  <td className="py-1.5 pr-3">{l.lastUsedAt ? <RelativeTime iso={l.lastUsedAt} /> : "never"}</td>
                  <td className="py-1.5 text-right">
                    <button type="button" onClick={() => void revoke(l)} disabled={busy} className={DANGER} aria-label={`Revoke link /s/${l.prefix}…`}>
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  );
}
