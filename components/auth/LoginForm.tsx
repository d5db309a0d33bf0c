"use client";

import { useState, type FormEvent } from "react";
import { Alert } from "@/components/ui/Alert";
import { safeNext } from "@/lib/http/safe-next";
import { errorMessage, INPUT, PRIMARY, sendJson } from "./ui";

/** Email + password sign-in against better-auth (POST /api/auth/sign-in/email); then a full load of `next`. */
export function LoginForm({ next }: { next: string }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    try {
      const res = await sendJson("/api/auth/sign-in/email", "POST", { email: String(form.get("email") ?? ""), password: String(form.get("password") ?? "") });
      if (!res.ok) {
        setError(res.status === 401 ? "Wrong email or password." : await errorMessage(res));
        return;
      }
      // A full navigation: every server component re-renders for the signed-in user.
      window.location.assign(safeNext(next));
    } catch {
      setError("The server did not answer. Try again.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="space-y-3" aria-describedby={error ? "login-error" : undefined}>
      <div>
        <label htmlFor="login-email" className="block text-sm font-medium">
          Email
        </label>
        <input id="login-email" name="email" type="email" autoComplete="username" required className={INPUT} />
      </div>
      <div>
        <label htmlFor="login-password" className="block text-sm font-medium">
          Password
        </label>
        <input id="login-password" name="password" type="password" autoComplete="current-password" required className={INPUT} />
      </div>
      {error ? (
        <div id="login-error">
          <Alert tone="error" role="alert">
            {error}
          </Alert>
        </div>
      ) : null}
      <button type="submit" disabled={busy} className={`${PRIMARY} w-full`}>
        {busy ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
