/**
 * Two console processes share one PostgreSQL; 20 deploy requests arrive through both. Every
 * deployment runs exactly once (claimed with FOR UPDATE SKIP LOCKED) and ends DEPLOYED.
 * Needs a production build and TEST_DATABASE_URL.
 */
import crypto from "node:crypto";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { assertBuilt, createScratchDatabase, makeTempDir, signIn, startServer, trpcClient, type ScratchDatabase, type ServerHandle } from "../support/server-process";
import { EXAMPLES } from "../support/examples";
import { waitForDeploymentEnd } from "../support/sse";

const PG_URL = process.env.TEST_DATABASE_URL;
const EMAIL = "owner@example.test";
const PASSWORD = "two-consoles-pass-1";
const tmp = makeTempDir("slipway-two-");
let db: ScratchDatabase | undefined;
const servers: ServerHandle[] = [];

beforeAll(() => assertBuilt());
afterAll(async () => {
  for (const s of servers) await s.stop(5_000);
  await db?.drop();
  tmp.remove();
});

it.skipIf(!PG_URL)("runs each of 20 deployments exactly once across two consoles", async () => {
  db = await createScratchDatabase(PG_URL as string, "slipway_two");
  const secret = crypto.randomBytes(24).toString("base64url");
  const common = { SLIPWAY_ADMIN_EMAIL: EMAIL, SLIPWAY_ADMIN_PASSWORD: PASSWORD, AUTH_SECRET: secret, SLIPWAY_HEALTH_TIMEOUT_MS: "20000" };
  // Start one first so the migrations and the owner exist before the second opens the database.
  servers.push(await startServer({ dataDir: path.join(tmp.dir, "a"), databaseUrl: db.url, env: { ...common, SLIPWAY_NODE_ID: "console-a" } }));
  servers.push(await startServer({ dataDir: path.join(tmp.dir, "b"), databaseUrl: db.url, env: { ...common, SLIPWAY_NODE_ID: "console-b" } }));
  const cookies = await Promise.all(servers.map((s) => signIn(s.url, EMAIL, PASSWORD)));
  const apis = servers.map((s, i) => trpcClient(s.url, { cookie: cookies[i] }));

  const org = await apis[0].organization.create.mutate({ name: "Twins", slug: "twins" });
  const project = await apis[0].project.create.mutate({ orgId: org.id, name: "fleet" });
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) {
    const api = apis[i % 2];
    const env = await api.environment.create.mutate({ projectId: project.id, name: `env-${i}`, mode: "staging" });
    await api.service.create.mutate({ environmentId: env.id, name: "worker", type: "worker", spec: { source: { path: path.join(EXAMPLES, "worker") } } });
    ids.push((await api.deployment.create.mutate({ environmentId: env.id })).id);
  }

  // Each deployment's live stream (served by either console) must reach a terminal status.
  const results = await Promise.all(
    ids.map((id, i) =>
      waitForDeploymentEnd({ baseUrl: servers[(i + 1) % 2].url, deploymentId: id, cookie: cookies[(i + 1) % 2], timeoutMs: 180_000 }),
    ),
  );
  expect(results.map((r) => `${r.deployment.status} ${r.deployment.message ?? ""}`.trim()).filter((s) => !s.startsWith("DEPLOYED"))).toEqual([]);

  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const runs = await client.query<{ run_count: number; claimed_by: string; finishes: string }>(
      `select d.run_count, d.claimed_by,
              (select count(*) from deployment_events e where e.deployment_id = d.id and e.step = 'deployed') as finishes
         from deployments d where d.id = any($1::uuid[])`,
      [ids],
    );
    expect(runs.rows).toHaveLength(20);
    for (const r of runs.rows) {
      expect(r.run_count).toBe(1);
      expect(Number(r.finishes)).toBe(1);
    }
    const consoles = new Set(runs.rows.map((r) => r.claimed_by.split("/")[0]));
    // Both processes took work from the shared queue.
    expect([...consoles].sort()).toEqual(["console-a", "console-b"]);
  } finally {
    await client.end();
  }
}, 300_000);
