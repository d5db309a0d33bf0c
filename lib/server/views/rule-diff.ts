import type { Rule, RulesetRecord } from "@/lib/schemas/records";
import { decodeRecordJson } from "@/lib/schemas/records";
import type { ChainDiffDto, RuleDiffRowDto, RuleDumpDto, RuleRefDto, RuleSideDto, RulesQuery, RulesViewDto, SemanticDiffDto } from "@/lib/schemas/views-rules";
import { getPrisma, type Db } from "@/lib/server/db/client";
import { NotFoundError } from "@/lib/server/errors";
import { requireIncident } from "@/lib/server/auth/require-incident";
import { diffRulesets as diffModels, type RulesetDiff } from "@/lib/server/correlate/iptables/diff";
import { shadowers, type RuleAnalysis, type RuleRef } from "@/lib/server/correlate/iptables/model";
import { changeTraffic, ruleTraffic } from "@/lib/server/correlate/iptables/traffic";
import { renderRule } from "@/lib/server/parsers/iptables/rule";
import { ruleUids } from "@/lib/server/parsers/iptables/values";

/**
 * Rule-order diff view: two iptables dumps side by side per table and chain.
 *
 *   before            after
 *   1 -p tcp --dport 15006 -j ACCEPT   ─╮   1 -p tcp -j REJECT          (moved 2 → 1)
 *   2 -p tcp -j REJECT                 ─┴─▶ 2 … --dport 15006 -j ACCEPT (moved 1 → 2, shadowed by #1)
 *
 * Identity of a rule is its position-independent uid (canonical key + occurrence); "moved" means
 * the rule left the longest common order of the two chains (LIS over the matched positions), so
 * inserting one rule at the top does not mark every later rule as moved. Shadowing, verdict
 * changes and counter evidence come from the packet-class model (correlate/iptables/diff.ts), the
 * same one the rule-order detector uses.
 */

/** Chains longer than this send only their changed/shadowed rows plus a little context. */
export const FULL_CHAIN_ROWS = 300;
const CONTEXT = 1;
const MAX_DUMPS = 200;

export interface LoadedDump {
  dto: RuleDumpDto;
  rec: RulesetRecord;
}

const roleOrder = (d: RuleDumpDto) => (d.role === "before" ? 0 : d.role === "after" ? 2 : 1);

/** Before/after order of dumps of one node: manifest role, else capture time, else path. */
export function orderDumps<T extends RuleDumpDto>(list: T[]): T[] {
  return [...list].sort((x, y) => roleOrder(x) - roleOrder(y) || (x.capturedAt ?? 0) - (y.capturedAt ?? 0) || (x.path < y.path ? -1 : x.path > y.path ? 1 : x.id - y.id));
}

/** An incident's iptables dumps (first `limit` by id) with the list entry the views show for each. */
export async function loadDumps(db: Db, incidentId: string, limit = MAX_DUMPS): Promise<LoadedDump[]> {
  const rows = await db.evidence.findMany({ where: { incidentId, kind: "ruleset" }, orderBy: { id: "asc" }, take: limit, select: { id: true, fileId: true, line: true, data: true } });
  if (rows.length === 0) return [];
  const files = await db.evidenceFile.findMany({ where: { incidentId, id: { in: [...new Set(rows.map((r) => r.fileId))] } }, select: { id: true, path: true, node: true } });
  const fileOf = new Map(files.map((f) => [f.id, f]));
  const out: LoadedDump[] = [];
  for (const r of rows) {
    const rec = decodeRecordJson(r.data);
    if (rec.kind !== "ruleset") continue;
    const f = fileOf.get(r.fileId);
    const path = f?.path ?? r.fileId;
    out.push({
      rec,
      dto: {
        id: r.id,
        node: rec.node ?? f?.node ?? path,
        role: rec.role ?? null,
        capturedAt: rec.capturedAt,
        family: rec.family,
        path,
        line: r.line,
        rules: rec.tables.reduce((n, t) => n + t.rules.length, 0),
      },
    });
  }
  return out;
}

function relevanceOfChain(chain: string, rules: Rule[]): "mesh" | "service" | "other" {
  if (rules.some((r) => ruleTraffic(chain, r) === "mesh")) return "mesh";
  if (/^KUBE-/.test(chain) || rules.some((r) => ruleTraffic(chain, r) === "service")) return "service";
  return "other";
}

/** Indices (into `seq`) of one longest strictly increasing subsequence, O(n log n). */
export function longestIncreasing(seq: number[]): Set<number> {
  const tails: number[] = [];
  const prev = new Array<number>(seq.length).fill(-1);
  for (let i = 0; i < seq.length; i++) {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (seq[tails[mid]!]! < seq[i]!) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[i] = tails[lo - 1]!;
    tails[lo] = i;
  }
  const out = new Set<number>();
  let k = tails.length ? tails[tails.length - 1]! : -1;
  while (k >= 0) {
    out.add(k);
    k = prev[k]!;
  }
  return out;
}

const text = (r: Rule) => renderRule({ ...r, counters: undefined });
const refDto = (r: RuleRef): RuleRefDto => ({ table: r.table, chain: r.chain, position: r.rule.position, line: r.rule.line, text: text(r.rule) });

/** The blocker to show: one that is new on this side if there is one, else the first by position. */
function side(rule: Rule, st: RuleAnalysis | undefined, other: RuleAnalysis | undefined, stats: Map<string, RuleAnalysis>): RuleSideDto {
  let shadowedBy: RuleSideDto["shadowedBy"] = null;
  const shadow = st && (st.status === "fully" || st.status === "partly") ? st.status : null;
  if (st && shadow) {
    const blockers = shadowers(st).flatMap((u) => {
      const r = stats.get(u)?.ref.rule;
      return r ? [{ u, r }] : [];
    }).sort((x, y) => x.r.position - y.r.position);
    const before = other ? shadowers(other) : [];
    const pick = blockers.find((x) => !before.includes(x.u)) ?? blockers[0];
    if (pick) shadowedBy = { position: pick.r.position, line: pick.r.line, text: text(pick.r) };
  }
  return { position: rule.position, line: rule.line, text: text(rule), packets: rule.counters?.packets ?? null, bytes: rule.counters?.bytes ?? null, shadowedBy, shadow };
}
const RANK = { live: 0, partly: 1, fully: 2 } as const;
/** Shadowed on b and not (or less, or by a new rule) on a: the regression. */
function newly(a: RuleAnalysis | undefined, b: RuleAnalysis | undefined): boolean {
  if (!b || (b.status !== "fully" && b.status !== "partly")) return false;
  if (!a || (a.status !== "fully" && a.status !== "partly")) return true;
  const was = shadowers(a);
  return RANK[b.status] > RANK[a.status] || shadowers(b).some((u) => !was.includes(u));
}

/** Keys made unique within a chain: identical rules repeated get #2, #3 … */
function keyed(table: string, rules: Rule[]): { key: string; rule: Rule }[] {
  const uids = ruleUids(table, rules);
  return rules.map((rule, i) => ({ key: uids[i]!, rule }));
}

/** Verdict changes, newly shadowed rules and counter evidence in DTO form. */
export function semanticDiff(d: RulesetDiff): SemanticDiffDto {
  const stopped = (r: Rule, table: string): RuleRefDto => ({ table, chain: r.chain, position: r.position, line: r.line, text: text(r) });
  return {
    identical: d.identical,
    approximate: d.approximate,
    countersCompared: d.countersCompared,
    changes: d.changes.slice(0, 50).map((c) => ({
      table: c.table,
      chain: c.chain,
      before: c.before,
      after: c.after,
      words: c.words,
      traffic: changeTraffic(c) ?? "other",
      uncertain: c.uncertain,
      beforeRule: c.beforeBy ? refDto(c.beforeBy) : null,
      afterRule: c.afterBy ? refDto(c.afterBy) : null,
    })),
    shadowed: d.shadowed.slice(0, 50).map((s) => ({ status: s.status, was: s.was, rule: stopped(s.after, s.table), blockers: s.blockers.map(refDto) })),
    counters: d.counters.slice(0, 20).map((e) => ({ words: e.words, grew: stopped(e.grew.after, e.table), stopped: stopped(e.stopped.after, e.table) })),
  };
}

/** Pure: the per-chain diff of two dumps (exported for tests). Pass the model diff when already computed. */
export function diffRulesets(a: RulesetRecord, b: RulesetRecord, model: RulesetDiff = diffModels(a, b)): ChainDiffDto[] {
  const statsA = new Map(model.models.before.map((m) => [m.table, m.rules]));
  const statsB = new Map(model.models.after.map((m) => [m.table, m.rules]));
  const chainsOf = (rs: RulesetRecord) => {
    const m = new Map<string, { table: string; chain: string; policy: string | null; rules: Rule[] }>();
    for (const t of rs.tables) {
      for (const c of t.chains) m.set(`${t.name}|${c.name}`, { table: t.name, chain: c.name, policy: c.policy, rules: [] });
      for (const r of t.rules) {
        const k = `${t.name}|${r.chain}`;
        (m.get(k) ?? m.set(k, { table: t.name, chain: r.chain, policy: null, rules: [] }).get(k)!).rules.push(r);
      }
    }
    return m;
  };
  const ca = chainsOf(a);
  const cb = chainsOf(b);
  const names = [...new Set([...ca.keys(), ...cb.keys()])];
  const out: ChainDiffDto[] = [];
  for (const name of names) {
    const A = ca.get(name);
    const B = cb.get(name);
    const table = (A ?? B)!.table;
    const chain = (A ?? B)!.chain;
    const ra = keyed(table, [...(A?.rules ?? [])].sort((x, y) => x.position - y.position));
    const rb = keyed(table, [...(B?.rules ?? [])].sort((x, y) => x.position - y.position));
    const idxA = new Map(ra.map((r, i) => [r.key, i]));
    const idxB = new Map(rb.map((r, i) => [r.key, i]));
    // Rules present on both sides, in B's order, mapped to their A index: the LIS keeps its order.
    const common = rb.map((r, i) => ({ i, ai: idxA.get(r.key) })).filter((x): x is { i: number; ai: number } => x.ai !== undefined);
    const stable = longestIncreasing(common.map((c) => c.ai));
    const movedB = new Set(common.filter((_, k) => !stable.has(k)).map((c) => c.i));
    const sA = statsA.get(table) ?? new Map<string, RuleAnalysis>();
    const sB = statsB.get(table) ?? new Map<string, RuleAnalysis>();
    const sideA = (i: number) => side(ra[i]!.rule, sA.get(ra[i]!.key), idxB.has(ra[i]!.key) ? sB.get(ra[i]!.key) : undefined, sA);
    const sideB = (i: number) => side(rb[i]!.rule, sB.get(rb[i]!.key), sA.get(rb[i]!.key), sB);
    const rows: RuleDiffRowDto[] = [];
    // Walk B's order; removed rules of A are emitted right after the A rule that preceded them.
    const removedAfter = new Map<number, number[]>(); // A index of predecessor (-1 = top) → removed A indices
    let lastCommonA = -1;
    for (let i = 0; i < ra.length; i++) {
      if (idxB.has(ra[i]!.key)) lastCommonA = i;
      else (removedAfter.get(lastCommonA) ?? removedAfter.set(lastCommonA, []).get(lastCommonA)!).push(i);
    }
    const emitRemoved = (after: number) => {
      for (const i of removedAfter.get(after) ?? []) rows.push({ status: "removed", a: sideA(i), b: null, newlyShadowed: false });
      removedAfter.delete(after);
    };
    emitRemoved(-1);
    for (let i = 0; i < rb.length; i++) {
      const { key } = rb[i]!;
      const ai = idxA.get(key);
      if (ai === undefined) {
        rows.push({ status: "added", a: null, b: sideB(i), newlyShadowed: newly(undefined, sB.get(key)) });
        continue;
      }
      rows.push({ status: movedB.has(i) ? "moved" : "same", a: sideA(ai), b: sideB(i), newlyShadowed: newly(sA.get(key), sB.get(key)) });
      if (!movedB.has(i)) emitRemoved(ai);
    }
    for (const k of [...removedAfter.keys()].sort((x, y) => x - y)) emitRemoved(k);
    const count = (s: RuleDiffRowDto["status"]) => rows.filter((r) => r.status === s).length;
    out.push({
      table,
      chain,
      relevance: relevanceOfChain(chain, [...ra, ...rb].map((r) => r.rule)),
      policyA: A?.policy ?? null,
      policyB: B?.policy ?? null,
      counts: {
        same: count("same"),
        moved: count("moved"),
        added: count("added"),
        removed: count("removed"),
        shadowedA: rows.filter((r) => r.a?.shadowedBy).length,
        shadowedB: rows.filter((r) => r.b?.shadowedBy).length,
      },
      rows,
      hiddenSame: 0,
    });
  }
  return out;
}

/** Keeps long chains bounded: changed or shadowed rows plus CONTEXT rows around them. */
function windowRows(c: ChainDiffDto): ChainDiffDto {
  if (c.rows.length <= FULL_CHAIN_ROWS) return c;
  const interesting = (r: RuleDiffRowDto) => r.status !== "same" || !!r.a?.shadowedBy || !!r.b?.shadowedBy;
  const keep = new Set<number>();
  c.rows.forEach((r, i) => {
    if (interesting(r)) for (let k = Math.max(0, i - CONTEXT); k <= Math.min(c.rows.length - 1, i + CONTEXT); k++) keep.add(k);
  });
  const idx = [...keep].sort((x, y) => x - y).slice(0, FULL_CHAIN_ROWS);
  return { ...c, rows: idx.map((i) => c.rows[i]!), hiddenSame: c.rows.length - idx.length };
}

const changed = (c: ChainDiffDto) => c.counts.moved + c.counts.added + c.counts.removed > 0 || c.rows.some((r) => r.newlyShadowed) || c.policyA !== c.policyB;

export async function getRulesView(incidentId: string, q: RulesQuery, db: Db = getPrisma()): Promise<RulesViewDto> {
  await requireIncident(incidentId, db);
  const dumps = await loadDumps(db, incidentId);
  const byNode = new Map<string, LoadedDump[]>();
  for (const d of dumps) {
    const k = `${d.dto.node}|${d.dto.family}`;
    (byNode.get(k) ?? byNode.set(k, []).get(k)!).push(d);
  }
  const pairs: RulesViewDto["pairs"] = [];
  for (const list of byNode.values()) {
    const ordered = orderDumps(list.map((l) => l.dto));
    if (ordered.length >= 2) pairs.push({ node: ordered[0]!.node, a: ordered[0]!.id, b: ordered[ordered.length - 1]!.id });
  }
  pairs.sort((x, y) => (x.node < y.node ? -1 : x.node > y.node ? 1 : 0));
  const byId = new Map(dumps.map((d) => [d.dto.id, d]));
  let a = q.a !== undefined ? byId.get(q.a) : undefined;
  let b = q.b !== undefined ? byId.get(q.b) : undefined;
  if (q.a !== undefined && !a) throw new NotFoundError(`iptables dump ${q.a}`);
  if (q.b !== undefined && !b) throw new NotFoundError(`iptables dump ${q.b}`);
  if (!a && !b) {
    const p = pairs[0];
    if (p) [a, b] = [byId.get(p.a), byId.get(p.b)];
    else if (dumps.length >= 2) [a, b] = [dumps[0], dumps[1]];
    else [a, b] = [dumps[0], undefined];
  }
  const base = { dumps: orderDumps(dumps.map((d) => d.dto)), pairs, a: a?.dto ?? null, b: b?.dto ?? null };
  if (!a || !b) return { ...base, mode: "none", chains: [], hiddenChains: 0, semantic: null };
  const model = diffModels(a.rec, b.rec);
  const all = diffRulesets(a.rec, b.rec, model);
  const shown = all.filter((c) => (q.filter === "all" || c.relevance === q.filter) && (q.unchanged || changed(c)));
  shown.sort((x, y) => Number(changed(y)) - Number(changed(x)) || (x.table < y.table ? -1 : x.table > y.table ? 1 : 0) || (x.chain < y.chain ? -1 : 1));
  return {
    ...base,
    mode: a.dto.node === b.dto.node ? "before-after" : "node-vs-node",
    chains: shown.map(windowRows),
    hiddenChains: all.length - shown.length,
    semantic: semanticDiff(model),
  };
}
