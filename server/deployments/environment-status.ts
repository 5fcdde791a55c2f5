import "server-only";
import { asc, eq } from "drizzle-orm";
import { serviceRuntime, services } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { requireEnvironment } from "@/server/policy/access";
import { serviceActions, type RunningStatus } from "@/server/engine/deployment-status";
import { serviceUrl } from "@/server/engine/service-url";
import { needsRedeployByService } from "@/server/variables/needs-redeploy";
import { organizationSlug } from "@/server/organizations/organization-slug";

/** Each service's observed state: running status, instances, URL through the router. */
export async function environmentStatus({ ctx, environmentId }: { ctx: ServiceCtx; environmentId: string }) {
  const { environment, project } = await requireEnvironment(ctx, environmentId, "org.read");
  const place = { organizationSlug: await organizationSlug(ctx.db, project.orgId), projectName: project.name, environmentName: environment.name };
  const rows = await ctx.db
    .select({ service: services, state: serviceRuntime })
    .from(services)
    .leftJoin(serviceRuntime, eq(serviceRuntime.serviceId, services.id))
    .where(eq(services.environmentId, environmentId))
    .orderBy(asc(services.name));
  const needsRedeploy = await needsRedeployByService(ctx.db, {
    projectId: project.id,
    environmentId,
    services: rows.map(({ service, state }) => ({ id: service.id, spec: service.spec, deploymentId: state?.deploymentId ?? null })),
  });
  return {
    project: project.name,
    environment: environment.name,
    services: rows.map(({ service, state }) => {
      const status: RunningStatus = state?.status ?? "NOT_DEPLOYED";
      return {
        id: service.id,
        name: service.name,
        type: service.type,
        desiredState: service.desiredState,
        status,
        message: state?.message ?? null,
        deploymentId: state?.deploymentId ?? null,
        revision: state?.revision ?? null,
        instances: (state?.instances ?? []).map((i) => ({ id: i.instanceId, state: i.state, restarts: i.restarts })),
        url: serviceUrl({ name: service.name, type: service.type, port: service.spec.port }, place),
        actions: serviceActions(status),
        /** Its effective variables changed since the running deployment (compared by digest). */
        needsRedeploy: needsRedeploy.get(service.id) ?? false,
      };
    }),
  };
}
