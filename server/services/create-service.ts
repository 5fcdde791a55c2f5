import "server-only";
import { and, eq } from "drizzle-orm";
import { services } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/record-audit";
import { requireEnvironment } from "@/server/policy/access";
import { conflict } from "@/server/errors/app-error";
import { isUniqueViolation } from "@/server/errors/db-errors";
import { checkServiceSource } from "./check-service-source";
import { checkSpecForType } from "./check-spec-for-type";
import type { CreateServiceInput } from "./service-schemas";

const nameTaken = (name: string) => conflict("name", `a service named "${name}" already exists in this environment`);

export async function createService({ ctx, input }: { ctx: ServiceCtx; input: CreateServiceInput }) {
  const { environment, project, role } = await requireEnvironment(ctx, input.environmentId, "service.write");
  checkSpecForType(input.type, input.spec);
  await checkServiceSource({ role, before: null, after: input.spec.source, field: "spec.source" });
  try {
    return await ctx.db.transaction(async (tx) => {
      const [dup] = await tx
        .select({ id: services.id })
        .from(services)
        .where(and(eq(services.environmentId, input.environmentId), eq(services.name, input.name)));
      if (dup) throw nameTaken(input.name);
      const [service] = await tx.insert(services).values(input).returning();
      await recordAudit(tx, ctx, {
        orgId: project.orgId,
        action: "service.create",
        resourceType: "service",
        resourceId: service.id,
        resourceName: `${project.name}/${environment.name}/${service.name}`,
        metadata: { type: service.type },
      });
      return service;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(input.name);
    throw err;
  }
}
