/**
 * The built console says plainly when services are not kept apart as well as they could be: with the
 * sandbox off, the start log, /api/health and the header an owner sees name it. (Not running as root is
 * the same function's other input: tests/unit/isolation-status.test.ts.) Needs a production build.
 */
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { assertBuilt, makeTempDir, signIn, startServer, trpcClient, type ServerHandle } from "../support/server-process";

const EMAIL = "owner@example.test";
const PASSWORD = "isolation-warning-pass";
const tmp = makeTempDir("slipway-isolation-warning");
let server: ServerHandle | undefined;

beforeAll(() => assertBuilt());
afterAll(async () => {
  await server?.stop(5_000);
  tmp.remove();
});

it("names the missing sandbox in the log, on /api/health and in an owner's header", async () => {
  const s = await startServer({ dataDir: path.join(tmp.dir, "data"), env: { SLIPWAY_SANDBOX: "off", SLIPWAY_ADMIN_EMAIL: EMAIL, SLIPWAY_ADMIN_PASSWORD: PASSWORD } });
  server = s;
  const health = (await (await fetch(`${s.url}/api/health`)).json()) as { isolation: { level: string; warnings: string[] } };
  const root = process.getuid?.() === 0;
  expect(health.isolation.level).toBe(root ? "users-only" : "none");
  expect(health.isolation.warnings.join("\n")).toContain("SLIPWAY_SANDBOX=off");
  if (!root) expect(health.isolation.warnings.join("\n")).toContain("Services are not isolated from each other");

  const cookie = await signIn(s.url, EMAIL, PASSWORD);
  await trpcClient(s.url, { cookie }).organization.create.mutate({ name: "Iso", slug: "iso" });
  const page = await fetch(`${s.url}/orgs/new`, { headers: { cookie } });
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain('data-testid="isolation-warning"');
  expect(html).toContain("SLIPWAY_SANDBOX=off");

  expect(s.output()).toMatch(/\[slipway\] isolation: Builds and apps run without a sandbox: the sandbox is turned off \(SLIPWAY_SANDBOX=off\)/);
});
