import { createTRPCRouter, protectedProcedure } from "@/server/api/trpc";
import { svc } from "@/server/api/context";
import { listLogHistory } from "@/server/logs/list-log-history";
import { logHistoryInput, watchLogsInput } from "@/server/logs/log-schemas";
import { watchLogs } from "@/server/logs/watch-logs";

export const logsRouter = createTRPCRouter({
  /** Stored lines, a page at a time, backwards or forwards from an id or a time; filtered. */
  history: protectedProcedure.input(logHistoryInput).query(({ ctx, input }) => listLogHistory({ ctx: svc(ctx), input })),
  /** Live tail over SSE: `tracked(id, line)`, resumable by last event id; filtered. */
  watch: protectedProcedure.input(watchLogsInput).subscription(({ ctx, input, signal }) => watchLogs({ ctx: svc(ctx), input, signal })),
});
