import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { DbHandle } from "@/db/client";
import { busWaiter } from "@/server/engine/bus-waiter";
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

// The slow build's command, unique to this run: the leftover check scans every process on the machine,
// and other test files (running at the same time) start their own `sleep 300`.
const SLOW_SECONDS = `300.${process.pid}`;

it("cancels a running deployment (killing its build) and a queued one, keeping the old version; delete stops everything", async () => {
  const { api, env, hostname } = await makeEnvironment(h);
  const HOST = hostname("web");
  const spec = { source: { path: path.join(EXAMPLES, "hello-node") }, port: 8080, healthcheck: { path: "/healthz" } };
  const svc = await api.service.create({ environmentId: env.id, name: "web", type: "application", spec });
  const first = await api.deployment.create({ environmentId: env.id });
  expect((await waitForDeployment(h, first.id)).status).toBe("DEPLOYED");

  await api.service.update({ serviceId: svc.id, spec: { ...spec, build: { command: `sleep ${SLOW_SECONDS}` } } });
  const slow = await api.deployment.create({ environmentId: env.id });
  // A second, different request waits behind it in the queue.
  await api.service.update({ serviceId: svc.id, spec: { ...spec, build: { command: "sleep 301" } } });
  const queued = await api.deployment.create({ environmentId: env.id });
  expect(queued.id).not.toBe(slow.id);

  // Wait (on the bus) until the slow one is building.
  const waiter = busWaiter(["deployment"], (_n, p) => p.deploymentId === slow.id);
  try {
    while ((await api.deployment.get({ deploymentId: slow.id })).status !== "BUILDING") await waiter.wait(AbortSignal.timeout(30_000));
  } finally {
    waiter.close();
  }
  expect(await api.deployment.cancel({ deploymentId: queued.id })).toEqual({ id: queued.id, status: "CANCELED" });
  expect(await api.deployment.cancel({ deploymentId: slow.id })).toEqual({ id: slow.id, status: "CANCELING" });
  const canceled = await waitForDeployment(h, slow.id, 30_000);
  expect(canceled.status).toBe("CANCELED");
  expect((await getVia(rt.runtime.router.port, HOST)).body).toBe("hello\n");
  // The killed build left no sleep behind.
  const sleeps = fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p) && (() => {
    try {
      return fs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes(`sleep\u0000${SLOW_SECONDS}`);
    } catch {
      return false;
    }
  })());
  expect(sleeps).toEqual([]);
  // A canceled deployment cannot be canceled again.
  await expect(api.deployment.cancel({ deploymentId: slow.id })).rejects.toMatchObject({ code: "CONFLICT" });

  // Delete: processes stop, the route goes, builds are removed.
  const status = await api.runtime.status({ environmentId: env.id });
  const pids = (await h.db.query.serviceRuntime.findFirst({ where: (t, { eq }) => eq(t.serviceId, svc.id) }))?.instances.map((i) => i.pid) ?? [];
  expect(status.services[0].status).toBe("RUNNING");
  await api.service.delete({ serviceId: svc.id });
  expect((await getVia(rt.runtime.router.port, HOST)).status).toBe(404);
  for (const pid of pids) {
    if (pid === null) continue;
    expect(() => process.kill(pid, 0)).toThrow();
  }
  expect(fs.existsSync(path.join(rt.root, "work", "builds", svc.id))).toBe(false);
});
