/**
 * The console is SIGKILLed in the middle of a deployment. On restart (same data folder) the
 * deployment ends with a reason, services whose desired state is running answer again, and no
 * process from the killed console is left behind. Needs a production build.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { assertBuilt, freePort, makeTempDir, signIn, startServer, trpcClient, type ServerHandle } from "../support/server-process";
import { EXAMPLES, getVia } from "../support/examples";
import { waitForPushed } from "../support/sse";

const EMAIL = "owner@example.test";
const PASSWORD = "recovery-password-1";
const tmp = makeTempDir("slipway-recovery-");
let server: ServerHandle | undefined;

beforeAll(() => assertBuilt());
afterAll(async () => {
  await server?.stop(5_000);
  tmp.remove();
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

it("recovers from SIGKILL mid-deployment within 30 s", async () => {
  const routerPort = await freePort();
  const base = {
    dataDir: path.join(tmp.dir, "data"),
    env: {
      SLIPWAY_ADMIN_EMAIL: EMAIL,
      SLIPWAY_ADMIN_PASSWORD: PASSWORD,
      SLIPWAY_ROUTER_PORT: String(routerPort),
      SLIPWAY_WORK_DIR: path.join(tmp.dir, "work"),
      SLIPWAY_NODE_ID: "recovery-node",
    },
  };
  fs.chmodSync(tmp.dir, 0o755);
  server = await startServer(base);
  let api = trpcClient(server.url, { cookie: await signIn(server.url, EMAIL, PASSWORD) });
  const org = await api.organization.create.mutate({ name: "Recover", slug: "recover" });
  const project = await api.project.create.mutate({ orgId: org.id, name: "shop" });
  const env = await api.environment.create.mutate({ projectId: project.id, name: "staging", mode: "staging" });
  const spec = { source: { path: path.join(EXAMPLES, "hello-node") }, port: 8080, healthcheck: { path: "/healthz" } };
  const svc = await api.service.create.mutate({ environmentId: env.id, name: "web", type: "application", spec });

  let cookie = await signIn(server.url, EMAIL, PASSWORD);
  // Waits on the deployment's live stream (SSE) for a status: no sleeps, no polling.
  const waitStatus = async (id: string, wanted: (s: string) => boolean, timeoutMs: number) => {
    const pushed = await waitForPushed<{ deployment: { status: string; message: string | null } }>({
      baseUrl: server!.url,
      path: "deployment.watch",
      input: { deploymentId: id },
      headers: { cookie },
      done: (v) => wanted(v.deployment.status),
      timeoutMs,
    });
    return pushed.deployment;
  };
  const first = await api.deployment.create.mutate({ environmentId: env.id });
  await waitStatus(first.id, (s) => s === "DEPLOYED", 60_000);
  expect((await getVia(routerPort, "web.staging.shop.recover.localhost")).body).toBe("hello\n");
  // The router is the console's own (JavaScript) data plane, listening on the port the test gave it.
  expect(server.output()).toContain(`[slipway] router: listening on port ${routerPort}`);
  const before = await api.runtime.status.query({ environmentId: env.id });
  expect(before.services[0].status).toBe("RUNNING");

  // A slow build, so the kill lands in the middle of it.
  await api.service.update.mutate({ serviceId: svc.id, spec: { ...spec, build: { command: "sleep 120" } } });
  const second = await api.deployment.create.mutate({ environmentId: env.id });
  await waitStatus(second.id, (s) => s === "BUILDING", 30_000);
  const pidsBefore = listProcessesUnder(tmp.dir);
  expect(pidsBefore.length).toBeGreaterThan(0);
  await server.kill("SIGKILL");

  const restartedAt = Date.now();
  server = await startServer(base);
  cookie = await signIn(server.url, EMAIL, PASSWORD);
  api = trpcClient(server.url, { cookie });
  const ended = await waitStatus(second.id, (s) => s === "DEPLOYMENT_ERROR" || s === "DEPLOYED", 30_000);
  expect(ended.status).toBe("DEPLOYMENT_ERROR");
  expect(ended.message).toMatch(/console stopped while this deployment was building/);
  // The service is back on its last good version.
  expect((await getVia(routerPort, "web.staging.shop.recover.localhost")).body).toBe("hello\n");
  expect(Date.now() - restartedAt).toBeLessThan(30_000);
  // Nothing from before the kill is still running.
  for (const pid of pidsBefore) expect(alive(pid), `pid ${pid} survived the console`).toBe(false);
}, 240_000);

/** Pids of processes whose working folder or command line is under `dir` (instances, builds). */
function listProcessesUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${name}/cmdline`, "utf8").replace(/\0/g, " ");
      const cwd = fs.readlinkSync(`/proc/${name}/cwd`);
      if (cwd.startsWith(dir) || cmd.includes(dir)) pids.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}
