import "server-only";
import { and, count, eq, gt } from "drizzle-orm";
import type { Db } from "@/db/client";
import { signInAttempts, users } from "@/db/schema";
import { textProblem } from "@/server/validation/text-input";
import { dummyPasswordHash, verifyPassword } from "./password";

export const MAX_FAILURES = 5;
/**
 * Failures for one email from all addresses together. The address is the socket's peer, or what a
 * trusted proxy reported (server/auth/client-address.ts); a guesser with many addresses is bounded here.
 */
export const MAX_FAILURES_PER_EMAIL = 25;
export const FAILURE_WINDOW_MS = 10 * 60 * 1000;

export type CredentialsResult =
  | { ok: true; user: { id: string; email: string; name: string } }
  | { ok: false; reason: "invalid" }
  | { ok: false; reason: "rate_limited"; retryAfterSeconds: number };

/** Longer than any address (RFC 5321 allows 254): no account can have it. */
const MAX_EMAIL_LENGTH = 320;

/**
 * Checks an email + password. After MAX_FAILURES failures for one email + address inside the
 * window, attempts are refused (without checking the password) until the oldest failure ages out.
 */
export async function verifyCredentials({ db, email, password, ip }: { db: Db; email: string; password: string; ip: string }): Promise<CredentialsResult> {
  const normalized = email.trim().toLowerCase();
  // No account can have such an email, and the database cannot store it (NUL) or should not (a huge
  // one in every attempt row): wrong credentials, with nothing written.
  if (normalized.length > MAX_EMAIL_LENGTH || textProblem(normalized) || textProblem(password)) return { ok: false, reason: "invalid" };
  const since = new Date(Date.now() - FAILURE_WINDOW_MS);
  const recent = and(eq(signInAttempts.email, normalized), eq(signInAttempts.ip, ip), eq(signInAttempts.success, false), gt(signInAttempts.createdAt, since));
  const [{ failures }] = await db.select({ failures: count() }).from(signInAttempts).where(recent);
  const [{ total }] = await db
    .select({ total: count() })
    .from(signInAttempts)
    .where(and(eq(signInAttempts.email, normalized), eq(signInAttempts.success, false), gt(signInAttempts.createdAt, since)));
  if (total >= MAX_FAILURES_PER_EMAIL) {
    return { ok: false, reason: "rate_limited", retryAfterSeconds: Math.ceil(FAILURE_WINDOW_MS / 1000) };
  }
  if (failures >= MAX_FAILURES) {
    const [oldest] = await db.select({ at: signInAttempts.createdAt }).from(signInAttempts).where(recent).orderBy(signInAttempts.createdAt).limit(1);
    const retryAfterMs = oldest ? oldest.at.getTime() + FAILURE_WINDOW_MS - Date.now() : FAILURE_WINDOW_MS;
    return { ok: false, reason: "rate_limited", retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) };
  }
  const [user] = await db.select().from(users).where(eq(users.email, normalized)).limit(1);
  const ok = user ? await verifyPassword(password, user.passwordHash) : (await verifyPassword(password, await dummyPasswordHash()), false);
  await db.insert(signInAttempts).values({ email: normalized, ip, success: ok });
  if (!ok || !user) return { ok: false, reason: "invalid" };
  return { ok: true, user: { id: user.id, email: user.email, name: user.name } };
}
