"use client";

import { useState, type FormEvent } from "react";
import { z } from "zod";
import { ApiTokenCreated, ApiTokenDto } from "@/lib/schemas/auth";
import { Alert } from "@/components/ui/Alert";
import { RelativeTime } from "@/components/ui/RelativeTime";
import { absoluteTime } from "@/components/format";
import { DANGER, errorMessage, INPUT, PRIMARY, sendJson } from "./ui";

/** Personal API tokens (for `hindsight upload --token` / HINDSIGHT_TOKEN): create, copy once, revoke. */
export function AccountTokens({ initial }: { initial: ApiTokenDto[] }) {
  const [tokens, setTokens] = useState(initial);
  const [created, setCreated] = useState<ApiTokenCreated | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function refresh() {
    const res = await sendJson("/api/tokens", "GET");
    if (res.ok) setTokens(z.array(ApiTokenDto).parse(await res.json()));
  }

  async function create(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const formEl = e.currentTarget;
    setBusy(true);
    setError(null);
    try {
      const res = await sendJson("/api/tokens", "POST", { name: String(new FormData(formEl).get("name") ?? "") });
      if (!res.ok) throw new Error(await errorMessage(res));
      setCreated(ApiTokenCreated.parse(await res.json()));
      formEl.reset();
      await refresh();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  async function revoke(t: ApiTokenDto) {
    setBusy(true);
    setError(null);
    try {
      const res = await sendJson(`/api/tokens/${encodeURIComponent(t.id)}`, "DELETE");
      if (!res.ok && res.status !== 404) throw new Error(await errorMessage(res));
      if (created?.id === t.id) setCreated(null);
      await refresh();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="tokens-heading" className="rounded-lg border border-line bg-surface p-4">
      <h2 id="tokens-heading" className="text-sm font-semibold">
        API tokens
      </h2>
      <p className="mt-1 text-xs text-muted">
        For scripts and the CLI: <code className="font-mono">hindsight upload … --token TOKEN</code> or <code className="font-mono">HINDSIGHT_TOKEN</code>. A
        token acts with your role.
      </p>
      <form onSubmit={create} className="mt-3 flex flex-wrap items-end gap-2">
        <div>
          <label htmlFor="token-name" className="block text-xs font-medium">
            Token name
          </label>
          <input id="token-name" name="name" required maxLength={100} placeholder="e.g. laptop CLI" className={`${INPUT} w-56`} />
        </div>
        <button type="submit" disabled={busy} className={`${PRIMARY} h-9`}>
          Create token
        </button>
      </form>
      {created ? (
        <div className="mt-3 rounded-md border border-accent/40 bg-accent-soft/40 p-3">
          <label htmlFor="token-value" className="block text-xs font-medium">
            New token “{created.name}” — copy it now, it is shown only once
          </label>
          <input id="token-value" readOnly value={created.token} data-testid="api-token" onFocus={(e) => e.currentTarget.select()} className={`${INPUT} font-mono text-xs`} />
        </div>
      ) : null}
      {error ? (
        <Alert tone="error" role="alert" className="mt-3">
          {error}
        </Alert>
      ) : null}
      {tokens.length === 0 ? (
        <p className="mt-3 text-sm text-muted">No tokens.</p>
      ) : (
        <table className="mt-3 w-full text-left text-sm">
          <thead className="text-xs text-muted">
            <tr>
              <th scope="col" className="py-1 pr-3 font-medium">Name</th>
              <th scope="col" className="py-1 pr-3 font-medium">Token</th>
              <th scope="col" className="py-1 pr-3 font-medium">Created</th>
              <th scope="col" className="py-1 pr-3 font-medium">Expires</th>
              <th scope="col" className="py-1 pr-3 font-medium">Last used</th>
              <th scope="col" className="py-1 font-medium"><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id} className="border-t border-line">
                <td className="py-1.5 pr-3">{t.name}</td>
                <td className="py-1.5 pr-3 font-mono text-xs">{t.prefix}…</td>
                <td className="py-1.5 pr-3"><RelativeTime iso={t.createdAt} /></td>
                <td className="py-1.5 pr-3">{t.expiresAt ? absoluteTime(t.expiresAt) : "never"}</td>
                <td className="py-1.5 pr-3">{t.lastUsedAt ? <RelativeTime iso={t.lastUsedAt} /> : "never"}</td>
                <td className="py-1.5 text-right">
                  <button type="button" disabled={busy} onClick={() => void revoke(t)} className={DANGER} aria-label={`Revoke token ${t.name}`}>
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
