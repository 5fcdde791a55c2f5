import "server-only";
import { and, eq } from "drizzle-orm";
import { projects } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { requireOrg } from "@/server/policy/access";
import { notFound } from "@/server/errors/app-error";

export async function getProject({ ctx, orgId, name }: { ctx: ServiceCtx; orgId: string; name: string }) {
  const { role } = await requireOrg(ctx, orgId, "org.read");
  const [project] = await ctx.db.select().from(projects).where(and(eq(projects.orgId, orgId), eq(projects.name, name))).limit(1);
  if (!project) throw notFound("project");
  return { ...project, role };
}
