import "server-only";
import { and, eq } from "drizzle-orm";
import { services } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { requireEnvironment } from "@/server/policy/access";
import { notFound } from "@/server/errors/app-error";

export async function getService({ ctx, environmentId, name }: { ctx: ServiceCtx; environmentId: string; name: string }) {
  const { role, environment } = await requireEnvironment(ctx, environmentId, "org.read");
  const [service] = await ctx.db
    .select()
    .from(services)
    .where(and(eq(services.environmentId, environmentId), eq(services.name, name)))
    .limit(1);
  if (!service) throw notFound("service");
  return { ...service, role, environmentMode: environment.mode };
}
