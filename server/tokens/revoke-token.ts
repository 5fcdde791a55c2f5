import "server-only";
import { eq } from "drizzle-orm";
import { apiTokens } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/record-audit";
import { requireOrg } from "@/server/policy/access";
import { notFound } from "@/server/errors/app-error";
import { accessChanged } from "@/server/engine/access-changed";

export async function revokeToken({ ctx, tokenId }: { ctx: ServiceCtx; tokenId: string }) {
  const [token] = await ctx.db.select().from(apiTokens).where(eq(apiTokens.id, tokenId)).limit(1);
  if (!token || token.revokedAt) throw notFound("token");
  // Your own token needs only membership; anyone else's needs an admin.
  await requireOrg(ctx, token.orgId, token.userId === ctx.actor.userId ? "org.read" : "token.revokeAny");
  await ctx.db.transaction(async (tx) => {
    await tx.update(apiTokens).set({ revokedAt: new Date() }).where(eq(apiTokens.id, token.id));
    await recordAudit(tx, ctx, { orgId: token.orgId, action: "token.revoke", resourceType: "token", resourceId: token.id, resourceName: token.name });
  });
  accessChanged(token.orgId);
  return { id: token.id };
}
