import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { currentPrincipal } from "@/lib/server/auth/page";
import { needsSetup } from "@/lib/server/auth/guard";
import { LoginForm } from "@/components/auth/LoginForm";
import { safeNext } from "@/lib/http/safe-next";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Sign in" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const next = safeNext((await searchParams).next);
  if (await currentPrincipal()) redirect(next);
  if (await needsSetup()) redirect("/setup");
  return (
    <div className="mx-auto max-w-sm space-y-4 py-10">
      <div>
        <h1 className="text-lg font-semibold tracking-tight">Sign in to Hindsight</h1>
        <p className="text-sm text-muted">Accounts are created by an admin of this server.</p>
      </div>
      <div className="rounded-lg border border-line bg-surface p-4">
        <LoginForm next={next} />
      </div>
    </div>
  );
}
