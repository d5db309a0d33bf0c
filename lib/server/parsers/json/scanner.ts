/**
 * Streaming JSON record scanner: walks a byte stream of one or more JSON documents (a single document,
 * JSON Lines, or concatenated documents) and hands back only the values at configured "record paths",
 * each JSON.parse()d from its own byte slice. Everything else is skipped without being materialised.
 *
 *   bytes:  {"resourceSpans":[{"resource":{…},"scopeSpans":[{"spans":[{…},{…}]}]}]}
 *   walk:   ^ descend ──────── ^ descend     ^ capture   ^ descend  ^ capture each
 *   memory: O(largest captured value) + O(chunk), never O(document)
 *
 * Why not a full tokenizer: a 1.5 GB OTLP export cannot become one JS string (V8 caps strings near
 * 512 MB) and materialising every token is slow. Only containers on a route prefix are walked with a
 * validating state machine (to know the path); everything below a route is skipped or captured by a
 * tight byte loop that counts brackets and steps over strings. Captured slices are validated by
 * JSON.parse; skipped subtrees are not validated (they are not used).
 *
 * Errors never throw: they become `problem` events naming the byte, line and column. After a
 * structural error the scanner resynchronises at the next line that starts (column 1) with `{` or `[`,
 * which recovers JSON Lines files while not mistaking indented lines of a pretty-printed document for
 * new documents.
 */

export interface RouteSpec {
  /** Path like `resourceSpans[*].scopeSpans[*].spans[*]`; "" is the document root, `[*]` any array element. */
  path: string;
  /** `record`: capture and parse the value there. `boundary`: report when that container closes. */
  kind: "record" | "boundary";
  /** Caller's tag, returned with each event. */
  tag: string;
  /** Capture only when the value is an object (lets a root array be walked instead of captured). */
  objectOnly?: boolean;
  /** Hand back the value's bytes unparsed (`raw` events): the caller parses them, maybe in another thread. */
  raw?: boolean;
}

export interface RecordEvent {
  type: "record";
  tag: string;
  value: unknown;
  /** RFC 6901 pointer inside its document. */
  pointer: string;
  /** 0-based index of the top-level document (JSON Lines / concatenated input). */
  doc: number;
  offset: number;
  line: number;
  /** Size of the value's bytes (for callers that bound what they hold back). */
  bytes: number;
}
/** A captured value's bytes (routes with `raw`), not validated: a copy the caller may keep. */
export interface RawEvent {
  type: "raw";
  tag: string;
  bytes: Buffer;
  pointer: string;
  doc: number;
  offset: number;
  line: number;
}
export interface BoundaryEvent {
  type: "close";
  tag: string;
  pointer: string;
  doc: number;
}
export interface DocEndEvent {
  type: "docEnd";
  doc: number;
}
export interface ProblemEvent {
  type: "problem";
  reason: string;
  pointer?: string;
  line: number;
  excerpt?: string;
}
export type ScanEvent = RecordEvent | RawEvent | BoundaryEvent | DocEndEvent | ProblemEvent;

export interface ScannerOptions {
  /** Largest value captured; bigger ones become a problem event (memory bound). Default 16 MiB. */
  maxRecordBytes?: number;
  /** Problems reported individually before they are only counted. Default 100. */
  maxProblems?: number;
}

interface TrieNode {
  keys: Map<string, TrieNode> | null;
  star: TrieNode | null;
  record: string | null;
  recordObjectOnly: boolean;
  recordRaw: boolean;
  boundary: string | null;
}

interface Frame {
  array: boolean;
  node: TrieNode;
  index: number;
  key: string;
  pointer: string;
}

const enum Mode {
  Walk,
  Key,
  Skip,
  Recover,
}
const enum Expect {
  Value,
  ValueOrClose,
  KeyOrClose,
  Key,
  Colon,
  CommaOrClose,
}

const newNode = (): TrieNode => ({ keys: null, star: null, record: null, recordObjectOnly: false, recordRaw: false, boundary: null });

export function compileRoutes(routes: readonly RouteSpec[]): TrieNode {
  const root = newNode();
  for (const r of routes) {
    let node = root;
    const tokens = r.path.match(/\[\*\]|[^.[\]]+/g) ?? [];
    for (const t of tokens) {
      if (t === "[*]") node = node.star ??= newNode();
      else {
        node.keys ??= new Map();
        let next = node.keys.get(t);
        if (!next) node.keys.set(t, (next = newNode()));
        node = next;
      }
    }
    if (r.kind === "record") {
      node.record = r.tag;
      node.recordObjectOnly = r.objectOnly === true;
      node.recordRaw = r.raw === true;
    } else node.boundary = r.tag;
  }
  return root;
}

const escapePointer = (k: string): string => (k.includes("~") || k.includes("/") ? k.replace(/~/g, "~0").replace(/\//g, "~1") : k);

const MAX_KEY_BYTES = 64 * 1024;
const BOM = [0xef, 0xbb, 0xbf];

export class JsonRecordScanner {
  private readonly root: TrieNode;
  private readonly maxRecordBytes: number;
  private readonly maxProblems: number;

  private mode: Mode = Mode.Walk;
  private expect: Expect = Expect.Value;
  private stack: Frame[] = [];
  private doc = 0;
  private docStarted = false;

  // position
  private base = 0;
  private line = 1;
  private lineStart = 0;

  // skip / capture state
  private depth = 0;
  private inString = false;
  private escaped = false;
  private scalar = false;
  private capturing = false;
  private captureTag = "";
  private captureRaw = false;
  private captureParts: Buffer[] = [];
  private captureLen = 0;
  private captureChunkStart = 0;
  private captureOffset = 0;
  private captureLine = 1;
  private captureLineStart = 0;
  private capturePointer = "";
  private captureOverflow = false;

  // key state
  private keyParts: Buffer[] = [];
  private keyLen = 0;
  private keyEscaped = false;
  private keyHasEscape = false;
  private keyChunkStart = 0;

  // JSON Lines detection: after two consecutive one-line documents, a line break inside a document
  // means a cut record (log rotation, truncated write), so recover at the next line instead of
  // swallowing the following records into the broken one.
  private docStartLine = 1;
  private singleLineRun = 0;
  private jsonLines = false;

  // recovery state
  private atLineStart = false;
  private problems = 0;
  private suppressed = 0;

  private out: ScanEvent[] = [];

  constructor(routes: readonly RouteSpec[], opts: ScannerOptions = {}) {
    this.root = compileRoutes(routes);
    this.maxRecordBytes = opts.maxRecordBytes ?? 16 * 1024 * 1024;
    this.maxProblems = opts.maxProblems ?? 100;
  }

  /** Feeds the next chunk; returns the events it completed (in document order). */
  write(chunk: Buffer): ScanEvent[] {
    this.out = [];
    const buf = chunk;
    let i = 0;
    // UTF-8 byte order mark, possibly split over the first chunks
    while (this.base + i < 3 && i < buf.length && buf[i] === BOM[this.base + i]) i++;
    const n = buf.length;
    this.captureChunkStart = 0;
    this.keyChunkStart = 0;
    while (i < n) {
      switch (this.mode) {
        case Mode.Walk:
          i = this.walk(buf, i, n);
          break;
        case Mode.Skip:
          i = this.skip(buf, i, n);
          break;
        case Mode.Key:
          i = this.readKey(buf, i, n);
          break;
        case Mode.Recover:
          i = this.recover(buf, i, n);
          break;
      }
    }
    // carry partial capture / key over the chunk boundary (copied: producers may reuse buffers)
    if (this.mode === Mode.Skip && this.capturing) this.appendCapture(buf.subarray(this.captureChunkStart, n));
    if (this.mode === Mode.Key) this.appendKey(buf.subarray(this.keyChunkStart, n));
    this.base += n;
    return this.out;
  }

  /** Signals end of input; reports an unterminated document. */
  end(): ScanEvent[] {
    this.out = [];
    if (this.mode === Mode.Skip && this.scalar && this.depth === 0 && !this.inString) {
      this.finishValue(Buffer.alloc(0), 0);
    }
    if (this.mode === Mode.Skip || this.mode === Mode.Key || (this.mode === Mode.Walk && this.stack.length > 0)) {
      const what = this.mode === Mode.Key || this.inString ? "a string" : this.stack.length > 0 ? `${this.stack[this.stack.length - 1]!.array ? "an array" : "an object"}` : "a value";
      this.problem(`invalid JSON at byte ${this.base} (line ${this.line}, col ${this.base - this.lineStart + 1}): unexpected end of input inside ${what}`, this.currentPointer());
      this.closeDoc();
    } else if (this.mode === Mode.Walk && this.docStarted) {
      this.closeDoc();
    }
    if (this.suppressed > 0) this.out.push({ type: "problem", reason: `${this.suppressed} further JSON problems not listed`, line: this.line });
    this.mode = Mode.Walk;
    return this.out;
  }

  private problem(reason: string, pointer?: string, excerpt?: string, line = this.line): void {
    if (this.problems >= this.maxProblems) {
      this.suppressed++;
      return;
    }
    this.problems++;
    this.out.push({ type: "problem", reason, pointer, line, excerpt });
  }

  private syntaxError(buf: Buffer, i: number, expected: string): void {
    const off = this.base + i;
    const c = buf[i]!;
    const found = c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, "0")}`;
    this.problem(
      `invalid JSON at byte ${off} (line ${this.line}, col ${off - this.lineStart + 1}): expected ${expected}, found ${found}`,
      this.currentPointer(),
      excerptBytes(buf, i),
    );
    this.closeDoc();
    this.mode = Mode.Recover;
    this.atLineStart = false;
  }

  private currentPointer(): string {
    const top = this.stack[this.stack.length - 1];
    if (!top) return "";
    return top.array ? `${top.pointer}/${top.index}` : `${top.pointer}/${escapePointer(top.key)}`;
  }

  private closeDoc(): void {
    // Boundaries still open close with the document so consumers flush what they hold back.
    for (let k = this.stack.length - 1; k >= 0; k--) {
      const f = this.stack[k]!;
      if (f.node.boundary !== null) this.out.push({ type: "close", tag: f.node.boundary, pointer: f.pointer, doc: this.doc });
    }
    this.stack = [];
    this.capturing = false;
    this.captureParts = [];
    this.captureLen = 0;
    if (this.docStarted) this.out.push({ type: "docEnd", doc: this.doc });
    this.doc++;
    this.docStarted = false;
    this.expect = Expect.Value;
  }

  private valueNode(): TrieNode | null {
    const top = this.stack[this.stack.length - 1];
    if (!top) return this.root;
    if (top.array) return top.node.star;
    return top.node.keys?.get(top.key) ?? null;
  }

  private walk(buf: Buffer, i: number, n: number): number {
    while (i < n) {
      const c = buf[i]!;
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
        if (c === 0x0a) {
          if (this.jsonLines && this.stack.length > 0) return this.lineBreakInValue(i);
          this.line++;
          this.lineStart = this.base + i + 1;
        }
        i++;
        continue;
      }
      switch (this.expect) {
        case Expect.ValueOrClose:
          if (c === 0x5d) {
            i = this.closeContainer(i);
            continue;
          }
        // falls through
        case Expect.Value:
          return this.startValue(buf, i);
        case Expect.KeyOrClose:
          if (c === 0x7d) {
            i = this.closeContainer(i);
            continue;
          }
        // falls through
        case Expect.Key:
          if (c !== 0x22) {
            this.syntaxError(buf, i, this.expect === Expect.Key ? "a string key" : "a string key or '}'");
            return i + 1;
          }
          this.mode = Mode.Key;
          this.keyParts = [];
          this.keyLen = 0;
          this.keyEscaped = false;
          this.keyHasEscape = false;
          this.keyChunkStart = i + 1;
          return i + 1;
        case Expect.Colon:
          if (c !== 0x3a) {
            this.syntaxError(buf, i, "':'");
            return i + 1;
          }
          this.expect = Expect.Value;
          i++;
          continue;
        case Expect.CommaOrClose: {
          const top = this.stack[this.stack.length - 1]!;
          if (c === 0x2c) {
            if (top.array) {
              top.index++;
              this.expect = Expect.Value;
            } else this.expect = Expect.Key;
            i++;
            continue;
          }
          if ((top.array && c === 0x5d) || (!top.array && c === 0x7d)) {
            i = this.closeContainer(i);
            continue;
          }
          this.syntaxError(buf, i, top.array ? "',' or ']'" : "',' or '}'");
          return i + 1;
        }
      }
    }
    return i;
  }

  private closeContainer(i: number): number {
    const f = this.stack.pop()!;
    if (f.node.boundary !== null) this.out.push({ type: "close", tag: f.node.boundary, pointer: f.pointer, doc: this.doc });
    this.afterValue();
    return i + 1;
  }

  private afterValue(): void {
    if (this.stack.length === 0) {
      this.singleLineRun = this.line === this.docStartLine ? this.singleLineRun + 1 : 0;
      this.jsonLines = this.singleLineRun >= 2;
      this.closeDoc();
    }
    else this.expect = Expect.CommaOrClose;
  }

  private startValue(buf: Buffer, i: number): number {
    const c = buf[i]!;
    const isContainer = c === 0x7b || c === 0x5b;
    if (!isContainer && c !== 0x22 && c !== 0x2d && !(c >= 0x30 && c <= 0x39) && c !== 0x74 && c !== 0x66 && c !== 0x6e) {
      this.syntaxError(buf, i, "a JSON value");
      return i + 1;
    }
    if (this.stack.length === 0) this.docStartLine = this.line;
    this.docStarted = true;
    const node = this.valueNode();
    if (node && node.record !== null && (!node.recordObjectOnly || c === 0x7b)) {
      this.capturing = true;
      this.captureTag = node.record;
      this.captureRaw = node.recordRaw;
      this.captureParts = [];
      this.captureLen = 0;
      this.captureOverflow = false;
      this.captureChunkStart = i;
      this.captureOffset = this.base + i;
      this.captureLine = this.line;
      this.captureLineStart = this.lineStart;
      this.capturePointer = this.currentPointer();
    } else if (node && isContainer && (c === 0x7b ? node.keys !== null : node.star !== null)) {
      const array = c === 0x5b;
      this.stack.push({ array, node, index: 0, key: "", pointer: this.currentPointer() });
      this.expect = array ? Expect.ValueOrClose : Expect.KeyOrClose;
      return i + 1;
    } else this.capturing = false;
    // skip (or capture) the value with the fast loop
    this.mode = Mode.Skip;
    this.escaped = false;
    if (isContainer) {
      this.depth = 1;
      this.inString = false;
      this.scalar = false;
      return i + 1;
    }
    this.depth = 0;
    this.inString = c === 0x22;
    this.scalar = !this.inString;
    return this.inString ? i + 1 : i;
  }

  /**
   * The hot loop: steps over a value by counting brackets outside strings. Brackets are not matched
   * pairwise here; captured values are validated by JSON.parse, skipped ones are not needed.
   */
  private skip(buf: Buffer, i: number, n: number): number {
    let depth = this.depth;
    // Resume states (a string or scalar cut by the chunk boundary, or a root-level string/scalar).
    if (this.scalar) {
      while (i < n) {
        const c = buf[i]!;
        if (c === 0x2c || c === 0x7d || c === 0x5d || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) break;
        i++;
      }
      if (i >= n) return n;
      return this.finishValue(buf, i);
    }
    if (this.inString) {
      if (this.escaped) {
        this.escaped = false;
        i++;
      }
      i = this.stringEnd(buf, i, n, depth);
      if (i < 0) return i === -1 ? n : -i - 2;
      this.inString = false;
      i++;
      if (depth === 0) return this.finishValue(buf, i);
    }
    // Hot loop: locals only, strings stepped over inline, whitespace and digits fall through fast.
    while (i < n) {
      const c = buf[i]!;
      if (c === 0x22) {
        i++;
        while (i < n) {
          const d = buf[i]!;
          if (d === 0x22) break;
          if (d === 0x5c) i += 2;
          else if (d === 0x0a) {
            this.inString = true;
            this.depth = depth;
            return this.lineBreakInValue(i);
          } else i++;
        }
        if (i >= n) {
          // a backslash as the chunk's last byte escapes the next chunk's first byte
          this.inString = true;
          this.escaped = i > n;
          this.depth = depth;
          return n;
        }
        i++;
        continue;
      }
      if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        if (--depth === 0) {
          this.depth = 0;
          return this.finishValue(buf, i + 1);
        }
      } else if (c === 0x0a) {
        if (this.jsonLines) {
          this.depth = depth;
          return this.lineBreakInValue(i);
        }
        this.line++;
        this.lineStart = this.base + i + 1;
      }
      i++;
    }
    this.depth = depth;
    return n;
  }

  /**
   * Finds the closing quote of a string being resumed. Returns its index, -1 when the chunk ended
   * inside the string, or -(k + 2) when a line break at k cut the value (already reported).
   */
  private stringEnd(buf: Buffer, i: number, n: number, depth: number): number {
    while (i < n) {
      const c = buf[i]!;
      if (c === 0x22) return i;
      if (c === 0x5c) i += 2;
      else if (c === 0x0a) {
        this.depth = depth;
        return -this.lineBreakInValue(i) - 2;
      } else i++;
    }
    this.escaped = i > n;
    this.depth = depth;
    return -1;
  }

  /** A line break where a value cannot continue: report it and resynchronise at the next line. */
  private lineBreakInValue(i: number): number {
    const off = this.base + i;
    const inString = this.inString || this.mode === Mode.Key;
    this.problem(
      `invalid JSON at byte ${off} (line ${this.line}, col ${off - this.lineStart + 1}): line ends inside ${inString ? "a string" : "a JSON Lines record"} (record cut short?)`,
      this.capturing ? this.capturePointer : this.currentPointer(),
    );
    this.inString = false;
    this.scalar = false;
    this.closeDoc();
    this.mode = Mode.Recover;
    this.atLineStart = false;
    return i;
  }

  private appendCapture(part: Buffer): void {
    if (part.length === 0) return;
    this.captureLen += part.length;
    if (this.captureOverflow) return; // keep counting the size for the message, hold nothing
    if (this.captureLen > this.maxRecordBytes) {
      this.captureOverflow = true;
      this.captureParts = [];
      return;
    }
    this.captureParts.push(Buffer.from(part));
  }

  private finishValue(buf: Buffer, end: number): number {
    this.mode = Mode.Walk;
    this.scalar = false;
    if (this.capturing) {
      this.capturing = false;
      const tail = buf.subarray(this.captureChunkStart, end);
      const total = this.captureLen + tail.length;
      if (this.captureOverflow || total > this.maxRecordBytes) {
        this.problem(`value at ${this.capturePointer || "/"} is ${total} bytes, over the ${this.maxRecordBytes}-byte record limit: skipped`, this.capturePointer, undefined, this.captureLine);
      } else if (this.captureRaw) {
        const bytes = this.captureParts.length === 0 ? Buffer.from(tail) : Buffer.concat([...this.captureParts, tail]);
        this.out.push({ type: "raw", tag: this.captureTag, bytes, pointer: this.capturePointer, doc: this.doc, offset: this.captureOffset, line: this.captureLine });
      } else {
        const text = this.captureParts.length === 0 ? tail.toString("utf8") : Buffer.concat([...this.captureParts, tail]).toString("utf8");
        this.captureParts = [];
        this.captureLen = 0;
        this.emitParsed(text, total);
      }
      this.captureParts = [];
      this.captureLen = 0;
    }
    this.afterValue();
    return end;
  }

  private emitParsed(text: string, bytes: number): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      const d = describeParseError(e, text, this.captureOffset, this.captureLine, this.captureLineStart);
      this.problem(d.reason, this.capturePointer, text.slice(0, 200), d.line);
      return;
    }
    this.out.push({ type: "record", tag: this.captureTag, value, pointer: this.capturePointer, doc: this.doc, offset: this.captureOffset, line: this.captureLine, bytes });
  }

  private appendKey(part: Buffer): void {
    if (part.length === 0 || this.keyLen >= MAX_KEY_BYTES) return;
    this.keyParts.push(Buffer.from(part));
    this.keyLen += part.length;
  }

  private readKey(buf: Buffer, i: number, n: number): number {
    if (this.keyEscaped) {
      this.keyEscaped = false;
      i++;
    }
    while (i < n) {
      const c = buf[i]!;
      if (c === 0x22) break;
      if (c === 0x5c) {
        this.keyHasEscape = true;
        i += 2;
        continue;
      }
      if (c === 0x0a) return this.lineBreakInValue(i);
      i++;
    }
    if (i >= n) {
      if (i > n) this.keyEscaped = true;
      return n;
    }
    const tail = buf.subarray(this.keyChunkStart, i);
    const raw = this.keyParts.length === 0 ? tail : Buffer.concat([...this.keyParts, tail]);
    let key = raw.toString("utf8");
    if (this.keyHasEscape) {
      try {
        key = JSON.parse(`"${key}"`) as string;
      } catch {
        // an invalid escape in a key on a route prefix: the key simply matches no route
      }
    }
    this.keyParts = [];
    this.stack[this.stack.length - 1]!.key = key;
    this.mode = Mode.Walk;
    this.expect = Expect.Colon;
    return i + 1;
  }

  private recover(buf: Buffer, i: number, n: number): number {
    while (i < n) {
      if (this.atLineStart) {
        this.atLineStart = false;
        const c = buf[i]!;
        if (c === 0x7b || c === 0x5b) {
          this.mode = Mode.Walk;
          this.expect = Expect.Value;
          return i;
        }
      }
      const nl = buf.indexOf(0x0a, i);
      if (nl === -1 || nl >= n) return n;
      this.line++;
      this.lineStart = this.base + nl + 1;
      this.atLineStart = true;
      i = nl + 1;
    }
    return i;
  }
}

function excerptBytes(buf: Buffer, i: number): string {
  const from = Math.max(0, i - 40);
  return buf.toString("utf8", from, Math.min(buf.length, i + 80));
}

/**
 * Turns V8's JSON.parse message ("Expected ',' or '}' after property value in JSON at position 167")
 * into "invalid JSON at byte N (line L, col C): expected ',' or '}' after property value".
 */
export function describeParseError(e: unknown, text: string, sliceOffset: number, sliceLine: number, sliceLineStart: number): { reason: string; line: number } {
  const msg = e instanceof Error ? e.message : String(e);
  const m = /at position (\d+)/.exec(msg);
  let what = msg.replace(/\s*in JSON at position \d+.*$/s, "").replace(/, ".*" is not valid JSON$/s, "");
  what = what.charAt(0).toLowerCase() + what.slice(1);
  if (!m) return { reason: `invalid JSON in value starting at byte ${sliceOffset} (line ${sliceLine}): ${what}`, line: sliceLine };
  const pos = Math.min(Number(m[1]), text.length);
  const before = text.slice(0, pos);
  let line = sliceLine;
  let lastNl = -1;
  for (let k = before.indexOf("\n"); k !== -1; k = before.indexOf("\n", k + 1)) {
    line++;
    lastNl = k;
  }
  const byte = sliceOffset + Buffer.byteLength(before);
  const col = lastNl === -1 ? sliceOffset - sliceLineStart + Buffer.byteLength(before) + 1 : Buffer.byteLength(before.slice(lastNl + 1)) + 1;
  return { reason: `invalid JSON at byte ${byte} (line ${line}, col ${col}): ${what}`, line };
}

/**
 * Async driver: feeds a byte stream to a scanner and yields each chunk's events.
 */
export async function* scanJsonStream(input: AsyncIterable<Buffer | string>, routes: readonly RouteSpec[], opts?: ScannerOptions): AsyncGenerator<ScanEvent[]> {
  const scanner = new JsonRecordScanner(routes, opts);
  for await (const raw of input) {
    const chunk = typeof raw === "string" ? Buffer.from(raw) : raw;
    const events = scanner.write(chunk);
    if (events.length > 0) yield events;
  }
  const last = scanner.end();
  if (last.length > 0) yield last;
}
