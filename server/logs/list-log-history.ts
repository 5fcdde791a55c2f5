import "server-only";
import type { ServiceCtx } from "@/server/auth/actor";
import { badField } from "@/server/errors/app-error";
import { requireService } from "@/server/policy/access";
import { logRetention } from "./log-config";
import { checkPatternInDb, selectLines } from "./log-query";
import type { LogHistoryInput, LogRow } from "./log-schemas";

const DAY_MS = 24 * 60 * 60 * 1000;
// A range may start a little before the retention cut-off (a clock-skewed client, a slow click).
const RANGE_SLACK_MS = 60 * 60 * 1000;

/** Refuses a time range wider than what is kept: it could only ever be partly answered. */
export function checkRangeAgainstRetention(range: { from?: Date; to?: Date }, now = new Date()): void {
  if (!range.from) return;
  const { maxAgeMs } = logRetention();
  const end = range.to ?? now;
  if (end.getTime() - range.from.getTime() > maxAgeMs + RANGE_SLACK_MS) {
    const days = (end.getTime() - range.from.getTime()) / DAY_MS;
    throw badField("from", `the range spans ${days.toFixed(1)} days, but logs are kept for ${+(maxAgeMs / DAY_MS).toFixed(2)} days: start it later`);
  }
}

/** One page of a service's stored lines, oldest first (see logHistoryInput for the paging rules). */
export async function listLogHistory({ ctx, input }: { ctx: ServiceCtx; input: LogHistoryInput }): Promise<{ lines: LogRow[]; more: boolean }> {
  await requireService(ctx, input.serviceId, "org.read");
  checkRangeAgainstRetention(input);
  await checkPatternInDb(ctx.db, input);
  const range = { afterId: input.afterId, beforeId: input.beforeId, from: input.from, to: input.to };
  const rows = await selectLines(ctx.db, input, range, { limit: input.limit + 1, newest: input.direction === "backward" });
  const more = rows.length > input.limit;
  // One extra row was read to learn whether there is more: drop it from the far end.
  const lines = more ? (input.direction === "backward" ? rows.slice(1) : rows.slice(0, -1)) : rows;
  return { lines, more };
}
