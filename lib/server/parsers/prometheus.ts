import type { SeriesRecord } from "@/lib/schemas/records";
import { type EpochMs, fromEpochSeconds } from "@/lib/schemas/time";
import { type Obj, arr, readWholeDocument, isObj, obj, parseDocuments, sniffHead, str, stringMap } from "./k8s/document";
import type { ParseContext, ParseItem, Parser } from "./types";

/**
 * Prometheus HTTP API responses (`/api/v1/query_range`, `/api/v1/query`): matrix, vector,
 * scalar and string results, native histograms, error responses, and envelopes (Grafana,
 * scripts) that wrap the response under `data`. See docs/parsers/prometheus.md.
 */

function sniff(head: string): number {
  const s = sniffHead(head);
  if (s[0] !== "{" && s[0] !== "[") return 0;
  if (/"resultType"\s*:\s*"(?:matrix|vector|scalar|string)"/.test(s)) return 0.95;
  if (/"resultType"\s*:/.test(s) && /"result"\s*:/.test(s)) return 0.85;
  if (/"status"\s*:\s*"error"/.test(s) && /"errorType"\s*:/.test(s)) return 0.8;
  return 0;
}

/** Prometheus writes sample values as strings; "NaN", "+Inf", "-Inf" must survive as numbers. */
export function promValue(v: unknown): number | null {
  if (typeof v === "number") return v;
  if (typeof v !== "string") return null;
  switch (v) {
    case "NaN":
      return Number.NaN;
    case "+Inf":
    case "Inf":
      return Number.POSITIVE_INFINITY;
    case "-Inf":
      return Number.NEGATIVE_INFINITY;
  }
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(v)) return null;
  return Number(v);
}

function promTs(v: unknown): EpochMs | null {
  const n = typeof v === "number" ? v : typeof v === "string" && /^\d+(?:\.\d+)?$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) return null;
  const ms = fromEpochSeconds(n);
  // Float seconds like 1435781430.781 pick up binary noise (…430781.0000002): round to µs.
  return Math.round(ms * 1000) / 1000 as EpochMs;
}

/** Unit from the metric naming convention (base unit suffix, before _total/_sum/_bucket/_count). */
export function unitFromName(name: string): string | undefined {
  if (/_(?:count|bucket)$/.test(name)) return undefined; // counts, not the base unit
  const base = name.replace(/_(?:total|sum)$/, "");
  if (base.endsWith("_seconds")) return "s";
  if (base.endsWith("_milliseconds")) return "ms";
  if (base.endsWith("_microseconds")) return "us";
  if (base.endsWith("_bytes")) return "bytes";
  if (base.endsWith("_ratio")) return "ratio";
  if (base.endsWith("_percent")) return "percent";
  return undefined;
}

type Histogram = NonNullable<SeriesRecord["histograms"]>[number];

function histogram(v: unknown, warnings: Set<string>): Histogram | null {
  if (!Array.isArray(v) || v.length < 2 || !isObj(v[1])) return null;
  const ts = promTs(v[0]);
  const h = v[1];
  const count = promValue(h.count);
  const sum = promValue(h.sum);
  if (ts === null || count === null || sum === null) {
    warnings.add("unreadable native histogram sample dropped");
    return null;
  }
  const buckets: Histogram["buckets"] = [];
  for (const b of arr(h.buckets)) {
    if (!Array.isArray(b) || b.length < 4) continue;
    const rule = promValue(b[0]);
    const lo = promValue(b[1]);
    const hi = promValue(b[2]);
    const n = promValue(b[3]);
    if (rule === null || lo === null || hi === null || n === null) {
      warnings.add("unreadable native histogram bucket dropped");
      continue;
    }
    buckets.push([rule, lo, hi, n]);
  }
  return { ts, count, sum, buckets };
}

function series(metric: unknown, i: number, query: string | undefined): { name: string; labels: Record<string, string>; warnings: string[] } {
  const labels = stringMap(metric);
  const warnings: string[] = [];
  let name = labels.__name__;
  delete labels.__name__;
  if (!name) {
    // Aggregations drop __name__: the query is the only identity left.
    name = query ?? `series-${i}`;
    warnings.push(query ? "no __name__: named after the query" : "no __name__ and no query in the file: identify this series by its labels");
  }
  return { name, labels, warnings };
}

function* resultRecords(data: Obj, pointer: string, query: string | undefined): Generator<ParseItem> {
  const type = str(data.resultType);
  const result = data.result;
  if (type === "scalar" || type === "string") {
    if (!Array.isArray(result) || result.length < 2) {
      yield { kind: "skipped", pointer: `${pointer}/result`, reason: `${type} result is not [ts, value]` };
      return;
    }
    const ts = promTs(result[0]);
    if (ts === null) {
      yield { kind: "skipped", pointer: `${pointer}/result`, reason: "unreadable timestamp", excerpt: JSON.stringify(result).slice(0, 200) };
      return;
    }
    const value = promValue(result[1]);
    const labels: Record<string, string> = type === "string" ? { value: String(result[1]) } : {};
    const rec: SeriesRecord = { kind: "series", name: query ?? type, labels, points: [[ts, value ?? Number.NaN]], prov: { pointer: `${pointer}/result` } };
    if (value === null) rec.warnings = [`${type} value is not a number; kept in labels.value`];
    yield rec;
    return;
  }
  if (type !== "matrix" && type !== "vector") {
    yield { kind: "skipped", pointer, reason: `unknown resultType ${JSON.stringify(type ?? null)}` };
    return;
  }
  if (!Array.isArray(result)) {
    yield { kind: "skipped", pointer: `${pointer}/result`, reason: "result is not an array" };
    return;
  }
  for (let i = 0; i < result.length; i++) {
    const r = result[i];
    const ptr = `${pointer}/result/${i}`;
    if (!isObj(r)) {
      yield { kind: "skipped", pointer: ptr, reason: "series is not an object", excerpt: JSON.stringify(r)?.slice(0, 200) };
      continue;
    }
    const { name, labels, warnings } = series(r.metric, i, query);
    const w = new Set<string>(warnings);
    const points: SeriesRecord["points"] = [];
    const samples = type === "matrix" ? arr(r.values) : r.value !== undefined ? [r.value] : [];
    let bad = 0;
    for (const p of samples) {
      const ts = Array.isArray(p) ? promTs(p[0]) : null;
      const v = Array.isArray(p) ? promValue(p[1]) : null;
      if (ts === null || v === null) {
        bad++;
        continue;
      }
      points.push([ts, v]);
    }
    if (bad > 0) w.add(`${bad} unreadable sample(s) dropped`);
    const hs = type === "matrix" ? arr(r.histograms) : r.histogram !== undefined ? [r.histogram] : [];
    const histograms: Histogram[] = [];
    for (const h of hs) {
      const x = histogram(h, w);
      if (x) histograms.push(x);
    }
    if (points.length === 0 && histograms.length === 0 && samples.length + hs.length > 0) {
      yield { kind: "skipped", pointer: ptr, reason: "series without a readable sample", excerpt: JSON.stringify(r).slice(0, 200) };
      continue;
    }
    const rec: SeriesRecord = { kind: "series", name, labels, points, prov: { pointer: ptr } };
    if (histograms.length > 0) rec.histograms = histograms;
    const unit = unitFromName(name);
    if (unit) rec.unit = unit;
    if (w.size > 0) rec.warnings = [...w];
    yield rec;
  }
}

/**
 * Finds the API response(s) in a document: the response itself, `{data:{resultType…}}`, or an
 * envelope that nests a response under `data`/`response`/`results` (bounded depth, no recursion
 * into arbitrary user data).
 */
function* responses(v: unknown, pointer: string, query: string | undefined, depth: number): Generator<ParseItem> {
  if (depth > 5) return;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length && i < 10000; i++) yield* responses(v[i], `${pointer}/${i}`, query, depth + 1);
    return;
  }
  if (!isObj(v)) return;
  const q = str(v.query) ?? str(v.expr) ?? str(obj(v.request)?.query) ?? query;
  if (v.status === "error") {
    yield { kind: "warning", message: `Prometheus error response at ${pointer || "/"}: ${str(v.errorType) ?? "error"}: ${str(v.error) ?? "(no message)"}` };
    return;
  }
  for (const key of ["warnings", "infos"] as const) {
    for (const m of arr(v[key])) if (typeof m === "string") yield { kind: "warning", message: `Prometheus ${key.slice(0, -1)}: ${m}` };
  }
  if (typeof v.resultType === "string") {
    yield* resultRecords(v, pointer, q);
    return;
  }
  let found = false;
  for (const key of ["data", "response", "results"]) {
    if (v[key] !== undefined && (isObj(v[key]) || Array.isArray(v[key]))) {
      found = true;
      yield* responses(v[key], `${pointer}/${key}`, q, depth + 1);
    }
  }
  if (!found && depth === 0) yield { kind: "skipped", pointer: pointer || "/", reason: "no Prometheus result (resultType/result) in this document" };
}

async function* parse(input: Parameters<Parser["parse"]>[0], _ctx: ParseContext): AsyncIterable<ParseItem> {
  const text = yield* readWholeDocument(input, "a Prometheus response", "query a shorter range or larger step");
  if (text === null) return;
  const first = text.search(/\S/);
  if (first >= 0 && text[first] !== "{" && text[first] !== "[") {
    yield { kind: "skipped", line: 1, reason: "not a JSON document", excerpt: text.slice(first, first + 200) };
    return;
  }
  const docs = parseDocuments(text);
  for (const d of docs) {
    if (d.error !== undefined) {
      yield { kind: "skipped", line: d.line, reason: d.error, excerpt: d.excerpt };
      continue;
    }
    yield* responses(d.value, docs.length > 1 ? `/${d.index}` : "", undefined, 0);
  }
}

const DOC_EXAMPLE = `{
   "status" : "success",
   "data" : {
      "resultType" : "matrix",
      "result" : [
         {
            "metric" : { "__name__" : "up", "job" : "prometheus", "instance" : "localhost:9090" },
            "values" : [ [ 1435781430.781, "1" ], [ 1435781445.781, "1" ], [ 1435781460.781, "1" ] ]
         },
         {
            "metric" : { "__name__" : "up", "job" : "node", "instance" : "localhost:9091" },
            "values" : [ [ 1435781430.781, "0" ], [ 1435781445.781, "0" ], [ 1435781460.781, "1" ] ]
         }
      ]
   }
}
`;

const VECTOR = `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"le":"+Inf"},"value":[1729001000,"NaN"]},{"metric":{"__name__":"istio_request_duration_milliseconds_sum","destination_service":"frontend"},"value":[1729001000,"+Inf"]}]}}`;

const HIST = `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"foo"},"histograms":[[1,{"count":"10","sum":"20","buckets":[[1,"-1.6817928305074288","-1.414213562373095","1"],[3,"-0.001","0.001","12"]]}]]}]}}`;

export const prometheusParser: Parser = {
  id: "prometheus",
  title: "Prometheus HTTP API responses (query_range / query JSON)",
  emits: ["series"],
  sniff,
  parse,
  samples: [
    {
      name: "metrics/query_range.json",
      content: DOC_EXAMPLE,
      expect: {
        records: 2, skipped: 0, kinds: { series: 2 },
        fields: {
          0: { name: "up", labels: { job: "prometheus", instance: "localhost:9090" }, points: [[1435781430781, 1], [1435781445781, 1], [1435781460781, 1]] },
          1: { name: "up", labels: { job: "node", instance: "localhost:9091" }, points: [[1435781430781, 0], [1435781445781, 0], [1435781460781, 1]] },
        },
      },
    },
    {
      name: "metrics/p99.json",
      content: VECTOR,
      expect: {
        records: 2, skipped: 0, kinds: { series: 2 },
        fields: {
          0: { labels: { le: "+Inf" }, points: [[1729001000000, NaN]] },
          1: { name: "istio_request_duration_milliseconds_sum", labels: { destination_service: "frontend" }, points: [[1729001000000, Infinity]], unit: "ms" },
        },
      },
    },
    {
      name: "metrics/hist.json",
      content: HIST,
      expect: {
        records: 1, skipped: 0, kinds: { series: 1 },
        fields: {
          0: { name: "foo", points: [], histograms: [{ ts: 1000, count: 10, sum: 20, buckets: [[1, -1.6817928305074288, -1.414213562373095, 1], [3, -0.001, 0.001, 12]] }] },
        },
      },
    },
  ],
};
