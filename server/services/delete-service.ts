import "server-only";
import { eq } from "drizzle-orm";
import { services } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/record-audit";
import { requireService } from "@/server/policy/access";
import { getEngine } from "@/server/engine/engine";

export async function deleteService({ ctx, serviceId }: { ctx: ServiceCtx; serviceId: string }) {
  const { service, environment, project } = await requireService(ctx, serviceId, "service.write");
  await ctx.db.transaction(async (tx) => {
    await tx.delete(services).where(eq(services.id, service.id));
    await recordAudit(tx, ctx, {
      orgId: project.orgId,
      action: "service.delete",
      resourceType: "service",
      resourceId: service.id,
      resourceName: `${project.name}/${environment.name}/${service.name}`,
    });
  });
  // Desired state is gone: stop its processes, free its ports and route, remove its builds.
  await getEngine()?.runtime.remove(service.id);
  return { id: service.id };
}
