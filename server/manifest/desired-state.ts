import "server-only";
import { and, asc, eq } from "drizzle-orm";
import { environments, projects, services } from "@/db/schema";
import type { DbOrTx } from "@/server/auth/actor";

export type CurrentProject = typeof projects.$inferSelect;
export type CurrentEnvironment = typeof environments.$inferSelect;
export type CurrentService = typeof services.$inferSelect;

/** What the database holds today for the project/environment a manifest names (any part may not exist yet). */
export type DesiredState = {
  project: CurrentProject | null;
  environment: CurrentEnvironment | null;
  services: CurrentService[];
};

/**
 * Reads the current desired state. With `lock`, the environment and service rows are locked for
 * the rest of the transaction, so an edit from the UI cannot slip between plan and apply.
 */
export async function loadDesiredState(db: DbOrTx, opts: { orgId: string; project: string; environment: string; lock?: boolean }): Promise<DesiredState> {
  const [project] = await db
    .select()
    .from(projects)
    .where(and(eq(projects.orgId, opts.orgId), eq(projects.name, opts.project)))
    .limit(1);
  if (!project) return { project: null, environment: null, services: [] };
  const envQuery = db
    .select()
    .from(environments)
    .where(and(eq(environments.projectId, project.id), eq(environments.name, opts.environment)))
    .limit(1);
  const [environment] = opts.lock ? await envQuery.for("update") : await envQuery;
  if (!environment) return { project, environment: null, services: [] };
  const svcQuery = db.select().from(services).where(eq(services.environmentId, environment.id)).orderBy(asc(services.name));
  const rows = opts.lock ? await svcQuery.for("update") : await svcQuery;
  return { project, environment, services: rows };
}
