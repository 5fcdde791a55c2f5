import "server-only";
import { eq } from "drizzle-orm";
import { invitations } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/record-audit";
import { requireOrg } from "@/server/policy/access";
import { notFound } from "@/server/errors/app-error";

export async function revokeInvitation({ ctx, invitationId }: { ctx: ServiceCtx; invitationId: string }) {
  const [inv] = await ctx.db.select().from(invitations).where(eq(invitations.id, invitationId)).limit(1);
  // A used or revoked invitation is no longer pending: there is nothing to revoke (and nothing to log).
  if (!inv || inv.acceptedAt || inv.revokedAt) throw notFound("invitation");
  await requireOrg(ctx, inv.orgId, "member.manage");
  await ctx.db.transaction(async (tx) => {
    await tx.update(invitations).set({ revokedAt: new Date() }).where(eq(invitations.id, inv.id));
    await recordAudit(tx, ctx, { orgId: inv.orgId, action: "invitation.revoke", resourceType: "invitation", resourceId: inv.id, resourceName: inv.email });
  });
  return { id: inv.id };
}
