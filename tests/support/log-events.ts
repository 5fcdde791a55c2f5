import type { TrackedEnvelope } from "@trpc/server";
import type { LogEvent, LogRow } from "@/server/logs/log-schemas";

/** One line of a `lines` event, or a `skipped` notice: what a viewer shows, one item at a time. */
export type LogItem = ({ type: "line" } & LogRow) | Extract<LogEvent, { type: "skipped" }>;
export type Received = { id: string; event: LogItem };

/**
 * A live tail's events as single items: each line of a `lines` event (with its own id) in order, and
 * `skipped` notices as they are. The last line of a `lines` event carries the event's own id, so
 * resuming from the last item's id is resuming from the last event's.
 */
export function eventItems(eventId: string, event: LogEvent): Received[] {
  if (event.type === "skipped") return [{ id: eventId, event }];
  const last = event.lines[event.lines.length - 1];
  if (!last || String(last.id) !== eventId) throw new Error(`event ${eventId} does not end with its own line (last line ${last?.id})`);
  return event.lines.map((l) => ({ id: String(l.id), event: { type: "line" as const, ...l } }));
}

/** A watchLogs generator read item by item (see eventItems); returning it ends the underlying one. */
export async function* items(events: AsyncGenerator<TrackedEnvelope<LogEvent>>): AsyncGenerator<[string, LogItem]> {
  for await (const [id, event] of events) for (const r of eventItems(id, event)) yield [r.id, r.event];
}
