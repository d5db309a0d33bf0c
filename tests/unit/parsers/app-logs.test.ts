import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { EventRecord } from "@/lib/schemas/records";
import { toEvidenceRow } from "@/lib/server/db/bulk/evidence-row";
import { MAX_STACK_LINES, idsFromText, levelFromNumber, levelFromWord, normaliseSpanId, normaliseTraceId, podFromPath } from "@/lib/server/parsers/app-log";
import { appJsonParser } from "@/lib/server/parsers/app-json";
import { appLogfmtParser } from "@/lib/server/parsers/app-logfmt";
import { appTextParser } from "@/lib/server/parsers/app-text";
import { sniff } from "@/lib/server/parsers/registry";
import { type ParseContext, type ParseItem, type Parser, SNIFF_THRESHOLD } from "@/lib/server/parsers/types";

async function run(parser: Parser, content: string, ctx: Partial<ParseContext> = {}): Promise<ParseItem[]> {
  const out: ParseItem[] = [];
  for await (const x of parser.parse(Readable.from([Buffer.from(content)]), { path: "app.log", ...ctx })) out.push(x);
  return out;
}
const events = (items: ParseItem[]) => items.filter((x): x is EventRecord => x.kind === "event");
const warnings = (items: ParseItem[]) => items.filter((x) => x.kind === "warning").map((x) => (x as { message: string }).message);
const skipped = (items: ParseItem[]) => items.filter((x) => x.kind === "skipped");
const docker = (log: string, time: string, stream = "stdout") => `${JSON.stringify({ log: `${log}\n`, stream, time })}\n`;

describe("app-text: times", () => {
  it("a time of day takes the wrapper's date, the day nearest the write time (across midnight)", async () => {
    const text = docker("23:59:59.900 INFO  - TraceID: 0af7651916cd43dd8448eb211c80319c SpanID: b7ad6b7169203331 flushing", "2022-08-23T00:00:00.100000000Z") + docker("00:00:00.050 WARN  - late", "2022-08-23T00:00:00.200000000Z");
    const evs = events(await run(appTextParser, text));
    expect(evs.map((e) => e.ts)).toEqual([Date.parse("2022-08-22T23:59:59.900Z"), Date.parse("2022-08-23T00:00:00.050Z")]);
    expect(evs[0]!.attrs?.writtenAt).toBe(Date.parse("2022-08-23T00:00:00.100Z"));
  });

  it("a zone-less time takes the wrapper's offset (rounded to 15 min): a service logging UTC+8", async () => {
    const evs = events(await run(appTextParser, docker("2022-08-22 13:18:20.847 ERROR [main] c.e.Pay - declined", "2022-08-22T05:18:20.850000000Z")));
    expect(evs[0]!.ts).toBe(Date.parse("2022-08-22T05:18:20.847Z"));
    expect(evs[0]!.warnings).toBeUndefined();
  });

  it("without a wrapper: ctx.timezone, else UTC with one warning; a time of day takes the reference date, else stays empty", async () => {
    const line = "2022-08-22 13:18:20,847 - pay - ERROR - declined\n2022-08-22 13:18:21,000 - pay - INFO - retry\n";
    let items = await run(appTextParser, line, { timezone: "Asia/Singapore" });
    expect(events(items)[0]!.ts).toBe(Date.parse("2022-08-22T05:18:20.847Z"));
    expect(warnings(items)).toEqual([]);
    items = await run(appTextParser, line);
    expect(events(items)[0]!.ts).toBe(Date.parse("2022-08-22T13:18:20.847Z"));
    expect(warnings(items)).toEqual([expect.stringMatching(/UTC assumed/)]);
    expect(events(items)[1]!.warnings).toEqual(["timezone UTC assumed"]);

    const tod = "05:18:20.847 [main] ERROR c.e.Pay - declined\n";
    items = await run(appTextParser, tod, { referenceDate: "2022-08-22", timezone: "UTC" });
    expect(events(items)[0]!.ts).toBe(Date.parse("2022-08-22T05:18:20.847Z"));
    expect(events(items)[0]!.warnings).toEqual(["date 2022-08-22 assumed from the reference date"]);
    items = await run(appTextParser, tod);
    expect(events(items)[0]!.ts).toBeNull();
    expect(warnings(items)).toEqual([expect.stringMatching(/time of day without a date/)]);
  });

  it("a time with its zone is exact; the wrapper's time is kept as writtenAt only", async () => {
    const evs = events(await run(appTextParser, "2014-03-05T10:57:51.112+01:00  INFO 45469 --- [myapp] [           main] o.s.b.d.f.MyApplication  : Started MyApplication\n"));
    expect(evs[0]).toMatchObject({ ts: Date.parse("2014-03-05T09:57:51.112Z"), severity: "info", logger: "o.s.b.d.f.MyApplication", text: "Started MyApplication" });
  });
});

describe("app-text: line shapes", () => {
  it("reads the logger and message of the common default layouts", async () => {
    const text = [
      "16:34:10.123 [main] DEBUG com.example.App - starting",
      "2022-08-22 05:18:20,847 ERROR [http-nio-8080-exec-1] OrderService:88 - order failed",
      "ERROR 2022-08-22 05:18:20,900 [main] com.example.Main - exiting",
      "[2022-08-22 05:18:21 +0000] [7] [INFO] Booting worker with pid: 7",
      "[2022-08-22 05:18:21,500] ERROR in app: Exception on /checkout [POST]",
      "2022/08/22 05:18:22 [error] 31#31: *7 connect() failed (111: Connection refused) while connecting to upstream",
      "2022-08-22T05:18:23.000Z  WARN hyper::proto::h1::io: read buffer full",
      "WARNING:urllib3.connectionpool:Retrying after connection broken",
      "error: getaddrinfo ENOTFOUND redis",
      "[WRN] queue depth high",
    ].join("\n");
    const evs = events(await run(appTextParser, `${text}\n`, { timezone: "UTC", referenceDate: "2022-08-22" }));
    expect(evs.map((e) => [e.severity, e.logger ?? null, e.text])).toEqual([
      ["debug", "com.example.App", "starting"],
      ["error", "OrderService:88", "order failed"],
      ["error", "com.example.Main", "exiting"],
      ["info", null, "Booting worker with pid: 7"],
      ["error", "app", "Exception on /checkout [POST]"],
      ["error", null, "*7 connect() failed (111: Connection refused) while connecting to upstream"],
      ["warning", "hyper::proto::h1::io", "read buffer full"],
      ["warning", "urllib3.connectionpool", "Retrying after connection broken"],
      ["error", null, "getaddrinfo ENOTFOUND redis"],
      ["warning", null, "queue depth high"],
    ]);
    expect(evs[1]!.attrs?.thread).toBe("http-nio-8080-exec-1");
    expect(evs.map((e) => e.ts !== null)).toEqual([true, true, true, true, true, true, true, false, false, false]);
    for (const e of evs) expect(EventRecord.safeParse(e).success).toBe(true);
  });

  it(".NET console: the message on the indented next line", async () => {
    const evs = events(await run(appTextParser, "info: Microsoft.Hosting.Lifetime[14]\n      Now listening on: http://[::]:7070\nfail: cartservice.CartStore[0]\n      Can't access cart storage. StackExchange.Redis.RedisConnectionException: It was not possible to connect\n         at cartservice.cartstore.RedisCartStore.EnsureRedisConnected()\n"));
    expect(evs.map((e) => [e.severity, e.logger, e.text, e.stack ?? null])).toEqual([
      ["info", "Microsoft.Hosting.Lifetime", "Now listening on: http://[::]:7070", null],
      ["error", "cartservice.CartStore", "Can't access cart storage. StackExchange.Redis.RedisConnectionException: It was not possible to connect", "         at cartservice.cartstore.RedisCartStore.EnsureRedisConnected()"],
    ]);
  });

  it("Python chained tracebacks (blank lines inside) stay with the logging line", async () => {
    const text = `2022-08-22 05:18:21,003 - email - ERROR - send failed
Traceback (most recent call last):
  File "/app/email_server.py", line 40, in send
    raise ConnectionError("smtp down")
ConnectionError: smtp down

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/app/email_server.py", line 44, in send
    raise RuntimeError("giving up")
RuntimeError: giving up
2022-08-22 05:18:22,000 - email - INFO - next
`;
    const items = await run(appTextParser, text, { timezone: "UTC" });
    const evs = events(items);
    expect(evs).toHaveLength(2);
    expect(evs[0]!.prov).toEqual({ line: 1, offset: 0, endLine: 12 });
    expect(evs[0]!.stack?.split("\n")).toHaveLength(9); // blank lines are not kept
    expect(evs[0]!.stack?.endsWith("RuntimeError: giving up")).toBe(true);
    expect(skipped(items)).toEqual([]);
  });

  it("caps a stack trace at MAX_STACK_LINES lines: the rest is counted as a warning and still cited", async () => {
    const frames = Array.from({ length: 500 }, (_, i) => `\tat com.example.Deep.recurse(Deep.java:${i + 1})`).join("\n");
    const text = `2022-08-22 05:18:20.000 ERROR [main] c.e.Deep - stack overflow\njava.lang.StackOverflowError\n${frames}\n2022-08-22 05:18:21.000 INFO [main] c.e.Deep - recovered\n`;
    const items = await run(appTextParser, text, { timezone: "UTC" });
    const evs = events(items);
    expect(evs).toHaveLength(2);
    expect(evs[0]!.stack!.split("\n")).toHaveLength(MAX_STACK_LINES);
    expect(evs[0]!.prov.endLine).toBe(502);
    expect(evs[0]!.warnings).toEqual([expect.stringMatching(/stack trace cut at 200 lines: 301 more/)]);
    expect(warnings(items)).toEqual([expect.stringMatching(/stack trace cut at 200 lines: 301 more/)]);
    expect(evs[1]!.prov.line).toBe(503);
  });

  it("counts lines it cannot read as skipped (unwrapped junk, a continuation with nothing before it)", async () => {
    const items = await run(appTextParser, "    at orphan.frame(X.java:1)\n2022-08-22 05:18:20.000 INFO [main] c.e.A - ok\n=== banner ===\n2022-08-22 05:18:21.000 WARN [main] c.e.A - hmm\n", { timezone: "UTC" });
    expect(events(items)).toHaveLength(2);
    expect(skipped(items).map((s) => (s as { line?: number }).line)).toEqual([1, 3]);
  });

  it("kubectl --prefix and CRI partial lines: the pod from the prefix, a P…F line joined and cited from its first fragment", async () => {
    const text =
      "[pod/checkout-5d8f7c9b6-q2x7z/server] 2022-08-22T05:18:20.000Z ERROR charge failed\n" +
      "2022-08-22T05:18:21.000000000Z stdout P 2022-08-22T05:18:21.000Z WARN very long \n" +
      "2022-08-22T05:18:21.000000000Z stdout F message end\n";
    const evs = events(await run(appTextParser, text, { path: "bundle/logs.txt" }));
    expect(evs[0]).toMatchObject({ severity: "error", text: "charge failed", subject: { kind: "Pod", name: "checkout-5d8f7c9b6-q2x7z", service: "checkout" }, attrs: { container: "server" } });
    expect(evs[1]).toMatchObject({ severity: "warning", text: "very long message end", prov: { line: 2, endLine: 3 } });
  });
});

describe("app-json and app-logfmt", () => {
  it("JSON: levels by number (pino, OpenTelemetry), epoch times by magnitude, nested ECS / Datadog fields", async () => {
    const text = [
      '{"level":60,"time":1661145504,"msg":"fatal in seconds"}',
      '{"severity_number":13,"timestamp":1661145504000000,"body":"µs time"}',
      '{"@timestamp":"2022-08-22T05:18:24Z","log":{"level":"error","logger":"orders"},"message":"nested","trace":{"id":"0af7651916cd43dd8448eb211c80319c"},"span":{"id":"b9c7c989f97918e1"}}',
      '{"dd":{"trace_id":"1311069612853937410","span_id":"9208312290124574423"},"status":"warn","message":"datadog","date":"2022-08-22T05:18:24.000Z"}',
      '{"@t":"2022-08-22T05:18:24.0000000Z","@mt":"Processed {Count} items","Count":3,"@tr":"5b8efff798038103d269b633813fc60c","@sp":"eee19b7ec3c1b174"}',
      '{"ts":1661145504.5,"v":2,"msg":"no level"}',
      '{"foo":"bar"}',
      "[1, 2]",
      "{broken",
    ].join("\n");
    const items = await run(appJsonParser, `${text}\n`);
    const evs = events(items);
    expect(evs.map((e) => [e.ts, e.severity, e.text])).toEqual([
      [1661145504000, "critical", "fatal in seconds"],
      [1661145504000, "warning", "µs time"],
      [Date.parse("2022-08-22T05:18:24Z"), "error", "nested"],
      [Date.parse("2022-08-22T05:18:24Z"), "warning", "datadog"],
      [Date.parse("2022-08-22T05:18:24Z"), "info", "Processed {Count} items"],
      [1661145504500, "info", "no level"],
    ]);
    expect(evs[2]).toMatchObject({ traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b9c7c989f97918e1" });
    expect(evs[3]).toMatchObject({ traceId: "00000000000000001231daddd5f7c502", spanId: "7fca7f3d79bd2ed7" });
    expect(evs[4]).toMatchObject({ traceId: "5b8efff798038103d269b633813fc60c", spanId: "eee19b7ec3c1b174", attrs: { Count: 3 } });
    expect(skipped(items).map((s) => (s as { reason: string }).reason)).toEqual(["JSON line without log fields (level, message)", "not a JSON log line", "invalid JSON"]);
    for (const e of evs) expect(EventRecord.safeParse(e).success).toBe(true);
  });

  it("JSON: a Go panic after JSON lines is its own critical record with the goroutine dump", async () => {
    const text = '{"level":"info","ts":"2022-08-22T05:18:20.000Z","msg":"serving"}\npanic: assignment to entry in nil map\n\ngoroutine 7 [running]:\nmain.handler(0xc0000a2000)\n\t/src/main.go:40 +0x65\ncreated by net/http.(*Server).Serve in goroutine 1\n\t/usr/local/go/src/net/http/server.go:3086 +0x5cb\n';
    const evs = events(await run(appJsonParser, text));
    expect(evs).toHaveLength(2);
    expect(evs[1]).toMatchObject({ severity: "critical", text: "panic: assignment to entry in nil map", ts: Date.parse("2022-08-22T05:18:20.000Z"), prov: { line: 2, endLine: 8 } });
  });

  it("logfmt: Heroku `at=` levels, escaped quotes, a line without level or message is skipped", async () => {
    const items = await run(appLogfmtParser, 'at=error code=H12 desc="Request timeout" method=GET path="/checkout" dyno=web.1\nlevel=info msg="quoted \\"value\\" here" ts=2022-08-22T05:18:20Z\nfoo=1 bar=2\n');
    const evs = events(items);
    expect(evs.map((e) => [e.severity, e.text])).toEqual([
      ["error", "Request timeout"],
      ["info", 'quoted "value" here'],
    ]);
    expect(evs[0]!.attrs).toMatchObject({ code: "H12", path: "/checkout" });
    expect(skipped(items)).toHaveLength(1);
  });
});

describe("app-log helpers", () => {
  it("levels", () => {
    expect(["TRACE", "dbug", "INF", "Information", "WARN", "warning", "ERRO", "SEVERE", "dpanic", "FATAL", "ERROR+2"].map((w) => levelFromWord(w))).toEqual(["debug", "debug", "info", "info", "warning", "warning", "error", "error", "critical", "critical", "error"]);
    expect(levelFromWord("E")).toBeNull();
    expect(levelFromWord("E", true)).toBe("error");
    expect([10, 20, 30, 40, 50, 60, 3, 6].map((n) => levelFromNumber(n))).toEqual(["debug", "debug", "info", "warning", "error", "critical", "error", "info"]);
    expect([1, 9, 13, 17, 21].map((n) => levelFromNumber(n, "otel"))).toEqual(["debug", "info", "warning", "error", "critical"]);
  });

  it("ids: hex lowercased and padded like span records, decimal Datadog ids converted, zero ids dropped", () => {
    expect(normaliseTraceId("4BF92F3577B34DA6A3CE929D0E0E4736")).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(normaliseTraceId("a3ce929d0e0e4736")).toBe("0000000000000000a3ce929d0e0e4736");
    expect(normaliseTraceId("projects/p/traces/0af7651916cd43dd8448eb211c80319c")).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(normaliseTraceId("1-5759e988-bd862e3fe1be46a994272793")).toBe("1-5759e988-bd862e3fe1be46a994272793");
    expect(normaliseTraceId("00000000000000000000000000000000")).toBeNull();
    expect(normaliseTraceId("not-an-id")).toBeNull();
    expect(normaliseSpanId("9208312290124574423")).toBe("7fca7f3d79bd2ed7");
    expect(normaliseSpanId("0000000000000000")).toBeNull();
    const ids: { traceId?: string; spanId?: string } = {};
    idsFromText("[checkout,5f9d1c3b9e1a2b3c4d5e6f7081920a1b,a1b2c3d4e5f60718] placing order", ids);
    expect(ids).toEqual({ traceId: "5f9d1c3b9e1a2b3c4d5e6f7081920a1b", spanId: "a1b2c3d4e5f60718" });
  });

  it("pods and services from file paths", () => {
    expect(podFromPath("ob-1/pods/currencyservice-cf787dd48-vpjrd.log")).toEqual({ pod: "currencyservice-cf787dd48-vpjrd", service: "currencyservice" });
    expect(podFromPath("node-a/var/log/pods/shop_cart-6b7f9d8c4-abcde_0b6f3c2e-1111-2222-3333-444455556666/server/0.log")).toEqual({ namespace: "shop", pod: "cart-6b7f9d8c4-abcde", container: "server", service: "cart" });
    expect(podFromPath(`var/log/containers/cart-6b7f9d8c4-abcde_shop_server-${"a".repeat(64)}.log`)).toEqual({ pod: "cart-6b7f9d8c4-abcde", namespace: "shop", container: "server", service: "cart" });
    expect(podFromPath("logs/redis-0.log")).toEqual({ pod: "redis-0", service: "redis" });
    expect(podFromPath("logs/app.log")).toEqual({});
    expect(podFromPath("logs/app-2022.log")).toEqual({});
    expect(podFromPath("logs/api-https.log")).toEqual({});
    expect(podFromPath("logs/kube-proxy-x7k2p.log")).toEqual({ pod: "kube-proxy-x7k2p", service: "kube-proxy" });
  });

  it("an event's trace id reaches the Evidence row (the link to its spans)", async () => {
    const [ev] = events(await run(appJsonParser, '{"level":"error","time":"2022-08-22T05:18:20Z","msg":"x","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}\n', { path: "pods/cart-6b7f9d8c4-abcde.log" }));
    const row = toEvidenceRow(ev!, 1);
    expect(row).toMatchObject({ kind: "event", source: "app", severity: "error", service: "cart", traceId: "4bf92f3577b34da6a3ce929d0e0e4736", text: "x" });
  });
});

/** Real-format fixtures of the other parsers (in the repository, and the shared sets when present): none may go to an app-* parser. */
describe("app-* sniffs leave the other formats' fixtures alone", () => {
  const roots = [path.resolve(__dirname, "../../fixtures"), path.resolve(__dirname, "../../../../shared/fixtures")].filter((r) => existsSync(r));
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = path.join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (statSync(p).size > 0) files.push(p);
    }
  };
  for (const r of roots) walk(r);

  it(`${files.length} fixture files: no app-* parser wins or scores ≥ ${SNIFF_THRESHOLD} next to another parser`, () => {
    const bad: string[] = [];
    for (const f of files) {
      const head = readFileSync(f).subarray(0, 65536).toString("utf8");
      const r = sniff(head, path.basename(f));
      const app = r.scores.filter((s) => s.id.startsWith("app-") && s.confidence >= SNIFF_THRESHOLD);
      if (app.length > 0) bad.push(`${f}: ${JSON.stringify(r.scores.slice(0, 3))}`);
    }
    expect(bad).toEqual([]);
  });
});

describe("app-text: Node errors printed after a log line", () => {
  it("`Error: …` and its indented frames stay with the line before", async () => {
    const evs = events(await run(appTextParser, "2022-08-22T05:18:20.000Z ERROR charge failed\nError: card declined\n    at charge (/app/charge.js:12:11)\n2022-08-22T05:18:21.000Z INFO next\n"));
    expect(evs).toHaveLength(2);
    expect(evs[0]).toMatchObject({ prov: { line: 1, endLine: 3 }, stack: "Error: card declined\n    at charge (/app/charge.js:12:11)" });
  });
});
