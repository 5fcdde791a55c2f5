import { z } from "zod";
import { uuidSchema } from "@/server/validation/names";
import { MAX_PATTERN, regexProblem } from "./log-pattern";

export const LOG_STREAMS = ["stdout", "stderr", "build", "system"] as const;
export type LogStream = (typeof LOG_STREAMS)[number];

/** Which lines: one service, optionally narrowed by deployment, instance, stream and text. */
const filterShape = {
  serviceId: uuidSchema,
  deploymentId: uuidSchema.optional(),
  instanceId: z.string().min(1).max(100).optional(),
  stream: z.enum(LOG_STREAMS).optional(),
  text: z.string().max(MAX_PATTERN, { error: `at most ${MAX_PATTERN} characters` }).optional(),
  /** `text` is a regular expression (else a case-insensitive substring). */
  regex: z.boolean().default(false),
};

type FilterFields = { text?: string; regex: boolean };
const checkRegex = (v: FilterFields, ctx: z.RefinementCtx) => {
  if (!v.regex || !v.text) return;
  const problem = regexProblem(v.text);
  if (problem) ctx.addIssue({ code: "custom", path: ["text"], message: problem });
};

type RangeFields = { from?: Date; to?: Date };
const checkRange = (v: RangeFields, ctx: z.RefinementCtx) => {
  if (v.from && v.to && v.to < v.from) ctx.addIssue({ code: "custom", path: ["to"], message: `the end of the range (${v.to.toISOString()}) is before its start (${v.from.toISOString()})` });
};

export const logFilterInput = z.object(filterShape).superRefine(checkRegex);
export type LogFilter = z.infer<typeof logFilterInput>;

const id = z.number().int().nonnegative();

/**
 * A page of stored lines. `backward` (default): the newest `limit` lines before `beforeId` and at or
 * before `to`; `forward`: the oldest `limit` lines after `afterId` and at or after `from`. Either way
 * they come back oldest first, with `more` saying whether the page stopped short of everything.
 */
export const logHistoryInput = z
  .object({
    ...filterShape,
    direction: z.enum(["backward", "forward"]).default("backward"),
    beforeId: id.optional(),
    afterId: id.optional(),
    from: z.coerce.date().optional(),
    to: z.coerce.date().optional(),
    limit: z.number().int().min(1).max(5000).default(500),
  })
  .superRefine(checkRegex)
  .superRefine(checkRange);
export type LogHistoryInput = z.infer<typeof logHistoryInput>;

/** Live tail: the newest `tail` lines (or everything after `lastEventId`), then new lines as they are stored. */
export const watchLogsInput = z
  .object({
    ...filterShape,
    tail: z.number().int().min(0).max(5000).default(200),
    lastEventId: z.string().regex(/^\d+$/).optional(),
  })
  .superRefine(checkRegex);
export type WatchLogsInput = z.infer<typeof watchLogsInput>;

/** The download route's query string (all strings there). */
export const logDownloadInput = z
  .object({
    ...filterShape,
    regex: z
      .enum(["true", "false", "1", "0"])
      .optional()
      .transform((v) => v === "true" || v === "1"),
    from: z.coerce.date().optional(),
    to: z.coerce.date().optional(),
  })
  .superRefine(checkRegex)
  .superRefine(checkRange);
export type LogDownloadInput = z.infer<typeof logDownloadInput>;

/** One stored line as the API returns it. */
export type LogRow = { id: number; deploymentId: string | null; instanceId: string | null; stream: LogStream; line: string; at: Date };

/**
 * What the live tail yields: consecutive matching lines (oldest first; the event's id is the last
 * line's), or a note that the subscriber fell behind and `count` lines were skipped.
 */
export type LogEvent = { type: "lines"; lines: LogRow[] } | { type: "skipped"; count: number; fromId: number; toId: number };
