import "server-only";
import { eq } from "drizzle-orm";
import { services } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/record-audit";
import { requireService } from "@/server/policy/access";
import { checkServiceSource } from "./check-service-source";
import { checkSpecForType } from "./check-spec-for-type";
import type { UpdateServiceInput } from "./service-schemas";

/** Top-level spec keys whose value changed, for the audit entry (names only, no values). */
function changedFields(before: object, after: object): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  return [...keys].filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k])).sort();
}

export async function updateService({ ctx, input }: { ctx: ServiceCtx; input: UpdateServiceInput }) {
  const { service, environment, project, role } = await requireService(ctx, input.serviceId, "service.write");
  checkSpecForType(service.type, input.spec);
  await checkServiceSource({ role, before: service.spec.source, after: input.spec.source, field: "spec.source" });
  return ctx.db.transaction(async (tx) => {
    const [updated] = await tx.update(services).set({ spec: input.spec, updatedAt: new Date() }).where(eq(services.id, service.id)).returning();
    await recordAudit(tx, ctx, {
      orgId: project.orgId,
      action: "service.update",
      resourceType: "service",
      resourceId: service.id,
      resourceName: `${project.name}/${environment.name}/${service.name}`,
      metadata: { fields: changedFields(service.spec, input.spec) },
    });
    return updated;
  });
}
