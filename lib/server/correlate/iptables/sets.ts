/**
 * Sets of packets as products of per-dimension sets ("boxes"), the algebra the iptables model
 * is built on.
 *
 *   dimension   values                     set representation
 *   proto       0..255                     intervals
 *   src, dst    0..2^32−1 or 0..2^128−1    intervals (a CIDR is one interval, `! -s` two)
 *   sport,dport 0..65535                   intervals (`a:b`, multiport lists)
 *   iif, oif    interface classes          intervals over class indices (see model.ts)
 *   mark        mark classes               idem
 *   ctstate     5 states                   idem
 *   srctype,    addrtype route types       idem
 *   dsttype
 *   opaque      one boolean per opaque     required value, absent = either
 *               match occurrence
 *
 * A rule's matches are a conjunction of per-dimension constraints, so one rule is one box even
 * with negations (a negation is a complement within its dimension). Subtracting a box from a box
 * gives at most one box per constrained dimension, all disjoint.
 */

/** Sorted, disjoint, non-adjacent inclusive intervals. */
export type Intervals = readonly (readonly [bigint, bigint])[];

export const EMPTY: Intervals = [];
export const full = (max: bigint): Intervals => [[0n, max]];
export const point = (v: bigint): Intervals => [[v, v]];

export function fromRanges(ranges: readonly (readonly [bigint, bigint])[]): Intervals {
  const s = ranges.filter(([a, b]) => a <= b).map(([a, b]) => [a, b] as const).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const out: [bigint, bigint][] = [];
  for (const [a, b] of s) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1n) {
      if (b > last[1]) last[1] = b;
    } else out.push([a, b]);
  }
  return out;
}

export function intersect(x: Intervals, y: Intervals): Intervals {
  const out: [bigint, bigint][] = [];
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    const [a1, b1] = x[i]!;
    const [a2, b2] = y[j]!;
    const lo = a1 > a2 ? a1 : a2;
    const hi = b1 < b2 ? b1 : b2;
    if (lo <= hi) out.push([lo, hi]);
    if (b1 < b2) i++;
    else j++;
  }
  return out;
}

export function complement(x: Intervals, max: bigint): Intervals {
  const out: [bigint, bigint][] = [];
  let next = 0n;
  for (const [a, b] of x) {
    if (a > next) out.push([next, a - 1n]);
    next = b + 1n;
  }
  if (next <= max) out.push([next, max]);
  return out;
}

export const subtract = (x: Intervals, y: Intervals, max: bigint): Intervals => intersect(x, complement(y, max));
export const union = (x: Intervals, y: Intervals): Intervals => fromRanges([...x, ...y]);
export const isEmpty = (x: Intervals) => x.length === 0;
export const isFull = (x: Intervals, max: bigint) => x.length === 1 && x[0]![0] === 0n && x[0]![1] === max;
export const sameSet = (x: Intervals, y: Intervals) => x.length === y.length && x.every(([a, b], i) => a === y[i]![0] && b === y[i]![1]);
export function contains(x: Intervals, v: bigint): boolean {
  let lo = 0;
  let hi = x.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = x[mid]!;
    if (v < a) hi = mid - 1;
    else if (v > b) lo = mid + 1;
    else return true;
  }
  return false;
}
export function size(x: Intervals): bigint {
  return x.reduce((n, [a, b]) => n + (b - a + 1n), 0n);
}

/** A product of per-dimension sets; `opaque` maps an opaque-match id to the value it must take. */
export interface Box {
  readonly dims: readonly Intervals[];
  readonly opaque: ReadonlyMap<string, boolean>;
}

/**
 * Cheap test on the outer bounds of the address and port dimensions: a kube-proxy chain of
 * thousands of `-d VIP/32` rules leaves thousands of boxes, and most pairs are told apart here.
 */
export function quickDisjoint(a: Box, b: Box): boolean {
  for (const i of [2, 4, 1]) {
    const x = a.dims[i];
    const y = b.dims[i];
    if (!x || !y || !x.length || !y.length) continue;
    if (x[0]![0] > y[y.length - 1]![1] || y[0]![0] > x[x.length - 1]![1]) return true;
  }
  return false;
}

export function boxIntersect(a: Box, b: Box): Box | null {
  const dims: Intervals[] = [];
  for (let i = 0; i < a.dims.length; i++) {
    const x = a.dims[i]!;
    const y = b.dims[i]!;
    const r = x === y ? x : intersect(x, y);
    if (r.length === 0) return null;
    dims.push(r);
  }
  let opaque = a.opaque;
  if (b.opaque.size) {
    const m = new Map(a.opaque);
    for (const [k, v] of b.opaque) {
      const have = m.get(k);
      if (have === undefined) m.set(k, v);
      else if (have !== v) return null;
    }
    opaque = m;
  }
  return { dims, opaque };
}

/**
 * a − b as disjoint boxes: for each dimension b constrains, the part of `a` that agrees with b on
 * the earlier dimensions and falls outside b on this one.
 */
export function boxSubtract(a: Box, b: Box, maxes: readonly bigint[]): Box[] {
  if (!boxIntersect(a, b)) return [a];
  const out: Box[] = [];
  const cur = [...a.dims];
  for (let i = 0; i < cur.length; i++) {
    const bi = b.dims[i]!;
    if (isFull(bi, maxes[i]!)) continue;
    const outside = subtract(cur[i]!, bi, maxes[i]!);
    if (outside.length) {
      const dims = [...cur];
      dims[i] = outside;
      out.push({ dims, opaque: a.opaque });
    }
    cur[i] = intersect(cur[i]!, bi);
  }
  let opaque = new Map(a.opaque);
  for (const [k, v] of b.opaque) {
    if (opaque.has(k)) continue; // equal value (disjoint boxes returned above)
    const other = new Map(opaque);
    other.set(k, !v);
    out.push({ dims: [...cur], opaque: other });
    opaque = new Map(opaque);
    opaque.set(k, v);
  }
  return out;
}

/** Whether a concrete point (values per dimension, opaque outcomes) lies in the box. */
export function boxContains(b: Box, values: readonly bigint[], opaque: (id: string) => boolean | undefined): boolean {
  for (let i = 0; i < b.dims.length; i++) if (!contains(b.dims[i]!, values[i]!)) return false;
  for (const [k, v] of b.opaque) {
    const o = opaque(k);
    if (o !== undefined && o !== v) return false;
  }
  return true;
}

const DST = 2;
const MAX_POINTS = 16;
const pointOf = (b: Box): bigint | null => {
  const d = b.dims[DST]!;
  return d.length === 1 && d[0]![0] === d[0]![1] ? d[0]![0] : null;
};

/**
 * Boxes bucketed by destination address when it is one address: kube-proxy's KUBE-SERVICES has a
 * `-d VIP/32` rule per service and leaves a box per VIP behind, so a rule for one VIP only needs
 * that VIP's boxes and the wide ones — not all of them.
 */
export class BoxPool<T extends { box: Box } = { box: Box }> {
  private readonly points = new Map<bigint, Set<T>>();
  private readonly wide = new Set<T>();

  constructor(items: Iterable<T> = []) {
    for (const x of items) this.add(x);
  }
  add(x: T): void {
    const k = pointOf(x.box);
    if (k === null) this.wide.add(x);
    else {
      const s = this.points.get(k);
      if (s) s.add(x);
      else this.points.set(k, new Set([x]));
    }
  }
  delete(x: T): void {
    const k = pointOf(x.box);
    if (k === null) this.wide.delete(x);
    else {
      const s = this.points.get(k);
      s?.delete(x);
      if (s && !s.size) this.points.delete(k);
    }
  }
  /** Items that may intersect `b` (a superset of those that do). */
  candidates(b: Box): T[] {
    const d = b.dims[DST]!;
    let n = 0n;
    for (const [lo, hi] of d) {
      n += hi - lo + 1n;
      if (n > BigInt(MAX_POINTS)) return this.all();
    }
    const out = [...this.wide];
    for (const [lo, hi] of d)
      for (let v = lo; v <= hi; v++) {
        const s = this.points.get(v);
        if (s) out.push(...s);
      }
    return out;
  }
  all(): T[] {
    const out = [...this.wide];
    for (const s of this.points.values()) out.push(...s);
    return out;
  }
}
