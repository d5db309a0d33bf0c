import type { Metadata } from "next";
import { pageAccess } from "@/lib/server/auth/page";
import { listUsers } from "@/lib/server/auth/users";
import { Forbidden } from "@/components/auth/Forbidden";
import { UsersAdmin } from "@/components/admin/UsersAdmin";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Users" };

export default async function UsersPage() {
  const { principal, allowed } = await pageAccess("admin", "/admin/users");
  if (!allowed) return <Forbidden need="admin" have={principal.role} />;
  const users = principal.via === "local" ? [] : await listUsers();
  return (
    <div className="mx-auto max-w-5xl space-y-4">
      <div>
        <h1 className="text-lg font-semibold tracking-tight">Users</h1>
        <p className="text-sm text-muted">
          Admins manage accounts; editors upload, re-analyse, edit clock skew and drafts and create share links; viewers read.
        </p>
      </div>
      {principal.via === "local" ? (
        <p className="text-sm text-muted">Single-user mode (HINDSIGHT_AUTH=off): there are no accounts.</p>
      ) : (
        <UsersAdmin initial={users} selfId={principal.id} />
      )}
    </div>
  );
}
