import superjson from "superjson";
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

/**
 * Reads a `logs.watch` SSE response block by block and hands each item (see eventItems) to
 * `onValue`; resolves when the stream ends or is aborted, and hands nothing on once `signal` aborted
 * (the rest of the event being handed on finishes). Nothing here waits for time: it reads what the
 * server pushes.
 */
export async function readLogStream(res: Response, onValue: (r: Received) => void, signal?: AbortSignal): Promise<void> {
  if (!res.body) throw new Error("no body");
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let cut: number;
      while ((cut = buffer.indexOf("\n\n")) >= 0 && !signal?.aborted) {
        const block = buffer.slice(0, cut).split("\n");
        buffer = buffer.slice(cut + 2);
        const event = block.find((l) => l.startsWith("event:"));
        const data = block.filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart()).join("\n");
        const id = block.find((l) => l.startsWith("id:"))?.slice(3).trim();
        if (event?.includes("serialized-error")) throw new Error(`stream error: ${data}`);
        if (event || !data || !id) continue;
        for (const r of eventItems(id, superjson.deserialize(JSON.parse(data)) as LogEvent)) onValue(r);
      }
    }
  } catch (err) {
    if (!(err instanceof Error && err.name === "AbortError")) throw err;
  }
}
