/** /api/health says how well services are kept apart on this machine (the isolation status, as computed). */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { DbHandle } from "@/db/client";
import { GET } from "@/app/api/health/route";
import { isolationStatus } from "@/server/runtime/process/isolation-status";
import { createTestDb } from "../support/test-db";

type Global = typeof globalThis & { __slipwayDb?: Promise<DbHandle> };
let h: DbHandle;

beforeAll(async () => {
  h = await createTestDb();
  // The route finds the process's database here, as it does in the console.
  (globalThis as Global).__slipwayDb = Promise.resolve(h);
});
afterAll(async () => {
  delete (globalThis as Global).__slipwayDb;
  await h?.close();
});

it("reports the isolation level and its warnings", async () => {
  const res = await GET();
  expect(res.status).toBe(200);
  const body = (await res.json()) as { status: string; isolation: { level: string; warnings: string[] } };
  const expected = isolationStatus();
  expect(body.status).toBe("ok");
  expect(body.isolation).toEqual({ level: expected.level, warnings: expected.warnings });
  if (process.getuid?.() === 0) expect(body.isolation.level).not.toBe("none");
});
