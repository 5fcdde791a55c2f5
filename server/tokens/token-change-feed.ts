import "server-only";
import type { Db } from "@/db/client";
import { perHandle } from "@/db/per-handle";

const CHANNEL = "slipway_token_changed";

/**
 * Revocations, deletions and last-used stamps of API tokens, as they commit (a trigger, migration
 * 0008, notifies `slipway_token_changed` with the token's id), for the identity cache in
 * authenticate-token.ts: the entry is dropped, and the next request reads the row again.
 *
 * Only on PGlite: one process owns the database, and PGlite hands this process its own
 * notification while it parses the committing statement's reply — before the revoking request
 * resumes, let alone answers. That makes dropping a cached token on notification as exact as
 * re-reading its row on every request. On PostgreSQL another console may revoke, and a
 * notification arrives some time later, so there the row is still read on every request.
 */
export type TokenChangeFeed = {
  /** True once this process listens: only then may a cached token skip its per-request read. */
  ready: boolean;
  /** Bumped by every notification: a lookup that started before a change must not cache what it read. */
  generation: number;
  /** `fn(tokenId)` per change; `fn(ALL_TOKENS)` once listening starts (what was cached before is unprotected). */
  onChange(fn: (tokenId: string) => void): void;
};

/** Passed to onChange listeners when every cached token must be dropped. */
export const ALL_TOKENS = "*";

type Listenable = { listen(channel: string, callback: (payload: string) => void): Promise<unknown>; exec(query: string): Promise<unknown> };

/** PGlite has listen() and exec(); node-postgres's Pool has neither. */
function pgliteOf(db: Db): Listenable | null {
  const client = (db as unknown as { $client?: Partial<Listenable> }).$client;
  return client && typeof client.listen === "function" && typeof client.exec === "function" ? (client as Listenable) : null;
}

export const tokenChangeFeed = perHandle((db: Db): TokenChangeFeed | null => {
  const client = pgliteOf(db);
  if (!client) return null;
  const listeners: ((tokenId: string) => void)[] = [];
  const feed: TokenChangeFeed = { ready: false, generation: 0, onChange: (fn) => void listeners.push(fn) };
  client
    .listen(CHANNEL, (tokenId) => {
      feed.generation++;
      for (const fn of listeners) fn(tokenId);
    })
    .then(
      () => {
        // Changes before this point were not heard: nothing cached so far may skip its read.
        feed.generation++;
        for (const fn of listeners) fn(ALL_TOKENS);
        feed.ready = true;
      },
      // Not listening: stay on the per-request read.
      (err: unknown) => console.error(`[slipway] cannot listen for token changes: ${err instanceof Error ? err.message : String(err)}`),
    );
  return feed;
});
