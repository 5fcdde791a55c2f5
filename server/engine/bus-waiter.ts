import "server-only";
import { isDatabaseUnreachable } from "@/db/unreachable";
import { bus, type BusEvents } from "./event-bus";
import { retryDelay } from "./retry-delay";

/** How long a live view waits out an unreachable database before it ends with the error (clients resume by last id). */
export const OUTAGE_MS = 30_000;

/**
 * Runs a live view's read, retrying (with backoff) while the database is unreachable — a restart — for
 * up to OUTAGE_MS: the stream stays open through the outage instead of ending with an error. Any other
 * error is thrown at once.
 */
export async function readThroughOutage<T>(read: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await read();
    } catch (err) {
      if (!isDatabaseUnreachable(err) || signal?.aborted || Date.now() - started > OUTAGE_MS) throw err;
      await new Promise((resolve) => setTimeout(resolve, retryDelay(attempt)).unref());
    }
  }
}

/**
 * Subscribe first, read later: a notification that arrives while the subscriber is reading the
 * database is remembered, so nothing between the backfill and the wait is missed. A `resync` (events
 * may have been lost: server/engine/pg-bridge.ts) wakes every waiter whatever its filter, so each
 * live loop re-reads from its last delivered id: gap-free without a fix per loop.
 */
export function busWaiter<K extends keyof BusEvents>(names: K[], filter: (name: K, payload: BusEvents[K]) => boolean) {
  let pending = false;
  let wakeUp: (() => void) | null = null;
  const wake = () => {
    pending = true;
    wakeUp?.();
  };
  const offs = names.map((name) =>
    bus.on(name, (payload) => {
      if (filter(name, payload)) wake();
    }),
  );
  offs.push(bus.on("resync", wake));
  return {
    /** Resolves at the next notification (or at once if one came since the last wait), or on abort. */
    wait(signal?: AbortSignal): Promise<void> {
      if (pending || signal?.aborted) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const done = () => {
          wakeUp = null;
          pending = false;
          signal?.removeEventListener("abort", done);
          resolve();
        };
        wakeUp = done;
        signal?.addEventListener("abort", done, { once: true });
      });
    },
    /** `read` through a database outage (readThroughOutage), ended early by `signal`. */
    read<T>(read: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      return readThroughOutage(read, signal);
    },
    close() {
      for (const off of offs) off();
    },
  };
}
