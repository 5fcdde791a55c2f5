import "server-only";
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { perHandle } from "@/db/per-handle";
import { apiTokens, users } from "@/db/schema";
import type { Actor } from "@/server/auth/actor";
import { hashToken } from "@/server/auth/token-hash";
import { ALL_CHANGED, changeFeed, type ChangeFeed } from "@/db/pglite-change-feed";

const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Who is behind a token (its id, organization and role; its user and their email) is remembered
 * for a few seconds per database, so that a busy client does not pay for the join on every request.
 *
 * What can change about a token — revoked, or gone (its user or organization deleted: cascade) — is
 * still known on EVERY request, so a revocation is refused from the very next request:
 * - on PostgreSQL (where another console may revoke) by one primary-key read of `revoked_at` and
 *   `last_used_at` per request;
 * - on PGlite (one process owns the database) by the token change feed: a trigger notifies each
 *   revocation or deletion as it commits and PGlite delivers it to this process before the revoking
 *   request resumes, so the entry is dropped before anyone can ask again (db/pglite-change-feed.ts;
 *   the trigger is migration 0008).
 *   Until the feed listens, the per-request read is used there too.
 * `last_used_at` is kept at minute resolution either way (on PGlite each stamp drops the entry, so
 * the row is read again once a minute per busy token). The TTL only bounds how stale the cached
 * identity may be; today nothing changes it (a token's organization, role and user are fixed; emails
 * are not edited). Each console process (and each of Next's bundles) has its own cache.
 */
const IDENTITY_TTL_MS = 5_000;
/** Only tokens that authenticated are cached; the oldest entry makes room. */
const MAX_CACHED_TOKENS = 1_000;

type TokenActor = Actor & { token: NonNullable<Actor["token"]> };
type Cached = { actor: TokenActor; expiresAt: number; lastUsedAt: Date | null };

/** Per database handle: prepared statements (SQL built once; planned once per PostgreSQL connection) and the identity cache. */
type PerDb = { statements: ReturnType<typeof prepare>; identities: Map<string, Cached>; feed: ChangeFeed | null };

function prepare(db: Db) {
  return {
    identity: db
      .select({ id: apiTokens.id, orgId: apiTokens.orgId, role: apiTokens.role, lastUsedAt: apiTokens.lastUsedAt, userId: users.id, email: users.email })
      .from(apiTokens)
      .innerJoin(users, eq(users.id, apiTokens.userId))
      .where(and(eq(apiTokens.tokenHash, sql.placeholder("tokenHash")), isNull(apiTokens.revokedAt)))
      .limit(1)
      .prepare("slipway_token_identity"),
    state: db
      .select({ revokedAt: apiTokens.revokedAt, lastUsedAt: apiTokens.lastUsedAt })
      .from(apiTokens)
      .where(eq(apiTokens.id, sql.placeholder("id")))
      .limit(1)
      .prepare("slipway_token_state"),
  };
}

/** Token revocations, deletions and last-used stamps (migration 0008's trigger; payload: the token's id). */
const tokenChangeFeed = changeFeed("slipway_token_changed");

const forDb = perHandle((db: Db): PerDb => {
  const created: PerDb = { statements: prepare(db), identities: new Map(), feed: tokenChangeFeed(db) };
  created.feed?.onChange((tokenId) => {
    if (tokenId === ALL_CHANGED) created.identities.clear();
    else for (const [hash, c] of created.identities) if (c.actor.token.id === tokenId) created.identities.delete(hash);
  });
  return created;
});

/** The token's actor and when it was last used; null when it is unknown, revoked or gone. */
async function lookUp({ statements, identities, feed }: PerDb, tokenHash: string): Promise<{ actor: TokenActor; lastUsedAt: Date | null } | null> {
  const now = Date.now();
  const cached = identities.get(tokenHash);
  // The feed drops a revoked or deleted token's entry as the change commits: an entry still here is valid.
  if (cached && cached.expiresAt > now && feed?.ready) return { actor: cached.actor, lastUsedAt: cached.lastUsedAt };
  if (cached && cached.expiresAt > now) {
    // A hit still reads what may change: revoked (or deleted) means refused, now.
    const [state] = await statements.state.execute({ id: cached.actor.token.id });
    if (state && !state.revokedAt) return { actor: cached.actor, lastUsedAt: state.lastUsedAt };
    identities.delete(tokenHash);
    return null;
  }
  identities.delete(tokenHash);
  const generation = feed?.generation;
  const [row] = await statements.identity.execute({ tokenHash });
  if (!row) return null;
  const actor: TokenActor = { userId: row.userId, email: row.email, token: { id: row.id, orgId: row.orgId, role: row.role } };
  if (identities.size >= MAX_CACHED_TOKENS) {
    const oldest = identities.keys().next();
    if (!oldest.done) identities.delete(oldest.value);
  }
  // A token changed while its row was being read may be the one just read: leave it uncached.
  if (feed?.generation === generation) identities.set(tokenHash, { actor, expiresAt: now + IDENTITY_TTL_MS, lastUsedAt: row.lastUsedAt });
  return { actor, lastUsedAt: row.lastUsedAt };
}

/** The actor behind a bearer token, or null when it is unknown or revoked. */
export async function authenticateToken({ db, token }: { db: Db; token: string }): Promise<Actor | null> {
  const found = await lookUp(forDb(db), hashToken(token));
  if (!found) return null;
  const { actor, lastUsedAt } = found;
  // Record use at minute resolution: one write per request would be wasted work.
  if (!lastUsedAt || Date.now() - lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    // With the change feed this drops the cached entry too: the next request reads the row once more.
    await db.update(apiTokens).set({ lastUsedAt: new Date() }).where(eq(apiTokens.id, actor.token.id));
  }
  return { userId: actor.userId, email: actor.email, token: { ...actor.token } };
}
