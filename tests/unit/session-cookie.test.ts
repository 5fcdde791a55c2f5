/**
 * The /api/trpc fast lane reads the session cookie itself and keeps each decoded cookie until its
 * token expires. A kept answer must never outlive the token, survive a change of AUTH_SECRET, or be
 * given to a different cookie.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { encode } from "next-auth/jwt";
import { sessionUserFromCookie } from "@/server/auth/session-cookie";

const COOKIE = "authjs.session-token";
const SECRET = "a-test-secret-that-is-long-enough-0123456789";

async function cookieFor(user: { id: string; email: string }, maxAge: number, secret = SECRET) {
  const jwt = await encode({ token: { uid: user.id, email: user.email, sub: user.id }, secret, salt: COOKIE, maxAge });
  return `${COOKIE}=${jwt}`;
}
/** The decoded user: who, and when the cookie's token expires (exp is whole seconds; streams end then). */
const decodedAs = (user: { id: string; email: string }, maxAge: number, encodedAt: number) => ({ ...user, expiresAt: (Math.floor(encodedAt / 1000) + maxAge) * 1000 });
const headersOf = (cookie: string) => ({ get: (name: string) => (name.toLowerCase() === "cookie" ? cookie : null) });

let savedSecret: string | undefined;
beforeEach(() => {
  savedSecret = process.env.AUTH_SECRET;
  process.env.AUTH_SECRET = SECRET;
});
afterEach(() => {
  process.env.AUTH_SECRET = savedSecret;
  vi.useRealTimers();
});

describe("session cookie decoding", () => {
  it("names the cookie's user, the same again when asked again, and no one once the token has expired", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const ada = { id: "u-ada", email: "ada@example.test" };
    const encodedAt = Date.now();
    const cookie = await cookieFor(ada, 60);
    expect(await sessionUserFromCookie(headersOf(cookie))).toEqual(decodedAs(ada, 60, encodedAt));
    expect(await sessionUserFromCookie(headersOf(cookie))).toEqual(decodedAs(ada, 60, encodedAt));
    vi.setSystemTime(Date.now() + 120_000);
    expect(await sessionUserFromCookie(headersOf(cookie))).toBeNull();
  });

  it("tells two cookies apart and refuses a tampered one", async () => {
    const ada = { id: "u-ada", email: "ada@example.test" };
    const bob = { id: "u-bob", email: "bob@example.test" };
    const a = await cookieFor(ada, 3600);
    const b = await cookieFor(bob, 3600);
    expect(await sessionUserFromCookie(headersOf(a))).toEqual({ ...ada, expiresAt: expect.any(Number) });
    expect(await sessionUserFromCookie(headersOf(b))).toEqual({ ...bob, expiresAt: expect.any(Number) });
    expect(await sessionUserFromCookie(headersOf(`${a.slice(0, -4)}AAAA`))).toBeNull();
  });

  it("stops naming anyone once AUTH_SECRET changes", async () => {
    const ada = { id: "u-ada", email: "ada@example.test" };
    const cookie = await cookieFor(ada, 3600);
    expect(await sessionUserFromCookie(headersOf(cookie))).toEqual({ ...ada, expiresAt: expect.any(Number) });
    process.env.AUTH_SECRET = "another-secret-entirely-0123456789-abcdef";
    expect(await sessionUserFromCookie(headersOf(cookie))).toBeNull();
  });
});
