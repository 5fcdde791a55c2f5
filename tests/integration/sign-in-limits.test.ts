import { afterAll, beforeAll, expect, it } from "vitest";
import type { DbHandle } from "@/db/client";
import { signInAttempts, users } from "@/db/schema";
import { hashPassword } from "@/server/users/password";
import { MAX_FAILURES, MAX_FAILURES_PER_EMAIL, verifyCredentials } from "@/server/users/verify-credentials";
import { createTestDb } from "../support/test-db";

let h: DbHandle;
beforeAll(async () => {
  h = await createTestDb();
  await h.db.insert(users).values({ email: "target@example.test", name: "t", passwordHash: await hashPassword("the right password") });
});
afterAll(async () => h?.close());

it("bounds failures per email across many client addresses", async () => {
  // A guesser with many addresses (a botnet, or many clients behind a trusted proxy): a new one every few guesses.
  for (let i = 0; i < MAX_FAILURES_PER_EMAIL; i++) {
    const r = await verifyCredentials({ db: h.db, email: "target@example.test", password: `guess ${i}`, ip: `10.0.${Math.floor(i / (MAX_FAILURES - 1))}.1` });
    expect(r).toEqual({ ok: false, reason: "invalid" });
  }
  const blocked = await verifyCredentials({ db: h.db, email: "target@example.test", password: "the right password", ip: "192.0.2.99" });
  expect(blocked).toMatchObject({ ok: false, reason: "rate_limited" });
  // Other accounts are not affected.
  const other = await verifyCredentials({ db: h.db, email: "nobody@example.test", password: "x", ip: "192.0.2.99" });
  expect(other).toEqual({ ok: false, reason: "invalid" });
});

it("answers wrong credentials, writing nothing, for an email or password the database could not store", async () => {
  const before = (await h.db.select().from(signInAttempts)).length;
  for (const [email, password] of [
    ["target\u0000@example.test", "the right password"],
    ["target@example.test", "the right\u0000 password"],
    ["\ud800target@example.test", "x"],
    [`${"a".repeat(1_000_000)}@example.test`, "x"],
  ]) {
    expect(await verifyCredentials({ db: h.db, email, password, ip: "192.0.2.50" })).toEqual({ ok: false, reason: "invalid" });
  }
  expect((await h.db.select().from(signInAttempts)).length).toBe(before);
});
