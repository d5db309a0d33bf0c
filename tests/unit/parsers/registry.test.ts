import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { PARSERS, sniff } from "@/lib/server/parsers/registry";
import { PARSER_IDS, SNIFF_THRESHOLD, type ParseItem } from "@/lib/server/parsers/types";

/** Record times a sample may write as ISO 8601 (see ParserSample.expect.fields). */
const TIME_FIELDS = new Set(["ts", "firstTs", "capturedAt", "createdAt", "deletedAt"]);

/** ISO 8601 → epoch ms, keeping digits below the millisecond ("…:53.37518Z" → …375.18). */
function isoToEpochMs(iso: string): number {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(iso);
  if (!m) throw new Error(`not an ISO 8601 time: ${iso}`);
  return Date.parse(`${m[1]}${m[3]}`) + (m[2] ? Number(`0.${m[2]}`) * 1000 : 0);
}

/** A sample's expected fields as a toMatchObject pattern: ISO times become epoch ms (to 0.005 ms). */
function fieldPattern(want: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(want).map(([k, v]) => [
      k,
      TIME_FIELDS.has(k) && typeof v === "string" ? expect.closeTo(isoToEpochMs(v), 2) : TIME_FIELDS.has(k) && typeof v === "number" ? expect.closeTo(v, 2) : v instanceof RegExp ? expect.stringMatching(v) : v,
    ]),
  );
}

async function collect(it: AsyncIterable<ParseItem>): Promise<ParseItem[]> {
  const out: ParseItem[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/**
 * Files that are not application logs, with the parser that must get them (null: nobody). The
 * application-log sniffs must leave these alone; other parsers' own samples are checked above.
 */
const NEGATIVES: { name: string; content: string; parser: string | null }[] = [
  {
    name: "timeline.md",
    content: "# Incident timeline (all times UTC)\n- 05:18 alert: error rate on the front end\n- 05:21 rolled back checkout v2\n- 05:30 resolved\n",
    parser: "timeline",
  },
  {
    name: "pods/ztunnel-x7k2p.log",
    content:
      '{"log":"2024-05-04T09:59:05.028709Z\\tinfo\\taccess\\tconnection complete\\tsrc.addr=10.244.1.12:60059 dst.addr=10.244.1.10:15008 direction=\\"outbound\\" bytes_sent=80 bytes_recv=175 duration=\\"1ms\\"\\n","stream":"stdout","time":"2024-05-04T09:59:05.029000000Z"}\n' +
      '{"log":"2024-05-04T09:59:06.100000Z\\tinfo\\tztunnel::proxy::outbound\\tproxying to 10.244.1.10:15008\\n","stream":"stdout","time":"2024-05-04T09:59:06.101000000Z"}\n',
    parser: "ztunnel-access",
  },
  {
    name: "ztunnel.jsonl",
    content:
      '{"level":"info","time":"2024-05-04T09:59:04.121633Z","scope":"ztunnel::state","message":"dry-run: deny policy match","policy":"default/deny"}\n' +
      '{"level":"info","time":"2024-05-04T09:59:05.028709Z","scope":"access","message":"connection complete","src.addr":"10.244.0.6:57866","dst.addr":"10.244.0.7:15008","direction":"outbound","bytes_sent":80,"bytes_recv":175,"duration":"1ms"}\n',
    parser: "ztunnel-access",
  },
  {
    name: "pods/istio-proxy.log",
    content:
      "2024-07-20T07:09:48.471209278Z stdout F [2021-03-12 15:31:30.492][1][warning][runtime] [source/common/runtime/runtime_features.cc:31] Unable to use runtime singleton\n" +
      '2024-07-20T07:09:48.471209278Z stdout F [2024-07-20T07:09:48.470Z] "GET /api HTTP/1.1" 503 UF upstream_reset_before_response_started{connection_failure} - "-" 0 145 0 - "-" "curl/8.4.0" "44898dba" "localhost:8000" "172.28.0.2:801"\n',
    parser: "envoy-access",
  },
  {
    name: "nodes/worker-1/kube-proxy.log",
    content: '{"log":"E0819 03:14:07.123456       1 proxier.go:1234] \\"Failed to delete endpoint connections\\" ip=\\"10.244.3.7\\"\\n","stream":"stderr","time":"2024-08-19T03:14:07.123456789Z"}\n',
    parser: "klog",
  },
  {
    name: "nginx/access.log",
    content: '10.0.4.12 - - [14/Aug/2019:04:12:10 +0300] "GET /api/presentations/42 HTTP/1.1" 200 5120 "-" "Go-http-client/1.1" "-" rt=1.016 uct="1.003" uht="1.015" urt="1.015"\n',
    parser: "nginx-access",
  },
  {
    name: "events.json",
    content: '{"apiVersion":"v1","kind":"Event","metadata":{"name":"web.17f","namespace":"default"},"involvedObject":{"kind":"Pod","name":"web-7d9f8c6b5-x2x4q"},"reason":"Killing","message":"Stopping container web","type":"Normal","lastTimestamp":"2024-05-04T09:59:05Z"}\n',
    parser: "k8s-events",
  },
  {
    // An istio-proxy whose sniff head holds only the agent's startup lines: the access lines come later,
    // the file stays the Envoy parser's to claim (today nobody's), not an application log.
    name: "pods/productpage-v1-6b746f74dc-9stvs/istio-proxy.log",
    content:
      '2024-07-20T07:05:58.670998Z\tinfo\tFLAG: --concurrency="2"\n' +
      "2024-07-20T07:05:58.671204Z\tinfo\tVersion 1.22.3-e1fd3bb0f4ac4a1a0e1e0e0e0e0e0e0e0e0e0e0e-Clean\n" +
      "2024-07-20T07:05:58.901112Z\tinfo\txdsproxy\tInitializing with upstream address \"istiod.istio-system.svc:15012\" and cluster \"Kubernetes\"\n" +
      "2024-07-20T07:05:59.102030Z\twarn\tenvoy main external/envoy/source/server/server.cc:843\tUsage of the deprecated runtime key\n",
    parser: null,
  },
  { name: "README.txt", content: "This bundle holds the evidence exported for review.\nTraces, metrics and logs are in their folders.\n", parser: null },
  { name: "notes.txt", content: "key=value\nanother line\n", parser: null },
];

describe("parser registry", () => {
  it("lists every fixed parser id exactly once", () => {
    expect(PARSERS.map((p) => p.id).sort()).toEqual([...PARSER_IDS].sort());
  });

  for (const parser of PARSERS) {
    describe(parser.id, () => {
      for (const [i, sample] of parser.samples.entries()) {
        it(`sample ${i} (${sample.name}) is claimed by ${parser.id} and no other parser`, () => {
          const head = sample.content.slice(0, 64 * 1024);
          const result = sniff(head, sample.name);
          expect(result.parser?.id, JSON.stringify(result.scores.slice(0, 3))).toBe(parser.id);
          const others = result.scores.filter((s) => s.id !== parser.id && s.confidence >= SNIFF_THRESHOLD);
          expect(others).toEqual([]);
        });
        it(`sample ${i} (${sample.name}) parses to the expected counts and field values`, async () => {
          const items = await collect(parser.parse(Readable.from([Buffer.from(sample.content)]), { path: sample.name }));
          const records = items.filter((x) => x.kind !== "skipped" && x.kind !== "warning");
          expect(records.length).toBe(sample.expect.records);
          if (sample.expect.skipped !== undefined) expect(items.filter((x) => x.kind === "skipped").length).toBe(sample.expect.skipped);
          for (const [kind, n] of Object.entries(sample.expect.kinds ?? {})) {
            expect(records.filter((r) => r.kind === kind).length, kind).toBe(n);
          }
          for (const [at, want] of Object.entries(sample.expect.fields ?? {})) {
            expect(records[Number(at)], `record ${at}`).toMatchObject(fieldPattern(want));
          }
        });
      }
    });
  }

  describe("negative samples: not application logs", () => {
    for (const n of NEGATIVES) {
      it(`${n.name} goes to ${n.parser ?? "no parser"}, and no app-* parser scores ≥ ${SNIFF_THRESHOLD}`, () => {
        const result = sniff(n.content, n.name);
        expect(result.parser?.id ?? null, JSON.stringify(result.scores.slice(0, 3))).toBe(n.parser);
        expect(result.scores.filter((s) => s.id.startsWith("app-") && s.confidence >= SNIFF_THRESHOLD)).toEqual([]);
      });
    }
  });
});
