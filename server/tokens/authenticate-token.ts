import "server-only";
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { apiTokens, users } from "@/db/schema";
import type { Actor } from "@/server/auth/actor";
import { hashToken } from "@/server/auth/token-hash";

const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Who is behind a token (its id, organization and role; its user and their email) is remembered
 * for a few seconds per database, so that a busy client does not pay for the join on every request.
 *
 * What can change about a token is still read on EVERY request, cached or not: one primary-key
 * lookup of `revoked_at` and `last_used_at`. A revocation — by this process or by another console
 * on the same PostgreSQL — is therefore refused from the very next request, a deleted token or user
 * (cascade) too, and `last_used_at` is kept at minute resolution exactly as without the cache.
 * The TTL only bounds how stale the cached identity may be; today nothing changes it (a token's
 * organization, role and user are fixed; emails are not edited). Each console process has its own.
 */
const IDENTITY_TTL_MS = 5_000;
/** Only tokens that authenticated are cached; the oldest entry makes room. */
const MAX_CACHED_TOKENS = 1_000;

type TokenActor = Actor & { token: NonNullable<Actor["token"]> };
type Cached = { actor: TokenActor; expiresAt: number };

/** Per database handle: prepared statements (SQL built once; planned once per PostgreSQL connection) and the identity cache. */
type PerDb = { statements: ReturnType<typeof prepare>; identities: Map<string, Cached> };
const perDb = new WeakMap<Db, PerDb>();

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

function forDb(db: Db): PerDb {
  let p = perDb.get(db);
  if (!p) perDb.set(db, (p = { statements: prepare(db), identities: new Map() }));
  return p;
}

/** The token's actor and when it was last used; null when it is unknown, revoked or gone. */
async function lookUp({ statements, identities }: PerDb, tokenHash: string): Promise<{ actor: TokenActor; lastUsedAt: Date | null } | null> {
  const now = Date.now();
  const cached = identities.get(tokenHash);
  if (cached && cached.expiresAt > now) {
    // A hit still reads what may change: revoked (or deleted) means refused, now.
    const [state] = await statements.state.execute({ id: cached.actor.token.id });
    if (state && !state.revokedAt) return { actor: cached.actor, lastUsedAt: state.lastUsedAt };
    identities.delete(tokenHash);
    return null;
  }
  identities.delete(tokenHash);
  const [row] = await statements.identity.execute({ tokenHash });
  if (!row) return null;
  const actor: TokenActor = { userId: row.userId, email: row.email, token: { id: row.id, orgId: row.orgId, role: row.role } };
  if (identities.size >= MAX_CACHED_TOKENS) {
    const oldest = identities.keys().next();
    if (!oldest.done) identities.delete(oldest.value);
  }
  identities.set(tokenHash, { actor, expiresAt: now + IDENTITY_TTL_MS });
  return { actor, lastUsedAt: row.lastUsedAt };
}

/** The actor behind a bearer token, or null when it is unknown or revoked. */
export async function authenticateToken({ db, token }: { db: Db; token: string }): Promise<Actor | null> {
  const found = await lookUp(forDb(db), hashToken(token));
  if (!found) return null;
  const { actor, lastUsedAt } = found;
  // Record use at minute resolution: one write per request would be wasted work.
  if (!lastUsedAt || Date.now() - lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await db.update(apiTokens).set({ lastUsedAt: new Date() }).where(eq(apiTokens.id, actor.token.id));
  }
  return { userId: actor.userId, email: actor.email, token: { ...actor.token } };
}
