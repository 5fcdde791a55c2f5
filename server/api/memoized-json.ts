import "server-only";
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";

/**
 * A frozen answer served many times (service.list's snapshot) has its JSON text built once. tRPC
 * still runs JSON.stringify over every response, which walked the whole 200-service list again on
 * each request (~0.2 ms of the one thread that serves everything, 20–30% of the request). Inside a
 * slot, the transformer puts a marker string where such a value goes and the /api/trpc lane swaps
 * the marker's JSON form for the text after tRPC has built the body.
 *
 * Markers exist only inside `memoizedJsonSlots.run(slot, …)` while `slot.open` — the lane's
 * non-streaming answers, closed before any stream starts — and carry a random id per request, so
 * neither another path nor data sent by a client can produce one.
 */
export class MemoizedJsonSlot {
  /** Cleared once tRPC has built the response: streamed events serialize in full. */
  open = true;
  private readonly prefix = `\u0000slipway-json:${randomUUID()}:`;
  private readonly texts: string[] = [];

  /** The marker that stands for `json` (a JSON text) in the value tRPC stringifies. */
  take(json: string): string {
    this.texts.push(json);
    return `${this.prefix}${this.texts.length - 1}`;
  }

  get used(): boolean {
    return this.texts.length > 0;
  }

  /** `body` with each marker (as JSON.stringify wrote it, quotes included) replaced by its text. */
  splice(body: string): string {
    let out = "";
    let from = 0;
    for (let i = 0; i < this.texts.length; i++) {
      const token = JSON.stringify(`${this.prefix}${i}`);
      const at = body.indexOf(token, from);
      if (at < 0) throw new Error("a memoized JSON marker is missing from the response body");
      out += body.slice(from, at) + this.texts[i];
      from = at + token.length;
    }
    return out + body.slice(from);
  }
}

export const memoizedJsonSlots = new AsyncLocalStorage<MemoizedJsonSlot>();
