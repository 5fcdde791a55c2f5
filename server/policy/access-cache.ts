import "server-only";
import type { Db } from "@/db/client";
import { changeFeed, type ChangeFeed } from "@/db/pglite-change-feed";
import { perHandle } from "@/db/per-handle";
import type { DbOrTx } from "@/server/auth/actor";

/**
 * What access checks read (a resource, its parents and the caller's membership), remembered per
 * database on PGlite. Every change to memberships, projects, environments or services — from the API,
 * the engine or raw SQL — notifies `slipway_access_changed` (migration 0009) and empties the cache
 * before the changing statement's caller resumes (db/pglite-change-feed.ts), so a cached check is as
 * exact as a read. A busy console's repeated checks (every request reads one) then cost no query.
 * Inside a transaction, and on PostgreSQL (other consoles write), every check reads.
 */
const MAX_ENTRIES = 10_000;

const accessChangeFeed = changeFeed("slipway_access_changed");

type Cache = { feed: ChangeFeed; rows: Map<string, unknown> };

const cacheFor = perHandle((db: DbOrTx): Cache | null => {
  // Transactions have no client of their own (no feed): they always read.
  const feed = "$client" in db ? accessChangeFeed(db as Db) : null;
  if (!feed) return null;
  const cache: Cache = { feed, rows: new Map() };
  // Changes are rare next to checks: dropping everything keeps this simple and exact.
  feed.onChange(() => cache.rows.clear());
  return cache;
});

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * `read()`'s result for `key`, from the cache when the feed vouches for it. Cached results are
 * shared by every caller, so they are frozen.
 */
export async function cachedAccessRead<T>(db: DbOrTx, key: string, read: () => Promise<T>): Promise<T> {
  const cache = cacheFor(db);
  if (!cache?.feed.ready) return read();
  if (cache.rows.has(key)) return cache.rows.get(key) as T;
  const generation = cache.feed.generation;
  const value = deepFreeze(await read());
  // A change committed while this read ran: what it read may already be stale.
  if (cache.feed.generation === generation) {
    if (cache.rows.size >= MAX_ENTRIES) cache.rows.clear();
    cache.rows.set(key, value);
  }
  return value;
}
