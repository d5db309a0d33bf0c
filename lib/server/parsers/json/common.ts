import type { Attrs } from "@/lib/schemas/records";
import type { ParseItem, SkippedItem } from "../types";
import type { ProblemEvent } from "./scanner";

/** A scanner problem as a per-file skipped item (shown in the UI, never thrown). */
export function problemToSkipped(p: ProblemEvent): SkippedItem {
  const item: SkippedItem = { kind: "skipped", reason: p.reason, line: p.line };
  if (p.pointer !== undefined && p.pointer !== "") item.pointer = p.pointer;
  if (p.excerpt !== undefined) item.excerpt = p.excerpt.length > 200 ? `${p.excerpt.slice(0, 200)}…` : p.excerpt;
  return item;
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** Integers given as numbers or decimal strings (OTLP int64 is a JSON string). */
export function int(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isInteger(v) ? v : undefined;
  if (typeof v === "string" && /^-?\d{1,15}$/.test(v)) return Number(v);
  return undefined;
}

const HEX = /^[0-9a-fA-F]+$/;
const B64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * Trace/span ids arrive as hex (spec; any case) or base64 (generic protojson producers). The length
 * decides: 16-byte ids are 32 hex / 24 base64 chars, 8-byte ids 16 hex / 12 base64 chars.
 * Returns lowercase hex, "" for an empty id, or null when the id is neither.
 */
export function normaliseId(id: unknown, bytes: 8 | 16): string | null {
  if (typeof id !== "string") return null;
  if (id === "") return "";
  if (id.length === bytes * 2 && HEX.test(id)) return id.toLowerCase();
  const b64Len = Math.ceil(bytes / 3) * 4;
  if (id.length === b64Len && B64.test(id)) {
    const buf = Buffer.from(id.replace(/-/g, "+").replace(/_/g, "/"), "base64");
    if (buf.length === bytes) return buf.toString("hex");
  }
  return null;
}

/** Attribute values must be finite numbers, strings, booleans or null: others become strings. */
export function attrValue(v: unknown): string | number | boolean | null {
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  if (v === undefined) return null;
  const s = JSON.stringify(v);
  return s.length > 2000 ? `${s.slice(0, 2000)}…` : s;
}

export function setAttr(attrs: Attrs, key: string, v: unknown): void {
  if (v === undefined) return;
  attrs[key] = attrValue(v);
}

/** Yields items while counting; lets parsers add a summary warning at the end. */
export type Emit = (item: ParseItem) => void;

/** Milliseconds rounded to the nearest nanosecond to drop float noise from seconds × 1000. */
export const roundMs = (ms: number): number => Math.round(ms * 1e6) / 1e6;
