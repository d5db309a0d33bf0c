import { z } from "zod";

/** GET /api/incidents/:id/rules query: which two dumps to compare and which chains to show. */
export const RulesQuery = z.object({
  /** Evidence id of the left ("before") dump */
  a: z.coerce.number().int().positive().optional(),
  /** Evidence id of the right ("after") dump */
  b: z.coerce.number().int().positive().optional(),
  /** all chains, mesh (ISTIO_* / ports 15001/15006/15008) or service (KUBE-*) chains */
  filter: z.enum(["all", "mesh", "service"]).default("all"),
  /** show unchanged chains too */
  unchanged: z.enum(["0", "1"]).default("0").transform((v) => v === "1"),
});
export type RulesQuery = z.infer<typeof RulesQuery>;

export const RuleDumpDto = z.object({
  /** Evidence id of the ruleset record */
  id: z.number().int(),
  node: z.string(),
  role: z.enum(["before", "after"]).nullable(),
  capturedAt: z.number().nullable(),
  family: z.string(),
  path: z.string(),
  line: z.number().nullable(),
  rules: z.number().int(),
});
export type RuleDumpDto = z.infer<typeof RuleDumpDto>;

export const RuleSideDto = z.object({
  position: z.number().int(),
  line: z.number().int(),
  text: z.string(),
  packets: z.number().nullable(),
  bytes: z.number().nullable(),
  /** an earlier rule with another effect that takes traffic this rule matches (packet-class model) */
  shadowedBy: z.object({ position: z.number().int(), line: z.number().int(), text: z.string() }).nullable(),
  /** fully: no packet reaches the rule and matches it; partly: some of its traffic is taken earlier */
  shadow: z.enum(["fully", "partly"]).nullable().default(null),
});
export type RuleSideDto = z.infer<typeof RuleSideDto>;

export const RuleDiffRowDto = z.object({
  status: z.enum(["same", "moved", "added", "removed"]),
  a: RuleSideDto.nullable(),
  b: RuleSideDto.nullable(),
  /** shadowed on the right but not on the left: the regression */
  newlyShadowed: z.boolean(),
});
export type RuleDiffRowDto = z.infer<typeof RuleDiffRowDto>;

export const ChainDiffDto = z.object({
  table: z.string(),
  chain: z.string(),
  relevance: z.enum(["mesh", "service", "other"]),
  policyA: z.string().nullable(),
  policyB: z.string().nullable(),
  counts: z.object({ same: z.number(), moved: z.number(), added: z.number(), removed: z.number(), shadowedA: z.number(), shadowedB: z.number() }),
  rows: z.array(RuleDiffRowDto),
  /** unchanged rows left out of a long chain (server-side windowing) */
  hiddenSame: z.number().int(),
});
export type ChainDiffDto = z.infer<typeof ChainDiffDto>;

/** A rule named in a semantic finding: where it is in its dump. */
export const RuleRefDto = z.object({ table: z.string(), chain: z.string(), position: z.number().int(), line: z.number().int(), text: z.string() });
export type RuleRefDto = z.infer<typeof RuleRefDto>;

/** What the change did to traffic (iptables packet-class model), per dump pair. */
export const SemanticDiffDto = z.object({
  identical: z.boolean(),
  /** a table was too large to compare exactly: nothing is claimed for it */
  approximate: z.boolean(),
  countersCompared: z.boolean(),
  /** "tcp to :15001,15006, destination not local: ACCEPT → REJECT" */
  changes: z.array(
    z.object({
      table: z.string(),
      chain: z.string(),
      before: z.string(),
      after: z.string(),
      words: z.string(),
      traffic: z.enum(["mesh", "service", "other"]),
      /** the change may not happen: it depends on matches the model cannot evaluate */
      uncertain: z.boolean(),
      beforeRule: RuleRefDto.nullable(),
      afterRule: RuleRefDto.nullable(),
    }),
  ),
  shadowed: z.array(z.object({ status: z.enum(["fully", "partly"]), was: z.string(), rule: RuleRefDto, blockers: z.array(RuleRefDto) })),
  counters: z.array(z.object({ words: z.string(), grew: RuleRefDto, stopped: RuleRefDto })),
});
export type SemanticDiffDto = z.infer<typeof SemanticDiffDto>;

export const RulesViewDto = z.object({
  dumps: z.array(RuleDumpDto),
  /** default before/after pairs per node */
  pairs: z.array(z.object({ node: z.string(), a: z.number().int(), b: z.number().int() })),
  a: RuleDumpDto.nullable(),
  b: RuleDumpDto.nullable(),
  mode: z.enum(["before-after", "node-vs-node", "none"]),
  chains: z.array(ChainDiffDto),
  /** chains left out by the filter or because nothing changed */
  hiddenChains: z.number().int(),
  /** verdict changes, newly shadowed rules and counter evidence between a and b */
  semantic: SemanticDiffDto.nullable().default(null),
});
export type RulesViewDto = z.infer<typeof RulesViewDto>;
