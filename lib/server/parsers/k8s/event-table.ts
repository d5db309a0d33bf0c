import type { EventRecord, Subject } from "@/lib/schemas/records";
import { epochMs } from "@/lib/schemas/time";
import { excerpt, stripAnsi } from "../lines";
import type { ParseContext, ParseItem, SkippedItem } from "../types";
import { messageAttrs, parseAgeCell, parseObjectRef } from "./messages";

/**
 * Text event tables:
 *   kubectl get events / kubectl events     LAST SEEN   TYPE   REASON   OBJECT   MESSAGE
 *   … -A                                    NAMESPACE   LAST SEEN   TYPE …
 *   … -o wide                               … OBJECT   SUBOBJECT   SOURCE   MESSAGE   FIRST SEEN   COUNT   NAME
 *   pre-1.14 kubectl get events             LAST SEEN   FIRST SEEN   COUNT   NAME   KIND   SUBOBJECT   TYPE   REASON   SOURCE   MESSAGE
 *   kubectl describe … Events:              Type   Reason   Age   From   Message   (then a ---- rule)
 * Columns are located from the header (tabwriter pads every row to the same offsets); a cell
 * that overflows its column pushes the boundary to the next run of spaces.
 */
export const GET_HEADER = /^\s*(?:NAMESPACE\s{2,})?LAST SEEN\s{2,}(?:TYPE|FIRST SEEN)\s{2,}/;
export const DESCRIBE_HEADER = /^\s*Type\s{2,}Reason\s{2,}Age\s{2,}From\s{2,}Message\s*$/;

interface Column {
  name: string;
  start: number;
}

function headerColumns(header: string): Column[] {
  const cols: Column[] = [];
  const re = /\S+(?: \S+)*/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(header))) cols.push({ name: m[0].toUpperCase(), start: m.index });
  return cols;
}

function sliceRow(row: string, cols: Column[]): Map<string, string> {
  const out = new Map<string, string>();
  let prevEnd = -1;
  const starts: number[] = [];
  for (const c of cols) {
    let s = Math.max(c.start, prevEnd);
    // An overflowing previous cell ran into this column: move to the end of the next space run.
    if (s > 0 && s < row.length && row[s - 1] !== " ") {
      const sp = row.indexOf(" ", s);
      if (sp < 0) s = row.length;
      else {
        s = sp;
        while (s < row.length && row[s] === " ") s++;
      }
    }
    starts.push(Math.min(s, row.length));
    prevEnd = s;
  }
  cols.forEach((c, i) => {
    const end = i + 1 < cols.length ? starts[i + 1]! : row.length;
    out.set(c.name, row.slice(starts[i]!, Math.max(end, starts[i]!)).trim());
  });
  return out;
}

export interface TableState {
  describeSubject: Subject;
  warnedNoCapture: boolean;
}

/** Reads the described object's identity from `kubectl describe` header lines (Name:, Namespace:, Node:). */
function describeField(line: string, st: TableState): void {
  const m = /^(Name|Namespace|Node|Kind):\s+(\S+)/.exec(line);
  if (!m) return;
  if (m[1] === "Name") st.describeSubject = { name: m[2]! }; // a new object starts
  else if (m[1] === "Namespace") st.describeSubject.namespace = m[2]!;
  else if (m[1] === "Kind") st.describeSubject.kind = m[2]!;
  else if (m[1] === "Node" && m[2] !== "<none>") st.describeSubject.node = m[2]!.split("/")[0]!;
}

export function* parseEventTables(lines: string[], ctx: ParseContext): Generator<ParseItem> {
  const st: TableState = { describeSubject: {}, warnedNoCapture: false };
  let cols: Column[] | null = null;
  let mode: "get" | "describe" = "get";
  let sawTable = false;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const row = stripAnsi(lines[i]!).replace(/\t/g, "    ");
    if (GET_HEADER.test(row)) {
      cols = headerColumns(row);
      mode = "get";
      sawTable = true;
      continue;
    }
    if (DESCRIBE_HEADER.test(row)) {
      cols = headerColumns(row);
      mode = "describe";
      sawTable = true;
      continue;
    }
    if (row.trim() === "") {
      if (mode === "describe") cols = null;
      continue;
    }
    if (!cols) {
      describeField(row, st);
      if (/^\s*Events:\s+<none>/.test(row) || /^No resources found/.test(row) || /^\s*Events:\s*$/.test(row)) continue;
      if (!sawTable || !/^\S+:\s/.test(row)) {
        if (sawTable) yield { kind: "skipped", line: lineNo, reason: "not an event table row", excerpt: excerpt(row) };
      }
      continue;
    }
    if (/^\s*-{3,}(\s+-{3,})*\s*$/.test(row)) continue; // describe's ---- rule
    // describe output: the Events table ends at the next unindented section.
    if (mode === "describe" && cols[0]!.start > 0 && !row.startsWith(" ".repeat(cols[0]!.start))) {
      cols = null;
      describeField(row, st);
      continue;
    }
    const rec = tableRow(row, cols, mode, lineNo, ctx, st);
    if (rec.kind === "skipped") yield rec;
    else {
      if (rec.kind === "event" && rec.ts === null && rec.attrs?.age !== undefined && !ctx.captureTime && !st.warnedNoCapture) {
        st.warnedNoCapture = true;
        yield {
          kind: "warning",
          line: lineNo,
          message: "relative ages (e.g. 58m) need the capture time, which is unknown: timestamps left empty, ages kept in attrs.age",
        };
      }
      yield rec;
    }
  }
  if (!sawTable) yield { kind: "warning", message: "no kubectl events table header found (LAST SEEN … or Type Reason Age From Message)" };
}

function tableRow(row: string, cols: Column[], mode: "get" | "describe", lineNo: number, ctx: ParseContext, st: TableState): EventRecord | SkippedItem {
  const cells = sliceRow(row, cols);
  const type = cells.get("TYPE") ?? "";
  const reason = cells.get("REASON") ?? "";
  const ageText = cells.get(mode === "describe" ? "AGE" : "LAST SEEN") ?? "";
  const message = cells.get("MESSAGE") ?? "";
  const age = parseAgeCell(ageText);
  if (!reason || !age) return { kind: "skipped", line: lineNo, reason: "event table row without a reason or a readable age", excerpt: excerpt(row) };
  const warnings: string[] = [];
  const attrs: Record<string, string | number | boolean | null> = { age: age.raw };
  if (age.lastAgeMs !== null) attrs.ageMs = age.lastAgeMs;
  if (age.firstAgeMs !== null && age.count !== undefined) attrs.firstAgeMs = age.firstAgeMs;

  // Old tables have their own FIRST SEEN / COUNT columns.
  const firstSeen = cells.get("FIRST SEEN");
  const firstCell = firstSeen ? parseAgeCell(firstSeen) : null;
  const countCell = cells.get("COUNT");
  let count = age.count;
  if (countCell && /^\d{1,10}$/.test(countCell) && Number(countCell) > 0) count = Number(countCell);
  const firstAgeMs = firstCell?.lastAgeMs ?? age.firstAgeMs;

  let ts = null;
  let firstTs = null;
  if (ctx.captureTime !== undefined && Number.isFinite(ctx.captureTime)) {
    if (age.lastAgeMs !== null) ts = epochMs(ctx.captureTime - age.lastAgeMs);
    if (firstAgeMs !== null && (count !== undefined || firstCell)) firstTs = epochMs(ctx.captureTime - firstAgeMs);
    warnings.push("time derived from a relative age and the capture time (precision: the age's last unit)");
  } else if (age.lastAgeMs !== null) {
    warnings.push("relative age without a capture time: ts unknown");
  }
  if (age.unknown) warnings.push("age <unknown> in the source");

  const subject: Subject = {};
  const ns = cells.get("NAMESPACE");
  if (mode === "describe") Object.assign(subject, st.describeSubject);
  const objectCell = cells.get("OBJECT") ?? cells.get("NAME");
  if (objectCell && mode === "get") {
    const ref = parseObjectRef(objectCell);
    if (ref.kind) subject.kind = ref.kind;
    if (ref.name) subject.name = cells.has("KIND") && !ref.kind ? objectCell.replace(/\.[0-9a-f]{8,}$/, "") : ref.name;
  }
  const kindCell = cells.get("KIND");
  if (kindCell) subject.kind = kindCell;
  if (ns) subject.namespace = ns;
  const from = cells.get("FROM") ?? cells.get("SOURCE");
  if (from) {
    // "kubelet, node01" (old) or "kubelet" (new); wide get prints "kubelet, node01" too.
    const [component, host] = from.split(/,\s*|\s+/, 2);
    if (component) attrs.component = component;
    if (host) subject.node = host;
  }
  const sub = cells.get("SUBOBJECT");
  if (sub) attrs.fieldPath = sub;
  if (mode === "get" && cells.get("NAME") && cells.has("OBJECT")) attrs.eventName = cells.get("NAME")!;
  const extra = messageAttrs(reason, message);
  Object.assign(attrs, extra);
  if (typeof extra.pod === "string" && !subject.name) subject.name = extra.pod;
  if (typeof extra.podNamespace === "string" && !subject.namespace) subject.namespace = extra.podNamespace;
  if (typeof extra.podUid === "string") subject.uid = extra.podUid;
  if (typeof extra.assignedNode === "string" && !subject.node) subject.node = extra.assignedNode;

  const severity = type === "Warning" ? "warning" : type === "Normal" ? "info" : "info";
  if (type !== "Warning" && type !== "Normal") warnings.push(`unknown event type ${JSON.stringify(type)}`);
  return {
    kind: "event",
    ts,
    ...(firstTs !== null ? { firstTs } : {}),
    ...(count !== undefined ? { count } : {}),
    source: "k8s",
    severity,
    reason,
    text: message,
    ...(Object.keys(subject).length > 0 ? { subject } : {}),
    attrs,
    prov: { line: lineNo },
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}
