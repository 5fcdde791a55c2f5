import "server-only";
import type { Db } from "@/db/client";
import { perHandle } from "@/db/per-handle";

/**
 * Changes to some rows, as they commit, for a cache in this process: a trigger notifies a channel and
 * the cache drops what the change may have made stale.
 *
 * Only on PGlite: one process owns the database, and PGlite hands this process its own
 * notification while it parses the committing statement's reply — before the changing request
 * resumes, let alone answers. That makes dropping a cached value on notification as exact as
 * re-reading it on every request. On PostgreSQL another console may write, and a notification
 * arrives some time later, so there the feed is null and callers read on every request.
 */
export type ChangeFeed = {
  /** True once this process listens: only then may a cached value skip its read. */
  ready: boolean;
  /** Bumped by every notification: a read that started before a change must not cache what it read. */
  generation: number;
  /** `fn(payload)` per change; `fn(ALL_CHANGED)` once listening starts (what was cached before is unprotected). */
  onChange(fn: (payload: string) => void): void;
};

/** Passed to onChange listeners when everything cached must be dropped. */
export const ALL_CHANGED = "*";

type Listenable = { listen(channel: string, callback: (payload: string) => void): Promise<unknown>; exec(query: string): Promise<unknown> };

/** PGlite has listen() and exec(); node-postgres's Pool has neither. */
function pgliteOf(db: Db): Listenable | null {
  const client = (db as unknown as { $client?: Partial<Listenable> }).$client;
  return client && typeof client.listen === "function" && typeof client.exec === "function" ? (client as Listenable) : null;
}

/** The feed of one notification channel, one per database handle (null on PostgreSQL). */
export function changeFeed(channel: string): (db: Db) => ChangeFeed | null {
  return perHandle((db: Db): ChangeFeed | null => {
    const client = pgliteOf(db);
    if (!client) return null;
    const listeners: ((payload: string) => void)[] = [];
    const feed: ChangeFeed = { ready: false, generation: 0, onChange: (fn) => void listeners.push(fn) };
    client
      .listen(channel, (payload) => {
        feed.generation++;
        for (const fn of listeners) fn(payload);
      })
      .then(
        () => {
          // Changes before this point were not heard: nothing cached so far may skip its read.
          feed.generation++;
          for (const fn of listeners) fn(ALL_CHANGED);
          feed.ready = true;
        },
        // Not listening: stay on the per-request read.
        (err: unknown) => console.error(`[slipway] cannot listen on ${channel}: ${err instanceof Error ? err.message : String(err)}`),
      );
    return feed;
  });
}
