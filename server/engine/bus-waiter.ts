import "server-only";
import { bus, type BusEvents } from "./event-bus";

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
    close() {
      for (const off of offs) off();
    },
  };
}
