// Formatting helpers shared by server and client components (pure, no server imports).

import { ELAPSED, formatMs, LATENCY, SKEW } from "@/lib/format-ms";

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const;

/** 1536 → "1.5 KiB"; binary units because the limits are configured in GiB. */
export function humanBytes(bytes: number | null | undefined): string {
  if (bytes == null || !Number.isFinite(bytes)) return "—";
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${BYTE_UNITS[unit]}`;
}

/** 0.873 → "87%"; null → "—". */
export function percent(fraction: number | null | undefined): string {
  if (fraction == null || !Number.isFinite(fraction)) return "—";
  return `${Math.round(fraction * 100)}%`;
}

export function integer(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return "—";
  return n.toLocaleString("en-US");
}

/** Absolute time in UTC, unambiguous at 3 a.m. in any zone: "2025-03-14 02:51:07 UTC". */
export function absoluteTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().replace("T", " ").replace(/\.\d{3}Z$/, "")} UTC`;
}

/** "3 min ago", "in 2 h", "just now". */
export function relativeTime(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return "—";
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  const diff = Math.round((t - now) / 1000);
  const abs = Math.abs(diff);
  if (abs < 45) return "just now";
  const steps: Array<[number, string]> = [
    [60, "s"],
    [60, "min"],
    [24, "h"],
    [30, "d"],
    [12, "mo"],
    [Number.POSITIVE_INFINITY, "y"],
  ];
  let value = abs;
  let label = "s";
  for (const [size, name] of steps) {
    label = name;
    if (value < size) break;
    value = Math.floor(value / size);
  }
  const text = `${Math.max(1, Math.floor(value))} ${label}`;
  return diff < 0 ? `${text} ago` : `in ${text}`;
}

/** "a3f9c2…" — enough to compare by eye, the full hash goes in the title attribute. */
export function shortSha(sha: string | null | undefined, length = 12): string {
  if (!sha) return "—";
  return sha.length > length ? `${sha.slice(0, length)}…` : sha;
}

/** Elapsed time: "850 ms", "3.0 s", "4 min 30 s" (the one formatter, lib/format-ms.ts). */
export function durationMs(ms: number | null | undefined): string {
  return formatMs(ms, ELAPSED);
}

/** A measured latency: "450 µs", "7.3 ms", "1.25 s" (the one formatter, lib/format-ms.ts). */
export function latencyMs(ms: number | null | undefined): string {
  return formatMs(ms, LATENCY);
}

/** A clock skew: "+850 ms", "-1.25 s" (the one formatter, lib/format-ms.ts). */
export function skewMs(ms: number | null | undefined): string {
  return formatMs(ms, SKEW);
}
