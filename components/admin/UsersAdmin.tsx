"use client";

import { useState, type FormEvent } from "react";
import { z } from "zod";
import { Role, type UserDto, UserDto as UserSchema } from "@/lib/schemas/auth";
import { Alert } from "@/components/ui/Alert";
import { RelativeTime } from "@/components/ui/RelativeTime";
import { DANGER, errorMessage, INPUT, PRIMARY, sendJson } from "@/components/auth/ui";

const ROLE_HELP: Record<Role, string> = {
  admin: "everything, including accounts",
  editor: "upload, re-analyse, clock skew, draft, share links",
  viewer: "read only",
};

/** Admin: add accounts, change roles, remove accounts (the server keeps at least one admin). */
export function UsersAdmin({ initial, selfId }: { initial: UserDto[]; selfId: string | null }) {
  const [users, setUsers] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function refresh() {
    const res = await sendJson("/api/users", "GET");
    if (res.ok) setUsers(z.array(UserSchema).parse(await res.json()));
  }

  async function run(action: () => Promise<Response>, done: string) {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const res = await action();
      if (!res.ok) throw new Error(await errorMessage(res));
      setNotice(done);
      await refresh();
      return true;
    } catch (e) {
      setError((e as Error).message);
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function add(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const formEl = e.currentTarget;
    const f = new FormData(formEl);
    const body = { name: String(f.get("name") ?? ""), email: String(f.get("email") ?? ""), password: String(f.get("password") ?? ""), role: String(f.get("role") ?? "viewer") };
    if (await run(() => sendJson("/api/users", "POST", body), `Added ${body.email}.`)) formEl.reset();
  }

  return (
    <div className="space-y-5">
      <section aria-labelledby="add-user" className="rounded-lg border border-line bg-surface p-4">
        <h2 id="add-user" className="text-sm font-semibold">
          Add an account
        </h2>
        <form onSubmit={add} className="mt-3 grid gap-3 sm:grid-cols-2 lg:grid-cols-5 lg:items-end">
          <div>
            <label htmlFor="user-name" className="block text-xs font-medium">Name</label>
            <input id="user-name" name="name" required maxLength={100} className={INPUT} />
          </div>
          <div>
            <label htmlFor="user-email" className="block text-xs font-medium">Email</label>
            <input id="user-email" name="email" type="email" required autoComplete="off" className={INPUT} />
          </div>
          <div>
            <label htmlFor="user-password" className="block text-xs font-medium">Initial password</label>
            <input id="user-password" name="password" type="password" required minLength={8} maxLength={128} autoComplete="new-password" className={INPUT} />
          </div>
          <div>
            <label htmlFor="user-role" className="block text-xs font-medium">Role</label>
            <select id="user-role" name="role" defaultValue="viewer" className={INPUT}>
              {Role.options.map((r) => (
                <option key={r} value={r}>
                  {r} — {ROLE_HELP[r]}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" disabled={busy} className={`${PRIMARY} h-9`}>
            Add account
          </button>
        </form>
      </section>
      {error ? (
        <Alert tone="error" role="alert">
          {error}
        </Alert>
      ) : null}
      {notice ? (
        <p role="status" className="text-sm text-muted">
          {notice}
        </p>
      ) : null}
      <section aria-labelledby="user-list" className="rounded-lg border border-line bg-surface">
        <h2 id="user-list" className="border-b border-line px-4 py-2.5 text-sm font-semibold">
          Accounts <span className="num font-mono text-xs font-normal text-muted">{users.length}</span>
        </h2>
        <table className="w-full text-left text-sm">
          <thead className="text-xs text-muted">
            <tr>
              <th scope="col" className="px-4 py-1.5 font-medium">Name</th>
              <th scope="col" className="px-2 py-1.5 font-medium">Email</th>
              <th scope="col" className="px-2 py-1.5 font-medium">Role</th>
              <th scope="col" className="px-2 py-1.5 font-medium">Created</th>
              <th scope="col" className="px-4 py-1.5 font-medium"><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.id} className="border-t border-line" data-testid={`user-${u.email}`}>
                <td className="px-4 py-1.5">
                  {u.name}
                  {u.id === selfId ? <span className="ml-1.5 text-xs text-muted">(you)</span> : null}
                </td>
                <td className="px-2 py-1.5 font-mono text-xs">{u.email}</td>
                <td className="px-2 py-1.5">
                  <label className="sr-only" htmlFor={`role-${u.id}`}>Role of {u.email}</label>
                  <select
                    id={`role-${u.id}`}
                    value={u.role}
                    disabled={busy}
                    onChange={(e) => void run(() => sendJson(`/api/users/${encodeURIComponent(u.id)}`, "PATCH", { role: e.target.value }), `${u.email} is now ${e.target.value}.`)}
                    className="rounded border border-line-strong bg-surface px-1.5 py-0.5 text-sm"
                  >
                    {Role.options.map((r) => (
                      <option key={r} value={r}>{r}</option>
                    ))}
                  </select>
                </td>
                <td className="px-2 py-1.5">
                  <RelativeTime iso={u.createdAt} />
                </td>
                <td className="px-4 py-1.5 text-right">
                  {u.id === selfId ? null : (
                    <button
                      type="button"
                      disabled={busy}
                      className={DANGER}
                      aria-label={`Remove ${u.email}`}
                      onClick={() => {
                        if (window.confirm(`Remove the account ${u.email}? Its sessions and API tokens stop working.`)) void run(() => sendJson(`/api/users/${encodeURIComponent(u.id)}`, "DELETE"), `Removed ${u.email}.`);
                      }}
                    >
                      Remove
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
