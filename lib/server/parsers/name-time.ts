import { epochMs, type EpochMs } from "@/lib/schemas/time";

/**
 * Times written into file names by capture scripts (`conntrack-S-0905.txt`, `ipvs-2025-03-12T09:05:00Z`,
 * `iptables-1741770300.save`). Used for a snapshot's capture time (pipeline/capture-time.ts) and,
 * with the time cut out, to recognise the files of one snapshot series (seriesName).
 */
/** A time found in a file name: an instant, a date-time without zone, or a time of day only. */
export type NameTime =
  | { kind: "instant"; ts: EpochMs; text: string }
  | { kind: "wall"; year: number; month: number; day: number; hour: number; minute: number; second: number; text: string }
  | { kind: "time-of-day"; hour: number; minute: number; second: number; text: string };

// Every pattern is anchored on non-digit boundaries and refuses to continue a dotted/dashed number
// chain, so node IPs in names ("ip-10-20-12-15") and versions ("v1.8.7") are not read as times.
const B = String.raw`(?<![\d])(?<![\d][-.])`;
// A bare time of day must also not continue a word: `vmss000002` is an instance id, not 00:00:02.
const BT = String.raw`(?<![\dA-Za-z])(?<![\d][-.])`;
const E = String.raw`(?![\d])(?![-.]\d)`;
const ISO = new RegExp(`${B}(\\d{4})-(\\d{2})-(\\d{2})[T_ ](\\d{2})[:\\-]?(\\d{2})(?:[:\\-]?(\\d{2}))?(?:[.,]\\d{1,9})?(Z|[+-]\\d{2}:?\\d{2})?${E}`, "i");
const COMPACT = new RegExp(`${B}(\\d{4})(\\d{2})(\\d{2})[T_-]?(\\d{2})(\\d{2})(\\d{2})?(Z)?${E}`, "i");
// Epoch seconds 2001-09-09 … 2033-05-18 (10 digits starting with 1), or milliseconds (13).
const EPOCH = new RegExp(`${B}(1[0-9]{9})(?:\\.\\d{1,6})?${E}`);
const EPOCH_MS = new RegExp(`${B}(1[0-9]{12})${E}`);
const HH_MM_SS = new RegExp(`${BT}([01]\\d|2[0-3])[-:h.]([0-5]\\d)(?:[-:m.]([0-5]\\d))?${E}`);
const HHMMSS = new RegExp(`${BT}([01]\\d|2[0-3])([0-5]\\d)([0-5]\\d)${E}`);
const HHMM = new RegExp(`${BT}([01]\\d|2[0-3])([0-5]\\d)${E}`);

function validWall(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  if (y < 1990 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return false;
  return new Date(Date.UTC(y, mo - 1, d)).getUTCDate() === d;
}

/** Reads a capture time from a path's file name (extension dropped); null when it holds none. */
export function timeFromFileName(filePath: string): NameTime | null {
  const base = filePath.slice(filePath.lastIndexOf("/") + 1).replace(/\.(?:txt|log|out|json|ya?ml|dump|save|rules|v[46]|gz)$/gi, "");
  if (base.length > 200) return null;
  let m = ISO.exec(base) ?? COMPACT.exec(base);
  if (m) {
    const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m![i] ?? "0")) as [number, number, number, number, number, number];
    if (validWall(y, mo, d, h, mi, s)) {
      const zone = m[7];
      if (zone) {
        const z = zone.toUpperCase() === "Z" ? 0 : (zone[0] === "-" ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(-2)));
        return { kind: "instant", ts: epochMs(Date.UTC(y, mo - 1, d, h, mi, s) - z * 60_000), text: m[0] };
      }
      return { kind: "wall", year: y, month: mo, day: d, hour: h, minute: mi, second: s, text: m[0] };
    }
  }
  m = EPOCH_MS.exec(base);
  if (m) return { kind: "instant", ts: epochMs(Number(m[1])), text: m[0] };
  m = EPOCH.exec(base);
  if (m) return { kind: "instant", ts: epochMs(Number(m[1]) * 1000), text: m[0] };
  // A date alone ("2025-03-12") is not a moment; strip it so its digits are not read as HHMM.
  const rest = base.replace(/\d{4}-\d{2}-\d{2}|\d{8}/g, " ");
  m = HHMMSS.exec(rest) ?? HH_MM_SS.exec(rest) ?? HHMM.exec(rest);
  if (m) return { kind: "time-of-day", hour: Number(m[1]), minute: Number(m[2]), second: Number(m[3] ?? "0"), text: m[0] };
  return null;
}


/**
 * The file's name with its capture time cut out, so `ip-10-0-1-2_conntrack-S-0905.txt` and
 * `…-1025.txt` are recognised as two snapshots of one series. Null when the name holds no time.
 */
export function seriesName(filePath: string): string | null {
  const t = timeFromFileName(filePath);
  if (!t) return null;
  const slash = filePath.lastIndexOf("/");
  const base = filePath.slice(slash + 1);
  const at = base.indexOf(t.text);
  return at < 0 ? null : `${filePath.slice(0, slash + 1)}${base.slice(0, at)}*${base.slice(at + t.text.length)}`;
}
