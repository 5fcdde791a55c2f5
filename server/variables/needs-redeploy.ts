import "server-only";
import { inArray } from "drizzle-orm";
import { deploymentVariableSets } from "@/db/schema";
import type { DbOrTx } from "@/server/auth/actor";
import type { ServiceSpec } from "@/server/services/service-spec";
import { valueDigest } from "@/server/secrets/secret-box";
import { buildFingerprintOf, fingerprintOf } from "./fingerprint";
import { layerVariables, specEnvRecords, visibleTo, type VariableRecord } from "./layer-variables";
import { loadProjectRows } from "./load-variables";

/** The fingerprints of a service's effective variables now (digests only: no secret is decrypted). */
export function currentFingerprints(rows: readonly VariableRecord[], s: { id: string; environmentId: string; spec: ServiceSpec }) {
  const layered = [...layerVariables(visibleTo(rows, { environmentId: s.environmentId, serviceId: s.id }), specEnvRecords(s.spec.env, (v) => valueDigest(v, false))).values()];
  return { all: fingerprintOf(layered), build: buildFingerprintOf(layered) };
}

/**
 * Per service: whether its effective variables differ from those its running deployment used.
 * Services never deployed with the variables model (no recorded set) are not flagged.
 */
export async function needsRedeployByService(
  db: DbOrTx,
  o: { projectId: string; environmentId: string; services: { id: string; spec: ServiceSpec; deploymentId: string | null }[] },
): Promise<Map<string, boolean>> {
  const out = new Map<string, boolean>(o.services.map((s) => [s.id, false]));
  const deploymentIds = [...new Set(o.services.flatMap((s) => (s.deploymentId ? [s.deploymentId] : [])))];
  if (deploymentIds.length === 0) return out;
  const sets = await db
    .select({
      deploymentId: deploymentVariableSets.deploymentId,
      serviceId: deploymentVariableSets.serviceId,
      fingerprint: deploymentVariableSets.fingerprint,
      buildFingerprint: deploymentVariableSets.buildFingerprint,
    })
    .from(deploymentVariableSets)
    .where(inArray(deploymentVariableSets.deploymentId, deploymentIds));
  if (sets.length === 0) return out;
  const rows = await loadProjectRows(db, o.projectId);
  for (const s of o.services) {
    const used = sets.find((x) => x.deploymentId === s.deploymentId && x.serviceId === s.id);
    if (!used) continue;
    const now = currentFingerprints(rows, { ...s, environmentId: o.environmentId });
    out.set(s.id, now.all !== used.fingerprint || (used.buildFingerprint !== null && now.build !== used.buildFingerprint));
  }
  return out;
}
