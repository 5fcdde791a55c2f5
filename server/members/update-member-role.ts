import "server-only";
import { eq } from "drizzle-orm";
import { memberships } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/record-audit";
import { requireOrg } from "@/server/policy/access";
import { forbidden } from "@/server/errors/app-error";
import type { UpdateMemberRoleInput } from "./member-schemas";
import { findMembership } from "./find-membership";
import { accessChanged } from "@/server/engine/access-changed";

export async function updateMemberRole({ ctx, input }: { ctx: ServiceCtx; input: UpdateMemberRoleInput }) {
  await requireOrg(ctx, input.orgId, "member.manage");
  const updated = await ctx.db.transaction(async (tx) => {
    const member = await findMembership(tx, input.orgId, input.userId);
    if (member.role === "owner") throw forbidden("the owner's role cannot be changed; the owner can transfer ownership instead");
    await tx.update(memberships).set({ role: input.role }).where(eq(memberships.id, member.id));
    await recordAudit(tx, ctx, {
      orgId: input.orgId,
      action: "member.update_role",
      resourceType: "member",
      resourceId: input.userId,
      resourceName: member.email,
      metadata: { role: { from: member.role, to: input.role } },
    });
    return { userId: input.userId, role: input.role };
  });
  accessChanged(input.orgId);
  return updated;
}
