import "server-only";
import { eq } from "drizzle-orm";
import { environments } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/record-audit";
import { requireEnvironment } from "@/server/policy/access";
import type { UpdateEnvironmentInput } from "./environment-schemas";

export async function updateEnvironment({ ctx, input }: { ctx: ServiceCtx; input: UpdateEnvironmentInput }) {
  const { environment, project } = await requireEnvironment(ctx, input.environmentId, "environment.write");
  return ctx.db.transaction(async (tx) => {
    const [updated] = await tx
      .update(environments)
      .set({ mode: input.mode, updatedAt: new Date() })
      .where(eq(environments.id, environment.id))
      .returning();
    await recordAudit(tx, ctx, {
      orgId: project.orgId,
      action: "environment.update",
      resourceType: "environment",
      resourceId: environment.id,
      resourceName: `${project.name}/${environment.name}`,
      metadata: { mode: { from: environment.mode, to: input.mode } },
    });
    return updated;
  });
}
