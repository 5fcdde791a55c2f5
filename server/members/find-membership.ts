import "server-only";
import { and, eq } from "drizzle-orm";
import { memberships, users } from "@/db/schema";
import type { DbOrTx } from "@/server/auth/actor";
import { notFound } from "@/server/errors/app-error";

export async function findMembership(db: DbOrTx, orgId: string, userId: string) {
  const [row] = await db
    .select({ id: memberships.id, role: memberships.role, email: users.email })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)))
    .limit(1);
  if (!row) throw notFound("member");
  return row;
}
