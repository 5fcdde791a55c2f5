import "server-only";
import { eq } from "drizzle-orm";
import { environments, services } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/record-audit";
import { requireEnvironment } from "@/server/policy/access";
import { getEngine } from "@/server/engine/engine";

export async function deleteEnvironment({ ctx, environmentId }: { ctx: ServiceCtx; environmentId: string }) {
  const { environment, project } = await requireEnvironment(ctx, environmentId, "environment.write");
  const owned = await ctx.db.select({ id: services.id }).from(services).where(eq(services.environmentId, environment.id));
  await ctx.db.transaction(async (tx) => {
    await tx.delete(environments).where(eq(environments.id, environment.id));
    await recordAudit(tx, ctx, {
      orgId: project.orgId,
      action: "environment.delete",
      resourceType: "environment",
      resourceId: environment.id,
      resourceName: `${project.name}/${environment.name}`,
    });
  });
  const engine = getEngine();
  for (const s of owned) await engine?.runtime.remove(s.id);
  return { id: environment.id };
}
