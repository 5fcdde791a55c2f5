import "server-only";
import { getToken } from "next-auth/jwt";
import type { SessionUser } from "@/server/api/context";
import type { HeaderReader } from "./client-address";

const SECURE_COOKIE = "__Secure-authjs.session-token";

/**
 * Decrypting the session JWT (JWE, key derived from AUTH_SECRET) costs ~1.4 ms of the one thread
 * that serves every request, and a browser sends the same cookie with each of them. The decode is a
 * pure function of the cookie header and the secret until the token expires, so its answer is kept
 * per header until then. Only decodes that named someone are kept; the oldest entry makes room.
 */
const MAX_CACHED_SESSIONS = 1_000;
const decoded = new Map<string, { user: NonNullable<SessionUser>; secret: string; expiresAt: number }>();

/**
 * The signed-in person from the session cookie alone, for requests served outside Next's request
 * scope (where `auth()` cannot run): the same JWT that `auth()` decodes (AUTH_SECRET, the cookie's
 * name as salt, expiry checked), read the same way as the session callback in auth.ts reads it.
 */
export async function sessionUserFromCookie(headers: HeaderReader): Promise<SessionUser> {
  const cookie = headers.get("cookie");
  const secret = process.env.AUTH_SECRET;
  if (!cookie || !secret) return null;
  const hit = decoded.get(cookie);
  if (hit && hit.secret === secret && hit.expiresAt > Date.now()) return hit.user;
  if (hit) decoded.delete(cookie);
  // Browsers only keep a __Secure- cookie set over HTTPS: its presence says which name auth.ts used.
  const secureCookie = cookie.includes(`${SECURE_COOKIE}=`);
  const token = await getToken({ req: { headers: { cookie } }, secret, secureCookie });
  const id = token?.uid;
  const email = token?.email;
  if (typeof id !== "string" || typeof email !== "string") return null;
  const user = typeof token?.exp === "number" ? { id, email, expiresAt: token.exp * 1000 } : { id, email };
  if (typeof token?.exp === "number") {
    if (decoded.size >= MAX_CACHED_SESSIONS) decoded.delete(decoded.keys().next().value as string);
    decoded.set(cookie, { user, secret, expiresAt: token.exp * 1000 });
  }
  return user;
}
