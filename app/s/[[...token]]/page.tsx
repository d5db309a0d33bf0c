import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { getSharedIncident } from "@/lib/server/services/shares";
import { SharedIncidentView } from "@/components/share/SharedIncidentView";

export const dynamic = "force-dynamic";
// The token is in the URL: no Referer leaves this page, search engines stay out.
export const metadata: Metadata = { title: "Shared incident", referrer: "no-referrer", robots: { index: false, follow: false } };

/**
 * /s/:token — a read-only share link. The token alone decides (no session is consulted) and only
 * for its own incident; a malformed, unknown, revoked or expired token and the bare /s/ all end
 * in the same notFound() (./not-found.tsx). Dynamic, so Next.js sends `Cache-Control: no-store`.
 */
export default async function SharedPage({ params }: { params: Promise<{ token?: string[] }> }) {
  const { token } = await params;
  const data = token && token.length === 1 ? await getSharedIncident(token[0]!) : null;
  if (!data) notFound();
  return <SharedIncidentView data={data} />;
}
