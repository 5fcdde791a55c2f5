import "server-only";
import { eq } from "drizzle-orm";
import { invitations, organizations } from "@/db/schema";
import type { DbOrTx } from "@/server/auth/actor";
import { AppError } from "@/server/errors/app-error";
import { hashToken } from "@/server/auth/token-hash";

/** The invitation behind a link, if it can still be accepted; otherwise a clear reason. */
export async function findOpenInvitation(db: DbOrTx, token: string) {
  const [row] = await db
    .select({ invitation: invitations, orgName: organizations.name, orgSlug: organizations.slug })
    .from(invitations)
    .innerJoin(organizations, eq(organizations.id, invitations.orgId))
    .where(eq(invitations.tokenHash, hashToken(token)))
    .limit(1);
  if (!row) throw new AppError("NOT_FOUND", "this invitation link is not valid; ask for a new one");
  const inv = row.invitation;
  if (inv.acceptedAt) throw new AppError("CONFLICT", "this invitation has already been used");
  if (inv.revokedAt) throw new AppError("CONFLICT", "this invitation was revoked; ask for a new one");
  if (inv.expiresAt.getTime() < Date.now()) throw new AppError("CONFLICT", "this invitation has expired; ask for a new one");
  return { ...inv, orgName: row.orgName, orgSlug: row.orgSlug };
}
