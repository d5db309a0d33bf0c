import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import { TopBar } from "@/components/TopBar";
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

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen bg-bg text-fg">
        <TopBar />
        <main id="main" className="mx-auto max-w-[1400px] px-4 py-5">
          {children}
        </main>
      </body>
    </html>
  );
}
