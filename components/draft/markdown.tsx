import type { ReactNode } from "react";
import ReactMarkdown, { type Components } from "react-markdown";
import rehypeSanitize, { defaultSchema } from "rehype-sanitize";
import remarkGfm from "remark-gfm";

/**
 * Safe Markdown rendering for drafts: react-markdown (React elements only, never
 * dangerouslySetInnerHTML) + remark-gfm (tables, task lists) + rehype-sanitize (GitHub's schema
 * minus ids). Raw HTML in the source is shown as text rather than dropped, so a postmortem that
 * quotes `<script>` from a log keeps the quote. Link and image targets are limited to http:,
 * https:, mailto: and relative paths; anything else (javascript:, data:, vbscript:, protocol-
 * relative) loses its href.
 */

const SAFE_PROTOCOLS = new Set(["http:", "https:", "mailto:"]);

/** The href to use, or null when the target is not allowed. */
export function safeHref(raw: string): string | null {
  // Browsers ignore control characters and whitespace inside schemes ("java\tscript:"): strip them before deciding.
  // eslint-disable-next-line no-control-regex
  const url = raw.trim().replace(/[\u0000-\u001F\u007F\s]+/g, "");
  if (url === "") return null;
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url);
  if (scheme) return SAFE_PROTOCOLS.has(`${scheme[1]!.toLowerCase()}:`) ? url : null;
  if (url.startsWith("//") || url.startsWith("\\\\") || url.startsWith("/\\")) return null; // protocol-relative: another host
  if (/^[^/?]*:/.test(url)) return null; // a colon before any path separator is a scheme in disguise
  return url;
}

/** Raw HTML nodes become text nodes: visible, escaped, inert. */
function remarkHtmlAsText() {
  type Node = { type: string; value?: string; children?: Node[] };
  const walk = (node: Node) => {
    if (node.type === "html") node.type = "text";
    node.children?.forEach(walk);
  };
  return (tree: Node) => walk(tree);
}

/** GitHub's sanitize schema without ids/names (no DOM clobbering, no `id="__proto__"`). */
const SCHEMA = {
  ...defaultSchema,
  clobber: [],
  attributes: Object.fromEntries(
    Object.entries(defaultSchema.attributes ?? {}).map(([tag, attrs]) => [tag, (attrs ?? []).filter((a) => (Array.isArray(a) ? a[0] : a) !== "id" && (Array.isArray(a) ? a[0] : a) !== "name")]),
  ),
};

const H_CLASS = ["text-2xl font-semibold", "text-xl font-semibold", "text-lg font-semibold", "font-semibold", "font-semibold", "font-semibold"];

const COMPONENTS: Components = {
  h1: ({ children }) => <h1 className={H_CLASS[0]}>{children}</h1>,
  h2: ({ children }) => <h2 className={H_CLASS[1]}>{children}</h2>,
  h3: ({ children }) => <h3 className={H_CLASS[2]}>{children}</h3>,
  h4: ({ children }) => <h4 className={H_CLASS[3]}>{children}</h4>,
  ul: ({ children }) => <ul className="ml-5 list-disc space-y-1">{children}</ul>,
  ol: ({ children }) => <ol className="ml-5 list-decimal space-y-1">{children}</ol>,
  pre: ({ children }) => <pre className="overflow-x-auto rounded bg-zinc-100 p-3 font-mono text-xs dark:bg-zinc-900">{children}</pre>,
  code: ({ children }) => <code className="font-mono text-[0.9em]">{children}</code>,
  blockquote: ({ children }) => <blockquote className="border-l-4 border-zinc-300 pl-3 text-zinc-600 dark:border-zinc-700 dark:text-zinc-400">{children}</blockquote>,
  hr: () => <hr className="border-zinc-200 dark:border-zinc-800" />,
  table: ({ children }) => (
    <div className="overflow-x-auto">
      <table className="min-w-full border-collapse text-xs">{children}</table>
    </div>
  ),
  th: ({ children }) => <th className="border border-zinc-200 bg-zinc-50 px-2 py-1 text-left font-semibold dark:border-zinc-700 dark:bg-zinc-900">{children}</th>,
  td: ({ children }) => <td className="border border-zinc-200 px-2 py-1 align-top dark:border-zinc-700">{children}</td>,
  a: ({ href, children }) => {
    const safe = href ? safeHref(href) : null;
    return safe ? <a href={safe} className="text-indigo-700 underline dark:text-indigo-300">{children}</a> : <span>{children}</span>;
  },
  // Images render as their alt text: a draft never loads remote content.
  img: ({ alt }) => <span>{alt}</span>,
};

/**
 * The one Markdown renderer: draft preview (DraftEditor), print page and share page all use it, so
 * the overrides above — images as alt text, the link filter — apply everywhere (security row 5).
 */
export function Markdown({ source, className }: { source: string; className?: string }): ReactNode {
  return (
    <div className={`space-y-3 text-sm leading-6 ${className ?? ""}`}>
      <ReactMarkdown components={COMPONENTS} remarkPlugins={[remarkGfm, remarkHtmlAsText]} rehypePlugins={[[rehypeSanitize, SCHEMA]]} urlTransform={(url) => safeHref(url) ?? ""}>
        {source}
      </ReactMarkdown>
    </div>
  );
}
