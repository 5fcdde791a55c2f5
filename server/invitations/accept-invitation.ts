import "server-only";
import { eq } from "drizzle-orm";
import { invitations, memberships } from "@/db/schema";
import type { DbOrTx, ServiceCtx } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/record-audit";
import { forbidden } from "@/server/errors/app-error";
import { findOpenInvitation } from "./find-open-invitation";

type Invitation = Awaited<ReturnType<typeof findOpenInvitation>>;

/** Turns the pending membership into a real one, in the caller's transaction. */
export async function consumeInvitation(tx: DbOrTx, ctx: Pick<ServiceCtx, "actor" | "meta">, inv: Invitation) {
  await tx.insert(memberships).values({ orgId: inv.orgId, userId: ctx.actor.userId, role: inv.role }).onConflictDoNothing();
  await tx.update(invitations).set({ acceptedAt: new Date() }).where(eq(invitations.id, inv.id));
  await recordAudit(tx, ctx, { orgId: inv.orgId, action: "invitation.accept", resourceType: "member", resourceId: ctx.actor.userId, resourceName: inv.email, metadata: { role: inv.role } });
}

/** A signed-in person accepts an invitation addressed to their email. */
export async function acceptInvitation({ ctx, token }: { ctx: ServiceCtx; token: string }) {
  if (ctx.actor.token) throw forbidden("invitations are accepted by a signed-in person, not an API token");
  return ctx.db.transaction(async (tx) => {
    const inv = await findOpenInvitation(tx, token);
    if (inv.email !== ctx.actor.email) throw forbidden(`this invitation is for ${inv.email}; sign in with that address to accept it`);
    await consumeInvitation(tx, ctx, inv);
    return { orgSlug: inv.orgSlug, role: inv.role };
  });
}
