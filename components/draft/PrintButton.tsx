"use client";

export function PrintButton() {
  return (
    <button type="button" onClick={() => window.print()} className="rounded border border-zinc-300 px-3 py-1 text-sm text-black hover:bg-zinc-50">
      Print / save as PDF
    </button>
  );
}
