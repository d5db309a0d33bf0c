import type { Metadata } from "next";
import { connection } from "next/server";
import { NewIncidentForm } from "@/components/incidents/NewIncidentForm";
import { limitsFromEnv } from "@/lib/schemas/limits";
import { pageAccess } from "@/lib/server/auth/page";
import { Forbidden } from "@/components/auth/Forbidden";

export const metadata: Metadata = { title: "New incident" };

export default async function NewIncidentPage() {
  // Limits come from the environment at request time, not at build time.
  await connection();
  const { principal, allowed } = await pageAccess("editor", "/incidents/new");
  if (!allowed) return <Forbidden need="editor" have={principal.role} />;
  const limits = limitsFromEnv(process.env);
  return (
    <div className="mx-auto max-w-4xl space-y-4">
      <div>
        <h1 className="text-lg font-semibold tracking-tight">New incident</h1>
        <p className="text-sm text-muted">
          Upload an incident bundle — a zip or tar.gz, a folder, or loose files (logs, traces, iptables/ipvsadm dumps,
          Kubernetes events, Prometheus exports, a timeline). Everything stays on this server.
        </p>
      </div>
      <NewIncidentForm limits={limits} />
    </div>
  );
}
