import "server-only";
import { and, desc, eq, ne, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { deployments, deploymentVariableSets, environments, type SnapshotService, type SnapshotVariable } from "@/db/schema";
import { StepFailure } from "@/server/engine/step-failure";
import { decryptSecret, SecretDecryptError, valueDigest } from "@/server/secrets/secret-box";
import { builtinNames } from "./builtins";
import { getsPort, siblingsOf } from "./check-aliases";
import { buildFingerprintOf, fingerprintOf } from "./fingerprint";
import { resolveAll, type ResolvableEntry } from "./interpolate";
import { layerVariables, specEnvRecords, visibleTo } from "./layer-variables";
import { loadPool, loadProjectRows, type PoolService } from "./load-variables";
import type { ClearVariable, ServiceVariables } from "./materialize";

const HINT = "fix the variable (Variables, or `slipway vars`) and deploy again";

function decryptOrFail(serviceName: string, ciphertext: string, name: string): string {
  try {
    return decryptSecret(ciphertext, name);
  } catch (err) {
    if (err instanceof SecretDecryptError) throw new StepFailure("precheck", `${serviceName}: ${err.message}`, "set the secret again, or restore the master key this installation used");
    throw err;
  }
}

/**
 * Resolves each target's variables as they are now (the deployment's own spec.env included),
 * refuses unknown references and cycles, decrypts secrets in memory, and records the set each
 * service runs with (secrets as ciphertext) so restarts and recovery use exactly it.
 */
export async function prepareDeploymentVariables(db: Db, o: { deploymentId: string; environmentId: string; targets: SnapshotService[] }): Promise<Map<string, ServiceVariables>> {
  const [env] = await db.select({ projectId: environments.projectId }).from(environments).where(eq(environments.id, o.environmentId));
  const out = new Map<string, ServiceVariables>();
  if (!env) return out;
  const [rows, pool] = await Promise.all([loadProjectRows(db, env.projectId), loadPool(db, { projectId: env.projectId, environmentId: o.environmentId })]);
  const problems: string[] = [];
  const sets: (typeof deploymentVariableSets.$inferInsert)[] = [];
  for (const s of o.targets) {
    const self: PoolService = { id: s.id, name: s.name, type: s.type, spec: s.spec, environmentId: o.environmentId, environmentName: "", updatedAt: new Date() };
    const siblings = siblingsOf(pool, self).map((x) => ({ name: x.name }));
    const layered = layerVariables(visibleTo(rows, { environmentId: o.environmentId, serviceId: s.id }), specEnvRecords(s.spec.env, (v) => valueDigest(v, false)));
    const names = builtinNames({ port: getsPort(self) ? 0 : null, siblings: siblings.map((x) => ({ name: x.name, url: "" })) });
    const check = new Map<string, ResolvableEntry>([...layered.values()].map((v) => [v.name, { kind: v.kind, value: v.value ?? "" }]));
    for (const e of resolveAll(check, Object.fromEntries(names.map((n) => [n, ""]))).errors) problems.push(`${s.name}: ${e.message}`);
    const entries: ClearVariable[] = [];
    const snapshot: SnapshotVariable[] = [];
    for (const v of layered.values()) {
      const base = { name: v.name, kind: v.kind, availability: v.availability, asFile: v.asFile };
      if (v.kind === "secret") {
        entries.push({ ...base, value: decryptOrFail(s.name, v.ciphertext ?? "", v.name) });
        snapshot.push({ ...base, ciphertext: v.ciphertext ?? "", digest: v.digest });
      } else {
        entries.push({ ...base, value: v.value ?? "" });
        snapshot.push({ ...base, value: v.value ?? "", digest: v.digest });
      }
    }
    out.set(s.id, { entries, siblings });
    sets.push({ deploymentId: o.deploymentId, serviceId: s.id, entries: snapshot, fingerprint: fingerprintOf(snapshot), buildFingerprint: buildFingerprintOf(snapshot) });
  }
  if (problems.length) throw new StepFailure("precheck", `variables cannot be resolved: ${problems.join("; ")}`, HINT);
  for (const set of sets) {
    await db
      .insert(deploymentVariableSets)
      .values(set)
      .onConflictDoUpdate({ target: [deploymentVariableSets.deploymentId, deploymentVariableSets.serviceId], set: { entries: set.entries, fingerprint: set.fingerprint, buildFingerprint: set.buildFingerprint } });
  }
  return out;
}

/**
 * The variables a running deployment used, for bringing a service back after a console restart.
 * Null when that deployment predates variables (the runtime then uses spec.env).
 */
export async function loadDeploymentVariables(db: Db, o: { deploymentId: string; serviceId: string; environmentId: string; projectId: string }): Promise<ServiceVariables | null> {
  const [set] = await db
    .select()
    .from(deploymentVariableSets)
    .where(and(eq(deploymentVariableSets.deploymentId, o.deploymentId), eq(deploymentVariableSets.serviceId, o.serviceId)));
  if (!set) return null;
  const pool = await loadPool(db, { projectId: o.projectId, environmentId: o.environmentId });
  const entries: ClearVariable[] = set.entries.map((e) => ({
    name: e.name,
    kind: e.kind,
    value: e.kind === "secret" ? decryptSecret(e.ciphertext ?? "", e.name) : (e.value ?? ""),
    availability: e.availability,
    asFile: e.asFile,
  }));
  return { entries, siblings: siblingsOf(pool, { id: o.serviceId, environmentId: o.environmentId }).map((x) => ({ name: x.name })) };
}

/**
 * A deployment that reuses a kept build (restart, start, rollback) runs today's variables on a build
 * made with earlier build-time ones: its set takes the build fingerprint of the deployment that
 * produced (or last ran) that build, so "needs redeploy" still sees a build-time change. Unknown
 * (a build from before variables): null, and only the run-time variables are compared.
 */
export async function inheritBuildFingerprint(db: Db, o: { deploymentId: string; serviceId: string; buildId: string }): Promise<void> {
  const [origin] = await db
    .select({ buildFingerprint: deploymentVariableSets.buildFingerprint })
    .from(deploymentVariableSets)
    .innerJoin(deployments, eq(deployments.id, deploymentVariableSets.deploymentId))
    .where(
      and(
        eq(deploymentVariableSets.serviceId, o.serviceId),
        ne(deploymentVariableSets.deploymentId, o.deploymentId),
        sql`${deployments.builds} -> ${o.serviceId}::text ->> 'buildId' = ${o.buildId}`,
      ),
    )
    .orderBy(desc(deployments.createdAt))
    .limit(1);
  await db
    .update(deploymentVariableSets)
    .set({ buildFingerprint: origin?.buildFingerprint ?? null })
    .where(and(eq(deploymentVariableSets.deploymentId, o.deploymentId), eq(deploymentVariableSets.serviceId, o.serviceId)));
}
