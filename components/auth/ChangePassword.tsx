"use client";

import { useState, type FormEvent } from "react";
import { Alert } from "@/components/ui/Alert";
import { errorMessage, INPUT, SECONDARY, sendJson } from "./ui";

/** better-auth's POST /api/auth/change-password; the server always signs the account's other sessions out (lib/server/auth/endpoints.ts). */
export function ChangePassword() {
  const [message, setMessage] = useState<{ tone: "error" | "info"; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const formEl = e.currentTarget;
    const f = new FormData(formEl);
    setBusy(true);
    setMessage(null);
    try {
      const res = await sendJson("/api/auth/change-password", "POST", { currentPassword: String(f.get("current") ?? ""), newPassword: String(f.get("new") ?? "") });
      if (!res.ok) throw new Error(await errorMessage(res));
      formEl.reset();
      setMessage({ tone: "info", text: "Password changed; your other sessions were signed out." });
    } catch (err) {
      setMessage({ tone: "error", text: (err as Error).message });
    } finally {
      setBusy(false);
    }
  }
  return (
    <section aria-labelledby="password-heading" className="rounded-lg border border-line bg-surface p-4">
      <h2 id="password-heading" className="text-sm font-semibold">
        Change password
      </h2>
      <form onSubmit={submit} className="mt-3 flex flex-wrap items-end gap-2">
        <div>
          <label htmlFor="pw-current" className="block text-xs font-medium">Current password</label>
          <input id="pw-current" name="current" type="password" required autoComplete="current-password" className={`${INPUT} w-56`} />
        </div>
        <div>
          <label htmlFor="pw-new" className="block text-xs font-medium">New password</label>
          <input id="pw-new" name="new" type="password" required minLength={8} maxLength={128} autoComplete="new-password" className={`${INPUT} w-56`} />
        </div>
        <button type="submit" disabled={busy} className={`${SECONDARY} h-9`}>
          Change password
        </button>
      </form>
      {message ? (
        <Alert tone={message.tone} role={message.tone === "error" ? "alert" : "status"} className="mt-3">
          {message.text}
        </Alert>
      ) : null}
    </section>
  );
}
