import "server-only";
import { eq, sql } from "drizzle-orm";
import { deploymentVariableSets, variables, type SnapshotVariable } from "@/db/schema";
import type { ServiceCtx } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/record-audit";
import { AppError, forbidden } from "@/server/errors/app-error";
import { requireOrg } from "@/server/policy/access";
import { roleAtLeast } from "@/server/policy/policy";
import { buildFingerprintOf, fingerprintOf } from "@/server/variables/fingerprint";
import { getKeyring, keyIdOf, newMasterKey, reloadKeyring, writeKeyFile, type Keyring } from "./master-key";
import { decryptSecret as decryptOrThrow, encryptSecret, keyIdOfCiphertext, SecretDecryptError, valueDigest } from "./secret-box";

/** One unreadable secret stops the rotation (nothing is re-encrypted): dropping it silently would lose it. */
function decryptSecret(ciphertext: string, name: string, ring: Keyring): string {
  try {
    return decryptOrThrow(ciphertext, name, ring);
  } catch (err) {
    if (err instanceof SecretDecryptError) throw new AppError("CONFLICT", `${err.message}; nothing was re-encrypted`);
    throw err;
  }
}

export type RotateResult = { keyId: string; previousKeyIds: string[]; secrets: number; deploymentSets: number; source: "env" | "file"; note: string | null };

/**
 * Re-encrypts every secret (variables and the variable sets deployments ran with) under a new
 * master key, in one transaction, and recomputes the keyed digests. The key is the installation's,
 * so this covers every organization; it is an owner's action. With the key file: a new key is
 * added first (so a crash in between loses nothing), then the old ones are dropped. With
 * SLIPWAY_MASTER_KEY: the operator sets the new key there and lists the old one in
 * SLIPWAY_MASTER_KEY_PREVIOUS; rotation moves everything onto the new one.
 */
export async function rotateMasterKey({ ctx, orgId }: { ctx: ServiceCtx; orgId: string }): Promise<RotateResult> {
  const { role } = await requireOrg(ctx, orgId, "org.read");
  if (!roleAtLeast(role, "owner")) throw forbidden(`your role (${role}) may not rotate the master key; only an owner may`);
  const before = reloadKeyring();
  let ring: Keyring = before;
  if (before.source === "file") {
    const key = newMasterKey();
    writeKeyFile(before.file, { id: keyIdOf(key), key }, before.keys);
    ring = reloadKeyring();
  }
  // Always a lock: two rotations at once must not interleave their rewrites.
  const counts = await ctx.db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('slipway.rotate-master-key'))`);
    const secrets = await tx.select().from(variables).where(eq(variables.kind, "secret"));
    // The keys anything was actually encrypted with, besides the new one.
    const found = new Set<string>();
    for (const v of secrets) {
      const clear = decryptSecret(v.ciphertext ?? "", v.name, ring);
      found.add(keyIdOfCiphertext(v.ciphertext ?? "") ?? "");
      const { ciphertext, keyId } = encryptSecret(clear, v.name, ring);
      await tx.update(variables).set({ ciphertext, keyId, digest: valueDigest(clear, true, ring) }).where(eq(variables.id, v.id));
    }
    const sets = await tx.select().from(deploymentVariableSets);
    // Build fingerprints copied from another set (a reused build) follow that set's new value.
    const rekeyed = sets.map((set) => {
      const entries: SnapshotVariable[] = set.entries.map((e) => {
        if (e.kind !== "secret") return e;
        const clear = decryptSecret(e.ciphertext ?? "", e.name, ring);
        found.add(keyIdOfCiphertext(e.ciphertext ?? "") ?? "");
        return { ...e, ciphertext: encryptSecret(clear, e.name, ring).ciphertext, digest: valueDigest(clear, true, ring) };
      });
      const ownBuild = set.buildFingerprint !== null && set.buildFingerprint === buildFingerprintOf(set.entries);
      return { set, entries, ownBuild };
    });
    const newBuild = new Map(rekeyed.filter((r) => r.ownBuild).map((r) => [r.set.buildFingerprint, buildFingerprintOf(r.entries)]));
    let touched = 0;
    for (const { set, entries, ownBuild } of rekeyed) {
      const buildFingerprint = set.buildFingerprint === null ? null : ownBuild ? buildFingerprintOf(entries) : (newBuild.get(set.buildFingerprint) ?? null);
      const fingerprint = fingerprintOf(entries);
      if (fingerprint === set.fingerprint && buildFingerprint === set.buildFingerprint) continue;
      await tx
        .update(deploymentVariableSets)
        .set({ entries, fingerprint, buildFingerprint })
        .where(sql`${deploymentVariableSets.deploymentId} = ${set.deploymentId} and ${deploymentVariableSets.serviceId} = ${set.serviceId}`);
      touched++;
    }
    // With the key file every old key is dropped; with SLIPWAY_MASTER_KEY, name the ones that were in use.
    const previousKeyIds = (ring.source === "file" ? [...before.keys.keys()] : [...found]).filter((id) => id && id !== ring.active.id).sort();
    await recordAudit(tx, ctx, {
      orgId,
      action: "secrets.rotate_key",
      resourceType: "master_key",
      resourceId: null,
      resourceName: ring.active.id,
      metadata: { keyId: ring.active.id, previousKeyIds, secrets: secrets.length, deploymentSets: touched },
    });
    return { secrets: secrets.length, deploymentSets: touched, previousKeyIds };
  });
  let note: string | null = null;
  if (ring.source === "file") {
    writeKeyFile(ring.file, ring.active, new Map());
    reloadKeyring();
  } else {
    note =
      counts.previousKeyIds.length > 0
        ? "everything is now encrypted with SLIPWAY_MASTER_KEY; remove SLIPWAY_MASTER_KEY_PREVIOUS (and any old key file) from every console"
        : "SLIPWAY_MASTER_KEY is set, so no new key was generated: to rotate, set SLIPWAY_MASTER_KEY to a new key and the old one in SLIPWAY_MASTER_KEY_PREVIOUS, restart, and run this again";
  }
  return { keyId: ring.active.id, previousKeyIds: counts.previousKeyIds, secrets: counts.secrets, deploymentSets: counts.deploymentSets, source: ring.source, note };
}

/** For tests and the boot check: the active key's id. */
export const activeKeyId = () => getKeyring().active.id;
