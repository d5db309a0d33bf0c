import type { Attrs, EventRecord } from "@/lib/schemas/records";
import type { EpochMs } from "@/lib/schemas/time";
import { excerpt, readLines, stripAnsi } from "./lines";
import { type Zone, findZone, parseDateOnly, resolveZone, wallClockToUtc } from "./tz";
import type { ParseContext, ParseItem, Parser } from "./types";

/**
 * Human incident timelines: Markdown / plain bullets ("• 14:02: First alert…", "- 14:02 UTC — …",
 * "[14:02] …", "2024-10-15 14:02 …", "| 14:02 | … |" table rows) and CSV/TSV with a time column.
 * The date comes from headings / "Incident Date:" labels, else prose, else ctx.referenceDate;
 * the zone from the entry, else a document hint ("All Times UTC"), else ctx.timezone, else UTC.
 * Each entry is classified (alert, mitigation, resolution, deploy, investigation, other) for the
 * correlation stage. See docs/parsers/timeline.md.
 */

/** Timeline documents are small; past this the file is not a hand-written timeline. */
const MAX_LINES = 200_000;

interface YMD {
  year: number;
  month: number;
  day: number;
}

const MONTHS: Record<string, number> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, sept: 9, oct: 10, nov: 11, dec: 12,
  january: 1, february: 2, march: 3, april: 4, june: 6, july: 7, august: 8, september: 9, october: 10, november: 11, december: 12,
};

function validYmd(year: number, month: number, day: number): YMD | null {
  if (year < 1970 || year > 2200 || month < 1 || month > 12 || day < 1 || day > 31) return null;
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCDate() === day ? { year, month, day } : null;
}

/**
 * First calendar date in a piece of text: ISO, "October 15, 2024", "15 Oct 2024", "2024/10/15",
 * "12.03.2025" (day.month.year, as written in most of Europe), "3/12/2025" (month/day/year, US;
 * day/month when the first number cannot be a month).
 */
export function findDate(text: string): YMD | null {
  let m = /\b(\d{4})[-/](\d{2})[-/](\d{2})\b/.exec(text);
  if (m) return validYmd(Number(m[1]), Number(m[2]), Number(m[3]));
  m = /(?<![\w.])(\d{1,2})\.(\d{1,2})\.(\d{4})(?![\d.]\d)/.exec(text);
  if (m) return validYmd(Number(m[3]), Number(m[2]), Number(m[1]));
  m = /(?<![\w/])(\d{1,2})\/(\d{1,2})\/(\d{4})(?![\d/])/.exec(text);
  if (m) return Number(m[1]) > 12 ? validYmd(Number(m[3]), Number(m[2]), Number(m[1])) : validYmd(Number(m[3]), Number(m[1]), Number(m[2]));
  m = /\b([A-Za-z]{3,9})\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})\b/.exec(text);
  if (m && MONTHS[m[1]!.toLowerCase()]) return validYmd(Number(m[3]), MONTHS[m[1]!.toLowerCase()]!, Number(m[2]));
  m = /\b(\d{1,2})(?:st|nd|rd|th)? ([A-Za-z]{3,9})\.?,? (\d{4})\b/.exec(text);
  if (m && MONTHS[m[2]!.toLowerCase()]) return validYmd(Number(m[3]), MONTHS[m[2]!.toLowerCase()]!, Number(m[1]));
  return null;
}

/**
 * A day and month without a year ("12 Mar", "March 12", "Mar 12th"): month names must be capitalised
 * so prose ("we may 3 …") is not read as a date. Only headings, labels and bare date lines use it.
 */
export function findMonthDay(text: string): { month: number; day: number } | null {
  const month = (w: string) => (/^[A-Z]/.test(w) ? MONTHS[w.toLowerCase()] : undefined);
  let m = /\b(\d{1,2})(?:st|nd|rd|th)?\.? ([A-Z][a-z]{2,8})\b\.?/.exec(text);
  if (m && month(m[2]!)) return { month: month(m[2]!)!, day: Number(m[1]) };
  m = /\b([A-Z][a-z]{2,8})\.? (\d{1,2})(?:st|nd|rd|th)?\b(?!:)/.exec(text);
  if (m && month(m[1]!)) return { month: month(m[1]!)!, day: Number(m[2]) };
  return null;
}

const ymdText = (d: YMD) => `${d.year}-${String(d.month).padStart(2, "0")}-${String(d.day).padStart(2, "0")}`;

/** A date in a heading/label line; the year of a year-less one ("12 Mar") comes from `year`, and is flagged. */
type LineDate = YMD & { yearFrom?: "reference" };

function dateOrMonthDay(text: string, year: number | undefined): LineDate | null | "no-year" {
  const full = findDate(text);
  if (full) return full;
  const md = findMonthDay(text);
  if (!md) return null;
  if (year === undefined) return "no-year";
  const d = validYmd(year, md.month, md.day);
  return d ? { ...d, yearFrom: "reference" } : null;
}

/** Lines that set the date of the entries below them (headings, labels, a bare date line). */
function dateLine(line: string, year?: number): LineDate | null | "no-year" {
  const t = line.trim();
  if (/^#{1,6}\s/.test(t)) return dateOrMonthDay(t, year);
  const label = /^(?:[*_]{1,2})?(?:incident\s+|event\s+)?date(?:\s*\([^)]{0,10}\))?(?:[*_]{1,2})?\s*[:\-–—]/i.exec(t);
  if (label) return dateOrMonthDay(t.slice(label[0].length), year);
  if (t.length <= 40 && /^(?:[*_]{1,2})?[A-Za-z0-9 ,./-]+(?:[*_]{1,2})?:?$/.test(t)) {
    const d = dateOrMonthDay(t, year);
    // Only a line that is nothing but the date: "October 15, 2024", "**2024-10-15**", "12 Mar".
    if (d && t.replace(/[*_:]/g, "").replace(/\b(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\b,?/gi, "").trim().length <= 20) return d;
  }
  return null;
}

// "All times …", "Times are …", "Times UTC.", "London time (BST)", "Timezone: …", "TZ: …" — but not
// "times out", "timeline", "timestamp".
const ZONE_INTRO = /\b(?:all\s+)?times?\b(?!\s+out\b)|\btime\s*zone\b|\btz\b/i;
const ZONE_FILLER = /^\s*[:\-–—]?\s*(?:(?:are|is|shown|given|listed|written|noted|in|as|local|all)\s+)*/i;

/**
 * The zone a document states for its entries: "Incident Timeline (All Times UTC)", "Times are CET
 * (UTC+1)", "All times Pacific (PDT, UTC−7)", "_All times IST (UTC+05:30)._", "London time (BST)",
 * "Times UTC.", "Timezone: Europe/Berlin", a heading ending "(UTC)". What follows the statement
 * is read by tz.findZone (an explicit offset wins over an abbreviation, which wins over a region).
 */
export function zoneHint(line: string): Zone | null {
  // Markdown emphasis around words, not the underscores inside IANA names (America/Los_Angeles).
  const t = line.replace(/(^|[\s(])[*_]+|[*_]+(?=[\s).,;:]|$)/g, "$1");
  const intro = ZONE_INTRO.exec(t);
  if (intro) {
    const rest = t.slice(intro.index + intro[0].length, intro.index + intro[0].length + 120).replace(ZONE_FILLER, "");
    // The zone must come first ("Times are CET (UTC+1)"), not somewhere in a sentence about
    // response times ("Response times in the UK region doubled").
    const first = /^\(?[^\s,.;()]+\)?/.exec(rest);
    if (first && findZone(first[0])) return findZone(rest.slice(0, 60));
  }
  if (/^\s*#{1,6}\s/.test(t) || /timeline/i.test(t)) {
    for (const p of t.matchAll(/\(([^()]{1,60})\)/g)) {
      const z = findZone(p[1]!);
      if (z) return z;
    }
  }
  return null;
}

export type TimelineReason = "alert" | "mitigation" | "resolution" | "deploy" | "investigation" | "other";

/** Keyword classes, checked in this order: the more decisive class wins ("Rollback complete, error rate back to baseline" is a resolution). */
const CLASSES: [TimelineReason, RegExp][] = [
  ["resolution", /\b(?:resolved|resolution|recovered|recovery|fully recovered|back to normal|returns? to (?:normal|baseline|pre-incident)|restored|all[- ]clear|incident (?:closed|over|ended)|stabili[sz]ed|error rate (?:drops|dropped|returns?|back)|drops? to (?:\d+(?:\.\d+)?% )?baseline|no (?:more|further) errors)\b/i],
  ["mitigation", /\b(?:roll(?:ed|ing)?[- ]?back|rollbacks?|revert(?:ed|ing)?|mitigat\w*|fail(?:ed)?[- ]?over|drain(?:ed|ing)?|cordon(?:ed)?|disabl(?:e|ed|ing)|restart(?:ed|ing)?|hot-?fix|workaround|scal(?:ed|ing) (?:up|out|back)|traffic (?:shifted|moved)|blocked|rate[- ]limit(?:ed)?|kill(?:ed)? (?:the )?pods?)\b/i],
  ["alert", /\b(?:alert(?:s|ed|ing)?|alarm(?:s|ed)?|paged|pager(?:duty)?|page (?:sent|went out)|triggered|fir(?:ed|ing)|detected|detection|notified|reported by|customer reports?|slo burn|synthetic (?:check|monitor) fail\w*)\b/i],
  ["investigation", /\b(?:investigat\w*|confirm(?:ed|s)?|identif(?:y|ied|ies)|root cause|analysis|debug\w*|look(?:ing|ed)? into|(?:metrics|logs|dashboards?|traces?) (?:show|showed|indicate)|found|suspect\w*|escalat\w*|war room|incident (?:declared|opened)|bridge|triag\w*|kick(?:s|ed)? off|narrow(?:ed)? down|correlat\w*)\b/i],
  ["deploy", /\b(?:deploy(?:ed|ing|ment)?s?|roll(?:ed|ing)? ?out|release[ds]?|upgrad(?:e|ed|ing)|config(?:uration)? change|change (?:applied|merged|pushed)|merged|shipped|canary|migrat(?:ed|ion|ing))\b/i],
];

const TYPE_WORDS: [TimelineReason, RegExp][] = [
  ["alert", /^(?:alert|alerting|detection|detected|page)$/i],
  ["mitigation", /^(?:mitigation|mitigate|rollback|roll-?back|action)$/i],
  ["resolution", /^(?:resolution|resolved|recovery|recovered)$/i],
  ["deploy", /^(?:deploy|deployment|change|release|rollout)$/i],
  ["investigation", /^(?:investigation|investigate|analysis|diagnosis)$/i],
];

/** A CSV "type" column wins over keywords when it names a class. */
export function classifyWithType(type: string | undefined, text: string): TimelineReason {
  const t = (type ?? "").trim();
  for (const [reason, re] of TYPE_WORDS) if (re.test(t)) return reason;
  return classify(t ? `${t} ${text}` : text);
}

/*
 * Negation. "no alerts fired", "without alerts", "alert did not fire", "not resolved yet",
 * "rollback not needed": a keyword says what did *not* happen, so it must not classify the line.
 * Within one clause (split at punctuation and "but"), a keyword is negated when a negation word
 * comes at most two words before it — with no preposition between, so "no errors after the
 * rollback" is still a rollback — or when a negated verb follows it ("did not fire", "was not
 * sent", "never triggered").
 */
const CLAUSE = /[,;:.!?()\[\]\u2014\u2013]|\s-\s|\bbut\b|\bhowever\b/i;
const NEG_BEFORE = /\b(?:no|not|never|without|none|nor|zero|neither|nobody|nothing)\s+((?:[\w'-]+\s+){0,2})$/i;
const NOT_BETWEEN = /\b(?:after|before|since|until|following|during|from|despite|once|when|while)\b/i;
// A bare "not" after the keyword negates only a firing verb: "alert not acknowledged" did fire.
const NEG_AFTER = /^\s*(?:[\w'-]+\s+){0,2}?(?:(?:did|does|do|was|were|is|are|has|have|had|could|would|will)\s*(?:not|n't)|(?:did|does|was|were|is|are|has|have|had)n't|never|not\s+(?:fire|fired|trigger|triggered|sent|raised|page|paged|detect|detected|go off|went off))\b/i;

function negated(clause: string, at: number, len: number): boolean {
  const before = NEG_BEFORE.exec(clause.slice(0, at));
  if (before && !NOT_BETWEEN.test(before[1] ?? "")) return true;
  return NEG_AFTER.test(clause.slice(at + len));
}

const globalOf = new Map<RegExp, RegExp>();

/** True when `re` matches somewhere in `text` in a clause that does not negate it. */
function affirms(text: string, re: RegExp): boolean {
  let global = globalOf.get(re);
  if (!global) globalOf.set(re, (global = new RegExp(re.source, re.flags.includes("g") ? re.flags : `${re.flags}g`)));
  for (const clause of text.split(CLAUSE)) {
    for (const m of clause.matchAll(global)) if (!negated(clause, m.index, m[0].length)) return true;
  }
  return false;
}

export function classify(text: string): TimelineReason {
  for (const [reason, re] of CLASSES) if (re.test(text) && affirms(text, re)) return reason;
  return "other";
}

const SEVERITY: Record<TimelineReason, EventRecord["severity"]> = {
  alert: "warning",
  mitigation: "notice",
  resolution: "notice",
  deploy: "info",
  investigation: "info",
  other: "info",
};

interface Stamp {
  date: YMD | null;
  hour: number;
  minute: number;
  second: number;
  zone: Zone | null;
  zoneText?: string;
  raw: string;
  /** chars consumed from the input */
  end: number;
  invalid?: string;
}

const STAMP = /^\[?(?:(\d{4})-(\d{2})-(\d{2})(?:[ T]|,\s*))?(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?(?:\s?([AaPp])\.?[Mm]\.?)?(Z\b)?(?:\s{0,2}(\(?(?:UTC|GMT)[+-]\d{1,2}(?::?\d{2})?\)?|\(?[A-Z]{2,5}\)?|[+-]\d{2}:?\d{2}))?\]?/;

/** "12.03.2025 10:12", "3/12/2025 10:12", "12.03.2025, 10:12": a date STAMP's ISO prefix does not cover. */
const LEAD_DATE = /^\[?(\d{1,2}[./]\d{1,2}[./]\d{4})(?:,?\s+|T)(?=\d{1,2}:\d{2})/;

/** Reads a timestamp at the start of `s`; null when there is none. */
export function readStamp(s: string): Stamp | null {
  const lead = LEAD_DATE.exec(s);
  if (lead) {
    const rest = readStamp((s.startsWith("[") ? "[" : "") + s.slice(lead[0].length));
    if (!rest || rest.date) return rest;
    const date = findDate(lead[1]!);
    const shift = lead[0].length - (s.startsWith("[") ? 1 : 0);
    const end = rest.end + shift;
    return { ...rest, date, end, raw: s.slice(0, end).trim(), ...(date ? {} : { invalid: "impossible date" }) };
  }
  const m = STAMP.exec(s);
  if (!m) return null;
  let end = m[0].length;
  let zone: Zone | null = null;
  let zoneText: string | undefined;
  if (m[8]) {
    zone = resolveZone("UTC");
    zoneText = "Z";
  }
  if (m[9]) {
    const tok = m[9].replace(/[()]/g, "");
    const z = resolveZone(tok);
    if (z) {
      zone = z;
      zoneText = tok;
    } else {
      // "14:02 DNS errors": an upper-case word that is not a zone belongs to the text.
      end = m[0].length - m[9].length - (m[0].endsWith("]") ? 1 : 0);
      end = s.slice(0, end).trimEnd().length;
      if (s[end] === "]") end++;
    }
  }
  let hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] ? Number(m[6]) : 0;
  let invalid: string | undefined;
  if (m[7]) {
    if (hour < 1 || hour > 12) invalid = "hour out of range for am/pm";
    const pm = m[7].toLowerCase() === "p";
    hour = (hour % 12) + (pm ? 12 : 0);
  }
  if (hour > 23 || minute > 59 || second > 60) invalid = "time out of range";
  let date: YMD | null = null;
  if (m[1]) {
    date = validYmd(Number(m[1]), Number(m[2]), Number(m[3]));
    if (!date) invalid = "impossible date";
  }
  return { date, hour, minute, second, zone, ...(zoneText ? { zoneText } : {}), raw: s.slice(0, end).trim(), end, ...(invalid ? { invalid } : {}) };
}

const BULLET = /^\s*(?:[-*+•‣◦▪·]|\d{1,3}[.)])\s+/;

interface Entry {
  stamp: Stamp;
  text: string;
  bullet: boolean;
  table: boolean;
}

/** Parses one Markdown/plain line as a timeline entry; null when it is prose. */
export function readEntry(line: string): Entry | null {
  let s = line;
  let bullet = false;
  let table = false;
  let text: string | null = null;
  let stampText: string;
  const b = BULLET.exec(s);
  if (b) {
    bullet = true;
    s = s.slice(b[0].length);
  } else s = s.trimStart();
  if (s.startsWith("|")) {
    const cells = s.split("|").map((c) => c.trim());
    if (cells[0] === "") cells.shift();
    if (cells.length > 0 && cells[cells.length - 1] === "") cells.pop();
    if (cells.length < 2) return null;
    table = true;
    stampText = cells[0]!.replace(/^[*_`]{1,2}|[*_`]{1,2}$/g, "");
    const st = readStamp(stampText);
    if (!st || stampText.slice(st.end).trim() !== "") {
      // "| 2024-10-15 | 14:02 | text |": date and time in separate cells
      const d = findDate(cells[0]!);
      const st2 = cells[1] ? readStamp(cells[1]) : null;
      if (d && st2 && cells[1]!.slice(st2.end).trim() === "" && cells.length >= 3) {
        st2.date = st2.date ?? d;
        return { stamp: st2, text: cells.slice(2).join(" — "), bullet, table };
      }
      return null;
    }
    text = cells.slice(1).filter((c) => c.length > 0).join(" — ");
    return /\p{L}/u.test(text) ? { stamp: st, text, bullet, table } : null;
  }
  const emph = /^(?:\*\*|__|`)/.exec(s);
  if (emph) s = s.slice(emph[0].length);
  const st = readStamp(s);
  if (!st) return null;
  let rest = s.slice(st.end);
  rest = rest.replace(/^(?:\*\*|__|`)/, "");
  // A range "14:10 – 14:30:" keeps its end in the text's attrs.
  const range = /^\s*[-–—]\s*(\d{1,2}:\d{2})(?:\s*(?:UTC|[A-Z]{3,4}))?/.exec(rest);
  let until: string | undefined;
  if (range) {
    until = range[1];
    rest = rest.slice(range[0].length);
  }
  const sep = /^(?:\s*[:|>\-–—]+\s*|\s+)/.exec(rest.replace(/^(?:\*\*|__|`)/, ""));
  if (!sep) return null;
  rest = rest.replace(/^(?:\*\*|__|`)/, "").slice(sep[0].length).replace(/(?:\*\*|__)\s*$/, "").trim();
  if (!/\p{L}/u.test(rest)) return null;
  text = rest;
  const e: Entry = { stamp: st, text, bullet, table };
  if (until) (e as Entry & { until?: string }).until = until;
  return e;
}

/* ------------------------------- CSV / TSV ------------------------------- */

const TIME_COL = /^(?:time|timestamp|ts|datetime|date ?time|when|time ?\(([^)]{1,32})\)|timestamp ?\(([^)]{1,32})\))$/i;
const TEXT_COL = /^(?:description|event|text|message|summary|what|details?|note|notes|action|activity|update)$/i;
const DATE_COL = /^date$/i;
const TYPE_COL = /^(?:type|category|kind|phase)$/i;

/** RFC 4180-ish single-line split (quoted fields with "" escapes); linear. */
export function splitDelimited(line: string, delim: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let v = "";
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q < 0) {
          v += line.slice(j);
          j = line.length;
          break;
        }
        v += line.slice(j, q);
        if (line[q + 1] === '"') {
          v += '"';
          j = q + 2;
        } else {
          j = q + 1;
          break;
        }
      }
      out.push(v);
      const d = line.indexOf(delim, j);
      if (d < 0) break;
      i = d + 1;
    } else {
      const d = line.indexOf(delim, i);
      if (d < 0) {
        out.push(line.slice(i).trim());
        break;
      }
      out.push(line.slice(i, d).trim());
      i = d + 1;
    }
  }
  return out;
}

interface CsvLayout {
  delim: string;
  time: number;
  text: number;
  date: number;
  type: number;
  header: string[];
  zone: Zone | null;
}

function csvLayout(firstLine: string): CsvLayout | null {
  const delim = firstLine.includes("\t") ? "\t" : firstLine.includes(",") ? "," : firstLine.includes(";") ? ";" : null;
  if (!delim) return null;
  const header = splitDelimited(firstLine, delim).map((h) => h.trim());
  if (header.length < 2 || header.length > 64) return null;
  const time = header.findIndex((h) => TIME_COL.test(h));
  const text = header.findIndex((h) => TEXT_COL.test(h));
  if (time < 0 || text < 0) return null;
  const tm = TIME_COL.exec(header[time]!);
  const zone = resolveZone(tm?.[1] ?? tm?.[2]);
  return { delim, time, text, date: header.findIndex((h) => DATE_COL.test(h)), type: header.findIndex((h) => TYPE_COL.test(h)), header, zone };
}

/* -------------------------------- sniff -------------------------------- */

const LOG_LEVEL_AFTER = /^\s*(?:\[?(?:INFO|WARN(?:ING)?|ERROR|DEBUG|TRACE|FATAL|info|warn|error|debug|trace)\]?\b|"(?:GET|POST|PUT|DELETE|HEAD|PATCH|OPTIONS|CONNECT)\b)/;

function sniff(head: string, name: string): number {
  const lines = head.split("\n", 400);
  const first = lines.find((l) => l.trim() !== "") ?? "";
  const csv = csvLayout(first.replace(/^\uFEFF/, ""));
  if (csv) {
    const dataLine = lines.slice(lines.indexOf(first) + 1).find((l) => l.trim() !== "");
    if (!dataLine) return 0.3;
    const cells = splitDelimited(dataLine, csv.delim);
    const st = readStamp((cells[csv.time] ?? "").trim());
    return st && !st.invalid ? (/\.(?:csv|tsv)$/i.test(name) ? 0.85 : 0.75) : 0.2;
  }
  let bulletEntries = 0;
  let plainEntries = 0;
  let logLike = 0;
  let nonEmpty = 0;
  for (const raw of lines) {
    if (raw.trim() === "") continue;
    nonEmpty++;
    const l = raw.length > 2000 ? raw.slice(0, 2000) : raw;
    const e = readEntry(l);
    if (!e) continue;
    const fraction = /\d:\d{2}:\d{2}[.,]\d/.test(e.stamp.raw) || /T\d{2}:\d{2}:\d{2}/.test(e.stamp.raw);
    if (fraction || LOG_LEVEL_AFTER.test(l.slice(l.indexOf(e.stamp.raw) + e.stamp.raw.length))) {
      logLike++;
      continue;
    }
    if (e.bullet || e.table) bulletEntries++;
    else plainEntries++;
  }
  const entries = bulletEntries + plainEntries;
  if (entries === 0 || logLike > entries) return 0;
  const hinted = /\btime ?line\b|\bpost-?mortem\b|\bincident\b/i.test(head) || /timeline|postmortem|incident/i.test(name);
  if (bulletEntries >= 3) return hinted ? 0.85 : 0.7;
  if (bulletEntries >= 2 && hinted) return 0.75;
  // Bare "14:02 text" lines: plausible chat/notes exports, only with a timeline hint and when
  // they dominate the file (log files also start lines with times).
  if (entries >= 3 && hinted && entries / nonEmpty >= 0.3) return 0.7;
  return 0.2;
}

/* -------------------------------- parse -------------------------------- */

interface Ctx2 {
  ctx: ParseContext;
  docZone: Zone | null;
  ctxZone: Zone | null;
  warned: Set<string>;
}

function addDays(d: YMD, n: number): YMD {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + n));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

function pickZoneFor(stamp: Stamp, c: Ctx2): { zone: Zone; source: string } {
  if (stamp.zone) return { zone: stamp.zone, source: "entry" };
  if (c.docZone) return { zone: c.docZone, source: "document" };
  if (c.ctxZone) return { zone: c.ctxZone, source: "context" };
  return { zone: resolveZone("UTC")!, source: "assumed" };
}

function* zoneWarning(source: string, c: Ctx2, line: number): Generator<ParseItem> {
  if (source === "context" && !c.warned.has("zone-ctx")) {
    c.warned.add("zone-ctx");
    yield { kind: "warning", line, message: `timeline gives no timezone: ${c.ctx.timezone} assumed from the bundle manifest` };
  } else if (source === "assumed" && !c.warned.has("zone-utc")) {
    c.warned.add("zone-utc");
    yield { kind: "warning", line, message: `timeline gives no timezone${c.ctx.timezone ? ` and ${JSON.stringify(c.ctx.timezone)} is not a known zone` : ""}: UTC assumed` };
  }
}

function makeRecord(
  stamp: Stamp,
  text: string,
  date: YMD | null,
  dateSource: string,
  dayOffset: number,
  line: number,
  c: Ctx2,
  extra: Attrs,
  typeHint?: string,
): { rec: EventRecord; zoneSource: string } {
  const { zone, source: zoneSource } = pickZoneFor(stamp, c);
  const warnings: string[] = [];
  let ts: EpochMs | null = null;
  const day = date ? addDays(date, dayOffset) : null;
  if (day) ts = wallClockToUtc({ ...day, hour: stamp.hour, minute: stamp.minute, second: stamp.second }, zone);
  if (!day) warnings.push("date unknown: ts left empty");
  if (dateSource === "referenceDate") warnings.push(c.ctx.referenceDateSource === "evidence" ? "date taken from the bundle's other evidence" : "date assumed from the reference date");
  if (dateSource === "prose") warnings.push("date taken from the surrounding text");
  if (dayOffset > 0) warnings.push(`day rollover assumed (+${dayOffset}d: times went backwards)`);
  if (zoneSource === "assumed") warnings.push("timezone UTC assumed");
  if (zoneSource === "context") warnings.push("timezone taken from the manifest");
  const reason = classifyWithType(typeHint, text);
  const attrs: Attrs = { time: stamp.raw, zone: zone.label, zoneSource, ...(day ? { date: ymdText(day), dateSource } : {}), ...extra };
  const rec: EventRecord = {
    kind: "event",
    ts,
    source: "timeline",
    severity: SEVERITY[reason],
    reason,
    text: text.length > 4000 ? `${text.slice(0, 4000)}…` : text,
    attrs,
    prov: { line },
  };
  if (warnings.length > 0) rec.warnings = warnings;
  return { rec, zoneSource };
}

async function* parse(input: Parameters<Parser["parse"]>[0], ctx: ParseContext): AsyncIterable<ParseItem> {
  const lines: { no: number; text: string }[] = [];
  let tooLong = false;
  for await (const l of readLines(input, 64 * 1024)) {
    if (lines.length >= MAX_LINES) {
      tooLong = true;
      break;
    }
    lines.push({ no: l.no, text: stripAnsi(l.text).replace(/^\uFEFF/, "") });
  }
  if (tooLong) yield { kind: "skipped", line: MAX_LINES + 1, reason: `timeline longer than ${MAX_LINES} lines: the rest is not read (a hand-written timeline is never this long)` };

  const c: Ctx2 = { ctx, docZone: null, ctxZone: resolveZone(ctx.timezone), warned: new Set() };
  const firstNonEmpty = lines.find((l) => l.text.trim() !== "");
  const csv = firstNonEmpty ? csvLayout(firstNonEmpty.text) : null;
  const ref = parseDateOnly(ctx.referenceDate);

  if (csv) {
    c.docZone = csv.zone;
    let cur: YMD | null = null;
    let last: number | null = null;
    let dayOffset = 0;
    for (const l of lines) {
      if (l === firstNonEmpty || l.text.trim() === "") continue;
      const cells = splitDelimited(l.text, csv.delim);
      const stampCell = (cells[csv.time] ?? "").trim();
      const text = (cells[csv.text] ?? "").trim();
      const st = readStamp(stampCell);
      if (!st || st.invalid || stampCell.slice(st.end).trim() !== "" || text === "") {
        yield { kind: "skipped", line: l.no, reason: st?.invalid ?? (text === "" ? "row without text" : "unreadable time cell"), excerpt: excerpt(l.text) };
        continue;
      }
      const rowDate = st.date ?? (csv.date >= 0 ? findDate(cells[csv.date] ?? "") : null);
      if (rowDate && (!cur || ymdText(rowDate) !== ymdText(cur))) {
        cur = rowDate;
        last = null;
        dayOffset = 0;
      }
      const minutes = st.hour * 60 + st.minute;
      if (!rowDate && last !== null && minutes < last - 360) dayOffset++;
      last = minutes;
      const date = rowDate ?? cur ?? ref;
      const dateSource = rowDate || cur ? "entry" : ref ? "referenceDate" : "none";
      yield* dateWarning(dateSource, c, l.no);
      const extra: Attrs = {};
      cells.forEach((v, i) => {
        if (i !== csv.time && i !== csv.text && v !== "" && csv.header[i]) extra[`col:${csv.header[i]}`] = v.slice(0, 500);
      });
      const { rec, zoneSource } = makeRecord(st, text, date, dateSource, rowDate ? 0 : dayOffset, l.no, c, extra, csv.type >= 0 ? cells[csv.type] : undefined);
      yield* zoneWarning(zoneSource, c, l.no);
      yield rec;
    }
    return;
  }

  // Pass 1: document-level hints (the date label may come after a summary, the zone in a heading).
  let docDate: LineDate | null = null;
  let proseDate: YMD | null = null;
  let yearless = false;
  for (const l of lines) {
    const t = l.text.length > 2000 ? l.text.slice(0, 2000) : l.text;
    const entry = readEntry(t);
    if (entry) continue;
    // Entry text ("response times …") is not a zone statement.
    if (!c.docZone) c.docZone = zoneHint(t);
    const d = dateLine(t, ref?.year);
    if (d === "no-year") yearless = true;
    else if (!docDate && d) docDate = d;
    if (!proseDate) proseDate = findDate(t);
  }
  if (yearless && !ref && !docDate) yield { kind: "warning", message: "timeline dates have no year and no reference date is known: entries have no timestamp" };

  // Pass 2: entries.
  let cur: YMD | null = null;
  let curSource = "heading";
  let last: number | null = null;
  let dayOffset = 0;
  let entries = 0;
  for (const l of lines) {
    const t = l.text.length > 2000 ? l.text.slice(0, 2000) : l.text;
    const entry = readEntry(t);
    if (!entry) {
      const d = dateLine(t, ref?.year);
      if (d && d !== "no-year") {
        if (d.yearFrom && !c.warned.has("year-ref")) {
          c.warned.add("year-ref");
          yield { kind: "warning", line: l.no, message: `timeline dates have no year: ${d.year} taken from ${referenceFrom(ctx)}` };
        }
        cur = d;
        curSource = "heading";
        last = null;
        dayOffset = 0;
      }
      continue;
    }
    const st = entry.stamp;
    if (st.invalid) {
      yield { kind: "skipped", line: l.no, reason: `timeline entry with ${st.invalid}`, excerpt: excerpt(t) };
      continue;
    }
    if (st.date) {
      if (!cur || ymdText(st.date) !== ymdText(cur)) {
        cur = st.date;
        curSource = "entry";
        last = null;
        dayOffset = 0;
      }
    }
    const minutes = st.hour * 60 + st.minute;
    // Times of day only go backwards across midnight: a jump back of more than 6 hours is
    // a new day (23:50 → 00:10), a small one is an out-of-order note (14:47 → 14:30).
    if (!st.date && last !== null && minutes < last - 360) dayOffset++;
    last = minutes;
    let date: YMD | null;
    let dateSource: string;
    if (st.date) {
      date = st.date;
      dateSource = "entry";
    } else if (cur) {
      date = cur;
      dateSource = curSource;
    } else if (docDate) {
      date = docDate;
      dateSource = "heading";
    } else if (proseDate) {
      date = proseDate;
      dateSource = "prose";
    } else if (ref) {
      date = ref;
      dateSource = "referenceDate";
    } else {
      date = null;
      dateSource = "none";
    }
    yield* dateWarning(dateSource, c, l.no, date);
    const extra: Attrs = {};
    const until = (entry as Entry & { until?: string }).until;
    if (until) extra.until = until;
    const { rec, zoneSource } = makeRecord(st, entry.text, date, dateSource, st.date ? 0 : dayOffset, l.no, c, extra);
    yield* zoneWarning(zoneSource, c, l.no);
    entries++;
    yield rec;
  }
  if (entries === 0) yield { kind: "warning", message: "no timeline entries found (expected lines like '- 14:02: First alert…' or a CSV with time and description columns)" };
}

/** Where ctx.referenceDate came from, in words. */
function referenceFrom(ctx: ParseContext): string {
  return ctx.referenceDateSource === "evidence" ? "the bundle's other evidence" : "the reference date";
}

function* dateWarning(source: string, c: Ctx2, line: number, date?: YMD | null): Generator<ParseItem> {
  if (source === "referenceDate" && !c.warned.has("date-ref")) {
    c.warned.add("date-ref");
    yield { kind: "warning", line, message: `timeline gives no date: ${c.ctx.referenceDate} ${c.ctx.referenceDateSource === "evidence" ? "taken from" : "assumed from"} ${referenceFrom(c.ctx)}` };
  } else if (source === "none" && !c.warned.has("date-none")) {
    c.warned.add("date-none");
    yield { kind: "warning", line, message: "timeline gives no date and no reference date is known: entries have no timestamp (set date in the manifest)" };
  } else if (source === "prose" && !c.warned.has("date-prose") && date) {
    c.warned.add("date-prose");
    yield { kind: "warning", line, message: `timeline date ${ymdText(date)} taken from the text (no date heading)` };
  }
}

const SEED_000 = `Incident Date: October 15, 2024

Incident Timeline (All Times UTC)

  • 14:02: First alert triggered for elevated HTTP 504 errors from the frontend service, with error rate climbing to 12% in 3 minutes.
  • 14:05: On-call engineers confirm timeouts are isolated to the Kubernetes 1.32 canary namespace; legacy 1.31 namespaces report normal latency.
  • 14:25: Rollback of the canary namespace to Kubernetes 1.31 initiated.
  • 14:47: Rollback complete, error rate drops to 0.1% baseline, latency returns to pre-incident levels.
`;

const CSV_SAMPLE = `timestamp,description,owner
2025-11-20T10:14:30Z,Deploy go-httpbin v2 started (kubectl rollout restart),alice
2025-11-20T10:15:05Z,Alert: 503 rate above 2% on gateway,pagerduty
2025-11-20T10:21:00Z,Rolled back to previous ReplicaSet,bob
`;

export const timelineParser: Parser = {
  id: "timeline",
  title: "Incident timeline (Markdown/plain bullets, CSV/TSV)",
  emits: ["event"],
  sniff,
  parse,
  samples: [
    {
      name: "notes/postmortem.md",
      content: SEED_000,
      expect: {
        records: 4, skipped: 0, kinds: { event: 4 },
        fields: {
          // "Incident Date: October 15, 2024", "All Times UTC"
          0: { ts: "2024-10-15T14:02:00Z", reason: "alert", text: "First alert triggered for elevated HTTP 504 errors from the frontend service, with error rate climbing to 12% in 3 minutes.", prov: { line: 5 } },
          2: { ts: "2024-10-15T14:25:00Z", reason: "mitigation", text: "Rollback of the canary namespace to Kubernetes 1.31 initiated." },
          3: { ts: "2024-10-15T14:47:00Z", reason: "resolution", prov: { line: 8 } },
        },
      },
    },
    {
      name: "timeline.csv",
      content: CSV_SAMPLE,
      expect: {
        records: 3, skipped: 0, kinds: { event: 3 },
        fields: {
          0: { ts: "2025-11-20T10:14:30Z", text: "Deploy go-httpbin v2 started (kubectl rollout restart)", attrs: { "col:owner": "alice" }, prov: { line: 2 } },
          1: { ts: "2025-11-20T10:15:05Z", reason: "alert", severity: "warning", text: "Alert: 503 rate above 2% on gateway", attrs: { "col:owner": "pagerduty" } },
          2: { ts: "2025-11-20T10:21:00Z", reason: "mitigation", text: "Rolled back to previous ReplicaSet", attrs: { "col:owner": "bob" } },
        },
      },
    },
  ],
};
