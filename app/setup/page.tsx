import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { needsSetup } from "@/lib/server/auth/guard";
import { SetupForm } from "@/components/auth/SetupForm";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "First start" };

/** First start: shown only while no account exists (then /login). */
export default async function SetupPage() {
  if (!(await needsSetup())) redirect("/login");
  return (
    <div className="mx-auto max-w-sm space-y-4 py-10">
      <div>
        <h1 className="text-lg font-semibold tracking-tight">Welcome to Hindsight</h1>
        <p className="text-sm text-muted">
          Create the admin account. The admin adds the other accounts (editors and viewers) under Users. To run without
          accounts on this machine only, start with <code className="font-mono text-xs">HINDSIGHT_AUTH=off</code>.
        </p>
      </div>
      <div className="rounded-lg border border-line bg-surface p-4">
        <SetupForm />
      </div>
    </div>
  );
}
