import "server-only";
import { asc, eq } from "drizzle-orm";
import { memberships, users } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { requireOrg } from "@/server/policy/access";

export async function listMembers({ ctx, orgId }: { ctx: ServiceCtx; orgId: string }) {
  await requireOrg(ctx, orgId, "org.read");
  return ctx.db
    .select({ userId: users.id, email: users.email, name: users.name, role: memberships.role, joinedAt: memberships.createdAt })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.orgId, orgId))
    .orderBy(asc(users.email));
}
