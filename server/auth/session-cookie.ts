import "server-only";
import { getToken } from "next-auth/jwt";
import type { SessionUser } from "@/server/api/context";
import type { HeaderReader } from "./client-address";

const SECURE_COOKIE = "__Secure-authjs.session-token";

/**
 * The signed-in person from the session cookie alone, for requests served outside Next's request
 * scope (where `auth()` cannot run): the same JWT that `auth()` decodes (AUTH_SECRET, the cookie's
 * name as salt, expiry checked), read the same way as the session callback in auth.ts reads it.
 */
export async function sessionUserFromCookie(headers: HeaderReader): Promise<SessionUser> {
  const cookie = headers.get("cookie");
  const secret = process.env.AUTH_SECRET;
  if (!cookie || !secret) return null;
  // Browsers only keep a __Secure- cookie set over HTTPS: its presence says which name auth.ts used.
  const secureCookie = cookie.includes(`${SECURE_COOKIE}=`);
  const token = await getToken({ req: { headers: { cookie } }, secret, secureCookie });
  const id = token?.uid;
  const email = token?.email;
  return typeof id === "string" && typeof email === "string" ? { id, email } : null;
}
