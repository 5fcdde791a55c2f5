/**
 * The console is killed without warning (SIGKILL: OOM killer, power loss of the process, `kill -9`)
 * right after it acknowledged a write: on restart with the same data, the write is there. And when
 * the database cannot be opened or migrated, the process exits non-zero and says why instead of
 * serving errors.
 *
 * Needs a production build (`npm run build`); TEST_DATABASE_URL adds the PostgreSQL variants.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertBuilt,
  createScratchDatabase,
  freePort,
  makeTempDir,
  signIn,
  spawnServer,
  startServer,
  trpcClient,
  waitForExit,
  type ScratchDatabase,
} from "../support/server-process";

const EMAIL = "owner@example.test";
const PASSWORD = "durable-password-1";
const ADMIN_ENV = { SLIPWAY_ADMIN_EMAIL: EMAIL, SLIPWAY_ADMIN_PASSWORD: PASSWORD };
const PG_URL = process.env.TEST_DATABASE_URL;

// Each scenario starts the console three times; a new PGlite data folder alone takes 5–10 s.
const SCENARIO_TIMEOUT = 240_000;

beforeAll(() => {
  assertBuilt();
});

/**
 * Creates an org and a project, SIGKILLs the server the moment the mutation returns, restarts it on
 * the same data and checks the project is there; then once more, on the recovered database.
 */
async function killAfterWriteScenario(opts: { dataDir: string; databaseUrl?: string; expectDb: "pglite" | "postgres" }) {
  const base = { dataDir: opts.dataDir, databaseUrl: opts.databaseUrl, env: ADMIN_ENV };
  let server = await startServer(base);
  try {
    expect(server.health.db).toBe(opts.expectDb);
    const port = server.port;
    const cookie = await signIn(server.url, EMAIL, PASSWORD);
    const api = trpcClient(server.url, { cookie });
    const org = await api.organization.create.mutate({ name: "Durable Inc", slug: "durable" });
    const first = await api.project.create.mutate({ orgId: org.id, name: "survivor" });
    const killed = await server.kill("SIGKILL");
    expect(killed.signal).toBe("SIGKILL");

    // Same data, same port, as a supervisor would restart it.
    server = await startServer({ ...base, port });
    const fresh = trpcClient(server.url, { cookie: await signIn(server.url, EMAIL, PASSWORD) });
    expect((await fresh.organization.list.query()).map((o) => o.id)).toEqual([org.id]);
    expect((await fresh.project.list.query({ orgId: org.id })).map((p) => p.id)).toEqual([first.id]);
    // The AUTH_SECRET generated into the data folder survived too: the old session still works.
    expect(await trpcClient(server.url, { cookie }).viewer.me.query()).toMatchObject({ email: EMAIL });

    // Recovery left a working database: write again, kill again, and both writes are there.
    const second = await fresh.project.create.mutate({ orgId: org.id, name: "second-life" });
    await server.kill("SIGKILL");
    server = await startServer({ ...base, port });
    const again = trpcClient(server.url, { cookie: await signIn(server.url, EMAIL, PASSWORD) });
    const names = (await again.project.list.query({ orgId: org.id })).map((p) => p.name);
    expect(names).toEqual([first.name, second.name].sort());
    // The owner was created once: the seed does not run again on a non-empty database.
    expect(server.output()).not.toContain("created the owner account");
  } finally {
    await server.stop();
  }
}

describe("SIGKILL right after a write (PGlite)", () => {
  it(
    "keeps the organization and project across kill -9 and restart on the same data folder",
    async () => {
      const tmp = makeTempDir("slipway-kill");
      try {
        await killAfterWriteScenario({ dataDir: path.join(tmp.dir, "data"), expectDb: "pglite" });
      } finally {
        tmp.remove();
      }
    },
    SCENARIO_TIMEOUT,
  );
});

describe.skipIf(!PG_URL)("SIGKILL right after a write (PostgreSQL, TEST_DATABASE_URL)", () => {
  let db: ScratchDatabase | undefined;
  beforeAll(async () => {
    db = await createScratchDatabase(PG_URL ?? "", "slipway_kill");
  });
  afterAll(async () => {
    await db?.drop();
  });

  it(
    "keeps the organization and project across kill -9 and restart",
    async () => {
      const tmp = makeTempDir("slipway-kill-pg");
      try {
        await killAfterWriteScenario({ dataDir: path.join(tmp.dir, "data"), databaseUrl: db?.url, expectDb: "postgres" });
      } finally {
        tmp.remove();
      }
    },
    SCENARIO_TIMEOUT,
  );
});

describe("a database that cannot be opened or migrated stops the process", () => {
  const FAIL_TIMEOUT = 90_000;
  let tmp: ReturnType<typeof makeTempDir>;
  beforeAll(() => {
    tmp = makeTempDir("slipway-fail");
  });
  afterAll(() => tmp?.remove());

  it(
    "exits non-zero naming the cause when DATABASE_URL points at a closed port",
    async () => {
      const closed = await freePort();
      const server = await spawnServer({
        dataDir: path.join(tmp.dir, "closed-port"),
        databaseUrl: `postgres://slipway:secret@127.0.0.1:${closed}/slipway`,
        env: ADMIN_ENV,
      });
      const exit = await waitForExit(server, 60_000);
      expect(exit.code, server.output()).not.toBe(0);
      expect(server.output()).toMatch(/\[slipway\] cannot start: database migrations could not be applied: .*ECONNREFUSED/);
    },
    FAIL_TIMEOUT,
  );

  it(
    "exits non-zero naming the folder when the data folder cannot be created",
    async () => {
      // A regular file where a folder should be: unwritable even for root.
      const blocker = path.join(tmp.dir, "not-a-folder");
      fs.writeFileSync(blocker, "");
      const dataDir = path.join(blocker, "data");
      const server = await spawnServer({ dataDir, env: ADMIN_ENV });
      const exit = await waitForExit(server, 60_000);
      expect(exit.code, server.output()).not.toBe(0);
      expect(server.output()).toContain("[slipway] cannot start");
      expect(server.output()).toContain(dataDir);
    },
    FAIL_TIMEOUT,
  );

  it(
    "exits non-zero when the embedded database's schema conflicts with the migrations",
    async () => {
      // A PGlite data folder in which the first migration's first statement cannot run.
      const dataDir = path.join(tmp.dir, "conflicting-pglite");
      fs.mkdirSync(path.join(dataDir, "pgdata"), { recursive: true });
      const { PGlite } = await import("@electric-sql/pglite");
      const pg = await PGlite.create({ dataDir: path.join(dataDir, "pgdata") });
      await pg.exec(`create type "public"."deployment_status" as enum ('something-else')`);
      await pg.close();

      const server = await spawnServer({ dataDir, env: ADMIN_ENV });
      const exit = await waitForExit(server, 60_000);
      expect(exit.code, server.output()).not.toBe(0);
      expect(server.output()).toMatch(/\[slipway\] cannot start: database migrations could not be applied: type "deployment_status" already exists/);
    },
    FAIL_TIMEOUT,
  );

  it.skipIf(!PG_URL)(
    "exits non-zero when the PostgreSQL schema conflicts with the migrations",
    async () => {
      const db = await createScratchDatabase(PG_URL ?? "", "slipway_conflict");
      try {
        const { Client } = await import("pg");
        const c = new Client({ connectionString: db.url });
        await c.connect();
        await c.query(`create type "public"."deployment_status" as enum ('something-else')`);
        await c.end();
        const server = await spawnServer({ dataDir: path.join(tmp.dir, "conflicting-pg"), databaseUrl: db.url, env: ADMIN_ENV });
        const exit = await waitForExit(server, 60_000);
        expect(exit.code, server.output()).not.toBe(0);
        expect(server.output()).toMatch(/\[slipway\] cannot start: database migrations could not be applied: type "deployment_status" already exists/);
      } finally {
        await db.drop();
      }
    },
    FAIL_TIMEOUT,
  );
});
