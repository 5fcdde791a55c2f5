import "server-only";
import { and, desc, eq, isNull } from "drizzle-orm";
import { apiTokens, users } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { requireOrg } from "@/server/policy/access";
import { can } from "@/server/policy/policy";

/** Active tokens: admins see everyone's, others their own. */
export async function listTokens({ ctx, orgId }: { ctx: ServiceCtx; orgId: string }) {
  const { role } = await requireOrg(ctx, orgId, "org.read");
  const mineOnly = !can(role, "token.revokeAny");
  return ctx.db
    .select({
      id: apiTokens.id,
      name: apiTokens.name,
      prefix: apiTokens.prefix,
      role: apiTokens.role,
      owner: users.email,
      createdAt: apiTokens.createdAt,
      lastUsedAt: apiTokens.lastUsedAt,
    })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(and(eq(apiTokens.orgId, orgId), isNull(apiTokens.revokedAt), mineOnly ? eq(apiTokens.userId, ctx.actor.userId) : undefined))
    .orderBy(desc(apiTokens.createdAt));
}
