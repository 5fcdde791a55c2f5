import "server-only";
import crypto from "node:crypto";
import { getKeyring, reloadKeyring, type Keyring } from "./master-key";

/**
 * AES-256-GCM for secret values: a fresh 96-bit nonce per value, the key id in the text so rotation
 * knows which key wrote it, and the variable's name as associated data, so a ciphertext moved onto
 * another variable does not decrypt. Format: `v1:<key id>:<nonce b64url>:<ciphertext+tag b64url>`.
 */
const VERSION = "v1";
const TAG_BYTES = 16;

export class SecretDecryptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretDecryptError";
  }
}

const aad = (name: string) => Buffer.from(`slipway-secret\0${name}`, "utf8");

export function encryptSecret(plain: string, name: string, ring: Keyring = getKeyring()): { ciphertext: string; keyId: string } {
  const nonce = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv("aes-256-gcm", ring.active.key, nonce);
  cipher.setAAD(aad(name));
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return { ciphertext: `${VERSION}:${ring.active.id}:${nonce.toString("base64url")}:${body.toString("base64url")}`, keyId: ring.active.id };
}

export const keyIdOfCiphertext = (ciphertext: string): string | null => ciphertext.split(":")[1] ?? null;

export function decryptSecret(ciphertext: string, name: string, ring: Keyring = getKeyring()): string {
  const parts = ciphertext.split(":");
  if (parts.length !== 4 || parts[0] !== VERSION) throw new SecretDecryptError(`secret ${name}: the stored ciphertext is malformed`);
  const [, keyId, nonceText, bodyText] = parts;
  let key = ring.keys.get(keyId);
  // Another console may have rotated the key since this process read the key file.
  if (!key) key = reloadKeyring().keys.get(keyId);
  if (!key) throw new SecretDecryptError(`secret ${name} was encrypted with master key ${keyId}, which this console does not have (SLIPWAY_MASTER_KEY, SLIPWAY_MASTER_KEY_PREVIOUS or <data>/master-key)`);
  const nonce = Buffer.from(nonceText, "base64url");
  const body = Buffer.from(bodyText, "base64url");
  if (nonce.length !== 12 || body.length < TAG_BYTES) throw new SecretDecryptError(`secret ${name}: the stored ciphertext is malformed`);
  try {
    const decipher = crypto.createDecipheriv("aes-256-gcm", key, nonce);
    decipher.setAAD(aad(name));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString("utf8");
  } catch {
    throw new SecretDecryptError(`secret ${name} could not be decrypted: the ciphertext was altered or does not belong to this variable`);
  }
}

/** The key for secret digests, derived from the active master key (rotation recomputes them). */
function digestKey(ring: Keyring): Buffer {
  return Buffer.from(crypto.hkdfSync("sha256", ring.active.key, Buffer.from("slipway"), Buffer.from("variable-digest"), 32));
}

/**
 * A digest of a value for change detection. Secrets get a keyed HMAC (a plain hash of a short secret
 * could be guessed back); other values are stored in clear anyway, so a plain SHA-256 does.
 */
export function valueDigest(value: string, secret: boolean, ring?: Keyring): string {
  if (!secret) return `s:${crypto.createHash("sha256").update(value, "utf8").digest("base64url")}`;
  return `h:${crypto.createHmac("sha256", digestKey(ring ?? getKeyring())).update(value, "utf8").digest("base64url")}`;
}
