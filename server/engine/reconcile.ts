import "server-only";
import { and, eq, isNotNull } from "drizzle-orm";
import type { Db } from "@/db/client";
import { environments, organizations, projects, serviceRuntime, services } from "@/db/schema";
import { findOrphanedDeployments } from "./deployment-queue";
import { recordEvent } from "./record-event";
import { setDeploymentStatus } from "./update-deployment";
import { setServiceState } from "./service-state";
import type { LogWriter } from "./log-writer";
import type { Runtime } from "./runtime";
import { loadDeploymentVariables } from "@/server/variables/deployment-variables";
import { armServiceRedaction, secretsNowInUse, secretsOf } from "@/server/secrets/service-redaction";
import { serviceIdentity } from "./service-identity";

/**
 * In-flight deployments whose runner died end with a reason. With `nodeId`, that node's previous
 * life counts as dead at once (it is us, restarting); otherwise only stale heartbeats do.
 */
export async function failOrphanedDeployments({ db, nodeId, staleMs, claimerToSpare }: { db: Db; nodeId: string | null; staleMs: number; claimerToSpare?: string }) {
  const orphans = await findOrphanedDeployments({ db, nodeId, staleMs });
  for (const d of orphans) {
    if (d.claimedBy === claimerToSpare) continue;
    const message = `the console stopped while this deployment was ${d.status.toLowerCase()}; it did not finish`;
    const hint = "the previous version was brought back; deploy again to retry";
    const moved = await setDeploymentStatus(db, d, "DEPLOYMENT_ERROR", { from: [d.status], message, hint });
    if (moved) await recordEvent(db, { deploymentId: d.id, environmentId: d.environmentId, stage: "recover", step: "interrupted", status: "error", message, hint });
  }
  return orphans.length;
}

/**
 * On start: finish or fail in-flight deployments, stop processes a previous life left behind, and
 * bring back every service whose desired state is running.
 */
export async function reconcile({ db, runtime, nodeId, logs }: { db: Db; runtime: Runtime; nodeId: string; logs: LogWriter }): Promise<void> {
  const failed = await failOrphanedDeployments({ db, nodeId, staleMs: 30_000 });
  const stopped = await runtime.stopOrphans();
  const rows = await db
    .select({ service: services, state: serviceRuntime, environmentId: environments.id, environmentName: environments.name, projectId: projects.id, projectName: projects.name, organizationSlug: organizations.slug })
    .from(services)
    .innerJoin(serviceRuntime, eq(serviceRuntime.serviceId, services.id))
    .innerJoin(environments, eq(environments.id, services.environmentId))
    .innerJoin(projects, eq(projects.id, environments.projectId))
    .innerJoin(organizations, eq(organizations.id, projects.orgId))
    .where(and(eq(services.desiredState, "running"), isNotNull(serviceRuntime.buildDir)));
  let restored = 0;
  let notRestored = 0;
  for (const r of rows) {
    if (r.state.ownerId && r.state.ownerId !== nodeId) continue;
    try {
      // Exactly the variables the serving deployment used (secrets decrypted in memory), masked in its logs.
      const variables = r.state.deploymentId
        ? ((await loadDeploymentVariables(db, { deploymentId: r.state.deploymentId, serviceId: r.service.id, environmentId: r.environmentId, projectId: r.projectId })) ?? undefined)
        : undefined;
      const secrets = secretsOf(variables);
      armServiceRedaction(logs, r.service.id, secrets);
      secretsNowInUse(r.service.id, secrets);
      const runAs = await serviceIdentity(db, r.service.id);
      await runtime.start(
        { ...r.service, variables, runAs },
        { buildId: r.state.buildId ?? "", dir: r.state.buildDir ?? "", startCommand: r.state.startCommand ?? "", revision: r.state.revision ?? "", reused: true },
        { deploymentId: r.state.deploymentId, environmentId: r.environmentId, environmentName: r.environmentName, projectName: r.projectName, organizationSlug: r.organizationSlug },
      );
      await setServiceState(db, r.service.id, r.environmentId, { status: runtime.status(r.service.id), ownerId: nodeId, message: "restored after a console restart" });
      restored++;
    } catch (err) {
      const message = `could not be restored after a console restart: ${err instanceof Error ? err.message : String(err)}`;
      await setServiceState(db, r.service.id, r.environmentId, { status: "ERROR", message });
      logs.write({ serviceId: r.service.id, deploymentId: null, instanceId: null, stream: "system", line: message, at: new Date() });
      notRestored++;
    }
  }
  if (failed || stopped || restored || notRestored) {
    const unrestored = notRestored ? `, ${notRestored} could not be restored (their logs say why)` : "";
    console.log(`[slipway] reconciled: ${failed} interrupted deployment(s) failed, ${stopped} orphaned process(es) stopped, ${restored} service(s) restored${unrestored}`);
  }
}
