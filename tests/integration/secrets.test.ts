/**
 * Secret storage: AES-256-GCM round trips, fresh nonces, tampering refused, the master key file
 * (generated 0600 on first use), and key rotation re-encrypting variables and deployment sets.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import type { DbHandle } from "@/db/client";
import { deploymentVariableSets, deployments, variables } from "@/db/schema";
import { decryptSecret, encryptSecret, SecretDecryptError } from "@/server/secrets/secret-box";
import { getKeyring, keyFilePath, reloadKeyring } from "@/server/secrets/master-key";
import { inheritBuildFingerprint, prepareDeploymentVariables } from "@/server/variables/deployment-variables";
import { needsRedeployByService } from "@/server/variables/needs-redeploy";
import { createTestDb } from "../support/test-db";
import { actorOf, addMember, callerFor, makeOrg, makeUser } from "../support/actors";
import { makeEnvironment, makeProject, makeService, uniq } from "../support/fixtures";
import { caught } from "../support/trpc-errors";

let h: DbHandle;
let dataDir: string;
const saved = { dir: process.env.SLIPWAY_DATA_DIR, key: process.env.SLIPWAY_MASTER_KEY, prev: process.env.SLIPWAY_MASTER_KEY_PREVIOUS };

beforeAll(async () => {
  h = await createTestDb();
});
beforeEach(() => {
  // Each case: its own data folder, the key file generated there on first use.
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-secrets-"));
  process.env.SLIPWAY_DATA_DIR = dataDir;
  delete process.env.SLIPWAY_MASTER_KEY;
  delete process.env.SLIPWAY_MASTER_KEY_PREVIOUS;
  reloadKeyring();
});
afterAll(async () => {
  for (const [k, v] of [["SLIPWAY_DATA_DIR", saved.dir], ["SLIPWAY_MASTER_KEY", saved.key], ["SLIPWAY_MASTER_KEY_PREVIOUS", saved.prev]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await h?.close();
});

const AWKWARD = ["", "x", "pa$$ 'w\"ord' = \\n ✓ 🚀\r\nline 2", "é".repeat(32768)];

describe("secret box", () => {
  it("round-trips any value, with a fresh nonce each time and the key id in the text", () => {
    for (const v of AWKWARD) {
      const a = encryptSecret(v, "API_SECRET");
      const b = encryptSecret(v, "API_SECRET");
      expect(a.ciphertext).not.toBe(b.ciphertext);
      expect(a.ciphertext.startsWith(`v1:${getKeyring().active.id}:`)).toBe(true);
      expect(decryptSecret(a.ciphertext, "API_SECRET")).toBe(v);
    }
    expect(fs.statSync(keyFilePath(dataDir)).mode & 0o777).toBe(0o600);
  });

  it("refuses tampered ciphertext, a ciphertext moved to another name, and unknown keys", () => {
    const { ciphertext } = encryptSecret("the value", "API_SECRET");
    const [v, id, nonce, body] = ciphertext.split(":");
    const bytes = Buffer.from(body, "base64url");
    bytes[0] ^= 1;
    const flipped = [v, id, nonce, bytes.toString("base64url")].join(":");
    expect(() => decryptSecret(flipped, "API_SECRET")).toThrow(SecretDecryptError);
    expect(() => decryptSecret(flipped, "API_SECRET")).toThrow("secret API_SECRET could not be decrypted: the ciphertext was altered");
    const tag = Buffer.from(body, "base64url");
    tag[tag.length - 1] ^= 0x80;
    expect(() => decryptSecret([v, id, nonce, tag.toString("base64url")].join(":"), "API_SECRET")).toThrow(SecretDecryptError);
    expect(() => decryptSecret(ciphertext, "OTHER_SECRET")).toThrow(SecretDecryptError);
    expect(() => decryptSecret([v, "0123456789abcdef", nonce, body].join(":"), "API_SECRET")).toThrow("which this console does not have");
    expect(() => decryptSecret("garbage", "API_SECRET")).toThrow("malformed");
  });

  it("uses SLIPWAY_MASTER_KEY when set, and refuses a malformed one", () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-secrets-env-"));
    process.env.SLIPWAY_DATA_DIR = dataDir;
    process.env.SLIPWAY_MASTER_KEY = crypto.randomBytes(32).toString("base64");
    const ring = reloadKeyring();
    expect(ring.source).toBe("env");
    expect(fs.existsSync(keyFilePath(dataDir))).toBe(false);
    process.env.SLIPWAY_MASTER_KEY = "too-short";
    expect(() => reloadKeyring()).toThrow("SLIPWAY_MASTER_KEY must be 32 random bytes");
    delete process.env.SLIPWAY_MASTER_KEY;
  });
});

async function world() {
  const owner = await makeUser(h.db);
  const admin = await makeUser(h.db);
  const org = await makeOrg(h.db, uniq("sorg"));
  await addMember(h.db, org.id, owner.id, "owner");
  await addMember(h.db, org.id, admin.id, "admin");
  const project = await makeProject(h.db, org.id, "shop");
  const staging = await makeEnvironment(h.db, project.id, "staging");
  const web = await makeService(h.db, staging.id, "web");
  return { org, project, staging, web, api: callerFor(h.db, actorOf(owner)), adminApi: callerFor(h.db, actorOf(admin)) };
}

describe("key rotation", () => {
  // The key is the installation's: rotation reads every secret in the database, so each case starts
  // with none left over from another case's (now unknown) key.
  beforeEach(async () => {
    await h.db.delete(deploymentVariableSets);
    await h.db.delete(variables);
  });

  it("re-encrypts every secret and deployment set under a new key, keeps values and the needs-redeploy verdict", async () => {
    const w = await world();
    await w.api.variable.set({ scope: { serviceId: w.web.id }, name: "API_SECRET", kind: "secret", value: "one" });
    await w.api.variable.set({ scope: { environmentId: w.staging.id }, name: "DB_PASSWORD", kind: "secret", value: "two ✓" });
    // A deployment that recorded its set (as the engine does at pre-check).
    await w.api.variable.set({ scope: { serviceId: w.web.id }, name: "BUILD_SECRET", kind: "secret", value: "at build", availability: "build" });
    const targets = [{ id: w.web.id, name: "web", type: "application" as const, spec: w.web.spec }];
    const builds = { [w.web.id]: { buildId: "b-1", dir: "/nonexistent", startCommand: "node server.js", revision: "r1" } };
    const deployment = async () => {
      const [row] = await h.db.insert(deployments).values({ environmentId: w.staging.id, trigger: "ui", snapshot: { services: targets }, requestKey: uniq("k"), builds }).returning();
      await prepareDeploymentVariables(h.db, { deploymentId: row.id, environmentId: w.staging.id, targets });
      return row;
    };
    const d = await deployment();
    // A restart after BUILD_SECRET changed reused d's build: its build fingerprint is d's, not its own.
    await w.api.variable.set({ scope: { serviceId: w.web.id }, name: "BUILD_SECRET", kind: "secret", value: "changed", availability: "build" });
    const restart = await deployment();
    await inheritBuildFingerprint(h.db, { deploymentId: restart.id, serviceId: w.web.id, buildId: "b-1" });
    await w.api.variable.set({ scope: { serviceId: w.web.id }, name: "BUILD_SECRET", kind: "secret", value: "at build", availability: "build" });
    const setOf = async (id: string) => (await h.db.select().from(deploymentVariableSets).where(eq(deploymentVariableSets.deploymentId, id)))[0];
    expect((await setOf(restart.id)).buildFingerprint).toBe((await setOf(d.id)).buildFingerprint);
    const verdict = () => needsRedeployByService(h.db, { projectId: w.project.id, environmentId: w.staging.id, services: [{ id: w.web.id, spec: w.web.spec, deploymentId: d.id }] });
    expect((await verdict()).get(w.web.id)).toBe(false);

    const oldId = getKeyring().active.id;
    const refused = await caught(w.adminApi.variable.rotateKey({ orgId: w.org.id }));
    expect(refused.code).toBe("FORBIDDEN");
    const r = await w.api.variable.rotateKey({ orgId: w.org.id });
    expect(r.keyId).not.toBe(oldId);
    expect(r.previousKeyIds).toEqual([oldId]);
    expect(r.secrets).toBe(3);
    expect(r.deploymentSets).toBe(2);
    // The file now holds only the new key: nothing is left that needs the old one.
    const file = JSON.parse(fs.readFileSync(keyFilePath(dataDir), "utf8")) as { active: string; keys: Record<string, string> };
    expect(file.active).toBe(r.keyId);
    expect(Object.keys(file.keys)).toEqual([r.keyId]);
    expect(fs.statSync(keyFilePath(dataDir)).mode & 0o777).toBe(0o600);

    const rows = await h.db.select().from(variables).where(eq(variables.orgId, w.org.id));
    const secrets = rows.filter((x) => x.kind === "secret");
    expect(secrets.every((x) => x.keyId === r.keyId && x.ciphertext?.startsWith(`v1:${r.keyId}:`))).toBe(true);
    expect(Object.fromEntries(secrets.map((x) => [x.name, decryptSecret(x.ciphertext ?? "", x.name)]))).toEqual({ API_SECRET: "one", BUILD_SECRET: "at build", DB_PASSWORD: "two ✓" });
    const [set] = await h.db.select().from(deploymentVariableSets).where(eq(deploymentVariableSets.deploymentId, d.id));
    expect(set.entries.filter((e) => e.kind === "secret").every((e) => e.ciphertext?.startsWith(`v1:${r.keyId}:`))).toBe(true);
    // Same values: still no redeploy needed (the restart's inherited build fingerprint followed); a change after rotation is still noticed.
    const [own, inherited] = await Promise.all([setOf(d.id), setOf(restart.id)]);
    expect(inherited.buildFingerprint).toBe(own.buildFingerprint);
    expect(own.fingerprint).not.toBe(inherited.fingerprint);
    expect((await verdict()).get(w.web.id)).toBe(false);
    await w.api.variable.set({ scope: { serviceId: w.web.id }, name: "API_SECRET", kind: "secret", value: "three" });
    expect((await verdict()).get(w.web.id)).toBe(true);
  });

  it("with SLIPWAY_MASTER_KEY: moves secrets written under SLIPWAY_MASTER_KEY_PREVIOUS onto the current key", async () => {
    const oldKey = crypto.randomBytes(32).toString("hex");
    const newKey = crypto.randomBytes(32).toString("hex");
    process.env.SLIPWAY_MASTER_KEY = oldKey;
    reloadKeyring();
    const w = await world();
    await w.api.variable.set({ scope: { serviceId: w.web.id }, name: "API_SECRET", kind: "secret", value: "kept" });
    process.env.SLIPWAY_MASTER_KEY = newKey;
    process.env.SLIPWAY_MASTER_KEY_PREVIOUS = oldKey;
    const r = await w.api.variable.rotateKey({ orgId: w.org.id });
    expect(r.source).toBe("env");
    expect(r.note).toContain("remove SLIPWAY_MASTER_KEY_PREVIOUS");
    delete process.env.SLIPWAY_MASTER_KEY_PREVIOUS;
    const [row] = await h.db.select().from(variables).where(eq(variables.serviceId, w.web.id));
    expect(row.keyId).toBe(r.keyId);
    expect(decryptSecret(row.ciphertext ?? "", "API_SECRET", reloadKeyring())).toBe("kept");
    delete process.env.SLIPWAY_MASTER_KEY;
  });
});
