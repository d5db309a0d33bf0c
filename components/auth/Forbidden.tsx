import Link from "next/link";
import type { Role } from "@/lib/schemas/auth";

/** Shown instead of a page the signed-in role may not use (nothing was loaded for it). */
export function Forbidden({ need, have }: { need: Role; have: Role }) {
  return (
    <div role="alert" className="mx-auto max-w-xl py-16 text-center">
      <p className="font-mono text-sm text-faint">403</p>
      <h1 className="mt-1 text-xl font-semibold">Not allowed</h1>
      <p className="mt-2 text-muted">
        This page needs the <strong className="text-fg">{need}</strong> role; your account is a <strong className="text-fg">{have}</strong>. Ask an admin
        if you need more.
      </p>
      <Link href="/" className="mt-5 inline-block rounded-md bg-accent px-3 py-1.5 text-sm font-medium text-accent-fg hover:bg-accent-hover">
        Back to incidents
      </Link>
    </div>
  );
}
