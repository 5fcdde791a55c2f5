import "server-only";
import bcrypt from "bcryptjs";
import { z } from "zod";

// bcrypt cost 12 ≈ 0.25 s here: slow enough to make guessing expensive, fast enough to sign in.
const COST = Number(process.env.SLIPWAY_BCRYPT_COST ?? 12);

export const passwordSchema = z
  .string({ error: "password is required" })
  .min(10, { error: "password must be at least 10 characters" })
  .max(200, { error: "password must be at most 200 characters" });

export const hashPassword = (password: string) => bcrypt.hash(password, COST);
export const verifyPassword = (password: string, hash: string) => bcrypt.compare(password, hash);

// Compared against when the email is unknown, so a miss costs as much time as a wrong password.
let dummyHash: Promise<string> | undefined;
export const dummyPasswordHash = () => (dummyHash ??= bcrypt.hash("not-a-real-password", COST));
