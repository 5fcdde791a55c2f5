import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db/client";
import { createTestDb } from "../support/test-db";
import { EXAMPLES, getVia, makeEnvironment, startTestEngine, waitForDeployment } from "../support/engine-harness";

let h: DbHandle;
let rt: Awaited<ReturnType<typeof startTestEngine>>;
beforeAll(async () => {
  h = await createTestDb();
  rt = await startTestEngine(h, { healthTimeoutMs: 20_000 });
});
afterAll(async () => {
  await rt?.stop();
  await h?.close();
});

describe("deploying real apps through the process runtime", () => {
  it("deploys hello-node, keeps it serving through failed deployments, and rolls back", async () => {
    const { api, env, hostname } = await makeEnvironment(h);
    const HOST = hostname("web");
    const spec = { source: { path: path.join(EXAMPLES, "hello-node") }, port: 8080, healthcheck: { path: "/healthz" }, instances: { min: 2, max: 2 }, env: { GREETING: "hi from slipway" } };
    const svc = await api.service.create({ environmentId: env.id, name: "web", type: "application", spec });
    const first = await api.deployment.create({ environmentId: env.id });
    const done = await waitForDeployment(h, first.id);
    expect(done.status, `${done.message} ${done.hint}`).toBe("DEPLOYED");
    expect(await getVia(rt.runtime.router.port, HOST)).toEqual({ status: 200, body: "hi from slipway\n" });

    const events = await api.deployment.events({ deploymentId: first.id });
    expect(events.map((e) => e.stage)).toEqual(expect.arrayContaining(["precheck", "build", "deploy", "health", "traffic", "finish"]));
    const status = await api.runtime.status({ environmentId: env.id });
    expect(status.services[0]).toMatchObject({ name: "web", status: "RUNNING" });
    expect(status.services[0].instances).toHaveLength(2);

    // Hammer the old version while a broken one is deployed over it: every request must succeed.
    let failures = 0;
    let served = 0;
    let stop = false;
    const load = (async () => {
      while (!stop) {
        const r = await getVia(rt.runtime.router.port, HOST).catch(() => ({ status: 0, body: "" }));
        if (r.status === 200 && r.body === "hi from slipway\n") served++;
        else failures++;
      }
    })();
    for (const broken of ["exits-at-start", "never-healthy"]) {
      await api.service.update({ serviceId: svc.id, spec: { ...spec, source: { path: path.join(EXAMPLES, broken) } } });
      const d = await api.deployment.create({ environmentId: env.id, serviceId: svc.id });
      const end = await waitForDeployment(h, d.id);
      expect(end.status).toBe("DEPLOYMENT_ERROR");
      expect(end.message).toMatch(broken === "exits-at-start" ? /crashed at start: it exited with code 1/ : /did not pass its health check on \$PORT=\d+ within 20 s/);
      expect(end.message).toMatch(/previous version keeps serving/);
      expect(end.hint ?? "").toContain("last log lines");
    }
    stop = true;
    await load;
    expect(failures).toBe(0);
    expect(served).toBeGreaterThan(10);

    // Rollback to the first deployment reuses its build.
    const rb = await api.deployment.rollback({ deploymentId: first.id });
    const rolled = await waitForDeployment(h, rb.id);
    expect(rolled.status).toBe("DEPLOYED");
    const rbEvents = await api.deployment.events({ deploymentId: rb.id });
    expect(rbEvents.some((e) => /reusing build/.test(e.message))).toBe(true);
    expect((await getVia(rt.runtime.router.port, HOST)).status).toBe(200);
  });

  it("fails the pre-check at once for a missing folder and leaves nothing half-deployed", async () => {
    const { api, env } = await makeEnvironment(h, "precheck-org");
    // Under an allowed source root (the temp folder), so that only its absence fails the pre-check.
    const ghost = path.join(os.tmpdir(), "slipway-nope", "not-here");
    await api.service.create({ environmentId: env.id, name: "ghost", type: "application", spec: { source: { path: ghost }, port: 80 } });
    const d = await api.deployment.create({ environmentId: env.id });
    const end = await waitForDeployment(h, d.id);
    expect(end.status).toBe("DEPLOYMENT_ERROR");
    expect(end.message).toContain(`source folder ${ghost} does not exist`);
    const status = await api.runtime.status({ environmentId: env.id });
    expect(status.services[0].status).toBe("NOT_DEPLOYED");
  });

  it("gives two organizations with the same project, environment and service names their own hostnames", async () => {
    const deployed = [];
    for (const [slug, greeting] of [["twin-a", "from a"], ["twin-b", "from b"]]) {
      const { api, env, hostname } = await makeEnvironment(h, slug);
      const spec = { source: { path: path.join(EXAMPLES, "hello-node") }, port: 8080, healthcheck: { path: "/healthz" }, env: { GREETING: greeting } };
      await api.service.create({ environmentId: env.id, name: "web", type: "application", spec });
      const d = await api.deployment.create({ environmentId: env.id });
      const end = await waitForDeployment(h, d.id);
      expect(end.status, `${end.message} ${end.hint}`).toBe("DEPLOYED");
      const status = await api.runtime.status({ environmentId: env.id });
      expect(status.services[0].url).toBe(`http://${hostname("web")}:${process.env.SLIPWAY_ROUTER_PORT ?? 8000}`);
      deployed.push({ host: hostname("web"), greeting });
    }
    expect(deployed[0].host).toBe("web.staging.shop.twin-a.localhost");
    expect(deployed[1].host).toBe("web.staging.shop.twin-b.localhost");
    for (const { host, greeting } of deployed) expect(await getVia(rt.runtime.router.port, host)).toEqual({ status: 200, body: `${greeting}\n` });
    expect((await getVia(rt.runtime.router.port, "web.staging.shop.localhost")).status).toBe(404);
  });
});
