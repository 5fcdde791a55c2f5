import "server-only";
import { eq } from "drizzle-orm";
import { environments } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/record-audit";
import { requireEnvironment } from "@/server/policy/access";

export async function deleteEnvironment({ ctx, environmentId }: { ctx: ServiceCtx; environmentId: string }) {
  const { environment, project } = await requireEnvironment(ctx, environmentId, "environment.write");
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
  return { id: environment.id };
}
