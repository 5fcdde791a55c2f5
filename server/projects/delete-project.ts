import "server-only";
import { eq } from "drizzle-orm";
import { projects } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/record-audit";
import { requireProject } from "@/server/policy/access";

export async function deleteProject({ ctx, projectId }: { ctx: ServiceCtx; projectId: string }) {
  const { project } = await requireProject(ctx, projectId, "project.write");
  await ctx.db.transaction(async (tx) => {
    await tx.delete(projects).where(eq(projects.id, project.id));
    await recordAudit(tx, ctx, { orgId: project.orgId, action: "project.delete", resourceType: "project", resourceId: project.id, resourceName: project.name });
  });
  return { id: project.id };
}
