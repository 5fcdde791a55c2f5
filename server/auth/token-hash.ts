import crypto from "node:crypto";

/** API and invite tokens are 256-bit random values: a fast hash is enough to store them safely. */
export const hashToken = (token: string) => crypto.createHash("sha256").update(token).digest("hex");
export const newToken = (prefix: string) => `${prefix}_${crypto.randomBytes(32).toString("base64url")}`;
