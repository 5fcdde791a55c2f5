import "server-only";
import { eq } from "drizzle-orm";
import { memberships, organizations } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/record-audit";
import { conflict, forbidden } from "@/server/errors/app-error";
import { isUniqueViolation } from "@/server/errors/db-errors";
import type { CreateOrganizationInput } from "./organization-schemas";

const slugTaken = (slug: string) => conflict("slug", `the organization URL "${slug}" is taken; choose another`);

export async function createOrganization({ ctx, input }: { ctx: ServiceCtx; input: CreateOrganizationInput }) {
  // A token is scoped to one organization; creating another is a person's act.
  if (ctx.actor.token) throw forbidden("API tokens cannot create organizations; sign in to create one");
  try {
    return await ctx.db.transaction(async (tx) => {
      const [existing] = await tx.select({ id: organizations.id }).from(organizations).where(eq(organizations.slug, input.slug));
      if (existing) throw slugTaken(input.slug);
      const [org] = await tx.insert(organizations).values({ name: input.name, slug: input.slug }).returning();
      await tx.insert(memberships).values({ orgId: org.id, userId: ctx.actor.userId, role: "owner" });
      await recordAudit(tx, ctx, { orgId: org.id, action: "organization.create", resourceType: "organization", resourceId: org.id, resourceName: org.slug });
      return { id: org.id, name: org.name, slug: org.slug, role: "owner" as const };
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw slugTaken(input.slug);
    throw err;
  }
}
