"use client";

import Link from "next/link";
import { useState } from "react";
import type { Role } from "@/lib/schemas/auth";

export type TopBarUser = { name: string; role: Role; local: boolean };

/** Right side of the top bar: who is signed in, their role, account/users links, sign out. */
export function UserMenu({ user }: { user: TopBarUser }) {
  const [busy, setBusy] = useState(false);
  async function signOut() {
    setBusy(true);
    try {
      await fetch("/api/auth/sign-out", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
    } finally {
      window.location.assign("/login");
    }
  }
  return (
    <div className="ml-auto flex items-center gap-2 text-sm">
      {user.role === "admin" && !user.local ? (
        <Link href="/admin/users" className="rounded px-2.5 py-1.5 text-muted hover:bg-subtle hover:text-fg">
          Users
        </Link>
      ) : null}
      <Link href="/account" className="flex items-center gap-1.5 rounded px-2 py-1.5 hover:bg-subtle" title="Your account and API tokens">
        <span className="max-w-[14rem] truncate">{user.name}</span>
        <span data-testid="user-role" className="rounded bg-accent-soft px-1.5 text-[11px] font-medium text-accent">
          {user.role}
        </span>
      </Link>
      {user.local ? null : (
        <button type="button" onClick={signOut} disabled={busy} className="rounded px-2.5 py-1.5 text-muted hover:bg-subtle hover:text-fg disabled:opacity-60">
          Sign out
        </button>
      )}
    </div>
  );
}
