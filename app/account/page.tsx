import type { Metadata } from "next";
import { pageAccess } from "@/lib/server/auth/page";
import { listApiTokens } from "@/lib/server/auth/api-tokens";
import { AccountTokens } from "@/components/auth/AccountTokens";
import { ChangePassword } from "@/components/auth/ChangePassword";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Account" };

export default async function AccountPage() {
  const { principal } = await pageAccess("viewer", "/account");
  return (
    <div className="mx-auto max-w-4xl space-y-4">
      <div>
        <h1 className="text-lg font-semibold tracking-tight">Account</h1>
        <p className="text-sm text-muted">
          {principal.name}
          {principal.email ? ` · ${principal.email}` : ""} · role <strong className="text-fg">{principal.role}</strong>
        </p>
      </div>
      {principal.via === "local" ? (
        <p className="text-sm text-muted">Single-user mode (HINDSIGHT_AUTH=off): no accounts, no tokens needed; the server listens on 127.0.0.1 only.</p>
      ) : (
        <>
          <AccountTokens initial={await listApiTokens(principal)} />
          <ChangePassword />
        </>
      )}
    </div>
  );
}
