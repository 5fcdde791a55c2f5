import "server-only";
import { eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { users } from "@/db/schema";
import type { RequestMeta } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/record-audit";
import { AppError } from "@/server/errors/app-error";
import { findOpenInvitation } from "@/server/invitations/find-open-invitation";
import { consumeInvitation } from "@/server/invitations/accept-invitation";
import { hashPassword } from "./password";
import type { SignUpWithInvitationInput } from "./user-schemas";

/** A new person arrives through an invite link: their account and membership are created together. */
export async function signUpWithInvitation({ db, input, meta }: { db: Db; input: SignUpWithInvitationInput; meta: RequestMeta }) {
  const passwordHash = await hashPassword(input.password);
  return db.transaction(async (tx) => {
    const inv = await findOpenInvitation(tx, input.token);
    const [exists] = await tx.select({ id: users.id }).from(users).where(eq(users.email, inv.email));
    if (exists) throw new AppError("CONFLICT", `an account for ${inv.email} exists already; sign in to accept the invitation`);
    const [user] = await tx.insert(users).values({ email: inv.email, name: input.name, passwordHash }).returning({ id: users.id, email: users.email });
    const ctx = { actor: { userId: user.id, email: user.email, token: null }, meta };
    await recordAudit(tx, ctx, { orgId: inv.orgId, action: "user.sign_up", resourceType: "user", resourceId: user.id, resourceName: user.email });
    await consumeInvitation(tx, ctx, inv);
    return { email: user.email, orgSlug: inv.orgSlug };
  });
}
