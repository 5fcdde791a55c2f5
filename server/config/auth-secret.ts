import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";

/**
 * AUTH_SECRET signs session cookies. When it is not given, one is generated into the data
 * folder (mode 0600) on first start so that starting Slipway needs no setup.
 */
export function ensureAuthSecret(dataDir: string): string {
  if (process.env.AUTH_SECRET) return process.env.AUTH_SECRET;
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, "auth-secret");
  let secret: string;
  try {
    secret = fs.readFileSync(file, "utf8").trim();
  } catch {
    secret = crypto.randomBytes(32).toString("base64url");
    // wx: if another process raced us, keep its secret.
    try {
      fs.writeFileSync(file, secret + "\n", { mode: 0o600, flag: "wx" });
    } catch {
      secret = fs.readFileSync(file, "utf8").trim();
    }
  }
  process.env.AUTH_SECRET = secret;
  return secret;
}
