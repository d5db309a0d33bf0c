/** The one answer for every share link that does not open (never says which case it was). */
export default function ShareNotFound() {
  return (
    <div className="mx-auto max-w-xl py-16 text-center">
      <p className="font-mono text-sm text-faint">404</p>
      <h1 className="mt-1 text-xl font-semibold">Link not available</h1>
      <p className="mt-2 text-muted">This link does not exist or is no longer shared. Ask the person who sent it for a new one.</p>
    </div>
  );
}
