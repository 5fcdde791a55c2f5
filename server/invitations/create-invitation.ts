import "server-only";
import { and, eq, gt, isNull } from "drizzle-orm";
import { invitations, memberships, users } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/record-audit";
import { requireOrg } from "@/server/policy/access";
import { roleAtLeast } from "@/server/policy/policy";
import { badField, conflict } from "@/server/errors/app-error";
import { hashToken, newToken } from "@/server/auth/token-hash";
import type { CreateInvitationInput } from "./invitation-schemas";

const INVITE_TTL_MS = 7 * 24 * 3600 * 1000;

/** Creates a pending membership. The link is returned once, to the inviter; no mail server is needed. */
export async function createInvitation({ ctx, input }: { ctx: ServiceCtx; input: CreateInvitationInput }) {
  const { role } = await requireOrg(ctx, input.orgId, "member.manage");
  if (!roleAtLeast(role, input.role)) throw badField("role", `you can invite with your own role (${role}) or lower`);
  const token = newToken("inv");
  const invitation = await ctx.db.transaction(async (tx) => {
    const [member] = await tx
      .select({ id: memberships.id })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.orgId, input.orgId), eq(users.email, input.email)));
    if (member) throw conflict("email", `${input.email} is already a member`);
    const [pending] = await tx
      .select({ id: invitations.id })
      .from(invitations)
      .where(
        and(
          eq(invitations.orgId, input.orgId),
          eq(invitations.email, input.email),
          isNull(invitations.acceptedAt),
          isNull(invitations.revokedAt),
          gt(invitations.expiresAt, new Date()),
        ),
      );
    if (pending) throw conflict("email", `${input.email} already has a pending invitation; revoke it to send a new one`);
    const [row] = await tx
      .insert(invitations)
      .values({ orgId: input.orgId, email: input.email, role: input.role, tokenHash: hashToken(token), invitedBy: ctx.actor.userId, expiresAt: new Date(Date.now() + INVITE_TTL_MS) })
      .returning();
    await recordAudit(tx, ctx, { orgId: input.orgId, action: "invitation.create", resourceType: "invitation", resourceId: row.id, resourceName: input.email, metadata: { role: input.role } });
    return row;
  });
  return { id: invitation.id, email: invitation.email, role: invitation.role, expiresAt: invitation.expiresAt, path: `/invite/${token}` };
}
