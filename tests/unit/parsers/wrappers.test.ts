import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KvScanner, indexOfFirstPair, parseKv, splitHostPort, toUint } from "@/lib/server/parsers/kv";
import { RESPONSE_FLAGS, explainFlag, longFlagName, normaliseFlag, parseResponseFlags } from "@/lib/server/parsers/response-flags";
import { CriJoiner, parseRfc3339, unwrapHeadLines, unwrapLogLine } from "@/lib/server/parsers/wrappers";

describe("unwrapLogLine", () => {
  it("strips a CRI prefix and keeps the write time, stream and partial tag", () => {
    const u = unwrapLogLine("2024-07-20T07:05:58.670998585Z stdout F [2024-07-20T07:05:54.173Z] \"GET / HTTP/1.1\" 200");
    expect(u.text).toBe('[2024-07-20T07:05:54.173Z] "GET / HTTP/1.1" 200');
    expect(u.stream).toBe("stdout");
    expect(u.partial).toBeUndefined();
    expect(u.writtenAt).toBeCloseTo(Date.UTC(2024, 6, 20, 7, 5, 58) + 670.998585, 3);
    expect(u.wrappers).toEqual(["cri"]);
    const p = unwrapLogLine("2024-07-20T07:05:58.1Z stderr P part one");
    expect(p).toMatchObject({ text: "part one", stream: "stderr", partial: true });
  });

  it("strips docker-compose service prefixes (padded, coloured) and a following --timestamps stamp", () => {
    const u = unwrapLogLine("envoy-1         | 2024-07-20T07:05:58.670998585Z [2024-07-20T07:05:54.173Z] \"GET /x HTTP/1.1\" 504 UT");
    expect(u.container).toBe("envoy-1");
    expect(u.text).toBe('[2024-07-20T07:05:54.173Z] "GET /x HTTP/1.1" 504 UT');
    expect(u.wrappers).toEqual(["compose", "timestamp"]);
    const coloured = unwrapLogLine("\x1b[36mztunnel-1  |\x1b[0m 2024-05-04T09:59:05.028709Z\tinfo\taccess\tconnection complete");
    expect(coloured.container).toBe("ztunnel-1");
    expect(coloured.text).toBe("2024-05-04T09:59:05.028709Z\tinfo\taccess\tconnection complete");
  });

  it("strips kubectl --prefix and names pod and container", () => {
    const u = unwrapLogLine("[pod/ztunnel-4xk2p/istio-proxy] 2024-05-04T09:59:05.028709Z\tinfo\taccess\tx");
    expect(u).toMatchObject({ pod: "ztunnel-4xk2p", container: "istio-proxy", text: "2024-05-04T09:59:05.028709Z\tinfo\taccess\tx" });
  });

  it("unwraps docker json-file lines and drops the trailing newline", () => {
    const u = unwrapLogLine('{"log":"[2024-01-01T00:00:00.000Z] \\"GET / HTTP/1.1\\" 200\\n","stream":"stderr","time":"2024-01-01T00:00:01.5Z"}');
    expect(u.text).toBe('[2024-01-01T00:00:00.000Z] "GET / HTTP/1.1" 200');
    expect(u.stream).toBe("stderr");
    expect(u.writtenAt).toBe(Date.UTC(2024, 0, 1, 0, 0, 1) + 500);
  });

  it("leaves application timestamps alone: ztunnel, klog-less text and JSON logs are not wrappers", () => {
    for (const line of [
      "2024-05-04T09:59:05.028709Z info    access  connection complete src.addr=1.2.3.4:5",
      "2024-04-11T15:38:42.182974Z  INFO access: connection complete",
      "2024-04-11T15:38:42.182974Z INFO ztunnel::proxy: x",
      '{"time":"2025-03-02T14:10:02Z","level":"info","message":"connection complete"}',
      'remote_addr="1.2.3.4", [time_local=19/Feb/2024:19:14:32 +0000]',
      "10.0.0.1 - - [14/Aug/2019:04:12:10 +0300] \"GET / HTTP/1.1\" 200 1",
    ]) {
      const u = unwrapLogLine(line);
      expect(u.text, line).toBe(line);
      expect(u.writtenAt).toBeUndefined();
    }
  });

  it("strips a --timestamps stamp in front of a klog header", () => {
    const u = unwrapLogLine("2024-05-04T09:59:05.028709123Z I0504 09:59:05.028709       1 proxier.go:1]");
    expect(u.text).toBe("I0504 09:59:05.028709       1 proxier.go:1]");
    expect(u.writtenAt).not.toBeUndefined();
  });

  it("never throws and never grows the text on arbitrary input", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => {
        const u = unwrapLogLine(s);
        expect(u.text.length).toBeLessThanOrEqual(s.length);
      }),
      { numRuns: 500 },
    );
  });

  it("unwrapHeadLines unwraps each non-empty line of a sniff head", () => {
    expect(unwrapHeadLines("a-1  | x\n\n2024-01-01T00:00:00Z stdout F y\r\n")).toEqual(["x", "y"]);
  });
});

describe("CriJoiner", () => {
  it("joins P…P…F fragments into one line and passes whole lines through", () => {
    const j = new CriJoiner();
    expect(j.push(unwrapLogLine("2024-01-01T00:00:00Z stdout P abc "))).toBeNull();
    expect(j.push(unwrapLogLine("2024-01-01T00:00:00Z stdout P def "))).toBeNull();
    expect(j.push(unwrapLogLine("2024-01-01T00:00:00Z stdout F ghi"))?.text).toBe("abc def ghi");
    expect(j.push(unwrapLogLine("plain"))?.text).toBe("plain");
    expect(j.push(unwrapLogLine("plain"))?.joinedFrom).toBeUndefined();
    expect(j.flush()).toBeNull();
  });
  it("reports where a joined line started", () => {
    const j = new CriJoiner();
    expect(j.push(unwrapLogLine("2024-01-01T00:00:00Z stdout P a"), 7, 700)).toBeNull();
    expect(j.push(unwrapLogLine("2024-01-01T00:00:00Z stdout P b"), 8, 800)).toBeNull();
    expect(j.push(unwrapLogLine("2024-01-01T00:00:00Z stdout F c"), 9, 900)).toMatchObject({ text: "abc", joinedFrom: { line: 7, offset: 700 } });
  });
  it("bounds a never-ending partial", () => {
    const j = new CriJoiner(10);
    for (let i = 0; i < 5; i++) j.push({ text: "0123456789", partial: true });
    expect(j.truncated).toBe(true);
    expect(j.flush()).toHaveLength(10);
  });
});

describe("parseRfc3339", () => {
  it("parses Z and offset forms and keeps sub-millisecond digits", () => {
    expect(parseRfc3339("2024-05-04T09:59:05.028709Z")).toBeCloseTo(Date.UTC(2024, 4, 4, 9, 59, 5) + 28.709, 6);
    expect(parseRfc3339("2024-05-04T09:59:05Z")).toBe(Date.UTC(2024, 4, 4, 9, 59, 5));
    expect(parseRfc3339("2024-05-04T12:59:05.5+03:00")).toBe(Date.UTC(2024, 4, 4, 9, 59, 5) + 500);
    expect(parseRfc3339("2024-05-04 09:59:05.000Z")).toBe(Date.UTC(2024, 4, 4, 9, 59, 5));
  });
  it("agrees with Date.parse on millisecond timestamps", () => {
    fc.assert(
      fc.property(fc.date({ min: new Date("1971-01-01"), max: new Date("2099-12-31"), noInvalidDate: true }), (d) => {
        expect(parseRfc3339(d.toISOString())).toBe(d.getTime());
      }),
      { numRuns: 300 },
    );
  });
  it("rejects zone-less, malformed and out-of-range text", () => {
    for (const s of ["2024-05-04T09:59:05", "2024-13-04T09:59:05Z", "2024-05-04T25:59:05Z", "abcd-ef-ghTij:kl:mnZ", "2024-05-04T09:59:05.Z", ""]) {
      expect(parseRfc3339(s), s).toBeNull();
    }
  });
});

describe("KvScanner / parseKv", () => {
  it("reads bare and quoted values, escapes and dotted keys, skipping free words", () => {
    const m = parseKv('connection complete src.addr=10.0.0.1:80 src.workload="a b" error="x \\"y\\" z" n=1');
    expect([...m.entries()]).toEqual([
      ["src.addr", "10.0.0.1:80"],
      ["src.workload", "a b"],
      ["error", 'x "y" z'],
      ["n", "1"],
    ]);
  });
  it("handles nginx main_ext commas and [key=value with spaces]", () => {
    const m = parseKv('remote_addr="1.2.3.4", [time_local=19/Feb/2024:19:14:32 +0000], request_time=0.001, uct="0.1, 0.2",', 0, { commas: true });
    expect(m.get("time_local")).toBe("19/Feb/2024:19:14:32 +0000");
    expect(m.get("request_time")).toBe("0.001");
    expect(m.get("uct")).toBe("0.1, 0.2");
  });
  it("an unterminated quote runs to the end of the line", () => {
    expect(parseKv('a="open b=c').get("a")).toBe("open b=c");
  });
  it("reuses one cursor across lines", () => {
    const s = new KvScanner();
    s.reset("a=1 b=2");
    const seen: string[] = [];
    while (s.next()) seen.push(`${s.key}:${s.value}`);
    s.reset("c=3");
    while (s.next()) seen.push(`${s.key}:${s.value}`);
    expect(seen).toEqual(["a:1", "b:2", "c:3"]);
  });
  it("indexOfFirstPair finds where free text ends", () => {
    const t = "x  INFO access: connection complete src.addr=1";
    expect(t.slice(indexOfFirstPair(t))).toBe("src.addr=1");
    expect(indexOfFirstPair("no pairs here")).toBe(-1);
  });
  it("round-trips generated pairs", () => {
    const key = fc.stringMatching(/^[a-z_][a-z_.]{0,10}$/);
    const val = fc.string({ maxLength: 20 }).filter((v) => !/[\s"\\]/.test(v) && v.length > 0);
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(key, val, fc.boolean()), { selector: (t) => t[0], maxLength: 8 }), (pairs) => {
        const line = pairs.map(([k, v, q]) => (q ? `${k}="${v}"` : `${k}=${v}`)).join(" ");
        const m = parseKv(line);
        for (const [k, v] of pairs) expect(m.get(k)).toBe(v);
      }),
      { numRuns: 300 },
    );
  });
});

describe("splitHostPort / toUint", () => {
  it("splits IPv4, bracketed IPv6, bare IPv6 and dashes", () => {
    expect(splitHostPort("10.0.0.1:8080")).toEqual({ ip: "10.0.0.1", port: 8080 });
    expect(splitHostPort("[fd00::1]:15006")).toEqual({ ip: "fd00::1", port: 15006 });
    expect(splitHostPort("fd00::1")).toEqual({ ip: "fd00::1" });
    expect(splitHostPort("10.0.0.1")).toEqual({ ip: "10.0.0.1" });
    expect(splitHostPort("-")).toBeNull();
    expect(splitHostPort("host:99999")).toEqual({ ip: "host" });
  });
  it("toUint accepts only digits", () => {
    expect(toUint("175")).toBe(175);
    expect(toUint("-")).toBeNull();
    expect(toUint("1.5")).toBeNull();
    expect(toUint("")).toBeNull();
  });
});

describe("Envoy response flags", () => {
  it("explains short and long names in plain words", () => {
    expect(explainFlag("UF")).toBe("upstream connection failure");
    expect(explainFlag("UpstreamConnectionFailure")).toBe("upstream connection failure");
    expect(explainFlag("UT")).toMatch(/timeout/);
    expect(explainFlag("URX")).toMatch(/retry limit/);
    expect(explainFlag("ZZ")).toMatch(/unknown.*ZZ/);
  });
  it("normalises comma lists of short or long names to short codes, dropping duplicates", () => {
    expect(parseResponseFlags("UF,URX")).toEqual(["UF", "URX"]);
    expect(parseResponseFlags("UpstreamConnectionFailure,UpstreamRetryLimitExceeded")).toEqual(["UF", "URX"]);
    expect(parseResponseFlags("noHealthyUpstream")).toEqual(["UH"]);
    expect(parseResponseFlags("UC,UC")).toEqual(["UC"]);
    expect(parseResponseFlags("-")).toEqual([]);
    expect(parseResponseFlags("X1")).toEqual(["X1"]);
  });
  it("has a unique, round-tripping table including the documented codes", () => {
    const shorts = RESPONSE_FLAGS.map((f) => f.short);
    expect(new Set(shorts).size).toBe(shorts.length);
    for (const code of ["UH", "UF", "UO", "NR", "URX", "NC", "DT", "DC", "LH", "UT", "LR", "UR", "UC", "DI", "FI", "RL", "UAEX", "RLSE", "IH", "SI", "DPE", "UPE", "UMSDR", "OM", "DF", "DO", "NFCF", "DR"]) {
      expect(shorts, code).toContain(code);
      expect(normaliseFlag(longFlagName(code)!)).toBe(code);
    }
  });
});
