import "server-only";
import { eq } from "drizzle-orm";
import { environments, projects, services } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/record-audit";
import { requireProject } from "@/server/policy/access";
import { getEngine } from "@/server/engine/engine";

export async function deleteProject({ ctx, projectId }: { ctx: ServiceCtx; projectId: string }) {
  const { project } = await requireProject(ctx, projectId, "project.write");
  const owned = await ctx.db
    .select({ id: services.id })
    .from(services)
    .innerJoin(environments, eq(environments.id, services.environmentId))
    .where(eq(environments.projectId, project.id));
  await ctx.db.transaction(async (tx) => {
    await tx.delete(projects).where(eq(projects.id, project.id));
    await recordAudit(tx, ctx, { orgId: project.orgId, action: "project.delete", resourceType: "project", resourceId: project.id, resourceName: project.name });
  });
  const engine = getEngine();
  for (const s of owned) await engine?.runtime.remove(s.id);
  return { id: project.id };
}
