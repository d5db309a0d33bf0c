import { iso } from "./time";

/** One ztunnel connection record (fixtures/public/README.md §6). */
export interface ZConn {
  ts: number;
  srcAddr: string;
  srcWorkload: string | null;
  ns: string;
  dstAddr: string;
  dstService: string;
  dstWorkload: string;
  direction: "inbound" | "outbound";
  bytesSent: number;
  bytesRecv: number;
  durMs: number;
  /** Set on failure: the line is then ERROR (or a WARN `connection failed` early deny). */
  error: string | null;
}

export type ZFormat = "text-tabs" | "text-spaces" | "json" | "kubectl-prefix";

function fields(c: ZConn): [string, string, boolean][] {
  const out: [string, string, boolean][] = [["src.addr", c.srcAddr, false]];
  if (c.srcWorkload) out.push(["src.workload", c.srcWorkload, true], ["src.namespace", c.ns, true], ["src.identity", `spiffe://cluster.local/ns/${c.ns}/sa/default`, true]);
  out.push(
    ["dst.addr", c.dstAddr, false],
    ["dst.hbone_addr", c.dstAddr.replace(/:15008$/, ":8080"), true],
    ["dst.service", c.dstService, true],
    ["dst.workload", c.dstWorkload, true],
    ["dst.namespace", c.ns, true],
    ["dst.identity", `spiffe://cluster.local/ns/${c.ns}/sa/default`, true],
    ["direction", c.direction, true],
    ["bytes_sent", String(c.bytesSent), false],
    ["bytes_recv", String(c.bytesRecv), false],
    ["duration", `${c.durMs}ms`, true],
  );
  if (c.error) out.push(["error", c.error, true]);
  return out;
}

export function zLine(c: ZConn, format: ZFormat): string {
  const level = c.error ? "error" : "info";
  if (format === "json") {
    const o: Record<string, unknown> = { level, time: iso(c.ts, 6), scope: "access", message: "connection complete" };
    for (const [k, v] of fields(c)) o[k] = /^(bytes_sent|bytes_recv)$/.test(k) ? Number(v) : v;
    return JSON.stringify(o);
  }
  const kv = fields(c)
    .map(([k, v, quoted]) => `${k}=${quoted ? `"${v}"` : v}`)
    .join(" ");
  const sep = format === "text-tabs" ? "\t" : "  ";
  const line = [iso(c.ts, 6), level, "access", "connection complete", kv].join(sep);
  return format === "kubectl-prefix" ? `[pod/ztunnel-${c.ns.slice(0, 3)}x7/istio-proxy] ${line}` : line;
}
