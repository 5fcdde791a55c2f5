/**
 * The live tail against the built console (scripts/console-server.mjs), as a browser or the CLI sees it: hello-node
 * is deployed, 10,000 requests go through the router (one log line each), and a subscriber reading
 * `logs.watch` over SSE is cut off in the middle, reconnects with `Last-Event-ID`, and ends with every
 * line exactly once, in order — checked against the stored lines.
 * With TEST_DATABASE_URL, two consoles share a PostgreSQL: one runs the app, the subscriber reads from
 * the other (SLIPWAY_ENGINE=off), so the lines reach it through LISTEN/NOTIFY.
 */
import crypto from "node:crypto";
import http from "node:http";
import path from "node:path";
import superjson from "superjson";
import { afterAll, beforeAll, expect, it } from "vitest";
import { assertBuilt, createScratchDatabase, freePort, makeTempDir, signIn, startServer, trpcClient, type ScratchDatabase, type ServerHandle } from "../support/server-process";
import { EXAMPLES } from "../support/examples";
import { waitForDeploymentEnd } from "../support/sse";
import { readLogStream, type Received } from "../support/log-events";

const PG_URL = process.env.TEST_DATABASE_URL;
const EMAIL = "owner@example.test";
const PASSWORD = "logs-resume-pass-1";
const TOTAL = 10_000;
const tmp = makeTempDir("slipway-logs-");
let db: ScratchDatabase | undefined;
const servers: ServerHandle[] = [];

beforeAll(() => assertBuilt());
afterAll(async () => {
  for (const s of servers) await s.stop(5_000);
  await db?.drop();
  tmp.remove();
});

/** Sends `total` GETs through the router, `concurrency` at a time on keep-alive connections. */
async function sendRequests(routerPort: number, host: string, total: number, concurrency: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const n = next++;
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.get({ host: "127.0.0.1", port: routerPort, path: `/?n=${n}`, headers: { host }, agent }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        });
        req.on("error", reject);
      });
      if (status !== 200) throw new Error(`request ${n}: HTTP ${status}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
}

it("resumes the live tail by last event id across a forced disconnect in the middle of 10,000 request lines", async () => {
  const common = { SLIPWAY_ADMIN_EMAIL: EMAIL, SLIPWAY_ADMIN_PASSWORD: PASSWORD, AUTH_SECRET: crypto.randomBytes(24).toString("base64url"), SLIPWAY_HEALTH_TIMEOUT_MS: "30000" };
  const routerPort = await freePort();
  if (PG_URL) db = await createScratchDatabase(PG_URL, "slipway_logs");
  const runner = await startServer({ dataDir: path.join(tmp.dir, "a"), databaseUrl: db?.url, env: { ...common, SLIPWAY_ROUTER_PORT: String(routerPort) } });
  servers.push(runner);
  // On PostgreSQL the subscriber reads from a second console that runs nothing itself.
  const reader = db ? await startServer({ dataDir: path.join(tmp.dir, "b"), databaseUrl: db.url, env: { ...common, SLIPWAY_ENGINE: "off" } }) : runner;
  if (reader !== runner) servers.push(reader);
  const cookie = await signIn(reader.url, EMAIL, PASSWORD);
  const api = trpcClient(reader.url, { cookie });

  const org = await api.organization.create.mutate({ name: "Logs", slug: "logs" });
  const project = await api.project.create.mutate({ orgId: org.id, name: "shop" });
  const env = await api.environment.create.mutate({ projectId: project.id, name: "staging", mode: "staging" });
  const svc = await api.service.create.mutate({
    environmentId: env.id,
    name: "web",
    type: "application",
    spec: { source: { path: path.join(EXAMPLES, "hello-node") }, port: 8080, healthcheck: { path: "/healthz" } },
  });
  const runnerApi = trpcClient(runner.url, { cookie: await signIn(runner.url, EMAIL, PASSWORD) });
  const deployment = await runnerApi.deployment.create.mutate({ environmentId: env.id, serviceId: svc.id });
  const done = await waitForDeploymentEnd({ baseUrl: runner.url, deploymentId: deployment.id, cookie });
  expect(`${done.deployment.status} ${done.deployment.message ?? ""}`.trim()).toMatch(/^DEPLOYED/);

  // Start after everything stored so far: the newest stored line's id.
  const before = await api.logs.history.query({ serviceId: svc.id, limit: 1 });
  const startId = String(before.lines.at(-1)?.id ?? 0);
  const url = `${reader.url}/api/trpc/logs.watch?input=${encodeURIComponent(JSON.stringify(superjson.serialize({ serviceId: svc.id, lastEventId: startId })))}`;
  const headers = { cookie, accept: "text/event-stream" };
  const received: Received[] = [];
  const seen = new Map<number, number>();
  const requestN = (r: Received) => (r.event.type === "line" ? /^GET \/\?n=(\d+) 200$/.exec(r.event.line)?.[1] : undefined);
  let stop = () => {};
  const take = (r: Received) => {
    received.push(r);
    const n = requestN(r);
    if (n !== undefined) seen.set(Number(n), (seen.get(Number(n)) ?? 0) + 1);
    if (seen.size === 4_000 && n !== undefined) stop();
    if (seen.size === TOTAL) stop();
  };

  const first = new AbortController();
  stop = () => first.abort();
  const res1 = await fetch(url, { headers, signal: first.signal });
  expect(res1.status).toBe(200);
  const reading1 = readLogStream(res1, take, first.signal);
  // Settles either way, so a failure below never leaves it running unobserved.
  const sending = sendRequests(routerPort, "web.staging.shop.logs.localhost", TOTAL, 16).then(
    () => null,
    (err: unknown) => err,
  );
  await reading1;
  // Cut in the middle (at the end of the event that carried the 4,000th line): requests are still being sent.
  expect(seen.size).toBeGreaterThanOrEqual(4_000);
  expect(seen.size).toBeLessThan(TOTAL);

  const second = new AbortController();
  stop = () => second.abort();
  const res2 = await fetch(url, { headers: { ...headers, "last-event-id": received[received.length - 1].id }, signal: second.signal });
  expect(res2.status).toBe(200);
  const [, sendError] = await Promise.all([readLogStream(res2, take, second.signal), sending]);
  expect(sendError).toBeNull();

  expect(seen.size).toBe(TOTAL);
  expect([...seen.values()].every((count) => count === 1)).toBe(true);
  expect(received.some((r) => r.event.type === "skipped")).toBe(false);
  // Exactly the stored lines between the start and the last one received, in id order.
  const lastId = Number(received[received.length - 1].id);
  const stored: number[] = [];
  let afterId = Number(startId);
  for (;;) {
    const page = await api.logs.history.query({ serviceId: svc.id, direction: "forward", afterId, limit: 5000 });
    const ids = page.lines.map((l) => l.id).filter((id) => id <= lastId);
    stored.push(...ids);
    if (ids.length < page.lines.length || !page.more) break;
    afterId = ids[ids.length - 1];
  }
  expect(received.map((r) => Number(r.id))).toEqual(stored);
}, 300_000);
