import "server-only";
import { eq, sql } from "drizzle-orm";
import { environments, projects, services } from "@/db/schema";
import type { ServiceCtx, Tx } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/record-audit";
import { AppError, forbidden } from "@/server/errors/app-error";
import { isUniqueViolation } from "@/server/errors/db-errors";
import { requireOrg } from "@/server/policy/access";
import { can, denialMessage, type Permission, type Role } from "@/server/policy/policy";
import { getEngine } from "@/server/engine/engine";
import { checkSource, type SourceProblem } from "@/server/runtime/process/builder/source-policy";
import { changedFieldNames } from "./diff-spec";
import { loadDesiredState, type DesiredState } from "./desired-state";
import { specOf, type ApplyManifestInput, type Manifest } from "./manifest-schema";
import { formatManifestPath, validateManifest } from "./parse-manifest";
import { computePlan, type ManifestPlan } from "./plan-manifest";

export type ApplyResult = {
  plan: ManifestPlan;
  /** True when something was written (false: no changes, or a dry run). */
  applied: boolean;
  /** Null only for a dry run of an environment that does not exist yet. */
  environmentId: string | null;
};

/**
 * The permissions the plan needs, exactly as the single-resource services ask for them: project.write
 * to create a project, environment.write to create or re-mode an environment, service.write for every
 * service change — in the environment's mode before and after (production needs an admin).
 */
function authorize(role: Role, plan: ManifestPlan, current: DesiredState, manifest: Manifest): void {
  const need = (permission: Permission, what: string, mode?: Manifest["mode"]) => {
    if (!can(role, permission, { mode })) throw forbidden(`${denialMessage(role, permission, { mode })} (the manifest would ${what}); nothing was applied`);
  };
  if (plan.project.action === "create") need("project.write", `create project "${plan.project.name}"`);
  if (plan.environment.action === "create") need("environment.write", `create environment "${plan.environment.name}"`);
  if (plan.environment.action === "update") need("environment.write", `change the mode of environment "${plan.environment.name}"`);
  for (const s of plan.services) {
    if (s.action === "none" || s.action === "keep") continue;
    const what = `${s.action} service "${s.name}"`;
    need("service.write", what, plan.environment.mode.to);
    if (current.environment) need("service.write", what, current.environment.mode);
    const wanted = manifest.services.find((w) => w.name === s.name);
    if (wanted && "path" in wanted.source && sourceChanges(s)) need("source.path", `set the source of service "${s.name}" to ${wanted.source.path}`);
  }
}

const sourceChanges = (step: ManifestPlan["services"][number]) => (step.action === "create" || step.action === "update") && step.changes.some((c) => c.field === "source");

/**
 * Every source the manifest names, judged by the source policy before the transaction (it may resolve
 * host names); only those the plan sets or changes are reported, as the single-service API does.
 */
async function judgeSources(manifest: Manifest): Promise<Map<string, { index: number; problem: SourceProblem }>> {
  const out = new Map<string, { index: number; problem: SourceProblem }>();
  await Promise.all(
    manifest.services.map(async (s, index) => {
      const problem = await checkSource(s.source);
      if (problem) out.set(s.name, { index, problem });
    }),
  );
  return out;
}

function sourceError(plan: ManifestPlan, judged: Map<string, { index: number; problem: SourceProblem }>, file: string | undefined): AppError | null {
  const fieldErrors: Record<string, string[]> = {};
  const lines: string[] = [];
  for (const step of plan.services) {
    const refused = judged.get(step.name);
    if (!refused || !sourceChanges(step)) continue;
    const key = formatManifestPath(["services", refused.index, "source", refused.problem.field]);
    (fieldErrors[key] ??= []).push(refused.problem.message);
    lines.push(`${file ?? "manifest"}: ${key}: ${refused.problem.message}`);
  }
  return lines.length ? new AppError("BAD_REQUEST", `${lines.join("\n")}\nnothing was applied`, fieldErrors) : null;
}

/** Serializes applies of one environment, so two at once cannot both plan "create". */
async function lockEnvironmentName(tx: Tx, orgId: string, manifest: Manifest) {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`slipway.manifest/${orgId}/${manifest.project}/${manifest.environment}`}))`);
}

/**
 * Applies a manifest in one transaction: every change and its audit event land together, or none
 * does (an invalid manifest, a refused change or a failure midway applies nothing). Applying the
 * same manifest again plans no change and writes nothing, audit included.
 */
export async function applyManifest({ ctx, input }: { ctx: ServiceCtx; input: ApplyManifestInput }): Promise<ApplyResult> {
  const manifest = validateManifest(input.manifest, { file: input.file, requireAbsolutePaths: true });
  const judged = await judgeSources(manifest);
  const via = { via: "manifest" };
  let result: ApplyResult & { removed: string[] };
  try {
    result = await ctx.db.transaction(async (tx) => {
      const { role } = await requireOrg(ctx, input.orgId, "org.read", tx);
      await lockEnvironmentName(tx, input.orgId, manifest);
      const current = await loadDesiredState(tx, { orgId: input.orgId, project: manifest.project, environment: manifest.environment, lock: true });
      const plan = computePlan(manifest, current, { prune: input.prune, file: input.file });
      authorize(role, plan, current, manifest);
      const refused = sourceError(plan, judged, input.file);
      if (refused) throw refused;
      if (input.dryRun || plan.changes === 0) return { plan, applied: false, environmentId: current.environment?.id ?? null, removed: [] };

      let project = current.project;
      if (!project) {
        [project] = await tx.insert(projects).values({ orgId: input.orgId, name: manifest.project }).returning();
        await recordAudit(tx, ctx, { orgId: input.orgId, action: "project.create", resourceType: "project", resourceId: project.id, resourceName: project.name, metadata: via });
      }
      const envName = `${project.name}/${manifest.environment}`;
      let environment = current.environment;
      if (!environment) {
        [environment] = await tx.insert(environments).values({ projectId: project.id, name: manifest.environment, mode: manifest.mode }).returning();
        await recordAudit(tx, ctx, { orgId: input.orgId, action: "environment.create", resourceType: "environment", resourceId: environment.id, resourceName: envName, metadata: { mode: environment.mode, ...via } });
      } else if (environment.mode !== manifest.mode) {
        const from = environment.mode;
        [environment] = await tx.update(environments).set({ mode: manifest.mode, updatedAt: new Date() }).where(eq(environments.id, environment.id)).returning();
        await recordAudit(tx, ctx, { orgId: input.orgId, action: "environment.update", resourceType: "environment", resourceId: environment.id, resourceName: envName, metadata: { mode: { from, to: manifest.mode }, ...via } });
      }

      const existing = new Map(current.services.map((s) => [s.name, s]));
      const wanted = new Map(manifest.services.map((s) => [s.name, s]));
      const removed: string[] = [];
      for (const step of plan.services) {
        const resourceName = `${envName}/${step.name}`;
        const row = existing.get(step.name);
        const want = wanted.get(step.name);
        if (step.action === "create" && want) {
          const [created] = await tx.insert(services).values({ environmentId: environment.id, name: want.name, type: want.type, spec: specOf(want) }).returning();
          await recordAudit(tx, ctx, { orgId: input.orgId, action: "service.create", resourceType: "service", resourceId: created.id, resourceName, metadata: { type: created.type, ...via } });
        } else if (step.action === "update" && want && row) {
          await tx.update(services).set({ spec: specOf(want), updatedAt: new Date() }).where(eq(services.id, row.id));
          await recordAudit(tx, ctx, { orgId: input.orgId, action: "service.update", resourceType: "service", resourceId: row.id, resourceName, metadata: { fields: changedFieldNames(step.changes), ...via } });
        } else if (step.action === "delete" && row) {
          await tx.delete(services).where(eq(services.id, row.id));
          await recordAudit(tx, ctx, { orgId: input.orgId, action: "service.delete", resourceType: "service", resourceId: row.id, resourceName, metadata: via });
          removed.push(row.id);
        }
      }
      return { plan, applied: true, environmentId: environment.id, removed };
    });
  } catch (err) {
    // The advisory lock serializes manifests; a concurrent edit through the UI can still collide.
    if (isUniqueViolation(err)) throw new AppError("CONFLICT", "the environment changed while the manifest was being applied; nothing was applied — run apply again");
    throw err;
  }
  // Desired state is gone for pruned services: stop their processes and free their routes (after commit).
  const engine = getEngine();
  for (const id of result.removed) await engine?.runtime.remove(id);
  return { plan: result.plan, applied: result.applied, environmentId: result.environmentId };
}
