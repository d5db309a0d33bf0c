/** ▲/▼ for the active column, a faint ↕ elsewhere; fixed width so headers never shift. */
export function SortIndicator({ direction }: { direction: "asc" | "desc" | false | null }) {
  return (
    <span aria-hidden="true" className={`inline-block w-3 text-center text-[10px] ${direction ? "" : "text-faint"}`}>
      {direction === "asc" ? "▲" : direction === "desc" ? "▼" : "↕"}
    </span>
  );
}
