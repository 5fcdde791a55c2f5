import "server-only";
import { tracked, type TrackedEnvelope } from "@trpc/server";
import type { ServiceCtx } from "@/server/auth/actor";
import { busWaiter } from "@/server/engine/bus-waiter";
import { requireService } from "@/server/policy/access";
import { checkPatternInDb, countLines, idFromNewest, newestGlobalId, selectLines, type LineFilter } from "./log-query";
import type { LogEvent, LogRow, WatchLogsInput } from "./log-schemas";
import { storedBatches, type StoredBatch } from "./stored-batches";

const PAGE = 1000;
/** A subscriber more than this many matching lines behind is moved to the newest ones… */
export const MAX_LAG = 25_000;
/** …keeping this many, and told how many it skipped. */
export const KEEP_ON_SKIP = 1_000;
/** Batches handed over in memory that may wait for a slow subscriber; beyond, it reads the database. */
const MAX_QUEUED_BATCHES = 20;
/**
 * Lines per event at most. Each SSE event costs about 0.1 ms of the console's CPU whatever it carries
 * (serialization, web streams, promise ticks): one event per line capped a tail near 9k lines/s.
 */
export const LINES_PER_EVENT = 500;

/** `rows` (oldest first) as events of at most LINES_PER_EVENT lines, each tracked by its last line's id. */
function* linesEvents(rows: LogRow[]): Generator<TrackedEnvelope<LogEvent>> {
  for (let i = 0; i < rows.length; i += LINES_PER_EVENT) {
    const lines = rows.slice(i, i + LINES_PER_EVENT);
    yield tracked(String(lines[lines.length - 1].id), { type: "lines", lines });
  }
}

/** The same test as the SQL filter, for lines handed over in memory (never used for regular expressions). */
function matcher(f: LineFilter): (r: LogRow & { serviceId: string }) => boolean {
  const text = f.text?.toLowerCase();
  return (r) =>
    r.serviceId === f.serviceId &&
    (!f.deploymentId || r.deploymentId === f.deploymentId) &&
    (!f.instanceId || r.instanceId === f.instanceId) &&
    (!f.stream || r.stream === f.stream) &&
    (!text || r.line.toLowerCase().includes(text));
}

/**
 * Live tail over SSE. Listens first, then reads: lines are yielded in `tracked(id, …)` events of up to
 * LINES_PER_EVENT consecutive matching lines, the id being the last line's, so a client that
 * reconnects with the last id it saw resumes with no gap and no duplicate.
 *
 * `after` is a position in the global id order: every line with a smaller id has been yielded or did
 * not match. Committed ids are visible in id order (the writer serializes inserts), so reading the
 * newest id of the table and then the matching lines up to it moves the position without ever
 * passing a line that appears later. When the next batch this process stored starts right after
 * `after`, its lines come from memory (the writer hands them over) instead of a read — the common
 * case of a tail that keeps up. Regular expressions always run in the database.
 *
 * A subscriber that falls more than MAX_LAG matching lines behind (a slow client: the SSE stream only
 * pulls as fast as it is consumed) gets a tracked `skipped` item with the count, never silence.
 */
export async function* watchLogs({
  ctx,
  input,
  signal,
  maxLag = MAX_LAG,
  keep = KEEP_ON_SKIP,
}: {
  ctx: ServiceCtx;
  input: WatchLogsInput;
  signal?: AbortSignal;
  maxLag?: number;
  keep?: number;
}): AsyncGenerator<TrackedEnvelope<LogEvent>> {
  await requireService(ctx, input.serviceId, "org.read");
  await checkPatternInDb(ctx.db, input);
  const db = ctx.db;
  const waiter = busWaiter(["logs"], (_n, p) => p.serviceId === input.serviceId);
  // Reads wait out a database restart (the stream stays open); the bridge's resync then wakes the loop.
  const read = <T>(f: () => Promise<T>) => waiter.read(f, signal);
  const fast = !(input.regex && input.text);
  const matches = matcher(input);
  let queue: StoredBatch[] = [];
  const offBatches = fast
    ? storedBatches.on((b) => {
        queue.push(b);
        // Too far behind for memory: drop the hand-over; the database has it all.
        if (queue.length > MAX_QUEUED_BATCHES) queue = [];
      })
    : () => {};
  try {
    let after: number;
    if (input.lastEventId !== undefined) after = Number(input.lastEventId);
    else {
      after = await read(() => newestGlobalId(db));
      const upTo = after;
      const tail = input.tail > 0 ? await read(() => selectLines(db, input, { upToId: upTo }, { limit: input.tail, newest: true })) : [];
      yield* linesEvents(tail);
    }
    while (!signal?.aborted) {
      // From memory, while the handed-over batches continue exactly where we are.
      while (queue.length > 0 && !signal?.aborted) {
        const b = queue[0];
        if (b.maxId <= after) {
          queue.shift();
          continue;
        }
        if (b.minId !== after + 1) break;
        queue.shift();
        const rows: LogRow[] = [];
        for (const r of b.rows) {
          if (!matches(r)) continue;
          const { serviceId: _s, ...row } = r;
          rows.push(row);
        }
        yield* linesEvents(rows);
        after = b.maxId;
      }
      const hi = await read(() => newestGlobalId(db));
      while (after < hi && !signal?.aborted) {
        // `hi - after` only bounds the lag (ids are shared by all services): count when it might be real.
        if (hi - after > maxLag) {
          const window = { afterId: after, upToId: hi };
          if ((await read(() => countLines(db, input, window, maxLag))) > maxLag) {
            const cut = await read(() => idFromNewest(db, input, window, keep));
            if (cut !== null) {
              const from = after;
              const count = await read(() => countLines(db, input, { afterId: from, upToId: cut }));
              yield tracked(String(cut), { type: "skipped", count, fromId: after + 1, toId: cut });
              after = cut;
            }
          }
        }
        const from = after;
        const rows = await read(() => selectLines(db, input, { afterId: from, upToId: hi }, { limit: PAGE }));
        for (const event of linesEvents(rows)) {
          after = Number(event[0]);
          yield event;
        }
        if (rows.length < PAGE) after = hi;
      }
      if (queue.length === 0 || queue[0].minId !== after + 1) await waiter.wait(signal);
    }
  } finally {
    offBatches();
    waiter.close();
  }
}
