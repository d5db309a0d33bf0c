import { Fragment, type ReactNode } from "react";

/**
 * A small, safe Markdown renderer (dependency-free stand-in for react-markdown + remark-gfm +
 * rehype-sanitize, which are not installed). It produces React elements only — never HTML strings,
 * never dangerouslySetInnerHTML — so raw HTML in the source is shown as text. Supported: ATX
 * headings, paragraphs, bullet/numbered lists (one nesting level by indent), GFM pipe tables,
 * fenced and inline code, block quotes, rules, **bold**, *italic*, links. Link targets are limited
 * to http:, https:, mailto: and relative paths; anything else (javascript:, data:, vbscript:, …)
 * renders as plain text. Images render as their alt text.
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

type Block =
  | { t: "h"; level: number; text: string }
  | { t: "p"; text: string }
  | { t: "code"; text: string }
  | { t: "quote"; text: string }
  | { t: "hr" }
  | { t: "list"; ordered: boolean; items: { text: string; children: string[] }[] }
  | { t: "table"; head: string[]; rows: string[][] };

const LIST_ITEM = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;

function splitRow(line: string): string[] {
  let s = line.trim();
  if (s.startsWith("|")) s = s.slice(1);
  if (s.endsWith("|") && !s.endsWith("\\|")) s = s.slice(0, -1);
  const cells: string[] = [];
  let cur = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\" && s[i + 1] === "|") {
      cur += "\\|";
      i++;
    } else if (c === "|") {
      cells.push(cur.trim());
      cur = "";
    } else cur += c;
  }
  cells.push(cur.trim());
  return cells;
}

const isTableSep = (line: string) => /^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$/.test(line) && line.includes("-");

export function parseBlocks(src: string): Block[] {
  const lines = src.replace(/\r\n?/g, "\n").split("\n");
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === "") {
      i++;
      continue;
    }
    const fence = /^\s*(```|~~~)/.exec(line);
    if (fence) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i]!.trim().startsWith(fence[1]!)) body.push(lines[i++]!);
      i++;
      blocks.push({ t: "code", text: body.join("\n") });
      continue;
    }
    const h = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      blocks.push({ t: "h", level: h[1]!.length, text: h[2]! });
      i++;
      continue;
    }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      blocks.push({ t: "hr" });
      i++;
      continue;
    }
    if (line.includes("|") && i + 1 < lines.length && isTableSep(lines[i + 1]!)) {
      const head = splitRow(line);
      i += 2;
      const rows: string[][] = [];
      while (i < lines.length && lines[i]!.trim() !== "" && lines[i]!.includes("|")) rows.push(splitRow(lines[i++]!));
      blocks.push({ t: "table", head, rows });
      continue;
    }
    if (/^\s*>/.test(line)) {
      const body: string[] = [];
      while (i < lines.length && /^\s*>/.test(lines[i]!)) body.push(lines[i++]!.replace(/^\s*>\s?/, ""));
      blocks.push({ t: "quote", text: body.join(" ") });
      continue;
    }
    const li = LIST_ITEM.exec(line);
    if (li) {
      const ordered = /\d/.test(li[2]!);
      const baseIndent = li[1]!.length;
      const items: { text: string; children: string[] }[] = [];
      while (i < lines.length) {
        const l = lines[i]!;
        if (l.trim() === "") {
          const nx = lines[i + 1];
          if (nx !== undefined && LIST_ITEM.test(nx)) {
            i++;
            continue;
          }
          break;
        }
        const m = LIST_ITEM.exec(l);
        if (m && m[1]!.length <= baseIndent) {
          if (/\d/.test(m[2]!) !== ordered) break;
          items.push({ text: m[3]!, children: [] });
        } else if (m && items.length) items[items.length - 1]!.children.push(m[3]!);
        else if (items.length && /^\s+/.test(l)) items[items.length - 1]!.text += ` ${l.trim()}`;
        else break;
        i++;
      }
      blocks.push({ t: "list", ordered, items });
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== "" && !/^(#{1,6})\s|^\s*(```|~~~)|^\s*>/.test(lines[i]!) && !LIST_ITEM.test(lines[i]!)) {
      if (para.length && lines[i]!.includes("|") && i + 1 < lines.length && isTableSep(lines[i + 1]!)) break;
      para.push(lines[i++]!.trim());
    }
    blocks.push({ t: "p", text: para.join(" ") });
  }
  return blocks;
}

/** Inline Markdown → React nodes. Escapes (\*), code spans, links, bold, italic. */
export function renderInline(text: string, keyPrefix = "i"): ReactNode[] {
  const out: ReactNode[] = [];
  let buf = "";
  let k = 0;
  const flush = () => {
    if (buf) out.push(buf);
    buf = "";
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "\\" && i + 1 < text.length && /[\\`*_[\]{}()#+\-.!|<>~]/.test(text[i + 1]!)) {
      buf += text[i + 1];
      i += 2;
      continue;
    }
    if (c === "`") {
      let n = 1;
      while (text[i + n] === "`") n++;
      const fence = "`".repeat(n);
      const end = text.indexOf(fence, i + n);
      if (end > 0) {
        flush();
        out.push(<code key={`${keyPrefix}${k++}`} className="rounded bg-zinc-100 px-1 py-0.5 font-mono text-[0.85em] dark:bg-zinc-800">{text.slice(i + n, end).trim()}</code>);
        i = end + n;
        continue;
      }
    }
    if (c === "!" && text[i + 1] === "[") {
      const m = matchLink(text, i + 1);
      if (m) {
        buf += m.label; // images are not loaded: alt text only
        i = m.end;
        continue;
      }
    }
    if (c === "[") {
      const m = matchLink(text, i);
      if (m) {
        flush();
        const href = safeHref(m.url);
        const children = renderInline(m.label, `${keyPrefix}${k}l`);
        out.push(
          href ? (
            <a key={`${keyPrefix}${k++}`} href={href} className="text-sky-700 underline decoration-sky-300 hover:decoration-sky-700 dark:text-sky-400" {...(/^https?:/i.test(href) ? { rel: "noopener noreferrer nofollow", target: "_blank" } : {})}>
              {children}
            </a>
          ) : (
            <span key={`${keyPrefix}${k++}`} title="link removed: protocol not allowed">{children}</span>
          ),
        );
        i = m.end;
        continue;
      }
    }
    // "_" never emphasises inside a word (snake_case, __proto__), as in GFM.
    const intraword = c === "_" && i > 0 && /\w/.test(text[i - 1]!);
    if ((c === "*" || (c === "_" && !intraword)) && text[i + 1] === c) {
      let end = text.indexOf(c + c, i + 2);
      while (c === "_" && end > 0 && /\w/.test(text[end + 2] ?? "")) end = text.indexOf(c + c, end + 2);
      if (end > i + 2) {
        flush();
        out.push(<strong key={`${keyPrefix}${k++}`}>{renderInline(text.slice(i + 2, end), `${keyPrefix}${k}b`)}</strong>);
        i = end + 2;
        continue;
      }
    }
    if ((c === "*" || c === "_") && text[i + 1] !== " " && (c === "*" || i === 0 || /[\s(]/.test(text[i - 1]!))) {
      const end = findClosing(text, c, i + 1);
      if (end > i + 1) {
        flush();
        out.push(<em key={`${keyPrefix}${k++}`}>{renderInline(text.slice(i + 1, end), `${keyPrefix}${k}e`)}</em>);
        i = end + 1;
        continue;
      }
    }
    buf += c;
    i++;
  }
  flush();
  return out;
}

function findClosing(text: string, c: string, from: number): number {
  for (let j = from; j < text.length; j++) {
    if (text[j] === "\\") {
      j++;
      continue;
    }
    if (text[j] === c && text[j - 1] !== " " && (c === "*" || j + 1 >= text.length || /[\s.,;:!?)]/.test(text[j + 1]!))) return j;
  }
  return -1;
}

/** [label](url) starting at text[i] === "[" (nested brackets in the label allowed). */
function matchLink(text: string, i: number): { label: string; url: string; end: number } | null {
  let depth = 0;
  let j = i;
  for (; j < text.length; j++) {
    const ch = text[j];
    if (ch === "\\") {
      j++;
      continue;
    }
    if (ch === "[") depth++;
    else if (ch === "]" && --depth === 0) break;
  }
  if (j >= text.length || text[j + 1] !== "(") return null;
  let p = 0;
  let e = j + 1;
  for (; e < text.length; e++) {
    if (text[e] === "(") p++;
    else if (text[e] === ")" && --p === 0) break;
  }
  if (e >= text.length) return null;
  const inner = text.slice(j + 2, e).trim();
  const url = inner.replace(/\s+"[^"]*"$/, "").replace(/^<(.*)>$/, "$1");
  return { label: text.slice(i + 1, j), url, end: e + 1 };
}

const H_CLASS = ["text-2xl font-semibold", "text-xl font-semibold", "text-lg font-semibold", "font-semibold", "font-semibold", "font-semibold"];

export function Markdown({ source, className }: { source: string; className?: string }) {
  const blocks = parseBlocks(source);
  return (
    <div className={`space-y-3 text-sm leading-6 ${className ?? ""}`}>
      {blocks.map((b, n) => {
        const key = `b${n}`;
        switch (b.t) {
          case "h": {
            const Tag = `h${Math.min(6, b.level)}` as "h1";
            return <Tag key={key} className={H_CLASS[b.level - 1]}>{renderInline(b.text, key)}</Tag>;
          }
          case "p":
            return <p key={key}>{renderInline(b.text, key)}</p>;
          case "code":
            return <pre key={key} className="overflow-x-auto rounded bg-zinc-100 p-3 font-mono text-xs dark:bg-zinc-900"><code>{b.text}</code></pre>;
          case "quote":
            return <blockquote key={key} className="border-l-4 border-zinc-300 pl-3 text-zinc-600 dark:border-zinc-700 dark:text-zinc-400">{renderInline(b.text, key)}</blockquote>;
          case "hr":
            return <hr key={key} className="border-zinc-200 dark:border-zinc-800" />;
          case "list": {
            const items = b.items.map((it, m) => (
              <li key={`${key}-${m}`}>
                {renderInline(it.text, `${key}-${m}`)}
                {it.children.length > 0 && <ul className="ml-5 list-disc">{it.children.map((c, q) => <li key={q}>{renderInline(c, `${key}-${m}-${q}`)}</li>)}</ul>}
              </li>
            ));
            return b.ordered ? <ol key={key} className="ml-5 list-decimal space-y-1">{items}</ol> : <ul key={key} className="ml-5 list-disc space-y-1">{items}</ul>;
          }
          case "table":
            return (
              <div key={key} className="overflow-x-auto">
                <table className="min-w-full border-collapse text-xs">
                  <thead>
                    <tr>{b.head.map((c, m) => <th key={m} className="border border-zinc-200 bg-zinc-50 px-2 py-1 text-left font-semibold dark:border-zinc-700 dark:bg-zinc-900">{renderInline(c, `${key}h${m}`)}</th>)}</tr>
                  </thead>
                  <tbody>
                    {b.rows.map((r, m) => (
                      <tr key={m}>{b.head.map((_, q) => <td key={q} className="border border-zinc-200 px-2 py-1 align-top dark:border-zinc-700">{renderInline(r[q] ?? "", `${key}r${m}c${q}`)}</td>)}</tr>
                    ))}
                  </tbody>
                </table>
              </div>
            );
        }
        return <Fragment key={key} />;
      })}
    </div>
  );
}
