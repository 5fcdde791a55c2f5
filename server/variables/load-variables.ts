import "server-only";
import { asc, eq } from "drizzle-orm";
import { apiTokens, environments, services, variables } from "@/db/schema";
import type { DbOrTx, ServiceCtx } from "@/server/auth/actor";
import type { ServiceSpec } from "@/server/services/service-spec";
import type { ResolvedScope } from "./require-scope";

export type VariableRow = typeof variables.$inferSelect;
export type PoolService = { id: string; name: string; type: "application" | "worker"; spec: ServiceSpec; environmentId: string; environmentName: string; updatedAt: Date };

export const loadScopeRows = (db: DbOrTx, scopeId: string) => db.select().from(variables).where(eq(variables.scopeId, scopeId)).orderBy(asc(variables.name));

/** Every variable of a project (any scope): what the services of its environments can see. */
export const loadProjectRows = (db: DbOrTx, projectId: string) => db.select().from(variables).where(eq(variables.projectId, projectId));

/** The services a scope's variables reach (and their environment neighbours, for SLIPWAY_<NAME>_URL). */
export async function loadPool(db: DbOrTx, rs: Pick<ResolvedScope, "projectId" | "environmentId">): Promise<PoolService[]> {
  const rows = await db
    .select({ id: services.id, name: services.name, type: services.type, spec: services.spec, environmentId: services.environmentId, environmentName: environments.name, updatedAt: services.updatedAt })
    .from(services)
    .innerJoin(environments, eq(environments.id, services.environmentId))
    .where(rs.environmentId ? eq(services.environmentId, rs.environmentId) : eq(environments.projectId, rs.projectId))
    .orderBy(asc(environments.name), asc(services.name));
  return rows;
}

export const consumersOf = (pool: PoolService[], rs: Pick<ResolvedScope, "scope" | "environmentId" | "serviceId">) =>
  rs.scope === "service" ? pool.filter((s) => s.id === rs.serviceId) : rs.scope === "environment" ? pool.filter((s) => s.environmentId === rs.environmentId) : pool;

/** Who changed a variable, as the list shows it: the person's email, or the API token's name. */
export async function actorLabel(ctx: ServiceCtx, db: DbOrTx): Promise<string> {
  if (!ctx.actor.token) return ctx.actor.email;
  const [t] = await db.select({ name: apiTokens.name }).from(apiTokens).where(eq(apiTokens.id, ctx.actor.token.id));
  return t ? `token ${t.name}` : `${ctx.actor.email} (token)`;
}
