import "server-only";
import { and, eq } from "drizzle-orm";
import { environments } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { requireProject } from "@/server/policy/access";
import { notFound } from "@/server/errors/app-error";

export async function getEnvironment({ ctx, projectId, name }: { ctx: ServiceCtx; projectId: string; name: string }) {
  const { role, project } = await requireProject(ctx, projectId, "org.read");
  const [environment] = await ctx.db
    .select()
    .from(environments)
    .where(and(eq(environments.projectId, projectId), eq(environments.name, name)))
    .limit(1);
  if (!environment) throw notFound("environment");
  return { ...environment, projectName: project.name, role };
}
