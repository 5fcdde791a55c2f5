import "server-only";
import { asc, eq } from "drizzle-orm";
import { services } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { requireEnvironment } from "@/server/policy/access";

export async function listServices({ ctx, environmentId }: { ctx: ServiceCtx; environmentId: string }) {
  await requireEnvironment(ctx, environmentId, "org.read");
  return ctx.db
    .select({
      id: services.id,
      name: services.name,
      type: services.type,
      spec: services.spec,
      desiredState: services.desiredState,
      updatedAt: services.updatedAt,
    })
    .from(services)
    .where(eq(services.environmentId, environmentId))
    .orderBy(asc(services.name));
}
