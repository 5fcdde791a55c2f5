import "server-only";
import { eq, inArray } from "drizzle-orm";
import type { Db } from "@/db/client";
import { environments, organizations, projects, services, type DeploymentBuilds, type SnapshotService } from "@/db/schema";
import type { ClaimedDeployment } from "./deployment-queue";
import { recordEvent } from "./record-event";
import { setDeploymentStatus } from "./update-deployment";
import { setServiceState } from "./service-state";
import { DeploymentCanceled, StepFailure } from "./step-failure";
import type { LogWriter } from "./log-writer";
import type { BuiltVersion, Runtime, ServiceRef, StepContext } from "./runtime";
import { inheritBuildFingerprint, prepareDeploymentVariables } from "@/server/variables/deployment-variables";
import { armServiceRedaction, secretsNowInUse, secretsOf } from "@/server/secrets/service-redaction";
import { createRedactor, noRedaction, type Redactor } from "@/server/secrets/redactor";
import { serviceIdentities } from "./service-identity";

const BUILD_PARALLELISM = 2;

/** Workers (jobs) before applications, so an app never starts before what it consumes. */
const stageOrder = (s: SnapshotService) => (s.type === "worker" ? 0 : 1);

async function mapBounded<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  });
  await Promise.all(workers);
  return results;
}

export type RunOptions = { db: Db; runtime: Runtime; logs: LogWriter; deployment: ClaimedDeployment; signal: AbortSignal };

/**
 * The pipeline: pre-check → build → deploy in stages (each: start, health gate, traffic switch,
 * drain) → DEPLOYED. Any failure ends the deployment with a reason and a hint, and leaves the
 * previous version serving.
 */
export async function runDeployment({ db, runtime, logs, deployment: d, signal }: RunOptions): Promise<void> {
  const [env] = await db
    .select({ name: environments.name, projectName: projects.name, organizationSlug: organizations.slug })
    .from(environments)
    .innerJoin(projects, eq(projects.id, environments.projectId))
    .innerJoin(organizations, eq(organizations.id, projects.orgId))
    .where(eq(environments.id, d.environmentId));
  // Secret values are masked in every message and hint this deployment stores, once they are known.
  let redact: Redactor = noRedaction;
  const ctx: StepContext = {
    deploymentId: d.id,
    environmentId: d.environmentId,
    environmentName: env?.name ?? "?",
    projectName: env?.projectName ?? "?",
    organizationSlug: env?.organizationSlug ?? "?",
    signal,
    emit: async (e) => {
      await recordEvent(db, { ...e, message: redact(e.message), hint: e.hint ? redact(e.hint) : e.hint, deploymentId: d.id, environmentId: d.environmentId });
    },
    log: (serviceId, line, stream = "system") => logs.write({ serviceId, deploymentId: d.id, instanceId: null, stream, line, at: new Date() }),
    tail: (serviceId) => logs.tail(serviceId, d.id),
  };
  const checkCanceled = () => {
    if (signal.aborted) throw new DeploymentCanceled();
  };
  // Services deleted since the request are skipped, not failed.
  const live = new Set(
    (await db.select({ id: services.id }).from(services).where(inArray(services.id, d.snapshot.services.map((s) => s.id).concat("00000000-0000-0000-0000-000000000000")))).map(
      (r) => r.id,
    ),
  );
  const snapshot = d.snapshot.services.filter((s) => live.has(s.id)).sort((a, b) => stageOrder(a) - stageOrder(b));
  let targets: ServiceRef[] = [];
  const secretsById = new Map<string, string[]>();
  const started = Date.now();
  try {
    if (!env) throw new StepFailure("precheck", "the environment no longer exists");
    if (snapshot.length === 0) throw new StepFailure("precheck", "nothing to deploy: the environment has no services", "create a service first");
    // Each service runs as its own user: allocated once, recorded, handed to the runtime (which never writes the database).
    const runAs = await serviceIdentities(db, snapshot.map((s) => s.id)).catch((err: unknown) => {
      // A used-up or malformed SLIPWAY_SERVICE_UID_RANGE: the operator's fix, said as such.
      throw new StepFailure("precheck", `cannot give the services their own users: ${err instanceof Error ? err.message : String(err)}`, "the console's operator must fix SLIPWAY_SERVICE_UID_RANGE");
    });
    targets = snapshot.map((s, i) => ({ ...s, runAs: runAs[i] }));

    await ctx.emit({ stage: "precheck", step: "pre-check", status: "running", message: `checking ${targets.length} service(s)` });
    // Variables first: their secrets must be masked in everything the later steps print.
    const vars = await prepareDeploymentVariables(db, { deploymentId: d.id, environmentId: d.environmentId, targets: targets.map(({ id, name, type, spec }) => ({ id, name, type, spec })) });
    targets = targets.map((s) => ({ ...s, variables: vars.get(s.id) }));
    for (const s of targets) {
      const secrets = secretsOf(s.variables, { SLIPWAY_PROJECT: ctx.projectName, SLIPWAY_ENVIRONMENT: ctx.environmentName, SLIPWAY_SERVICE: s.name, SLIPWAY_DEPLOYMENT_ID: d.id });
      secretsById.set(s.id, secrets);
      armServiceRedaction(logs, s.id, secrets);
    }
    const allSecrets = [...secretsById.values()].flat();
    if (allSecrets.length) redact = createRedactor(allSecrets);
    for (const s of targets) {
      checkCanceled();
      await runtime.precheck(s, ctx);
    }
    await ctx.emit({ stage: "precheck", step: "pre-check", status: "success", message: "sources reachable and start commands known" });

    checkCanceled();
    await setDeploymentStatus(db, d, "BUILDING", { from: ["PRECHECK"] });
    const previous = d.builds ?? {};
    const versions = await mapBounded(targets, BUILD_PARALLELISM, async (s): Promise<BuiltVersion> => {
      checkCanceled();
      const pinned = previous[s.id];
      if (pinned && runtime.hasBuild(pinned)) {
        // A rollback runs exactly what that deployment ran, if the build is still kept.
        await ctx.emit({ stage: "build", step: `build ${s.name}`, status: "success", serviceId: s.id, serviceName: s.name, message: `reusing build ${pinned.buildId.slice(0, 12)} (${pinned.revision})` });
        await inheritBuildFingerprint(db, { deploymentId: d.id, serviceId: s.id, buildId: pinned.buildId });
        return { ...pinned, reused: true };
      }
      return runtime.build(s, ctx);
    });
    const builds: DeploymentBuilds = Object.fromEntries(
      targets.map((s, i) => [s.id, { buildId: versions[i].buildId, dir: versions[i].dir, startCommand: versions[i].startCommand, revision: versions[i].revision }]),
    );
    const revision = [...new Set(versions.map((v) => v.revision))].join(", ");
    checkCanceled();
    await setDeploymentStatus(db, d, "DEPLOYING", { from: ["BUILDING"], revision, builds });

    for (let i = 0; i < targets.length; i++) {
      checkCanceled();
      const s = targets[i];
      await runtime.rollout(s, versions[i], ctx);
      secretsNowInUse(s.id, secretsById.get(s.id) ?? []);
      await setServiceState(db, s.id, d.environmentId, {
        deploymentId: d.id,
        buildId: versions[i].buildId,
        buildDir: versions[i].dir,
        startCommand: versions[i].startCommand,
        revision: versions[i].revision,
        status: runtime.status(s.id),
        message: null,
      });
      await db.update(services).set({ desiredState: "running" }).where(eq(services.id, s.id));
    }

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    await ctx.emit({ stage: "finish", step: "deployed", status: "success", message: `deployed in ${seconds} s` });
    await setDeploymentStatus(db, d, "DEPLOYED", { from: ["DEPLOYING"], message: `deployed in ${seconds} s`, hint: null });
  } catch (err) {
    if (err instanceof DeploymentCanceled || signal.aborted) {
      await ctx.emit({ stage: "cancel", step: "canceled", status: "warning", message: "canceled; the previous version keeps serving" });
      await setDeploymentStatus(db, d, "CANCELED", { message: "canceled; the previous version keeps serving" });
      return;
    }
    const failure = err instanceof StepFailure ? err : new StepFailure("deploy", "internal error in the deployment pipeline", "the console log has details");
    if (!(err instanceof StepFailure)) console.error("[slipway] pipeline error", err);
    const logTail = failure.logTail.length ? `\n\nlast log lines:\n${failure.logTail.slice(-50).join("\n")}` : "";
    await ctx.emit({ stage: failure.stage, step: "failed", status: "error", message: failure.message, hint: failure.hint ? failure.hint + logTail : logTail.trim() || null });
    const hint = (failure.hint ?? "") + logTail;
    await setDeploymentStatus(db, d, failure.status, { message: redact(failure.message), hint: hint ? redact(hint) : null });
  } finally {
    for (const s of snapshot) logs.forget(s.id, d.id);
    await logs.flush();
  }
}
