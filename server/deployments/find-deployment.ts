import "server-only";
import { eq } from "drizzle-orm";
import { deployments } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { requireEnvironment } from "@/server/policy/access";
import { notFound } from "@/server/errors/app-error";
import type { Permission } from "@/server/policy/policy";

/** A deployment the caller may see (or act on, with `permission`), with its environment. */
export async function findDeployment(ctx: ServiceCtx, deploymentId: string, permission: Permission) {
  const [d] = await ctx.db.select().from(deployments).where(eq(deployments.id, deploymentId)).limit(1);
  if (!d) throw notFound("deployment");
  const access = await requireEnvironment(ctx, d.environmentId, permission);
  return { deployment: d, ...access };
}
