"use client";

import { useState, type FormEvent } from "react";
import { Alert } from "@/components/ui/Alert";
import { errorMessage, INPUT, PRIMARY, sendJson } from "./ui";

/** First start: the admin account (POST /api/setup), signed in on success. */
export function SetupForm() {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const password = String(form.get("password") ?? "");
    if (password !== String(form.get("confirm") ?? "")) {
      setError("The two passwords differ.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const res = await sendJson("/api/setup", "POST", { name: String(form.get("name") ?? ""), email: String(form.get("email") ?? ""), password });
      if (!res.ok) {
        setError(await errorMessage(res));
        return;
      }
      window.location.assign("/");
    } catch {
      setError("The server did not answer. Try again.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="space-y-3">
      <div>
        <label htmlFor="setup-name" className="block text-sm font-medium">
          Name
        </label>
        <input id="setup-name" name="name" type="text" autoComplete="name" required maxLength={100} className={INPUT} />
      </div>
      <div>
        <label htmlFor="setup-email" className="block text-sm font-medium">
          Email
        </label>
        <input id="setup-email" name="email" type="email" autoComplete="username" required className={INPUT} />
      </div>
      <div>
        <label htmlFor="setup-password" className="block text-sm font-medium">
          Password <span className="font-normal text-muted">(8–128 characters)</span>
        </label>
        <input id="setup-password" name="password" type="password" autoComplete="new-password" required minLength={8} maxLength={128} className={INPUT} />
      </div>
      <div>
        <label htmlFor="setup-confirm" className="block text-sm font-medium">
          Repeat password
        </label>
        <input id="setup-confirm" name="confirm" type="password" autoComplete="new-password" required minLength={8} maxLength={128} className={INPUT} />
      </div>
      {error ? (
        <Alert tone="error" role="alert">
          {error}
        </Alert>
      ) : null}
      <button type="submit" disabled={busy} className={`${PRIMARY} w-full`}>
        {busy ? "Creating…" : "Create admin account"}
      </button>
    </form>
  );
}
