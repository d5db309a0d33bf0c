import { formatMs, TERSE } from "@/lib/format-ms";
import type { RequestRecord, SpanRecord } from "@/lib/schemas/records";

export function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
export function quantile(xs: number[], q: number): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))]!;
}
export const clamp01 = (x: number) => Math.max(0, Math.min(1, x));
export const round = (x: number, step = 1) => Math.round(x / step) * step;
/** Confidence precision: three decimals, exactly (x / 0.001 * 0.001 would leave float noise). */
export const round3 = (x: number) => Math.round(x * 1000) / 1000;
export const iso = (t: unknown): string | null => (typeof t === "number" && Number.isFinite(t) ? new Date(t).toISOString() : null);
/** "850 ms", "1 s", "1.5 s": the hypothesis texts' style of the one formatter (lib/format-ms.ts). */
export const fmtMs = (ms: number) => formatMs(ms, TERSE);

/** One line describing a request, for evidence excerpts. */
export function describeRequest(r: RequestRecord): string {
  const parts = [iso(r.ts) ?? "?", r.source];
  if (r.method || r.path) parts.push(`${r.method ?? ""} ${r.authority ?? ""}${r.path ?? ""}`.trim());
  if (r.client?.ip) parts.push(`from ${r.client.workload ?? r.client.ip}`);
  if (r.dest?.ip || r.dest?.workload) parts.push(`to ${r.dest?.workload ? `${r.dest.workload} ` : ""}${r.dest?.ip ?? ""}${r.dest?.port ? `:${r.dest.port}` : ""}`);
  parts.push(`status=${r.status ?? "-"}`);
  if (r.flags?.length) parts.push(`flags=${r.flags.join(",")}`);
  if (r.durationMs !== null) parts.push(`duration=${Math.round(r.durationMs)}ms`);
  if (r.connectMs !== null && r.connectMs !== undefined) parts.push(`connect=${Math.round(r.connectMs)}ms`);
  if (r.attempts) parts.push(`attempts=${r.attempts}`);
  if (r.error) parts.push(`error="${r.error}"`);
  return parts.join(" ").slice(0, 2000);
}
export function describeSpan(s: SpanRecord): string {
  return `${iso(s.ts)} ${s.service} ${s.spanKind} "${s.name}"${s.peer ? ` → ${s.peer}` : ""} ${s.durationMs === null ? "in progress" : `${Math.round(s.durationMs)}ms`} status=${s.status}${s.httpStatus ? ` http=${s.httpStatus}` : ""}${s.statusMessage ? ` (${s.statusMessage})` : ""}`.slice(0, 2000);
}

export function isTimeoutRequest(r: RequestRecord): boolean {
  return r.status === 504 || (r.flags ?? []).includes("UT") || /timeout|deadline/i.test(r.error ?? "");
}
export function isRetryRequest(r: RequestRecord): boolean {
  return (r.attempts ?? 1) > 1 || (r.flags ?? []).includes("URX");
}
export function isResetOrRefused(r: RequestRecord): boolean {
  const f = r.flags ?? [];
  return f.includes("UF") || f.includes("UC") || f.includes("URX") || /refused|reset|connection_failure|connect error|os error 111|os error 104/i.test(r.error ?? "");
}
export function isRefused(r: RequestRecord): boolean {
  return /refused|os error 111|connection_failure|delayed_connect_error:_111/i.test(r.error ?? "") || ((r.flags ?? []).includes("UF") && r.status === 503);
}
/** Group helper with deterministic key order. */
export function groupBy<T>(xs: T[], key: (x: T) => string | undefined): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    if (k === undefined) continue;
    const l = m.get(k);
    if (l) l.push(x);
    else m.set(k, [x]);
  }
  return new Map([...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}
