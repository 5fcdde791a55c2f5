import "server-only";
import { eq } from "drizzle-orm";
import { projects } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/record-audit";
import { requireProject } from "@/server/policy/access";
import type { UpdateProjectInput } from "./project-schemas";

export async function updateProject({ ctx, input }: { ctx: ServiceCtx; input: UpdateProjectInput }) {
  const { project } = await requireProject(ctx, input.projectId, "project.write");
  return ctx.db.transaction(async (tx) => {
    const [updated] = await tx
      .update(projects)
      .set({ description: input.description, updatedAt: new Date() })
      .where(eq(projects.id, project.id))
      .returning();
    await recordAudit(tx, ctx, { orgId: project.orgId, action: "project.update", resourceType: "project", resourceId: project.id, resourceName: project.name, metadata: { fields: ["description"] } });
    return updated;
  });
}
