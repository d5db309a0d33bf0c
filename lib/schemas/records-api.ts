import { z } from "zod";
import { RECORD_KINDS } from "./records";

const csv = <T extends z.ZodTypeAny>(item: T) =>
  z.preprocess((v) => (typeof v === "string" ? v.split(",").map((s) => s.trim()).filter(Boolean) : v), z.array(item));

/** GET /api/incidents/:id/records query: time range, kind, service/workload, node, source, severity, text. */
export const RecordQuery = z.object({
  kind: csv(z.enum(RECORD_KINDS)).optional(),
  /** epoch ms or ISO 8601 */
  from: z.union([z.coerce.number(), z.iso.datetime({ offset: true }).transform((s) => Date.parse(s))]).optional(),
  to: z.union([z.coerce.number(), z.iso.datetime({ offset: true }).transform((s) => Date.parse(s))]).optional(),
  service: z.string().max(300).optional(),
  node: z.string().max(300).optional(),
  source: csv(z.string().max(100)).optional(),
  severity: csv(z.string().max(20)).optional(),
  fileId: z.string().max(100).optional(),
  traceId: z.string().max(200).optional(),
  /** free text over the one-line summary (case-insensitive substring) */
  q: z.string().max(200).optional(),
  /** opaque cursor from the previous page */
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  order: z.enum(["asc", "desc"]).default("asc"),
});
export type RecordQuery = z.infer<typeof RecordQuery>;

export const RecordRowDto = z.object({
  id: z.number().int(),
  fileId: z.string(),
  path: z.string(),
  kind: z.string(),
  /** epoch ms */
  ts: z.number().nullable(),
  durationMs: z.number().nullable(),
  source: z.string().nullable(),
  service: z.string().nullable(),
  node: z.string().nullable(),
  status: z.number().nullable(),
  severity: z.string().nullable(),
  traceId: z.string().nullable(),
  text: z.string(),
  line: z.number().nullable(),
});
export type RecordRowDto = z.infer<typeof RecordRowDto>;

export const RecordPageDto = z.object({ rows: z.array(RecordRowDto), nextCursor: z.string().nullable() });
export type RecordPageDto = z.infer<typeof RecordPageDto>;
