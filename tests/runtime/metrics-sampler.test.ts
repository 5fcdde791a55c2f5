/**
 * The sampler against real processes and real router traffic: a busy instance shows CPU and memory,
 * requests through the router show up as request, error and latency figures, and every tick is stored
 * and announced on the bus.
 */
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, asc, eq } from "drizzle-orm";
import type { DbHandle } from "@/db/client";
import { metricSamples } from "@/db/schema";
import { bus } from "@/server/engine/event-bus";
import { Supervisor, allocatePort } from "@/server/runtime/process/supervisor";
import { HttpRouter } from "@/server/runtime/process/router/http-router";
import { MetricsSampler } from "@/server/metrics/sampler";
import { toPoint } from "@/server/metrics/sample-math";
import { createTestDb } from "../support/test-db";
import { actorOf, callerFor, makeUser } from "../support/actors";
import { instanceSpec, makeRuntimeDirs, nodeCommand, SupervisorRecorder, writeApp, type RuntimeDirs } from "../support/runtime-apps";

// Burns ~40 ms of CPU every 50 ms (and says so every 5 rounds), holds ~30 MB, answers by path.
const BUSY_APP = `
const http = require("node:http");
const hold = Buffer.alloc(30 * 1024 * 1024, 1);
let rounds = 0;
setInterval(() => {
  const end = Date.now() + 40;
  while (Date.now() < end);
  if (++rounds % 5 === 0) console.log("burned " + rounds + " " + hold.length);
}, 50);
http.createServer((req, res) => {
  if (req.url === "/healthz" || req.url === "/") return res.end("ok");
  if (req.url === "/boom") { res.statusCode = 500; return res.end("boom"); }
  res.statusCode = 404; res.end("missing");
}).listen(Number(process.env.PORT), "127.0.0.1");
`;

let h: DbHandle;
let dirs: RuntimeDirs;
let supervisor: Supervisor;
let router: HttpRouter;
let serviceId: string;
let crashingId: string;

beforeAll(async () => {
  h = await createTestDb();
  const api = callerFor(h.db, actorOf(await makeUser(h.db)));
  const org = await api.organization.create({ name: "sampler", slug: "sampler" });
  const project = await api.project.create({ orgId: org.id, name: "shop" });
  const env = await api.environment.create({ projectId: project.id, name: "staging", mode: "staging" });
  serviceId = (await api.service.create({ environmentId: env.id, name: "web", type: "application", spec: { source: { path: "./examples/hello-node" }, port: 8080 } })).id;
  crashingId = (await api.service.create({ environmentId: env.id, name: "crashy", type: "worker", spec: { source: { path: "./examples/worker" } } })).id;
  dirs = makeRuntimeDirs("metrics");
  writeApp(dirs, "busy.cjs", BUSY_APP);
  writeApp(dirs, "crash.cjs", `setTimeout(() => process.exit(1), 100);`);
  supervisor = new Supervisor();
  router = new HttpRouter({ port: 0 });
  await router.start();
});

afterAll(async () => {
  await supervisor?.stopAll({ graceMs: 500 });
  await router?.stop();
  dirs?.remove();
  await h?.close();
});

describe("MetricsSampler", () => {
  it("samples CPU and RSS of a busy instance and the router's requests, errors and latency", async () => {
    const recorder = new SupervisorRecorder(supervisor);
    const port = await allocatePort();
    const spec = instanceSpec(dirs, { command: nodeCommand(`${dirs.build}/busy.cjs`), serviceId, port, health: { path: "/healthz", timeoutMs: 15_000 } });
    supervisor.start(spec);
    await recorder.state(spec.instanceId, "running");
    router.setRoute("web.staging.shop.localhost", [{ id: spec.instanceId, port }], { serviceId, serviceName: "web" });

    const sampler = new MetricsSampler({ db: h.db, intervalMs: 1_000, source: { instances: () => supervisor.list(), routerMetrics: (id) => router.metrics(id) } });
    const announced: number[] = [];
    const off = bus.on("metrics", (e) => announced.push(e.at));

    const burned = () => recorder.lines(spec.instanceId).filter((l) => l.startsWith("burned")).length;
    await recorder.until("the app to burn CPU", () => burned() >= 1);
    const [first] = await sampler.tick();
    expect(first.serviceId).toBe(serviceId);
    expect(first.instances).toBe(1);
    expect(first.cpu).toBeGreaterThan(0);
    expect(first.rss).toBeGreaterThan(30 * 1024 * 1024);
    expect(first.perInstance).toEqual([expect.objectContaining({ id: spec.instanceId })]);

    // Traffic through the router: 20 OK, 3 not found, 2 server errors.
    // node:http, not fetch: fetch drops a Host header it is given.
    const get = (path: string) =>
      new Promise<number>((resolve, reject) => {
        http
          .get({ host: "127.0.0.1", port: router.port, path, headers: { host: "web.staging.shop.localhost" } }, (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          })
          .on("error", reject);
      });
    for (let i = 0; i < 20; i++) await get("/");
    for (let i = 0; i < 3; i++) await get("/nope");
    for (let i = 0; i < 2; i++) await get("/boom");
    // At least 10 more busy rounds (~400 ms of CPU) since the first tick: CPU must show in the difference.
    const before = burned();
    await recorder.until("more CPU burned", () => burned() >= before + 2);
    const [second] = await sampler.tick();
    expect(second).toMatchObject({ serviceId, requests: 25, status4xx: 3, status5xx: 2, instances: 1, restarts: 0 });
    expect(second.cpu).toBeGreaterThan(0);
    expect(second.rss).toBeGreaterThan(30 * 1024 * 1024);
    const point = toPoint(0, second);
    expect(point.p50).toBeGreaterThan(0);
    expect(point.p99).toBeGreaterThanOrEqual(point.p50);
    expect(point.rps).toBeGreaterThan(0);

    // No new traffic: the next difference is empty.
    const [third] = await sampler.tick();
    expect(third.requests).toBe(0);

    const stored = await h.db.select().from(metricSamples).where(and(eq(metricSamples.serviceId, serviceId), eq(metricSamples.tier, 0))).orderBy(asc(metricSamples.bucketStart));
    expect(stored.map((r) => r.requests)).toEqual([0, 25, 0]);
    expect(announced).toHaveLength(3);
    off();

    // A stopped service keeps its rows, with no instances.
    await supervisor.stop(spec.instanceId, { graceMs: 500 });
    const [stopped] = await sampler.tick();
    expect(stopped).toMatchObject({ serviceId, instances: 0, cpu: 0, rss: 0 });
  });

  it("counts each restart once, whatever state each tick catches the instance in", async () => {
    const recorder = new SupervisorRecorder(supervisor);
    const spec = instanceSpec(dirs, { command: nodeCommand(`${dirs.build}/crash.cjs`), serviceId: crashingId, health: { stableMs: 50 } });
    supervisor.start(spec);
    const sampler = new MetricsSampler({ db: h.db, intervalMs: 1_000, source: { instances: () => supervisor.list(), routerMetrics: (id) => router.metrics(id) } });
    const restartsNow = () => supervisor.get(spec.instanceId)?.restarts ?? 0;
    let counted = 0;
    for (const atLeast of [1, 2]) {
      await recorder.until(`restart ${atLeast}`, () => restartsNow() >= atLeast);
      // tick() reads the supervisor synchronously, before its first await: nothing can happen in between.
      const expected = restartsNow();
      const row = (await sampler.tick()).find((r) => r.serviceId === crashingId);
      counted += row?.restarts ?? 0;
      // Whatever state the tick caught it in (running, backoff), the sum is the supervisor's count.
      expect(counted).toBe(expected);
    }
    await supervisor.stop(spec.instanceId, { graceMs: 200 });
  });
});
