/**
 * Deterministic bench inputs (seeded): a ztunnel + Envoy access log and a single-document OTLP/JSON
 * file of a given size. Shared by `npm run bench` and ad-hoc profiling.
 */
import fs from "node:fs";
import { mulberry32 as prng } from "@/lib/prng";

const MB = 1024 * 1024;

const SERVICES = ["productpage", "reviews", "ratings", "details", "checkout", "payments", "catalog", "auth"];

function writeChunked(file: string, targetBytes: number, next: () => string, head = "", tail = ""): number {
  const fd = fs.openSync(file, "w");
  let written = 0;
  try {
    if (head) written += fs.writeSync(fd, head);
    let buf: string[] = [];
    let bufLen = 0;
    while (written + bufLen < targetBytes) {
      const s = next();
      buf.push(s);
      bufLen += s.length;
      if (bufLen > 4 * MB) {
        written += fs.writeSync(fd, buf.join(""));
        buf = [];
        bufLen = 0;
      }
    }
    if (buf.length) written += fs.writeSync(fd, buf.join(""));
    if (tail) written += fs.writeSync(fd, tail);
  } finally {
    fs.closeSync(fd);
  }
  return written;
}

export function genAccessLog(file: string, bytes: number): void {
  const r = prng(42);
  let t = Date.UTC(2024, 9, 15, 14, 0, 0);
  let i = 0;
  writeChunked(file, bytes, () => {
    t += Math.floor(r() * 3);
    const src = SERVICES[Math.floor(r() * SERVICES.length)]!;
    const dst = SERVICES[Math.floor(r() * SERVICES.length)]!;
    const a = `10.244.${Math.floor(r() * 8)}.${Math.floor(r() * 250) + 2}`;
    const b = `10.244.${Math.floor(r() * 8)}.${Math.floor(r() * 250) + 2}`;
    const dur = Math.floor(r() < 0.98 ? r() * 40 : 200 + r() * 900);
    const iso = new Date(t).toISOString();
    i++;
    if (i % 2 === 0) {
      const ok = r() > 0.02;
      return `${iso.slice(0, -1)}${String(Math.floor(r() * 1000)).padStart(3, "0")}Z\t${ok ? "info" : "error"}\taccess\tconnection complete\tsrc.addr=${a}:${40000 + (i % 20000)} src.workload="${src}-v1-7d9c8b" src.namespace="default" src.identity="spiffe://cluster.local/ns/default/sa/${src}" dst.addr=${b}:15008 dst.hbone_addr="${b}:9080" dst.service="${dst}.default.svc.cluster.local" dst.workload="${dst}-v1-5f6a" dst.namespace="default" dst.identity="spiffe://cluster.local/ns/default/sa/${dst}" direction="outbound" bytes_sent=${Math.floor(r() * 4000)} bytes_recv=${Math.floor(r() * 9000)} duration="${dur}ms"${ok ? "" : ' error="connection failed: Connection refused (os error 111)"'}\n`;
    }
    const code = r() > 0.03 ? 200 : 503;
    const flags = code === 200 ? "-" : "UF,URX";
    return `[${iso}] "GET /api/${dst}/${i % 1000} HTTP/1.1" ${code} ${flags} ${code === 200 ? "via_upstream" : "upstream_reset_before_response_started{connection_failure}"} - "-" 0 ${Math.floor(r() * 3000)} ${dur} ${Math.max(0, dur - 1)} "-" "curl/8.1.2" "${(i * 2654435761 >>> 0).toString(16)}-4e7b-9a1c-${i.toString(16).padStart(12, "0")}" "${dst}:9080" "${b}:9080" outbound|9080||${dst}.default.svc.cluster.local ${a}:${50000 + (i % 10000)} ${b}:9080 ${a}:${40000 + (i % 20000)} - default\n`;
  });
}

export function genOtlp(file: string, bytes: number): void {
  const r = prng(7);
  let t = 1_729_000_800_000_000_000n;
  let n = 0;
  let first = true;
  let spansInBatch = 0;
  const hex = (len: number) => {
    let s = "";
    while (s.length < len) s += Math.floor(r() * 0xffffffff).toString(16).padStart(8, "0");
    return s.slice(0, len);
  };
  const resource = (svc: string) =>
    `{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"${svc}"}},{"key":"k8s.pod.name","value":{"stringValue":"${svc}-v1-7d9c8b"}}]},"scopeSpans":[{"scope":{"name":"bench","version":"1.0.0"},"spans":[`;
  writeChunked(
    file,
    bytes,
    () => {
      let s = "";
      if (spansInBatch === 0) {
        s += `${first ? "" : "]}]},"}${resource(SERVICES[n % SERVICES.length]!)}`;
        first = false;
      } else s += ",";
      spansInBatch = (spansInBatch + 1) % 2000;
      n++;
      t += BigInt(Math.floor(r() * 1_000_000));
      const dur = BigInt(Math.floor(r() * 50_000_000));
      s += `{"traceId":"${hex(32)}","spanId":"${hex(16)}","parentSpanId":"${hex(16)}","name":"GET /api/${n % 100}","kind":${2 + (n % 2)},"startTimeUnixNano":"${t}","endTimeUnixNano":"${t + dur}","attributes":[{"key":"http.request.method","value":{"stringValue":"GET"}},{"key":"http.response.status_code","value":{"intValue":"${r() > 0.02 ? 200 : 503}"}},{"key":"server.address","value":{"stringValue":"${SERVICES[n % 7]}"}}],"status":{${r() > 0.02 ? "" : '"code":2,"message":"upstream failed"'}}}`;
      return s;
    },
    '{"resourceSpans":[',
    "]}]}]}\n",
  );
}
