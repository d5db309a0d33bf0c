import type { SkippedItem } from "../types";
import type { Readable } from "node:stream";
import { parseAllDocuments } from "yaml";

/**
 * kubectl and Prometheus outputs are single JSON/YAML documents: they cannot be parsed line by
 * line, so they are buffered, but only up to a cap (bytes counted as they stream, no string is
 * ever built above the cap). Above it the caller reports one skipped item instead of parsing.
 */
export const MAX_DOCUMENT_BYTES = 256 * 1024 * 1024;

export type BufferResult = { ok: true; text: string; bytes: number } | { ok: false; bytes: number };

export async function bufferDocument(input: Readable | AsyncIterable<Buffer | string>, cap = MAX_DOCUMENT_BYTES): Promise<BufferResult> {
  const parts: Buffer[] = [];
  let bytes = 0;
  let over = false;
  for await (const raw of input as AsyncIterable<Buffer | string>) {
    const chunk = typeof raw === "string" ? Buffer.from(raw) : raw;
    bytes += chunk.length;
    if (over) continue; // keep counting for the report, drop the bytes
    if (bytes > cap) {
      over = true;
      parts.length = 0;
      continue;
    }
    parts.push(chunk);
  }
  if (over) return { ok: false, bytes };
  let text = Buffer.concat(parts, bytes).toString("utf8");
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { ok: true, text, bytes };
}

/**
 * Buffers the whole document (up to the cap) for parsers of kubectl/Prometheus JSON and YAML.
 * Yields one skipped item and returns null when it cannot be read or is too big; `advice` says
 * what to do instead ("split it per namespace", "query a shorter range").
 *
 *   const text = yield* readWholeDocument(input, "a kubectl JSON/YAML document", "split it (e.g. per namespace)");
 *   if (text === null) return;
 */
export async function* readWholeDocument(
  input: Readable | AsyncIterable<Buffer | string>,
  what: string,
  advice: string,
): AsyncGenerator<SkippedItem, string | null> {
  let buf: BufferResult;
  try {
    buf = await bufferDocument(input);
  } catch (e) {
    yield { kind: "skipped", reason: `could not read the file: ${(e as Error).message}` };
    return null;
  }
  if (!buf.ok) {
    yield { kind: "skipped", line: 1, reason: `${what} of ${buf.bytes} bytes exceeds the 256 MiB limit; ${advice}` };
    return null;
  }
  return buf.text;
}

export interface ParsedDoc {
  /** index of the document in the file (concatenated JSON values or YAML `---` documents) */
  index: number;
  value?: unknown;
  error?: string;
  /** 1-based line where the document starts, for provenance and skipped items */
  line: number;
  excerpt: string;
}

/**
 * Splits concatenated JSON values (`kubectl get -w -o json` prints pretty objects back to back,
 * exporters write NDJSON) with one linear scan that tracks strings and nesting depth; each value
 * is then parsed on its own so one broken object does not lose its neighbours.
 */
export function splitJsonValues(text: string): { start: number; end: number; line: number }[] {
  const out: { start: number; end: number; line: number }[] = [];
  let depth = 0;
  let inStr = false;
  let esc = false;
  let start = -1;
  let line = 1;
  let startLine = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) line++;
    if (inStr) {
      if (esc) esc = false;
      else if (c === 92) esc = true;
      else if (c === 34) inStr = false;
      continue;
    }
    if (c === 34) {
      inStr = true;
      if (depth === 0 && start < 0) {
        start = i;
        startLine = line;
      }
      continue;
    }
    if (c === 123 || c === 91) {
      if (depth === 0 && start < 0) {
        start = i;
        startLine = line;
      }
      depth++;
    } else if (c === 125 || c === 93) {
      depth--;
      if (depth <= 0) {
        if (start >= 0) out.push({ start, end: i + 1, line: startLine });
        start = -1;
        depth = 0;
      }
    } else if (depth === 0 && start < 0 && c > 32) {
      // bare scalar at top level (garbage or `null`): its own value up to the next whitespace
      let j = i;
      while (j < text.length && text.charCodeAt(j) > 32 && text.charCodeAt(j) !== 123 && text.charCodeAt(j) !== 91) j++;
      out.push({ start: i, end: j, line });
      i = j - 1;
    }
  }
  if (start >= 0) out.push({ start, end: text.length, line: startLine });
  return out;
}

const excerptOf = (s: string) => (s.length <= 200 ? s : `${s.slice(0, 200)}…`);

/** Parses a buffered document as JSON (one or many values) or YAML (one or many `---` docs). */
export function parseDocuments(text: string): ParsedDoc[] {
  const first = text.search(/\S/);
  if (first < 0) return [];
  const c = text[first];
  if (c === "{" || c === "[") {
    return splitJsonValues(text).map((r, index) => {
      const slice = text.slice(r.start, r.end);
      try {
        return { index, value: JSON.parse(slice) as unknown, line: r.line, excerpt: excerptOf(slice) };
      } catch (e) {
        return { index, error: `invalid JSON: ${(e as Error).message}`, line: r.line, excerpt: excerptOf(slice) };
      }
    });
  }
  const out: ParsedDoc[] = [];
  try {
    const docs = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: false });
    const list = Array.isArray(docs) ? docs : [docs];
    list.forEach((d, index) => {
      // contents' range skips the `---` marker and directives: cite the first content line.
      const start = (d.contents as { range?: [number, number, number] } | null)?.range?.[0] ?? d.range?.[0] ?? 0;
      const line = countLines(text, start);
      const ex = excerptOf(text.slice(start, start + 200));
      if (d.errors.length > 0) {
        out.push({ index, error: `invalid YAML: ${d.errors[0]!.message}`, line, excerpt: ex });
        return;
      }
      try {
        // maxAliasCount guards against alias bombs ("billion laughs").
        const value = d.toJS({ maxAliasCount: 1000 }) as unknown;
        if (value !== null && value !== undefined) out.push({ index, value, line, excerpt: ex });
      } catch (e) {
        out.push({ index, error: `invalid YAML: ${(e as Error).message}`, line, excerpt: ex });
      }
    });
  } catch (e) {
    out.push({ index: 0, error: `invalid YAML: ${(e as Error).message}`, line: 1, excerpt: excerptOf(text) });
  }
  return out;
}

function countLines(text: string, upto: number): number {
  let n = 1;
  for (let i = 0; i < upto && i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
export const str = (v: unknown): string | undefined => (typeof v === "string" && v.length > 0 ? v : undefined);
export const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
export const obj = (v: unknown): Obj | undefined => (isObj(v) ? v : undefined);
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Labels/selectors as string maps (YAML may turn `version: 1.0` into a number). */
export function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObj(v)) return out;
  for (const [k, val] of Object.entries(v)) {
    if (typeof val === "string") out[k] = val;
    else if (typeof val === "number" || typeof val === "boolean") out[k] = String(val);
  }
  return out;
}

/**
 * Yields the Kubernetes objects inside a parsed value with their JSON pointers: a List / *List
 * (`items`), a watch event (`{"type":"ADDED","object":{…}}`), a bare array, or one object.
 */
export function* k8sItems(value: unknown, prefix: string): Generator<{ item: unknown; pointer: string }> {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* k8sItems(value[i], `${prefix}/${i}`);
    return;
  }
  if (!isObj(value)) {
    yield { item: value, pointer: prefix };
    return;
  }
  if (Array.isArray(value.items) && (value.kind === undefined || (typeof value.kind === "string" && value.kind.endsWith("List")) || value.metadata === undefined || isObj(value.metadata))) {
    const items = value.items;
    for (let i = 0; i < items.length; i++) yield { item: items[i], pointer: `${prefix}/items/${i}` };
    return;
  }
  if (typeof value.type === "string" && isObj(value.object) && value.kind === undefined) {
    yield { item: value.object, pointer: `${prefix}/object` };
    return;
  }
  yield { item: value, pointer: prefix };
}

/** Head of a file with the BOM and leading whitespace removed, for sniffing. */
export function sniffHead(head: string): string {
  let s = head.charCodeAt(0) === 0xfeff ? head.slice(1) : head;
  const i = s.search(/\S/);
  s = i < 0 ? "" : s.slice(i);
  return s;
}
