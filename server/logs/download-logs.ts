import "server-only";
import type { ServiceCtx } from "@/server/auth/actor";
import { requireService } from "@/server/policy/access";
import { checkRangeAgainstRetention } from "./list-log-history";
import { checkPatternInDb, newestId, selectLines } from "./log-query";
import type { LogDownloadInput, LogRow } from "./log-schemas";

const PAGE = 5000;

export const formatLogText = (l: LogRow): string => `${l.at.toISOString()} ${l.instanceId ?? "-"} ${l.stream} ${l.line}\n`;

/**
 * The matching lines as text, one page at a time, oldest first: the caller streams each chunk as it
 * comes, so a download of everything retained never sits in memory. Stops at the newest line stored
 * when it began, so a chatty service cannot make it endless. Access is checked before the first chunk.
 */
export async function* downloadLogs({ ctx, input }: { ctx: ServiceCtx; input: LogDownloadInput }): AsyncGenerator<string> {
  await requireService(ctx, input.serviceId, "org.read");
  checkRangeAgainstRetention(input);
  await checkPatternInDb(ctx.db, input);
  const upToId = await newestId(ctx.db, input.serviceId);
  let after = 0;
  yield "";
  for (;;) {
    const rows = await selectLines(ctx.db, input, { afterId: after, upToId, from: input.from, to: input.to }, { limit: PAGE });
    if (rows.length === 0) return;
    yield rows.map(formatLogText).join("");
    after = rows[rows.length - 1].id;
    if (rows.length < PAGE) return;
  }
}
