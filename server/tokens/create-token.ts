import "server-only";
import { apiTokens } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/record-audit";
import { requireOrg } from "@/server/policy/access";
import { roleAtLeast } from "@/server/policy/policy";
import { badField } from "@/server/errors/app-error";
import { hashToken, newToken } from "@/server/auth/token-hash";
import type { CreateTokenInput } from "./token-schemas";

/** Returns the token in clear exactly once; only its hash is kept. */
export async function createToken({ ctx, input }: { ctx: ServiceCtx; input: CreateTokenInput }) {
  const { role } = await requireOrg(ctx, input.orgId, "token.create");
  if (!roleAtLeast(role, input.role)) throw badField("role", `a token's role cannot be higher than yours (${role})`);
  const token = newToken("slw");
  const row = await ctx.db.transaction(async (tx) => {
    const [created] = await tx
      .insert(apiTokens)
      .values({ orgId: input.orgId, userId: ctx.actor.userId, name: input.name, role: input.role, tokenHash: hashToken(token), prefix: token.slice(0, 10) })
      .returning();
    await recordAudit(tx, ctx, { orgId: input.orgId, action: "token.create", resourceType: "token", resourceId: created.id, resourceName: created.name, metadata: { role: created.role } });
    return created;
  });
  return { id: row.id, name: row.name, role: row.role, prefix: row.prefix, createdAt: row.createdAt, token };
}
