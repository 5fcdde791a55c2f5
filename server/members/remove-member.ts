import "server-only";
import { eq } from "drizzle-orm";
import { memberships } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/record-audit";
import { requireOrg } from "@/server/policy/access";
import { forbidden } from "@/server/errors/app-error";
import { findMembership } from "./find-membership";
import { accessChanged } from "@/server/engine/access-changed";

export async function removeMember({ ctx, orgId, userId }: { ctx: ServiceCtx; orgId: string; userId: string }) {
  await requireOrg(ctx, orgId, "member.manage");
  const removed = await ctx.db.transaction(async (tx) => {
    const member = await findMembership(tx, orgId, userId);
    if (member.role === "owner") throw forbidden("the owner cannot be removed; transfer ownership first");
    await tx.delete(memberships).where(eq(memberships.id, member.id));
    await recordAudit(tx, ctx, { orgId, action: "member.remove", resourceType: "member", resourceId: userId, resourceName: member.email });
    return { userId };
  });
  accessChanged(orgId);
  return removed;
}
