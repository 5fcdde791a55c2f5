/**
 * Variables through a real deployment: hello-node's /env shows what the instance got (secret-looking
 * names as sha256 digests, so awkward bytes are compared exactly), build-time and file variables,
 * redacted build logs, the needs-redeploy flag, and recovery after a console restart running the
 * deployment's own variables.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import type { DbHandle } from "@/db/client";
import { serviceRuntime } from "@/db/schema";
import { busWaiter } from "@/server/engine/bus-waiter";
import { Engine, setEngine } from "@/server/engine/engine";
import { LogWriter } from "@/server/engine/log-writer";
import { ProcessRuntime } from "@/server/runtime/process/process-runtime";
import { createTestDb } from "../support/test-db";
import { storedLines } from "../support/log-store";
import { EXAMPLES, getVia, makeEnvironment, startTestEngine, waitForDeployment } from "../support/engine-harness";

process.env.SLIPWAY_MASTER_KEY = crypto.randomBytes(32).toString("hex");

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

const sha = (v: string) => `sha256:${crypto.createHash("sha256").update(v, "utf8").digest("hex")}`;

/** hello-node's /env as NAME → value (multi-line values only appear under digested names here). */
async function envOf(routerPort: number, host: string): Promise<Map<string, string>> {
  const r = await getVia(routerPort, host, "/env");
  expect(r.status).toBe(200);
  return new Map(
    r.body
      .split("\n")
      .filter((l) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(l))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}

const AWKWARD_SECRET = `pa$$ 'w"ord' = \\n ✓ 🚀\nsecond line\n`;
const AWKWARD_VALUE = "$HOME ${X} `id` 'q' \"dq\" a=b ünï";

describe("variables in a deployment", () => {
  it("fails the pre-check naming the variable when an alias cannot be resolved at deploy time", async () => {
    const { api, env } = await makeEnvironment(h, "vars-bad-org");
    const web = await api.service.create({
      environmentId: env.id,
      name: "web",
      type: "application",
      spec: { source: { path: path.join(EXAMPLES, "hello-node") }, port: 8080, env: { HOST_PART: "x" } },
    });
    await api.variable.set({ scope: { serviceId: web.id }, name: "URL", kind: "alias", value: "http://{{HOST_PART}}" });
    // spec.env changed behind the variables API's back (a manifest apply): the reference is gone.
    await api.service.update({ serviceId: web.id, spec: { source: { path: path.join(EXAMPLES, "hello-node") }, port: 8080 } });
    const d = await api.deployment.create({ environmentId: env.id });
    const end = await waitForDeployment(h, d.id);
    expect(end.status).toBe("DEPLOYMENT_ERROR");
    expect(end.message).toBe("variables cannot be resolved: web: alias URL refers to {{HOST_PART}}, which is not defined");
  });

  it("a restart applies run-time changes but keeps flagging a build-time change until a deploy rebuilds", async () => {
    const { api, env, hostname } = await makeEnvironment(h, "vars-restart-org");
    const spec = { source: { path: path.join(EXAMPLES, "hello-node") }, port: 8080, healthcheck: { path: "/healthz" } };
    // Its own hostname: every test's project is shop/staging, and the router routes by name.
    const web = await api.service.create({ environmentId: env.id, name: "restarted", type: "application", spec });
    await api.variable.set({ scope: { serviceId: web.id }, name: "AT_BUILD", kind: "value", value: "one", availability: "both" });
    await api.variable.set({ scope: { serviceId: web.id }, name: "AT_RUN", kind: "value", value: "one" });
    const run = async (p: Promise<{ id: string }>) => {
      const end = await waitForDeployment(h, (await p).id);
      expect(end.status, `${end.message} ${end.hint}`).toBe("DEPLOYED");
    };
    const flag = async () => (await api.runtime.status({ environmentId: env.id })).services[0].needsRedeploy;
    await run(api.deployment.create({ environmentId: env.id }));
    expect(await flag()).toBe(false);

    await api.variable.set({ scope: { serviceId: web.id }, name: "AT_RUN", kind: "value", value: "two" });
    expect(await flag()).toBe(true);
    await run(api.runtime.restart({ serviceId: web.id }));
    expect(await flag()).toBe(false);
    expect((await envOf(rt.runtime.router.port, hostname("restarted"))).get("AT_RUN")).toBe("two");

    await api.variable.set({ scope: { serviceId: web.id }, name: "AT_BUILD", kind: "value", value: "two", availability: "both" });
    await run(api.runtime.restart({ serviceId: web.id }));
    // The restart reused the build made with AT_BUILD=one: still flagged.
    expect(await flag()).toBe(true);
    await run(api.deployment.create({ environmentId: env.id, serviceId: web.id }));
    expect(await flag()).toBe(false);
  });

  it("injects every kind at the right time, redacts secrets, flags needed redeploys and survives a console restart", async () => {
    const { api, project, env, hostname } = await makeEnvironment(h, "vars-org");
    const dir = path.join(EXAMPLES, "hello-node");
    // The build proves what it saw by digest only (and prints a secret on purpose, to be redacted).
    const build = {
      command:
        'printf %s "$BUILD_TOKEN" | sha256sum > build-token.txt && sha256sum < "$BUILD_FILE" > build-file.txt && printf %s "${RUNTIME_ONLY_KEY:-absent}" > runtime-only-at-build.txt && echo "build sees $BUILD_TOKEN"',
    };
    const web = await api.service.create({ environmentId: env.id, name: "web", type: "application", spec: { source: { path: dir }, port: 8080, healthcheck: { path: "/healthz" }, build, env: { GREETING: "from spec" } } });
    await api.service.create({ environmentId: env.id, name: "api", type: "application", spec: { source: { path: dir }, port: 8080, healthcheck: { path: "/healthz" } } });

    await api.variable.set({ scope: { projectId: project.id }, name: "APP_NAME", kind: "value", value: "shop-app" });
    await api.variable.set({ scope: { environmentId: env.id }, name: "DB_PASSWORD", kind: "secret", value: AWKWARD_SECRET });
    await api.variable.set({ scope: { serviceId: web.id }, name: "PLAIN", kind: "value", value: AWKWARD_VALUE });
    await api.variable.set({ scope: { serviceId: web.id }, name: "LABEL", kind: "alias", value: "{{APP_NAME}}/{{SLIPWAY_SERVICE}}/{{SLIPWAY_ENVIRONMENT}}" });
    await api.variable.set({ scope: { serviceId: web.id }, name: "DSN_SECRET", kind: "alias", value: "postgres://app:{{DB_PASSWORD}}@db/{{APP_NAME}}" });
    await api.variable.set({ scope: { serviceId: web.id }, name: "CERT_FILE", kind: "secret", value: "-----BEGIN-----\nMIIB\n-----END-----\n", asFile: true });
    await api.variable.set({ scope: { serviceId: web.id }, name: "BUILD_TOKEN", kind: "secret", value: "build-token-value-123", availability: "build" });
    await api.variable.set({ scope: { serviceId: web.id }, name: "BUILD_FILE", kind: "value", value: "file at build\n", availability: "both", asFile: true });
    await api.variable.set({ scope: { serviceId: web.id }, name: "RUNTIME_ONLY_KEY", kind: "secret", value: "runtime-only-value" });

    const d = await api.deployment.create({ environmentId: env.id });
    const done = await waitForDeployment(h, d.id);
    expect(done.status, `${done.message} ${done.hint}`).toBe("DEPLOYED");

    const e = await envOf(rt.runtime.router.port, hostname("web"));
    expect(e.get("APP_NAME")).toBe("shop-app");
    expect(e.get("GREETING")).toBe("from spec");
    expect(e.get("PLAIN")).toBe(AWKWARD_VALUE);
    expect(e.get("LABEL")).toBe("shop-app/web/staging");
    expect(e.get("DSN_SECRET")).toBe(sha(`postgres://app:${AWKWARD_SECRET}@db/shop-app`));
    expect(e.get("RUNTIME_ONLY_KEY")).toBe(sha("runtime-only-value"));
    expect(e.get("SLIPWAY_PROJECT")).toBe("shop");
    expect(e.get("SLIPWAY_SERVICE")).toBe("web");
    expect(e.get("SLIPWAY_DEPLOYMENT_ID")).toBe(d.id);
    expect(e.get("SLIPWAY_API_URL")).toBe(`http://${hostname("api")}:${rt.runtime.router.port}`);
    expect(e.get("PORT")).toMatch(/^\d+$/);
    // Build-only variables stay out of the instance.
    expect(e.has("BUILD_TOKEN")).toBe(false);
    // Quotes, $, =, backslashes, unicode and newlines arrive byte for byte.
    expect(e.get("DB_PASSWORD")).toBe(sha(AWKWARD_SECRET));
    // A file variable holds the path of a file in the instance's folder with exactly the value.
    const certPath = e.get("CERT_FILE") ?? "";
    expect(certPath).toContain(`${path.sep}instances${path.sep}`);
    expect(fs.readFileSync(certPath, "utf8")).toBe("-----BEGIN-----\nMIIB\n-----END-----\n");

    // What the build saw, and that the build-time files are not kept with the build.
    const [state] = await h.db.select().from(serviceRuntime).where(eq(serviceRuntime.serviceId, web.id));
    const buildDir = state.buildDir ?? "";
    const digest = (v: string) => `${crypto.createHash("sha256").update(v).digest("hex")}  -\n`;
    expect(fs.readFileSync(path.join(buildDir, "build-token.txt"), "utf8")).toBe(digest("build-token-value-123"));
    expect(fs.readFileSync(path.join(buildDir, "build-file.txt"), "utf8")).toBe(digest("file at build\n"));
    expect(fs.readFileSync(path.join(buildDir, "runtime-only-at-build.txt"), "utf8")).toBe("absent");
    expect(fs.existsSync(path.join(buildDir, ".slipway-build-vars"))).toBe(false);

    // The build printed the token: stored only redacted.
    await rt.engine.logs.flush();
    const lines = (await storedLines(h.db, web.id)).map((l) => l.line);
    expect(lines).toContain("build sees [redacted]");
    expect(lines.join("\n")).not.toContain("build-token-value-123");

    // Needs redeploy: false now; true after a change (pushed on the status stream); false once it is undone.
    const flag = async () => (await api.runtime.status({ environmentId: env.id })).services.find((s) => s.name === "web")?.needsRedeploy;
    expect(await flag()).toBe(false);
    const waiter = busWaiter(["service"], (_n, p) => p.serviceId === web.id);
    try {
      await api.variable.set({ scope: { environmentId: env.id }, name: "DB_PASSWORD", kind: "secret", value: "changed" });
      await waiter.wait(AbortSignal.timeout(5_000));
      expect(await flag()).toBe(true);
      expect((await api.runtime.status({ environmentId: env.id })).services.find((s) => s.name === "api")?.needsRedeploy).toBe(true);
      await api.variable.set({ scope: { environmentId: env.id }, name: "DB_PASSWORD", kind: "secret", value: AWKWARD_SECRET });
      expect(await flag()).toBe(false);
      await api.variable.set({ scope: { serviceId: web.id }, name: "PLAIN", kind: "value", value: "changed after deploy" });
      expect(await flag()).toBe(true);
    } finally {
      waiter.close();
    }

    // A console restart brings the service back with the variables its deployment used (not the changed ones).
    await rt.engine.stop();
    const logs = new LogWriter(h.db);
    const nodeId = rt.engine.nodeId;
    const runtime = new ProcessRuntime({ db: h.db, logs, nodeId, dataDir: rt.dataDir, workDir: path.join(rt.root, "work"), routerPort: 0, healthTimeoutMs: 20_000, stopGraceMs: 3_000 });
    await runtime.startRouter();
    const engine = new Engine(h.db, runtime, nodeId, logs);
    await engine.start();
    setEngine(engine);
    try {
      const after = await envOf(runtime.router.port, hostname("web"));
      expect(after.get("PLAIN")).toBe(AWKWARD_VALUE);
      expect(after.get("DSN_SECRET")).toBe(sha(`postgres://app:${AWKWARD_SECRET}@db/shop-app`));
      expect(after.get("SLIPWAY_DEPLOYMENT_ID")).toBe(d.id);
    } finally {
      setEngine(null);
      await engine.stop();
    }
  });
});
