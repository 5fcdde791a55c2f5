/**
 * PostgreSQL restarted under two consoles. Console A runs a worker that prints a counter every 20 ms;
 * console B (engine off) tails its log over SSE, so every line reaches B through the event bridge
 * (LISTEN/NOTIFY). A private cluster is restarted (`pg_ctl restart -m fast`: every connection cut)
 * while the worker keeps printing. B's tail must go on with every line: counters contiguous, in order,
 * no duplicates — A retried what it could not store while the database was away, B's bridge reconnected
 * and re-read from its last id. A status stream opened on B before the restart must see a change made
 * through A after it. Each bridge logs the outage once, not per retry.
 */
import crypto from "node:crypto";
import path from "node:path";
import superjson from "superjson";
import { afterAll, beforeAll, expect, it } from "vitest";
import { assertBuilt, freePort, makeTempDir, signIn, startServer, trpcClient, type ServerHandle } from "../support/server-process";
import { EXAMPLES } from "../support/examples";
import { waitForDeploymentEnd, waitForPushed } from "../support/sse";
import { readLogStream, type Received } from "../support/log-events";
import { privatePostgresUnavailable, startPrivatePostgres, type PrivatePostgres } from "../support/private-postgres";

const EMAIL = "owner@example.test";
const PASSWORD = "pg-restart-pass-1";
const unavailable = privatePostgresUnavailable();
const tmp = makeTempDir("slipway-pgrestart-");
let pg: PrivatePostgres | undefined;
const servers: ServerHandle[] = [];

beforeAll(() => assertBuilt());
afterAll(async () => {
  for (const s of servers) await s.stop(5_000);
  pg?.remove();
  tmp.remove();
});

/** Resolves when `ok()` holds (checked every 50 ms); fails after `ms` saying what it waited for. */
async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

it.skipIf(unavailable !== null)("a live tail through the other console resumes with every line after PostgreSQL restarts", async () => {
  pg = startPrivatePostgres({ port: await freePort() });
  const url = await pg.createDatabase("slipway");
  const common = { SLIPWAY_ADMIN_EMAIL: EMAIL, SLIPWAY_ADMIN_PASSWORD: PASSWORD, AUTH_SECRET: crypto.randomBytes(24).toString("base64url"), SLIPWAY_HEALTH_TIMEOUT_MS: "30000" };
  const a = await startServer({ dataDir: path.join(tmp.dir, "a"), databaseUrl: url, env: { ...common, SLIPWAY_NODE_ID: "console-a" } });
  servers.push(a);
  const b = await startServer({ dataDir: path.join(tmp.dir, "b"), databaseUrl: url, env: { ...common, SLIPWAY_ENGINE: "off" } });
  servers.push(b);
  const [cookieA, cookieB] = [await signIn(a.url, EMAIL, PASSWORD), await signIn(b.url, EMAIL, PASSWORD)];
  const apiA = trpcClient(a.url, { cookie: cookieA });

  const org = await apiA.organization.create.mutate({ name: "Restart", slug: "restart" });
  const project = await apiA.project.create.mutate({ orgId: org.id, name: "chatty" });
  const env = await apiA.environment.create.mutate({ projectId: project.id, name: "staging", mode: "staging" });
  const printer = `node -e 'let n = 0; setInterval(() => console.log("n=" + ++n), 20)'`;
  const svc = await apiA.service.create.mutate({ environmentId: env.id, name: "printer", type: "worker", spec: { source: { path: path.join(EXAMPLES, "worker") }, run: { command: printer } } });
  const deployment = await apiA.deployment.create.mutate({ environmentId: env.id, serviceId: svc.id });
  const done = await waitForDeploymentEnd({ baseUrl: a.url, deploymentId: deployment.id, cookie: cookieA });
  expect(`${done.deployment.status} ${done.deployment.message ?? ""}`.trim()).toMatch(/^DEPLOYED/);

  // B's status stream, open across the restart: it must see the stop made through A afterwards.
  const stopped = waitForPushed<{ services: { id: string; status: string }[] }>({
    baseUrl: b.url,
    path: "runtime.watchStatus",
    input: { environmentId: env.id },
    headers: { cookie: cookieB },
    done: (v) => v.services.some((s) => s.id === svc.id && s.status === "STOPPED"),
    timeoutMs: 180_000,
  });
  stopped.catch(() => {});

  // B's live tail, from the start of the log; a stream that ends is resumed from its last id, as clients do.
  const counters: number[] = [];
  const ids: number[] = [];
  let resumes = 0;
  let lastId = "0";
  const tailAbort = new AbortController();
  const take = (r: Received) => {
    lastId = r.id;
    if (r.event.type !== "line") return;
    ids.push(r.event.id);
    const m = /^n=(\d+)$/.exec(r.event.line);
    if (m) counters.push(Number(m[1]));
  };
  const tailing = (async () => {
    while (!tailAbort.signal.aborted) {
      const input = superjson.serialize({ serviceId: svc.id, lastEventId: lastId, tail: 0 });
      try {
        const res = await fetch(`${b.url}/api/trpc/logs.watch?input=${encodeURIComponent(JSON.stringify(input))}`, { headers: { cookie: cookieB, accept: "text/event-stream" }, signal: tailAbort.signal });
        await readLogStream(res, take, tailAbort.signal);
      } catch {
        // cut off (the console could not reach the database for a moment): resume below
      }
      if (!tailAbort.signal.aborted) {
        resumes++;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  })();

  await until("B's tail to show 50 counter lines", () => counters.length >= 50, 60_000);
  const atRestart = counters[counters.length - 1];
  pg.restart();
  // Lines printed during the outage, and 300 more after it, all through B.
  await until("B's tail to carry on 300 lines past the restart", () => counters.length > 0 && counters[counters.length - 1] >= atRestart + 300 + 100, 90_000);
  tailAbort.abort();
  await tailing;

  const first = counters[0];
  expect(counters).toEqual(Array.from({ length: counters.length }, (_, i) => first + i));
  for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]);
  // A stored nothing as dropped: the batches of the outage were retried.
  expect(a.output()).not.toMatch(/log line\(s\) dropped|dropping log lines/);

  await apiA.runtime.stop.mutate({ serviceId: svc.id });
  await stopped;

  for (const s of [a, b]) {
    expect(s.output().match(/event bridge: lost the database connection/g) ?? []).toHaveLength(1);
    expect(s.output().match(/event bridge: reconnected after/g) ?? []).toHaveLength(1);
  }
  const health = (await (await fetch(`${b.url}/api/health`)).json()) as { status: string };
  expect(health.status).toBe("ok");
  // The streams stayed open through the outage (their reads waited it out): no client-side resume was needed.
  expect(resumes).toBe(0);
  console.log(`pg-restart: ${counters.length} lines through B (counters ${first}…${counters.at(-1)}), restart at ${atRestart}, tail resumed ${resumes} time(s)`);
}, 300_000);
