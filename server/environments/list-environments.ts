import "server-only";
import { asc, count, eq } from "drizzle-orm";
import { environments, services } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { requireProject } from "@/server/policy/access";

export async function listEnvironments({ ctx, projectId }: { ctx: ServiceCtx; projectId: string }) {
  await requireProject(ctx, projectId, "org.read");
  return ctx.db
    .select({
      id: environments.id,
      name: environments.name,
      mode: environments.mode,
      runtime: environments.runtime,
      createdAt: environments.createdAt,
      serviceCount: count(services.id),
    })
    .from(environments)
    .leftJoin(services, eq(services.environmentId, environments.id))
    .where(eq(environments.projectId, projectId))
    .groupBy(environments.id)
    .orderBy(asc(environments.name));
}
