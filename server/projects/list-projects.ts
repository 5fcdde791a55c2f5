import "server-only";
import { asc, count, eq } from "drizzle-orm";
import { environments, projects } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { requireOrg } from "@/server/policy/access";

export async function listProjects({ ctx, orgId }: { ctx: ServiceCtx; orgId: string }) {
  await requireOrg(ctx, orgId, "org.read");
  return ctx.db
    .select({
      id: projects.id,
      name: projects.name,
      description: projects.description,
      createdAt: projects.createdAt,
      environmentCount: count(environments.id),
    })
    .from(projects)
    .leftJoin(environments, eq(environments.projectId, projects.id))
    .where(eq(projects.orgId, orgId))
    .groupBy(projects.id)
    .orderBy(asc(projects.name));
}
