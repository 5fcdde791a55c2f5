import "server-only";
import { and, eq } from "drizzle-orm";
import { memberships } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/record-audit";
import { requireOrg } from "@/server/policy/access";
import { badField } from "@/server/errors/app-error";
import { findMembership } from "./find-membership";
import { accessChanged } from "@/server/engine/access-changed";

/** The owner hands ownership to another member and becomes an admin. */
export async function transferOwnership({ ctx, orgId, userId }: { ctx: ServiceCtx; orgId: string; userId: string }) {
  await requireOrg(ctx, orgId, "owner.transfer");
  if (userId === ctx.actor.userId) throw badField("userId", "you already own this organization; choose another member");
  const transferred = await ctx.db.transaction(async (tx) => {
    const member = await findMembership(tx, orgId, userId);
    await tx.update(memberships).set({ role: "admin" }).where(and(eq(memberships.orgId, orgId), eq(memberships.userId, ctx.actor.userId)));
    await tx.update(memberships).set({ role: "owner" }).where(eq(memberships.id, member.id));
    await recordAudit(tx, ctx, { orgId, action: "member.transfer_ownership", resourceType: "member", resourceId: userId, resourceName: member.email });
    return { userId };
  });
  accessChanged(orgId);
  return transferred;
}
