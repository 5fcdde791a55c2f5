import "server-only";
import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "@/db/client";
import { apiTokens, users } from "@/db/schema";
import type { Actor } from "@/server/auth/actor";
import { hashToken } from "@/server/auth/token-hash";

const LAST_USED_RESOLUTION_MS = 60_000;

/** The actor behind a bearer token, or null when it is unknown or revoked. */
export async function authenticateToken({ db, token }: { db: Db; token: string }): Promise<Actor | null> {
  const [row] = await db
    .select({ id: apiTokens.id, orgId: apiTokens.orgId, role: apiTokens.role, lastUsedAt: apiTokens.lastUsedAt, userId: users.id, email: users.email })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(and(eq(apiTokens.tokenHash, hashToken(token)), isNull(apiTokens.revokedAt)))
    .limit(1);
  if (!row) return null;
  // Record use at minute resolution: one write per request would be wasted work.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await db.update(apiTokens).set({ lastUsedAt: new Date() }).where(eq(apiTokens.id, row.id));
  }
  return { userId: row.userId, email: row.email, token: { id: row.id, orgId: row.orgId, role: row.role } };
}
