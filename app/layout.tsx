import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import { TopBar } from "@/components/TopBar";
import { RoleProvider } from "@/components/auth/RoleContext";
import { currentPrincipal } from "@/lib/server/auth/page";
import { PRINCIPAL_META, principalTag } from "@/lib/server/auth/guard";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Hindsight", template: "%s · Hindsight" },
  description: "Offline postmortem analysis: incident bundles in, ranked root-cause hypotheses with cited evidence out.",
  icons: { icon: "/favicon.svg" },
};

export const viewport: Viewport = {
  themeColor: [
    { media: "(prefers-color-scheme: light)", color: "#ffffff" },
    { media: "(prefers-color-scheme: dark)", color: "#16191f" },
  ],
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Chrome only (top bar, which edit controls to show): every page and route checks access itself.
  const principal = await currentPrincipal();
  const user = principal ? { name: principal.name, role: principal.role, local: principal.via === "local" } : null;
  return (
    <html lang="en">
      <head>
        {/* Who this page was rendered for (opaque): the page cache keeps a copy only for that principal. */}
        <meta name={PRINCIPAL_META} content={principalTag(principal)} />
      </head>
      <body className="min-h-screen bg-bg text-fg">
        <TopBar user={user} />
        <main id="main" className="mx-auto max-w-[1400px] px-4 py-5">
          <RoleProvider role={principal?.role ?? null}>{children}</RoleProvider>
        </main>
      </body>
    </html>
  );
}
