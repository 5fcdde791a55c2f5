import "server-only";
import { and, desc, eq, isNull } from "drizzle-orm";
import { invitations } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { requireOrg } from "@/server/policy/access";

export async function listInvitations({ ctx, orgId }: { ctx: ServiceCtx; orgId: string }) {
  await requireOrg(ctx, orgId, "member.manage");
  return ctx.db
    .select({ id: invitations.id, email: invitations.email, role: invitations.role, createdAt: invitations.createdAt, expiresAt: invitations.expiresAt })
    .from(invitations)
    .where(and(eq(invitations.orgId, orgId), isNull(invitations.acceptedAt), isNull(invitations.revokedAt)))
    .orderBy(desc(invitations.createdAt));
}
