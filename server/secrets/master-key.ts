import "server-only";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { resolveDataDir } from "@/server/config/data-dir";

/**
 * The master keys that encrypt secrets. The active key encrypts; every key of the ring decrypts, so
 * `slipway secrets rotate-key` can re-encrypt what older keys wrote. Sources:
 * - SLIPWAY_MASTER_KEY (32 bytes, hex or base64) is the active key; SLIPWAY_MASTER_KEY_PREVIOUS
 *   (comma-separated) and any key in the data folder's file still decrypt.
 * - Otherwise `<data>/master-key` (JSON, mode 0600), generated on first use.
 * A key's id is derived from the key itself, so the same key has the same id wherever it is set.
 */
export type MasterKey = { id: string; key: Buffer };
export type Keyring = { active: MasterKey; keys: Map<string, Buffer>; source: "env" | "file"; file: string };
type KeyFile = { active: string; keys: Record<string, string> };

const FILE_NAME = "master-key";

export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MasterKeyError";
  }
}

export function keyIdOf(key: Buffer): string {
  return crypto.createHash("sha256").update("slipway-master-key-id\0").update(key).digest("hex").slice(0, 16);
}

export function parseMasterKey(text: string, what: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, "hex") : Buffer.from(t.replace(/-/g, "+").replace(/_/g, "/"), "base64");
  if (key.length !== 32) throw new MasterKeyError(`${what} must be 32 random bytes, written as 64 hex characters or base64 (e.g. \`openssl rand -hex 32\`)`);
  return key;
}

export const newMasterKey = (): Buffer => crypto.randomBytes(32);

export const keyFilePath = (dataDir = resolveDataDir()) => path.join(dataDir, FILE_NAME);

function readKeyFile(file: string): KeyFile | null {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as KeyFile;
    if (typeof parsed.active !== "string" || typeof parsed.keys !== "object" || !parsed.keys[parsed.active]) throw new Error("shape");
    return parsed;
  } catch {
    throw new MasterKeyError(`${file} is not a Slipway master key file; restore it from a backup (without it no secret can be read)`);
  }
}

/** Atomic (temp file + rename), mode 0600: a crash never leaves half a key file. */
export function writeKeyFile(file: string, active: MasterKey, others: Map<string, Buffer>): void {
  const keys: Record<string, string> = {};
  for (const [id, key] of others) keys[id] = key.toString("base64");
  keys[active.id] = active.key.toString("base64");
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify({ active: active.id, keys } satisfies KeyFile, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  fs.renameSync(tmp, file);
}

function loadKeyring(dataDir: string): Keyring {
  const file = keyFilePath(dataDir);
  const keys = new Map<string, Buffer>();
  const fromFile = (kf: KeyFile) => {
    for (const [id, b64] of Object.entries(kf.keys)) keys.set(id, Buffer.from(b64, "base64"));
  };
  const env = process.env.SLIPWAY_MASTER_KEY;
  if (env) {
    const key = parseMasterKey(env, "SLIPWAY_MASTER_KEY");
    const kf = readKeyFile(file);
    if (kf) fromFile(kf);
    for (const [i, text] of (process.env.SLIPWAY_MASTER_KEY_PREVIOUS ?? "").split(",").filter((s) => s.trim()).entries()) {
      const old = parseMasterKey(text, `SLIPWAY_MASTER_KEY_PREVIOUS (entry ${i + 1})`);
      keys.set(keyIdOf(old), old);
    }
    const active = { id: keyIdOf(key), key };
    keys.set(active.id, key);
    return { active, keys, source: "env", file };
  }
  let kf = readKeyFile(file);
  if (!kf) {
    const key = newMasterKey();
    const id = keyIdOf(key);
    // wx: when two processes start at once, the first file wins and the other reads it.
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    try {
      fs.writeFileSync(file, `${JSON.stringify({ active: id, keys: { [id]: key.toString("base64") } } satisfies KeyFile, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    kf = readKeyFile(file) as KeyFile;
  }
  fromFile(kf);
  const activeKey = keys.get(kf.active) as Buffer;
  return { active: { id: kf.active, key: activeKey }, keys, source: "file", file };
}

type Global = typeof globalThis & { __slipwayKeyring?: { ring: Keyring; cacheKey: string } };
const g = globalThis as Global;

/** The keyring for this process (a globalThis singleton: Next's bundles do not share modules). */
export function getKeyring(): Keyring {
  const dataDir = resolveDataDir();
  const cacheKey = `${dataDir}\0${process.env.SLIPWAY_MASTER_KEY ?? ""}\0${process.env.SLIPWAY_MASTER_KEY_PREVIOUS ?? ""}`;
  if (g.__slipwayKeyring?.cacheKey !== cacheKey) g.__slipwayKeyring = { ring: loadKeyring(dataDir), cacheKey };
  return g.__slipwayKeyring.ring;
}

/** Reads the keys again: another console process may have rotated the key in a shared data folder. */
export function reloadKeyring(): Keyring {
  g.__slipwayKeyring = undefined;
  return getKeyring();
}

/** At boot: generate the key file on first start, and fail early on a malformed key. */
export function ensureMasterKey(): void {
  getKeyring();
}
