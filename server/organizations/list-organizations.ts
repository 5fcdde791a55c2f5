import "server-only";
import { asc, eq } from "drizzle-orm";
import { memberships, organizations } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { lowerRole } from "@/server/policy/policy";

export async function listOrganizations({ ctx }: { ctx: ServiceCtx }) {
  const rows = await ctx.db
    .select({ id: organizations.id, name: organizations.name, slug: organizations.slug, role: memberships.role })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.orgId))
    .where(eq(memberships.userId, ctx.actor.userId))
    .orderBy(asc(organizations.name));
  const token = ctx.actor.token;
  if (!token) return rows;
  return rows.filter((r) => r.id === token.orgId).map((r) => ({ ...r, role: lowerRole(token.role, r.role) }));
}
