import "server-only";
import { eq } from "drizzle-orm";
import { organizations } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/record-audit";
import { requireOrg } from "@/server/policy/access";
import type { UpdateOrganizationInput } from "./organization-schemas";

export async function updateOrganization({ ctx, input }: { ctx: ServiceCtx; input: UpdateOrganizationInput }) {
  await requireOrg(ctx, input.orgId, "org.update");
  return ctx.db.transaction(async (tx) => {
    const [org] = await tx.update(organizations).set({ name: input.name }).where(eq(organizations.id, input.orgId)).returning();
    await recordAudit(tx, ctx, { orgId: org.id, action: "organization.update", resourceType: "organization", resourceId: org.id, resourceName: org.slug, metadata: { fields: ["name"] } });
    return { id: org.id, name: org.name, slug: org.slug };
  });
}
